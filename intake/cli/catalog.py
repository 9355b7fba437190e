"""`flask catalog …`: inspect the KPI catalog and the benchmark set the portal is using."""

from __future__ import annotations

import json

import click

from forms.catalog.loading import load_catalog
from forms.catalog.model import CatalogError


def catalog_stats(catalog) -> dict:
    """Counts that should match the U4SSC framework (91 KPIs, 24 categories, …)."""
    kpis = catalog.kpis
    return {
        "version": catalog.version,
        "benchmark_version": catalog.benchmark_version,
        "benchmark_provisional": catalog.benchmark_provisional,
        "dimensions": len(catalog.dimensions),
        "sub_dimensions": len(catalog.sub_dimensions),
        "categories": len(catalog.categories),
        "kpis": len(kpis),
        "core": sum(k.level == "core" for k in kpis),
        "advanced": sum(k.level == "advanced" for k in kpis),
        "smart": sum(k.kind == "smart" for k in kpis),
        "structural": sum(k.kind == "structural" for k in kpis),
        "sustainable": sum(k.kind == "sustainable" for k in kpis),
        "data_points": len(catalog.all_data_points),
        "shared_inputs": len(catalog.shared_inputs),
        "scored_items": len(catalog.scored_items()),
        "items_with_target": sum(
            1 for item in catalog.scored_items()
            if item.target is not None and item.target.value is not None),
    }


@click.group("catalog")
def catalog_group() -> None:
    """The KPI catalog and benchmark targets."""


@catalog_group.command("stats")
@click.option("--catalog", "catalog_path", type=click.Path(dir_okay=False), default=None,
              help="A catalog JSON file other than the packaged one.")
@click.option("--benchmarks", "benchmarks_path", type=click.Path(dir_okay=False), default=None,
              help="A benchmark JSON file other than the packaged provisional set.")
def catalog_stats_command(catalog_path: str | None, benchmarks_path: str | None) -> None:
    """Print the catalog's counts as JSON (fails with the problem if the files are malformed)."""
    try:
        catalog = load_catalog(catalog_path, benchmarks_path=benchmarks_path)
    except CatalogError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(catalog_stats(catalog), ensure_ascii=False))
