"""Read models for the staff pages: rows of the overview and of the letters inbox."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from intake.extensions import db
from intake.models.city import City, ProgrammeStage
from intake.models.letter import Letter
from intake.models.score import CategoryScore
from intake.models.user import User, UserRole, VerifierAssignment
from intake.services import pipeline
from intake.services.values import NOT_STARTED, catalog, category_states

COMPLETE = "complete"


@dataclass
class CategoryCell:
    id: str
    name: str
    dimension: str
    dimension_name: str
    status: str
    percent: float | None = None
    band: int | None = None


@dataclass
class CityRow:
    city: City
    days_in_stage: int
    overdue: bool
    entered_stage_at: datetime
    categories: list[CategoryCell] = field(default_factory=list)
    score_percent: float | None = None
    score_band: int | None = None
    verifiers: list[User] = field(default_factory=list)
    # The latest letter's signed scan: None (none yet), "received" or "acknowledged".
    signed: str | None = None
    duplicates: list = field(default_factory=list)

    @property
    def complete_count(self) -> int:
        return sum(1 for cell in self.categories if cell.status == COMPLETE)

    @property
    def in_progress_count(self) -> int:
        return sum(1 for cell in self.categories if cell.status not in (COMPLETE, NOT_STARTED))

    @property
    def complete_percent(self) -> int:
        total = len(self.categories)
        return round(100 * self.complete_count / total) if total else 0


def band_for(percent: float) -> int:
    from scoring.bands import band_for as scoring_band

    return scoring_band(percent)


def visible_cities_query(user: User):
    query = select(City)
    if user.role != UserRole.SECRETARIAT:
        query = query.join(VerifierAssignment, VerifierAssignment.city_id == City.id).where(
            VerifierAssignment.user_id == user.id)
    return query


def matches(search: str, *texts: str | None) -> bool:
    """Case-insensitive substring search in any script (SQLite's lower() is ASCII-only)."""
    needle = unicodedata.normalize("NFKC", search).casefold().strip()
    return any(needle in unicodedata.normalize("NFKC", text).casefold()
               for text in texts if text)


def city_rows(user: User, *, stage: ProgrammeStage | None = None, search: str = "",
              overdue_only: bool = False, language: str = "en") -> list[CityRow]:
    query = visible_cities_query(user)
    if stage is not None:
        query = query.where(City.stage == stage)
    cities = list(db.session.execute(query.order_by(City.name, City.id)).scalars())
    if search:
        cities = [city for city in cities if matches(search, city.name)]
    rows = build_rows(cities, language)
    return [row for row in rows if row.overdue] if overdue_only else rows


def city_row(city: City, *, language: str = "en") -> CityRow:
    return build_rows([city], language)[0]


def build_rows(cities: list[City], language: str) -> list[CityRow]:
    ids = [city.id for city in cities]
    entered = pipeline.stage_entered_at(ids)
    scores = latest_scores(ids)
    verifiers = verifiers_by_city(ids)
    signed = signed_by_city(ids)
    from intake.services.duplicates import open_duplicates

    duplicates = open_duplicates(ids)
    rows = []
    for city in cities:
        age = pipeline.stage_age(ProgrammeStage(city.stage), entered[city.id])
        row = CityRow(city=city, days_in_stage=age.days, overdue=age.overdue,
                      entered_stage_at=entered[city.id],
                      verifiers=verifiers.get(city.id, []), signed=signed.get(city.id),
                      duplicates=duplicates.get(city.id, []))
        row.categories = category_cells(city.id, scores.get(city.id, {}), language)
        row.score_percent, row.score_band = overall_score(row.categories,
                                                          scores.get(city.id, {}))
        rows.append(row)
    return rows


def category_cells(city_id: int, scores: dict[str, CategoryScore], language: str
                   ) -> list[CategoryCell]:
    states = category_states(city_id)
    book = catalog()
    dimension_names = {d.id: d.name.get(language) for d in book.dimensions}
    cells = []
    for category in book.categories:
        state = states.get(category.id)
        status = state.status if state is not None else NOT_STARTED
        cell = CategoryCell(id=category.id, name=category.name.get(language),
                            dimension=category.dimension,
                            dimension_name=dimension_names.get(category.dimension, ""),
                            status=status)
        score = scores.get(category.id)
        # A score belongs to data the city declared complete; after a reopen it is stale.
        if status == COMPLETE and score is not None and score.percent is not None:
            cell.percent = score.percent
            cell.band = score.band
        cells.append(cell)
    return cells


def overall_score(cells: list[CategoryCell], scores: dict[str, CategoryScore]
                  ) -> tuple[float | None, int | None]:
    """Points over 4 × scored items, across the complete categories (U4SSC aggregation)."""
    points = 0.0
    items = 0
    for cell in cells:
        score = scores.get(cell.id)
        if cell.percent is None or score is None or not score.scored:
            continue
        points += cell.percent / 100 * 4 * score.scored
        items += score.scored
    if not items:
        return None, None
    percent = 100 * points / (4 * items)
    return percent, band_for(percent)


def latest_scores(city_ids: list[int]) -> dict[int, dict[str, CategoryScore]]:
    if not city_ids:
        return {}
    rows = db.session.execute(
        select(CategoryScore).where(CategoryScore.city_id.in_(city_ids))
        .order_by(CategoryScore.computed_at, CategoryScore.id)
    ).scalars()
    latest: dict[int, dict[str, CategoryScore]] = {}
    for row in rows:
        latest.setdefault(row.city_id, {})[row.category_id] = row
    return latest


def signed_by_city(city_ids: list[int]) -> dict[int, str]:
    """"received" or "acknowledged" for the cities whose latest letter came back signed."""
    if not city_ids:
        return {}
    found: dict[int, str] = {}
    for city_id, signed_at, acknowledged_at in db.session.execute(
        select(Letter.city_id, Letter.signed_at, Letter.signed_acknowledged_at)
        .where(Letter.city_id.in_(city_ids))
        .order_by(Letter.created_at, Letter.id)
    ).all():
        # Ordered oldest first: the latest letter decides.
        found.pop(city_id, None)
        if signed_at is not None:
            found[city_id] = "acknowledged" if acknowledged_at is not None else "received"
    return found


def verifiers_by_city(city_ids: list[int]) -> dict[int, list[User]]:
    if not city_ids:
        return {}
    found: dict[int, list[User]] = {}
    for city_id, user in db.session.execute(
        select(VerifierAssignment.city_id, User)
        .join(User, User.id == VerifierAssignment.user_id)
        .where(VerifierAssignment.city_id.in_(city_ids)).order_by(User.name, User.email)
    ).all():
        found.setdefault(city_id, []).append(user)
    return found


def stage_counts(user: User) -> dict[ProgrammeStage, int]:
    query = visible_cities_query(user).with_only_columns(City.stage, func.count(City.id)) \
        .group_by(City.stage)
    counts = {stage: 0 for stage in ProgrammeStage}
    for stage, count in db.session.execute(query).all():
        counts[ProgrammeStage(stage)] = count
    return counts


# ------------------------------------------------------------------------------ letters
@dataclass
class LetterRow:
    letter: Letter
    city: City
    duplicates: list = field(default_factory=list)

    @property
    def fee(self) -> dict:
        return self.letter.fee or {}

    @property
    def population(self) -> int | None:
        return self.fee.get("population") or self.city.population

    @property
    def economy(self) -> str | None:
        return self.fee.get("economy") or self.city.economy

    @property
    def package(self) -> str | None:
        return self.fee.get("package") or self.city.package


def letter_rows(*, search: str = "", language: str | None = None, package: str | None = None,
                economy: str | None = None) -> list[LetterRow]:
    query = select(Letter, City).join(City, City.id == Letter.city_id)
    if language:
        query = query.where(Letter.locale == language)
    rows = [LetterRow(letter=letter, city=city) for letter, city in db.session.execute(
        query.order_by(Letter.created_at.desc(), Letter.id.desc())).all()]
    if search:
        rows = [row for row in rows if matches(search, row.city.name, row.city.country)]
    # Package and economy are read from the quote frozen in the letter, not the editable city.
    if package:
        rows = [row for row in rows if row.package == package]
    if economy:
        rows = [row for row in rows if row.economy == economy]
    from intake.services.duplicates import open_duplicates

    duplicates = open_duplicates(sorted({row.city.id for row in rows}))
    for row in rows:
        row.duplicates = duplicates.get(row.city.id, [])
    return rows
