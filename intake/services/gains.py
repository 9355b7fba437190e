"""What a city gains: initiatives, recommendations, peer figures, new reference years, consent.

Plain functions with explicit arguments; each one that changes data owns its commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask_babel import force_locale, format_percent
from flask_babel import gettext as _
from sqlalchemy import func, select

from intake.extensions import db
from intake.fees import band_for_population
from intake.models._types import utcnow
from intake.models.city import City, ProgrammeStage
from intake.models.gains import (
    INITIATIVE_STATUSES,
    Consent,
    Initiative,
    Recommendation,
    ValueHistory,
)
from intake.models.score import CategoryScore
from intake.models.values import EvidenceFile
from scoring.peers import PeerFigure, peer_figure

VERIFIED_STAGES = (ProgrammeStage.VERIFIED, ProgrammeStage.PUBLISHED)
TITLE_MAX = 200
DESCRIPTION_MAX = 2000
LINK_MAX = 500
RECOMMENDATION_MAX = 4000


class GainsError(ValueError):
    """A request the rules refuse; the message says why, in the user's language."""


def _catalog():
    from forms.catalog.loading import load_catalog

    return load_catalog()


def _category_ids() -> set[str]:
    return {category.id for category in _catalog().categories}


# ---------------------------------------------------------------------------- initiatives
def valid_link(link: str | None) -> bool:
    """Only absolute http(s) addresses with a host: no javascript:, data: or local paths."""
    if not link:
        return True
    if len(link) > LINK_MAX or any(ch.isspace() for ch in link):
        return False
    parts = urlsplit(link)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _clean_initiative(category_id: str, title: str, description: str, status: str,
                      link: str | None) -> dict:
    title = " ".join((title or "").split())
    link = (link or "").strip() or None
    if category_id not in _category_ids():
        raise GainsError(_("Choose one of the categories."))
    if not title or len(title) > TITLE_MAX:
        raise GainsError(_("Give the initiative a title of at most %(max)s characters.",
                           max=TITLE_MAX))
    if len(description or "") > DESCRIPTION_MAX:
        raise GainsError(_("Keep the description to at most %(max)s characters.",
                           max=DESCRIPTION_MAX))
    if status not in INITIATIVE_STATUSES:
        raise GainsError(_("Choose whether the initiative is planned, ongoing or completed."))
    if not valid_link(link):
        raise GainsError(_("The link must be a web address starting with http:// or "
                           "https://."))
    return {"category_id": category_id, "title": title,
            "description": (description or "").strip(), "status": status, "link": link}


def initiatives_of(city_id: int) -> list[Initiative]:
    return list(db.session.execute(
        select(Initiative).where(Initiative.city_id == city_id)
        .order_by(Initiative.category_id, Initiative.created_at, Initiative.id)).scalars())


def initiatives_by_category(city_id: int) -> dict[str, list[Initiative]]:
    found: dict[str, list[Initiative]] = {}
    for initiative in initiatives_of(city_id):
        found.setdefault(initiative.category_id, []).append(initiative)
    return found


def get_initiative(city_id: int, initiative_id: int) -> Initiative | None:
    """The city's own initiative; another city's id gives None, never its row."""
    initiative = db.session.get(Initiative, initiative_id)
    return initiative if initiative is not None and initiative.city_id == city_id else None


def save_initiative(city_id: int, *, category_id: str, title: str, description: str = "",
                    status: str = "planned", link: str | None = None,
                    initiative_id: int | None = None) -> Initiative:
    clean = _clean_initiative(category_id, title, description, status, link)
    if initiative_id is None:
        initiative = Initiative(city_id=city_id, **clean)
        db.session.add(initiative)
    else:
        initiative = get_initiative(city_id, initiative_id)
        if initiative is None:
            raise GainsError(_("This initiative does not exist (any more)."))
        for key, value in clean.items():
            setattr(initiative, key, value)
    db.session.commit()
    return initiative


def delete_initiative(city_id: int, initiative_id: int) -> bool:
    initiative = get_initiative(city_id, initiative_id)
    if initiative is None:
        return False
    db.session.delete(initiative)
    db.session.commit()
    return True


# ------------------------------------------------------------------------ recommendations
def recommendations_by_category(city_id: int) -> dict[str, list[Recommendation]]:
    found: dict[str, list[Recommendation]] = {}
    rows = db.session.execute(
        select(Recommendation).where(Recommendation.city_id == city_id)
        .order_by(Recommendation.created_at, Recommendation.id)).scalars()
    for row in rows:
        found.setdefault(row.category_id, []).append(row)
    return found


