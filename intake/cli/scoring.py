"""`flask scoring rescore`: queue every complete category again (e.g. a new benchmark set)."""

from __future__ import annotations

import json

import click


@click.group("scoring")
def scoring_group() -> None:
    """Scores of the City Snapshot."""


@scoring_group.command("rescore")
@click.option("--all", "everyone", is_flag=True, help="Every city.")
@click.option("--city", "city_ids", type=int, multiple=True, help="A city id (repeatable).")
def rescore_command(everyone: bool, city_ids: tuple[int, ...]) -> None:
    """Queue scoring for every complete category; each result keeps its versions."""
    from intake.services.scoring import get_catalog, rescore

    if not everyone and not city_ids:
        raise click.UsageError("say which cities: --all, or --city ID (repeatable)")
    catalog = get_catalog()
    count = rescore(None if everyone else list(city_ids))
    click.echo(json.dumps({"queued": count, "catalog_version": catalog.version,
                           "benchmark_version": catalog.benchmark_version}))
