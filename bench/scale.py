"""`make bench-scale`: every list, export and comparison page at 1 000 and 10 000 cities.

For each size a fresh PostgreSQL database is migrated and filled by `flask demo load
--cities N` (the bulk loader), then each page is requested in-process, one request at a
time, after one warm-up request: the median of a few timings and the number of SQL
statements it ran. Exports are streamed to nowhere in a separate process whose peak
resident memory is reported. Nothing is a timed assertion; the table is the result.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1_000, 10_000)
REPEAT = 15  # the median of 15: single runs on 2 shared cores move by ±15 ms
SECRET = "bench-scale-secret-key-not-for-production-0123456789"


def database_for(base_url: str, size: int, prefix: str = "bench_scale") -> str:
    """A fresh database named after the size, on the server of `base_url`."""
    url = make_url(base_url).set(drivername="postgresql+psycopg")
    name = f"{prefix}_{size}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def make_app(url: str):
    os.environ.update(SECRET_KEY=SECRET, DATABASE_URL=url, RATELIMIT_ENABLED="false")
    from intake import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET,
                       "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": True})


class Counter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _hit(self, *_args, **_kwargs):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._hit)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._hit)


def measure(client, engine, path: str, **kwargs) -> tuple[float, int]:
    response = client.get(path, **kwargs)  # warm-up: caches, a token's first use
    assert response.status_code == 200, (path, response.status_code)
    timings = []
    count = 0
    for _ in range(REPEAT):
        with Counter(engine) as counter:
            start = time.perf_counter()
            response = client.get(path, **kwargs)
            response.get_data()
            timings.append(time.perf_counter() - start)
        count = counter.count
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(timings) * 1000, count


def prepare(size: int, base_url: str, prefix: str = "bench_scale") -> tuple[str, float]:
    url = database_for(base_url, size, prefix)
    app = make_app(url)
    start = time.perf_counter()
    with app.app_context():
        from flask_migrate import upgrade

        from intake.demo_bulk import load_bulk_cities
        from intake.services import accounts

        upgrade(directory=str(ROOT / "migrations"))
        accounts.create_user(email="sec@bench.example", password="bench-password-123",
                             role="secretariat", name="Sam Secretariat")
        for number in range(1, 6):
            accounts.create_user(email=f"ver{number}@bench.example",
                                 password="bench-password-123", role="verifier",
                                 name=f"Verifier {number}")
        load_bulk_cities(size)
    return url, time.perf_counter() - start


def pages(app, size: int) -> list[tuple[str, str, dict]]:
    """(label, path, request options) for every page measured."""
    from sqlalchemy import select

    from intake.extensions import db
    from intake.models import City, ProgrammeStage, User
    from intake.services.api_tokens import create_token
    from intake.services.links import snapshot_token, workspace_token

    with app.app_context():
        secretariat = db.session.execute(
            select(User).where(User.email == "sec@bench.example")).scalar_one()
        token = create_token(secretariat, "bench")[1]
        verified = db.session.execute(
            select(City).where(City.stage == ProgrammeStage.VERIFIED).order_by(City.id)
            .limit(1)).scalar_one()
        workspace = workspace_token(verified)
        # The snapshot's own link (its key differs from the workspace link's).
        snapshot = snapshot_token(verified)
        verified_id = verified.id
    api = {"headers": {"Authorization": f"Bearer {token}"}}
    return [
        ("programme pipeline", "/staff/", {}),
        ("pipeline by score, descending", "/staff/?sort=score&dir=desc", {}),
        ("pipeline by last activity, one step", "/staff/?sort=last_activity&stage=verified",
         {}),
        ("pipeline, text search", "/staff/?q=north", {}),
        ("pipeline, last page", f"/staff/?page={max(1, size // 50)}", {}),
        ("letters inbox", "/staff/letters", {}),
        ("public /cities", "/cities/", {}),
        ("GET /api/v1/cities", "/api/v1/cities", api),
        ("GET /api/v1/cities by progress", "/api/v1/cities?sort=progress&dir=desc", api),
        ("GET /api/v1/letters", "/api/v1/letters", api),
        ("snapshot, kept copy", f"/snapshot/{snapshot}", {}),
        ("factsheet (staff)", f"/staff/gains/{verified_id}/factsheet", {}),
        ("peers (city workspace)", "/w/peers", {"workspace": workspace}),
        ("verifier queue", "/staff/", {"verifier": True}),
    ]


def sign_in(client, email: str) -> None:
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"csrf_token": token, "email": email,
                                "password": "bench-password-123"})


def run_pages(url: str, size: int) -> dict[str, tuple[float, int]]:
    from intake.extensions import db

    app = make_app(url)
    results = {}
    staff = app.test_client()
    sign_in(staff, "sec@bench.example")
    verifier = app.test_client()
    sign_in(verifier, "ver1@bench.example")
    city = app.test_client()
    with app.app_context():
        engine = db.engine
    for label, path, options in pages(app, size):
        options = dict(options)
        client = staff
        if options.pop("verifier", False):
            client = verifier
        workspace = options.pop("workspace", None)
        if workspace:
            client = city
            client.get(f"/w/{workspace}")
        with app.app_context():
            results[label] = measure(client, engine, path, **options)
        print(f"  {size:>6} cities  {label:<38} {results[label][0]:9.1f} ms "
              f"{results[label][1]:5d} queries", flush=True)
    return results


def run_export(url: str, fmt: str) -> dict:
    """In a child process: stream one export to nowhere; time, bytes, peak memory."""
    # Peak RSS of the whole process includes signing in (Argon2 hashes with 64 MB), so the
    # resident size is also sampled at every chunk: what the export itself holds.
    code = (
        "import json, resource, sys, time\n"
        "from bench.scale import make_app, sign_in\n"
        "def rss():\n"
        "    status = open('/proc/self/status').read()\n"
        "    return int(status.split('VmRSS:')[1].split()[0]) / 1024\n"
        f"app = make_app({url!r})\n"
        "client = app.test_client()\n"
        "sign_in(client, 'sec@bench.example')\n"
        "before = during = rss()\n"
        "start = time.perf_counter()\n"
        f"response = client.get('/staff/exports/cities.{fmt}', buffered=False)\n"
        "size = 0\n"
        "for chunk in response.response:\n"
        "    size += len(chunk)\n"
        "    during = max(during, rss())\n"
        "response.close()\n"
        "print(json.dumps({'ms': (time.perf_counter() - start) * 1000, 'bytes': size,\n"
        "  'status': response.status_code, 'rss_before_mb': before, 'rss_during_mb': during,\n"
        "  'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
    )
    # Past EXPORT_INLINE_MAX_CITIES the link hands the export to a background job, which
    # runs the same generator in a worker; streaming it here measures that writer.
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True,
                            env={**os.environ, "EXPORT_INLINE_MAX_CITIES": str(10 ** 9)}).stdout
    return json.loads(output.strip().splitlines()[-1])


def run_shared_save(url: str, redis_url: str | None = None) -> tuple[int, int]:
    """Statements of a population save on the request path, and scoring jobs it queued.

    Without Redis the job runs inline, inside the save; with it, it waits on the queue
    (removed again afterwards) as a worker would pick it up."""
    from sqlalchemy import func, select

    from intake.extensions import db
    from intake.models import City, JobRecord, ProgrammeStage
    from intake.services.values import get_city_values, set_city_values

    app = make_app(url)
    app.config["REDIS_URL"] = redis_url
    with app.app_context():
        city = db.session.execute(select(City).where(
            City.stage == ProgrammeStage.DATA_COLLECTION).order_by(City.id).limit(1)
        ).scalar_one()
        jobs_before = db.session.execute(select(func.count(JobRecord.id))).scalar_one()
        # One more than the stored figure: a run on a reused database changes it too.
        current = get_city_values(city.id).get("pop") or city.population
        with Counter(db.engine) as counter:
            set_city_values(city.id, {"pop": int(current) + 1}, actor="bench")
        jobs = db.session.execute(select(func.count(JobRecord.id))).scalar_one() - jobs_before
        if redis_url:
            from redis import Redis
            from rq import Queue

            Queue("scoring", connection=Redis.from_url(redis_url)).empty()
        return counter.count, jobs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
    parser.add_argument("--exports", default="csv,jsonl,xlsx")
    parser.add_argument("--xlsx-up-to", type=int, default=1_000,
                        help="Write the XLSX export only at sizes up to this (it is the "
                             "slowest format: about 12 minutes at 10 000 cities here).")
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    parser.add_argument("--prefix", default="bench_scale",
                        help="Name the databases <prefix>_<size> (two runs on one server "
                             "need different prefixes).")
    parser.add_argument("--reuse", action="store_true",
                        help="Measure the databases a previous run loaded (no loading).")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL"),
                        help="Queue the shared-input save's job on this Redis (as in "
                             "production) instead of running it inline in the request.")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    figures: dict = {"sizes": sizes, "pages": {}, "exports": {}, "load_s": {},
                     "shared_save": {}}
    for size in sizes:
        if args.reuse:
            url = make_url(args.database_url).set(
                drivername="postgresql+psycopg", database=f"{args.prefix}_{size}"
            ).render_as_string(hide_password=False)
            seconds = 0.0
        else:
            print(f"loading {size} cities ...", flush=True)
            url, seconds = prepare(size, args.database_url, args.prefix)
        figures["load_s"][size] = round(seconds, 1)
        print(f"  loaded in {seconds:.0f} s", flush=True)
        for label, (ms, count) in run_pages(url, size).items():
            figures["pages"].setdefault(label, {})[size] = [round(ms, 2), count]
        for fmt in filter(None, args.exports.split(",")):
            if fmt == "xlsx" and size > args.xlsx_up_to:
                continue
            result = run_export(url, fmt)
            figures["exports"].setdefault(fmt, {})[size] = result
            if result["status"] != 200:
                raise SystemExit(f"export {fmt} at {size} cities answered {result['status']}")
            print(f"  {size:>6} cities  export {fmt:<5} {result['ms'] / 1000:8.1f} s "
                  f"{result['bytes'] / 1e6:8.1f} MB sent, resident {result['rss_before_mb']:.0f}"
                  f" MB before, at most {result['rss_during_mb']:.0f} MB while streaming "
                  f"(process peak {result['rss_mb']:.0f} MB)", flush=True)
        figures["shared_save"][size] = run_shared_save(url, args.redis_url)
        print(f"  {size:>6} cities  shared-input save: {figures['shared_save'][size][0]} "
              f"statements, {figures['shared_save'][size][1]} jobs queued", flush=True)
    print(table(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


def table(figures: dict) -> str:
    small, large = figures["sizes"][0], figures["sizes"][-1]
    lines = [f"| page | {small} cities | {large} cities | time ratio | queries constant |",
             "|---|---|---|---|---|"]
    for label, by_size in figures["pages"].items():
        a, b = by_size[small], by_size[large]
        lines.append(f"| {label} | {a[0]:.1f} ms, {a[1]} q | {b[0]:.1f} ms, {b[1]} q | "
                     f"{b[0] / a[0]:.2f}× | {'yes' if a[1] == b[1] else 'NO'} |")
    lines += ["", "| export | " + " | ".join(f"{size} cities" for size in figures["sizes"])
              + " |", "|---|" + "---|" * len(figures["sizes"])]
    for fmt, by_size in figures["exports"].items():
        cells = [f"{by_size[size]['ms'] / 1000:.1f} s, {by_size[size]['bytes'] / 1e6:.0f} MB, "
                 f"resident {by_size[size]['rss_before_mb']:.0f} → at most "
                 f"{by_size[size]['rss_during_mb']:.0f} MB (process peak "
                 f"{by_size[size]['rss_mb']:.0f} MB)" if size in by_size
                 else "not run" for size in figures["sizes"]]
        lines.append(f"| {fmt} | " + " | ".join(cells) + " |")
    lines += ["", "| shared-input save (population) | " + " | ".join(
        f"{figures['shared_save'][size][0]} statements, {figures['shared_save'][size][1]} "
        "jobs" for size in figures["sizes"]) + " |",
        "| bulk load | " + " | ".join(f"{figures['load_s'][size]} s"
                                     for size in figures["sizes"]) + " |"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
