"""Scoring throughput through a real RQ worker, against the same worker running trivial jobs.

Both runs use the portal's own worker command (`flask rq worker --burst`, forking
rq.Worker, app context) on a private redis-server. The rate is timed by RQ's own records,
from the first job's start to the last job's end, so the worker's start-up (importing the
app, about 2 s) is left out of both without subtracting a separate, noisy measurement.
Prints jobs/s for each and the ratio.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SIMPLE = os.environ.get("BENCH_RQ_SIMPLE") == "1"


def _burst(env: dict, queue: str) -> float:
    """Run a worker until `queue` is empty; the seconds from its first job's start to its
    last job's end, as RQ recorded them."""
    from redis import Redis
    from rq import Queue
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    command = [FLASK, "rq", "worker", "--burst", queue] + (["--simple"] if SIMPLE else [])
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    connection = Redis.from_url(env["REDIS_URL"])
    registry = FinishedJobRegistry(queue=Queue(queue, connection=connection))
    jobs = [job for job in Job.fetch_many(registry.get_job_ids(), connection=connection)
            if job is not None]
    if not jobs:
        return 0.0
    first = min(job.started_at for job in jobs)
    last = max(job.ended_at for job in jobs)
    return (last - first).total_seconds()


def _prepare_scoring_jobs(cities: int) -> int:
    """Cities with the demo data set, every category complete: one job per category."""
    from intake import create_app
    from intake.demo import DEMO_VALUES, demo_provenance
    from intake.services.cities import create_city
    from intake.services.scoring import get_catalog
    from intake.services.values import mark_category_complete, set_city_values

    app = create_app()
    with app.app_context():
        catalog = get_catalog()
        for n in range(cities):
            city = create_city(name=f"Scored City {n}", population=250_000 + n,
                               economy="developed")
            values = dict(DEMO_VALUES, pop=250_000 + n)  # distinct inputs: distinct jobs
            set_city_values(city.id, values, actor="bench",
                            provenance=demo_provenance(k.code for k in catalog.kpis))
            for category in catalog.categories:
                mark_category_complete(city.id, category.id, actor="bench")
        return cities * len(catalog.categories)


def _enqueue_trivial(redis_url: str, count: int) -> None:
    from redis import Redis
    from rq import Queue

    queue = Queue("bench", connection=Redis.from_url(redis_url))
    for n in range(count):
        queue.enqueue("bench.jobs.noop", n)


def measure(cities: int = 4) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="u4ssc-rq-bench-"))
    port = _free_port()
    redis = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind",
                              "127.0.0.1", "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    redis_url = f"redis://127.0.0.1:{port}/0"
    env = dict(os.environ, SECRET_KEY="bench-secret", FLASK_APP="wsgi",
               DATABASE_URL=os.environ.get("BENCH_DATABASE_URL")
               or f"sqlite:///{workdir}/rq-bench.db", REDIS_URL=redis_url)
    try:
        time.sleep(0.5)
        subprocess.run([FLASK, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        os.environ.update({k: env[k] for k in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")})
        jobs = _prepare_scoring_jobs(cities)
        scoring_seconds = _burst(env, "scoring")
        _enqueue_trivial(redis_url, jobs)
        trivial_seconds = _burst(env, "bench")
    finally:
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    scoring_rate = jobs / max(scoring_seconds, 1e-6)
    trivial_rate = jobs / max(trivial_seconds, 1e-6)
    return {"jobs": jobs, "scoring_rate": scoring_rate,
            "trivial_rate": trivial_rate, "ratio": scoring_rate / trivial_rate}


def format_result(result: dict) -> str:
    met = "yes" if result["ratio"] >= 0.5 else "NO"
    return (
        "| RQ worker | jobs | jobs/s | ratio | goal | met |\n|---|---|---|---|---|---|\n"
        f"| trivial job (baseline) | {result['jobs']} | {result['trivial_rate']:.1f} | | | |\n"
        f"| scoring a category | {result['jobs']} | {result['scoring_rate']:.1f} | "
        f"{result['ratio']:.0%} | ≥ 50% | {met} |\n\n"
        "(timed from the first job's start to the last job's end, as RQ recorded them: "
        "the worker's start-up is in neither)"
    )


if __name__ == "__main__":
    print(format_result(measure()))
