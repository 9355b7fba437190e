"""Consent and publication: a verified city agrees, the secretariat publishes, the public reads.

Plain functions with explicit arguments; each one that changes data owns its commit.
"""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select

from intake.extensions import db
from intake.models._types import utcnow
from intake.models.city import City, ProgrammeStage
from intake.models.gains import Consent
from intake.models.score import CategoryScore
from intake.services.gains import VERIFIED_STAGES, GainsError, catalog, latest_scores


def consent_of(city_id: int) -> Consent | None:
    return db.session.execute(
        select(Consent).where(Consent.city_id == city_id)).scalar_one_or_none()


def _new_public_id(city: City) -> str:
    from werkzeug.utils import secure_filename

    stem = secure_filename(city.name).lower().replace("_", "-")[:40].strip("-") or "city"
    return f"{stem}-{secrets.token_hex(3)}"


def give_consent(city_id: int, *, actor: str, include_initiatives: bool = False) -> Consent:
    """Only a verified (or published) city can consent: there is nothing to show before."""
    city = db.session.get(City, city_id)
    if city is None:
        raise GainsError(_("This city does not exist."))
    if ProgrammeStage(city.stage) not in VERIFIED_STAGES:
        raise GainsError(_("Your city can agree to publication once its data is verified."))
    consent = consent_of(city_id)
    if consent is None:
        consent = Consent(city_id=city_id, public_id=_new_public_id(city))
        db.session.add(consent)
    consent.given_at = utcnow()
    consent.revoked_at = None
    consent.given_by = actor[:200]
    consent.include_initiatives = bool(include_initiatives)
    db.session.commit()
    return consent


def revoke_consent(city_id: int, *, actor: str) -> bool:
    """Revoke at once; a published city goes back to "verified" (its public pages are gone)."""
    from intake.services.pipeline import move_city

    consent = consent_of(city_id)
    if consent is None or not consent.active:
        return False
    consent.revoked_at = utcnow()
    db.session.commit()
    city = db.session.get(City, city_id)
    if city is not None and ProgrammeStage(city.stage) == ProgrammeStage.PUBLISHED:
        move_city(city_id, ProgrammeStage.VERIFIED, actor=None,
                  note=_("The city revoked its consent to publication (%(who)s).",
                         who=actor[:100]),
                  expected_stage=ProgrammeStage.PUBLISHED)
    return True


def publish_city(city_id: int, *, actor) -> None:
    from intake.services.pipeline import move_city

    consent = consent_of(city_id)
    if consent is None or not consent.active:
        raise GainsError(_("This city has not agreed to publication; it can do so in its "
                           "workspace once verified."))
    move_city(city_id, ProgrammeStage.PUBLISHED, actor=actor,
              expected_stage=ProgrammeStage.VERIFIED)


def unpublish_city(city_id: int, *, actor, note: str) -> None:
    from intake.services.pipeline import move_city

    move_city(city_id, ProgrammeStage.VERIFIED, actor=actor, note=note,
              expected_stage=ProgrammeStage.PUBLISHED)


def public_city(public_id: str) -> tuple[City, Consent] | None:
    """A published city with consent in force, by its public id; anything else is None."""
    if not public_id or len(public_id) > 80:
        return None
    row = db.session.execute(
        select(City, Consent).join(Consent, Consent.city_id == City.id).where(
            Consent.public_id == public_id, City.stage == ProgrammeStage.PUBLISHED,
            Consent.given_at.is_not(None), Consent.revoked_at.is_(None))).first()
    return (row[0], row[1]) if row is not None else None


def _published_query():
    return select(City, Consent).join(Consent, Consent.city_id == City.id).where(
        City.stage == ProgrammeStage.PUBLISHED, Consent.given_at.is_not(None),
        Consent.revoked_at.is_(None))


def published_cities() -> list[tuple[City, Consent]]:
    rows = db.session.execute(_published_query().order_by(City.name, City.id)).all()
    return [(row[0], row[1]) for row in rows]


def published_page(*, page: int = 1, per_page: int = 24, search: str = "",
                   country: str | None = None):
    """One page of published cities with their scores, in a fixed number of queries."""
    from intake.models.summary import CitySummary
    from intake.services import paging
    from intake.services.summaries import fold

    query = _published_query()
    if search:
        query = query.join(CitySummary, CitySummary.city_id == City.id).where(
            CitySummary.search_key.contains(fold(search), autoescape=True))
    if country:
        query = query.where(City.country == country)
    found = paging.paginate(query.order_by(City.name, City.id),
                            query.with_only_columns(City.id), page=page, per_page=per_page)
    scores = latest_scores(city.id for city, _consent in found.items)
    return found.replace([(city, consent, summarise_scores(scores.get(city.id, {})))
                          for city, consent in found.items])


def publication_version() -> str:
    """Changes whenever what the public list shows could change (for ETags)."""
    latest_score = db.session.execute(select(func.max(CategoryScore.computed_at))).scalar()
    latest_city = db.session.execute(select(func.max(City.updated_at))).scalar()
    latest_consent = db.session.execute(
        select(func.max(func.coalesce(Consent.revoked_at, Consent.given_at)))).scalar()
    return f"{latest_score}|{latest_city}|{latest_consent}"


def public_scores(city_id: int) -> dict:
    """A published city's dimension and category scores from its latest stored scores."""
    return summarise_scores(latest_scores([city_id]).get(city_id, {}))


def summarise_scores(latest: dict[str, CategoryScore]) -> dict:
    """Dimension and overall figures from a city's latest score per category."""
    from scoring.aggregate import summarise

    book = catalog()
    dimension_of = {c.id: c.dimension for c in book.categories}
    categories = {cid: {"percent": s.percent, "band": s.band} for cid, s in latest.items()}
    dimensions = {}
    for dimension in book.dimensions:
        items = [item for cid, s in latest.items() if dimension_of.get(cid) == dimension.id
                 for item in (s.items or ())]
        dimensions[dimension.id] = summarise(items)
    overall = summarise(item for s in latest.values() for item in (s.items or ()))
    return {"categories": categories, "dimensions": dimensions, "overall": overall}


def has_publication_consent(city_id: int) -> bool:
    from intake.services.pipeline import has_publication_consent as consented

    return consented(city_id)
