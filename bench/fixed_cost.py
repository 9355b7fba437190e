"""The fixed cost every portal request pays, in-process, as a ratio to a bare Flask app.

`python -m bench.fixed_cost [--profile NAME]` builds the portal on a fresh SQLite file and
the bare baseline (bench/baseline_app.py), then calls each app's WSGI callable directly
(no server, no test client) with a prepared environ, many times, and prints the median
microseconds per request and the ratio of the bare GET's rate to each one's. Both apps run
in the same process in the same run, so the ratios hold on a loaded machine where the
absolute figures do not. Nothing here is a test: the numbers are the result.

The requests:
- bare GET: the baseline's `GET /` (a string);
- portal, plain route: a view added for this run that returns a string, through every hook
  the portal installs (session, locale, CSRF, limiter, security headers, compression);
- portal, minimal page: a view that renders an empty page in the portal's layout (the header,
  language links, staff-free), the least a real page does;
- /healthz, the home page, a wizard step page and a wizard step save, as a city sees them.

`--profile NAME` runs cProfile over one of them and prints the top functions.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

CATEGORY = "ec-ict-infrastructure"
STEP = 1
SAVE_FIELDS = {
    "action": "save",
    "kpi_ec_ict_ict_1c__tier": "accurate",
    "kpi_ec_ict_ict_1c__source": "City statistics office",
    "kpi_ec_ict_ict_1c__year": "2025",
}
VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')


def environ(method: str, path: str, *, headers: dict | None = None, body: bytes = b""):
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=path, method=method, headers=headers or {},
                             data=body or None, base_url="http://127.0.0.1:5000",
                             content_type="application/x-www-form-urlencoded" if body
                             else None)
    try:
        return builder.get_environ()
    finally:
        builder.close()


def caller(app, method: str, path: str, *, headers=None, body: bytes = b"",
           on_response: Callable[[str, bytes], None] | None = None) -> Callable[[], None]:
    """A function that sends one request to `app` as a WSGI server would, reading the body."""
    base = environ(method, path, headers=headers, body=body)
    status_seen: list[str] = []

    def start_response(status, _headers, _exc_info=None):
        status_seen.append(status)

    def call() -> None:
        env = dict(base)
        env["wsgi.input"] = io.BytesIO(body)
        status_seen.clear()
        chunks = app(env, start_response)
        try:
            data = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        if on_response is not None:
            on_response(status_seen[0], data)
        elif not status_seen[0].startswith(("200", "302")):
            raise RuntimeError(f"{method} {path}: {status_seen[0]}")

    return call


def measure(call: Callable[[], None], *, seconds: float) -> float:
    """Microseconds of this process's CPU per call over about `seconds` of CPU.

    CPU time, not wall time: on a machine shared with other work, waiting for a core is not
    the request's cost, and wall-clock figures moved by a factor of three between runs."""
    count, start = 0, time.process_time()
    while True:
        for _ in range(20):
            call()
        count += 20
        elapsed = time.process_time() - start
        if elapsed >= seconds:
            return elapsed / count * 1e6


def measure_all(calls: dict[str, Callable[[], None]], *, seconds: float, rounds: int
                ) -> dict[str, float]:
    """The median over `rounds` rounds; every request is measured once in each round, in
    turn, so a change in the machine's load falls on all of them alike."""
    for call in calls.values():
        for _ in range(50):
            call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            samples[name].append(measure(call, seconds=seconds))
    return {name: statistics.median(values) for name, values in samples.items()}


def build_portal(folder: Path):
    from flask import render_template
    from flask_migrate import upgrade

    from intake import create_app

    os.environ.setdefault("SECRET_KEY", "bench-fixed-cost-" + "x" * 40)
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
        "UPLOAD_FOLDER": str(folder / "uploads"), "DOCUMENT_FOLDER": str(folder / "docs"),
        "EXPORT_FOLDER": str(folder / "exports"), "RATELIMIT_ENABLED": False,
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000", "FLASK_DEBUG": False,
    })

    @app.get("/__bench/plain")
    def bench_plain():
        return "ok"

    minimal = app.jinja_env.from_string('{% extends "base.html" %}{% block content %}'
                                        "<p>ok</p>{% endblock %}")

    @app.get("/__bench/page")
    def bench_page():
        return render_template(minimal, public_page=True)

    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        from intake.extensions import db
        from intake.services.cities import create_city
        from intake.services.links import workspace_token

        city = create_city(name="Bench City", population=250_000, economy="developing",
                           country="TN")
        token = workspace_token(city)
        db.session.remove()
    return app, token


def portal_requests(app, token: str) -> dict[str, Callable[[], None]]:
    client = app.test_client()
    assert client.get(f"/w/{token}").status_code == 302
    cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
    page = client.get(f"/w/c/{CATEGORY}/{STEP}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    version = [int(VERSION.search(page).group(1))]
    state = {"n": 0}
    wsgi = app.wsgi_app if False else app  # the full app, middleware included

    save_base = {**SAVE_FIELDS, "csrf_token": csrf}

    def save() -> None:
        state["n"] += 1
        body = urlencode({**save_base, "version": version[0],
                          "dp_hh_internet": 15000 + state["n"] % 500}).encode()

        def seen(status: str, data: bytes) -> None:
            if status.startswith("302"):
                version[0] += 1
                return
            found = VERSION.search(data.decode())
            if not found:
                raise RuntimeError(f"save answered {status}")
            version[0] = int(found.group(1))

        caller(wsgi, "POST", f"/w/c/{CATEGORY}/{STEP}", body=body,
               headers={"Cookie": cookie}, on_response=seen)()

    return {
        "portal, plain route": caller(wsgi, "GET", "/__bench/plain"),
        "portal, minimal page": caller(wsgi, "GET", "/__bench/page",
                                       headers={"Accept-Language": "en"}),
        "/healthz": caller(wsgi, "GET", "/healthz"),
        "home page": caller(wsgi, "GET", "/?lang=en"),
        "wizard step page": caller(wsgi, "GET", f"/w/c/{CATEGORY}/{STEP}",
                                   headers={"Cookie": cookie}),
        "wizard step save": save,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", help="cProfile one request kind (its name above)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["BASELINE_DB"] = str(Path(folder) / "baseline.db")
        from bench.baseline_app import create_baseline

        bare = caller(create_baseline(), "GET", "/")
        app, token = build_portal(Path(folder))
        requests = portal_requests(app, token)
        if args.profile:
            import cProfile
            import pstats

            call = requests[args.profile]
            for _ in range(100):
                call()
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(2000):
                call()
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(35)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
            return 0
        results = measure_all({"bare GET (baseline)": bare, **requests},
                              seconds=args.seconds, rounds=args.rounds)
        bare_us = results["bare GET (baseline)"]
        print("| request | µs of CPU per request | bare GET's rate over this one's |")
        print("|---|---|---|")
        for name, micros in results.items():
            print(f"| {name} | {micros:.0f} | {bare_us / micros:.0%} |")
        plain = results["portal, plain route"]
        print(f"\nfixed cost (portal plain route − bare GET): {plain - bare_us:.0f} µs; "
              f"minimal page − bare GET: {results['portal, minimal page'] - bare_us:.0f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
