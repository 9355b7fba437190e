"""Command-line tools: `flask rq …`, `flask jobs …`, `flask cities …`."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask, current_app

from intake.cli.catalog import catalog_group
from intake.cli.fee import fee_group
from intake.cli.peers import peers_group
from intake.cli.scoring import scoring_group
from intake.cli.users import users_group
from intake.demo import demo_group
from intake.extensions import db


def register_cli(app: Flask) -> None:
    app.cli.add_command(rq_group)
    app.cli.add_command(jobs_group)
    app.cli.add_command(cities_group)
    app.cli.add_command(catalog_group)
    app.cli.add_command(fee_group)
    app.cli.add_command(scoring_group)
    app.cli.add_command(peers_group)
    app.cli.add_command(demo_group)
    app.cli.add_command(users_group)


@click.group("rq")
def rq_group() -> None:
    """Background workers (needs REDIS_URL)."""


@rq_group.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--simple", is_flag=True, help="Run jobs in this process (no fork).")
def rq_worker(queues: tuple[str, ...], burst: bool, simple: bool) -> None:
    """Run an RQ worker with the app's context (queues: scoring documents mail default)."""
    from rq import Queue, SimpleWorker, Worker

    from intake.jobs import get_redis, reap_jobs, reconcile_pending, warm_up_statements
    from intake.worker import supervise

    connection = get_redis()
    if connection is None:
        click.echo("REDIS_URL is not set: jobs already run inline in the web process; "
                   "set REDIS_URL to use a worker.", err=True)
        sys.exit(2)
    names = list(queues) or current_app.config["RQ_QUEUES"]
    worker_class = SimpleWorker if simple else Worker

    def hand_over() -> None:
        handed_over = reconcile_pending()
        if handed_over:
            click.echo(f"queued {handed_over} job(s) left pending or lost while Redis was away")
        reap_jobs()
        from datetime import UTC, datetime

        from intake.services.reminders import SWEEP_EVERY, schedule_next_sweep

        # The reminders' sweep this hour (and, from it, every next hour) on RQ's scheduler.
        schedule_next_sweep(datetime.now(UTC) - SWEEP_EVERY)
        if not simple:
            warm_up_statements()
        # Each job runs in a forked process: no database connection may be open at fork
        # time (SQLite in particular breaks when a child inherits one: "locking protocol").
        db.session.remove()
        db.engine.dispose()

    def make_worker():
        return worker_class(
            [Queue(n, connection=connection) for n in names], connection=connection,
            maintenance_interval=current_app.config["WORKER_MAINTENANCE_INTERVAL"])

    supervise(make_worker, connection, queue_names=names, burst=burst, on_connect=hand_over)


@rq_group.command("cron")
def rq_cron() -> None:
    """Enqueue the periodic housekeeping (lost jobs, stale imports, old conversations)."""
    from intake.jobs import get_redis
    from intake.schedule import build_cron_scheduler

    connection = get_redis()
    if connection is None:
        click.echo("REDIS_URL is not set: the schedule needs Redis and a worker.", err=True)
        sys.exit(2)
    build_cron_scheduler(connection, current_app.config["JOB_TIMEOUT"]).start()


@click.group("jobs")
def jobs_group() -> None:
    """Background job bookkeeping."""


@jobs_group.command("reconcile")
def jobs_reconcile() -> None:
    """Queue every job left pending (for example while Redis was down)."""
    from intake.jobs import reconcile_pending

    click.echo(json.dumps({"queued": reconcile_pending()}))


@click.group("cities")
def cities_group() -> None:
    """Manage participating cities."""


@cities_group.command("create")
@click.option("--name", required=True)
@click.option("--population", required=True, type=click.IntRange(min=1))
@click.option("--country", default=None, help="ISO 3166 alpha-2 code, e.g. NO")
@click.option("--economy", type=click.Choice(["developed", "developing"]), default=None)
@click.option("--locale", default="en", type=click.Choice(["en", "fr", "es", "ar", "zh", "ru"]))
@click.option("--email", "focal_point_email", default=None, help="The focal point's e-mail")
def cities_create(name, population, country, economy, locale, focal_point_email) -> None:
    """Create a city and print its id and workspace link."""
    from intake.services.cities import create_city
    from intake.services.links import workspace_url

    city = create_city(name=name, population=population, country=country, economy=economy,
                       locale=locale, focal_point_email=focal_point_email)
    click.echo(json.dumps({"id": city.id, "name": city.name,
                           "workspace_url": workspace_url(city)}, ensure_ascii=False))


@cities_group.command("list")
def cities_list() -> None:
    """List the cities as JSON lines."""
    from sqlalchemy import select

    from intake.models import City

    for city in db.session.execute(select(City).order_by(City.id)).scalars():
        click.echo(json.dumps({"id": city.id, "name": city.name, "stage": str(city.stage)},
                              ensure_ascii=False))