def save_recommendation(city_id: int, *, category_id: str, text: str, author: str,
                        recommendation_id: int | None = None) -> Recommendation:
    text = (text or "").strip()
    if category_id not in _category_ids():
        raise GainsError(_("Choose one of the categories."))
    if not text or len(text) > RECOMMENDATION_MAX:
        raise GainsError(_("Write a recommendation of at most %(max)s characters.",
                           max=RECOMMENDATION_MAX))
    if recommendation_id is None:
        row = Recommendation(city_id=city_id, category_id=category_id, text=text,
                             author=author[:200], generated=False)
        db.session.add(row)
    else:
        row = db.session.get(Recommendation, recommendation_id)
        if row is None or row.city_id != city_id:
            raise GainsError(_("This recommendation does not exist (any more)."))
        row.category_id, row.text, row.author = category_id, text, author[:200]
        row.generated = False  # edited by a person: a new draft no longer replaces it
    db.session.commit()
    return row


def delete_recommendation(city_id: int, recommendation_id: int) -> bool:
    row = db.session.get(Recommendation, recommendation_id)
    if row is None or row.city_id != city_id:
        return False
    db.session.delete(row)
    db.session.commit()
    return True


LOW_BANDS = (1, 2)  # the two lowest of the four bands: below 66 % of target


def draft_targets(snapshot) -> tuple[list, dict[str, list]]:
    """(categories in the two lowest bands, {category id: KPI rows not reported})."""
    categories = snapshot.categories
    low = [c for c in categories if c.band in LOW_BANDS]
    missing: dict[str, list] = {}
    for category in categories:
        seen: set[str] = set()
        for item in category.items:
            if item.status == "not_reported" and item.kpi_code not in seen:
                seen.add(item.kpi_code)
                missing.setdefault(category.id, []).append(item)
    return low, missing


def generate_draft(city_id: int, *, author: str) -> int:
    """Write first-draft recommendations in the city's language; returns how many.

    Earlier generated drafts that nobody edited are replaced; edited ones stay.
    """
    from intake.i18n import normalise_language, text_direction
    from intake.snapshot.data import build_snapshot

    city = db.session.get(City, city_id)
    if city is None:
        raise GainsError(_("This city does not exist."))
    language = normalise_language(city.locale) or "en"
    with force_locale(language):
        snapshot = build_snapshot(city, language, text_direction(language) == "rtl")
        low, missing = draft_targets(snapshot)
        texts: list[tuple[str, str]] = []
        for category in low:
            texts.append((category.id, _(
                "“%(category)s” scores %(percent)s, in one of the two lowest bands (below "
                "66 %% of target). Review its KPIs furthest from their targets and plan "
                "initiatives that move them up.", category=category.label,
                percent=format_percent((category.percent or 0) / 100, "#,##0.#%"))))
        for category_id, items in missing.items():
            names = "; ".join(f"{item.kpi_code} {item.label}" for item in items)
            texts.append((category_id, _(
                "These KPIs were not reported: %(kpis)s. Ask the offices that hold the "
                "figures, or explain why they are not collected.", kpis=names)))
    old = db.session.execute(select(Recommendation).where(
        Recommendation.city_id == city_id, Recommendation.generated.is_(True))).scalars()
    for row in old:
        db.session.delete(row)
    for category_id, text in texts:
        db.session.add(Recommendation(city_id=city_id, category_id=category_id,
                                      text=text[:RECOMMENDATION_MAX], generated=True,
                                      author=author[:200]))
    db.session.commit()
    return len(texts)


# -------------------------------------------------------------------------------- peers
@dataclass
class PeerComparison:
    """Peer figures for one city; figures are None where fewer than 5 cities contribute."""

    band: str | None
    economy: str | None
    cities: int  # how many verified peer cities there are (never who they are)
    categories: dict[str, PeerFigure | None] = field(default_factory=dict)
    items: dict[str, PeerFigure | None] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        return any(self.categories.values()) or any(self.items.values())


def peer_city_ids(city: City) -> list[int]:
    """Other verified or published cities of the same population band and economy type."""
    if not city.economy or not city.population:
        return []
    band = band_for_population(city.population)
    rows = db.session.execute(select(City.id, City.population).where(
        City.id != city.id, City.economy == city.economy, City.stage.in_(VERIFIED_STAGES)))
    return [row.id for row in rows if row.population and
            band_for_population(row.population) == band]


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


def compare_with_peers(city: City) -> PeerComparison:
    ids = peer_city_ids(city)
    band = band_for_population(city.population) if city.population else None
    comparison = PeerComparison(band=band, economy=city.economy, cities=len(ids))
    scores = latest_scores(ids)
    per_category: dict[str, list] = {}
    per_item: dict[str, list] = {}
    for by_category in scores.values():
        for category_id, score in by_category.items():
            per_category.setdefault(category_id, []).append(score.percent)
            for item in score.items or ():
                if item.get("status") != "not_reported":
                    per_item.setdefault(item["id"], []).append(item.get("value"))
    for category in _catalog().categories:
        comparison.categories[category.id] = peer_figure(per_category.get(category.id, ()))
    for item_id, values in per_item.items():
        comparison.items[item_id] = peer_figure(values)
    return comparison


