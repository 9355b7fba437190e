"""`flask peers rebuild`: compute every peer group's statistics again (e.g. after loading
data in bulk or after a new benchmark set)."""

from __future__ import annotations

import json

import click


@click.group("peers")
def peers_group() -> None:
    """Peer statistics: the figures cities are compared with."""


@peers_group.command("rebuild")
def rebuild_command() -> None:
    """Compute the statistics of every group of verified cities under the current catalog."""
    from intake.services.peers import rebuild_all
    from intake.services.scoring import get_catalog

    catalog = get_catalog()
    found = rebuild_all()
    click.echo(json.dumps({**found, "catalog_version": catalog.version,
                           "benchmark_version": catalog.benchmark_version}))
