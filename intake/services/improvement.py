"""The improvement plan: a city's initiatives, recommendations and their first drafts.

Plain functions with explicit arguments; each one that changes data owns its commit.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import force_locale, format_percent
from flask_babel import gettext as _
from sqlalchemy import select

from intake.extensions import db
from intake.models.city import City
from intake.models.gains import INITIATIVE_STATUSES, Initiative, Recommendation
from intake.services.gains import GainsError, category_ids

TITLE_MAX = 200
DESCRIPTION_MAX = 2000
LINK_MAX = 500
RECOMMENDATION_MAX = 4000


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
    if category_id not in category_ids():
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
    if category_id not in category_ids():
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
