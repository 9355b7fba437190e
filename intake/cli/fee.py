"""`flask fee quote`: the participation fee on the command line, as the API gives it."""

from __future__ import annotations

import json
import sys

import click
from flask_babel import force_locale

from intake.i18n import LANGUAGES


@click.group("fee")
def fee_group() -> None:
    """The participation fee."""


@fee_group.command("quote")
@click.option("--population", required=True, help="Number of inhabitants, e.g. 250000")
@click.option("--economy", required=True, help="developed or developing")
@click.option("--package", default="verification", show_default=True,
              help="verification or case_study")
@click.option("--lang", "language", default="en", show_default=True,
              type=click.Choice(list(LANGUAGES)), help="Language of the formatted amounts")
def fee_quote(population: str, economy: str, package: str, language: str) -> None:
    """Print the fee quote as JSON (the same as GET /api/v1/fee)."""
    from intake.api.fee import parse_fee_query, quote_json

    with force_locale(language):
        quote, errors = parse_fee_query(
            {"population": population, "economy": economy, "package": package})
        if errors:
            click.echo(json.dumps({"errors": errors}, ensure_ascii=False), err=True)
            sys.exit(2)
        click.echo(json.dumps(quote_json(quote), ensure_ascii=False))
