"""What a city gains, the parts its services share: the error, the verified stages, the catalog.

The features live in their own modules: `improvement` (initiatives, recommendations, drafts),
`peers` (comparison with similar cities), `reference_years` (closing a year, opening the
next) and `publication` (consent and the public pages).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from intake.extensions import db
from intake.models.city import ProgrammeStage
from intake.models.score import CategoryScore

VERIFIED_STAGES = (ProgrammeStage.VERIFIED, ProgrammeStage.PUBLISHED)


class GainsError(ValueError):
    """A request the rules refuse; the message says why, in the user's language."""


def catalog():
    from forms.catalog.loading import load_catalog

    return load_catalog()


def category_ids() -> set[str]:
    return {category.id for category in catalog().categories}


def latest_scores(city_ids: Iterable[int]) -> dict[int, dict[str, CategoryScore]]:
    """Each city's most recent score per category."""
    ids = list(city_ids)
    found: dict[int, dict[str, CategoryScore]] = {}
    if not ids:
        return found
    rows = db.session.execute(
        select(CategoryScore).where(CategoryScore.city_id.in_(ids))
        .order_by(CategoryScore.computed_at, CategoryScore.id)).scalars()
    for row in rows:
        found.setdefault(row.city_id, {})[row.category_id] = row  # later rows win
    return found