# ------------------------------------------------------------------------ reference years
def history_years(city_id: int) -> list[int]:
    return list(db.session.execute(
        select(ValueHistory.reference_year).where(ValueHistory.city_id == city_id)
        .distinct().order_by(ValueHistory.reference_year)).scalars())


def previous_year_values(city_id: int) -> dict[str, float | bool | None]:
    """The values of the latest closed reference year, by data point id (empty if none)."""
    latest = db.session.execute(
        select(func.max(ValueHistory.reference_year)).where(ValueHistory.city_id == city_id)
    ).scalar_one_or_none()
    if latest is None:
        return {}
    rows = db.session.execute(select(ValueHistory).where(
        ValueHistory.city_id == city_id, ValueHistory.reference_year == latest)).scalars()
    return {row.data_point_id: row.boolean if row.boolean is not None else row.value
            for row in rows}


def _closing_year(city_id: int, new_year: int) -> int:
    from intake.models.values import KpiProvenance

    reported = db.session.execute(
        select(func.max(KpiProvenance.reference_year)).where(
            KpiProvenance.city_id == city_id, KpiProvenance.reference_year < new_year)
    ).scalar_one_or_none()
    return reported if reported is not None else new_year - 1


def start_new_reference_year(city_id: int, year: int, *, actor: str,
                             carry_evidence: bool = False) -> int:
    """Close the current data as last year's and open every category for `year`.

    The current values go into ValueHistory under the year they describe; the new year's
    fields start empty, with last year's figure shown beside them (and used for the
    large-change warning), never silently copied. Evidence files stay attached to the new
    year only when `carry_evidence`; otherwise they are filed under the closed year (kept,
    not deleted). Returns the closed year.
    """
    from intake.models.values import KpiProvenance
    from intake.services import values as value_service

    city = db.session.get(City, city_id)
    if city is None:
        raise GainsError(_("This city does not exist."))
    this_year = datetime.now(UTC).year
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= this_year + 1:
        raise GainsError(_("Choose a reference year between 2000 and %(last)s.",
                           last=str(this_year + 1)))
    closing = _closing_year(city_id, year)
    if closing in history_years(city_id) or any(y >= year for y in history_years(city_id)):
        raise GainsError(_("The reference year %(year)s has already been started.",
                           year=str(year)))
    rows = value_service.value_rows(city_id)
    entries = []
    for dp_id, row in rows.items():
        if not (row.not_available or row.valid):
            continue  # a draft that never parsed is not a figure of the closed year
        value = row.value
        db.session.add(ValueHistory(
            city_id=city_id, reference_year=closing, data_point_id=dp_id,
            value=None if isinstance(value, bool) else value,
            boolean=value if isinstance(value, bool) else None))
        previous = None if isinstance(value, bool) else value
        entries.append(value_service.Entry(dp_id, "", None, valid=False,
                                           previous_value=previous))
    value_service.store_entries(city_id, entries, actor=actor,
                                reason=f"new reference year {year}", keep_previous=False)
    for provenance in db.session.execute(
            select(KpiProvenance).where(KpiProvenance.city_id == city_id)).scalars():
        provenance.reference_year = None
        provenance.reference_year_text = None
    if not carry_evidence:
        for record in db.session.execute(
                select(EvidenceFile).where(EvidenceFile.city_id == city_id)).scalars():
            if "|" not in record.kpi_code:
                # Filed under the closed year: out of the new year's forms, still on record.
                record.kpi_code = f"{closing}|{record.kpi_code}"[:40]
    db.session.commit()
    for category_id, state in value_service.category_states(city_id).items():
        if state.status == "complete":
            value_service.reopen_category(city_id, category_id, actor=actor)
    return closing


# ------------------------------------------------------------------- consent and publishing
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

    catalog = _catalog()
    dimension_of = {c.id: c.dimension for c in catalog.categories}
    categories = {cid: {"percent": s.percent, "band": s.band} for cid, s in latest.items()}
    dimensions = {}
    for dimension in catalog.dimensions:
        items = [item for cid, s in latest.items() if dimension_of.get(cid) == dimension.id
                 for item in (s.items or ())]
        dimensions[dimension.id] = summarise(items)
    overall = summarise(item for s in latest.values() for item in (s.items or ()))
    return {"categories": categories, "dimensions": dimensions, "overall": overall}


def has_publication_consent(city_id: int) -> bool:
    from intake.services.pipeline import has_publication_consent as consented

    return consented(city_id)
