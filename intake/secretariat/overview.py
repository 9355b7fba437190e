"""Read models for the staff pages: rows of the overview and of the letters inbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from intake.extensions import db
from intake.models._types import utcnow
from intake.models.city import City, ProgrammeStage
from intake.models.letter import Letter
from intake.models.score import CategoryScore
from intake.models.submission import CategoryState
from intake.models.summary import CitySummary
from intake.models.user import User, UserRole, VerifierAssignment
from intake.services import paging, pipeline
from intake.services.duplicates import open_duplicates
from intake.services.summaries import fold
from intake.services.values import NOT_STARTED, catalog

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
    # Flags raised when the assistant registered a look-alike, for the secretariat to merge
    # or dismiss.
    duplicates: list = field(default_factory=list)
    last_activity_at: datetime | None = None
    # Ids of other cities that look like the same one (name and country, or focal point).
    duplicate_of: list[int] = field(default_factory=list)
    # Programme milestones recorded: kind → (done | skipped, date).
    milestones: dict[str, tuple[str, date]] = field(default_factory=dict)
    signed_at: datetime | None = None  # the latest letter's signed scan, when received

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


@dataclass(frozen=True)
class CityFilters:
    stage: ProgrammeStage | None = None
    search: str = ""
    country: str | None = None
    verifier_id: int | None = None
    overdue_only: bool = False
    milestone: str | None = None  # a key of MILESTONE_FILTERS

    @property
    def active(self) -> bool:
        return bool(self.stage or self.search or self.country or self.verifier_id
                    or self.overdue_only or self.milestone)


# Sort keys a list accepts, each an ordered list of columns (the city id breaks ties so
# pages never overlap).
CITY_SORTS = {
    "name": (City.name,),
    "country": (City.country, City.name),
    "stage": (City.stage, City.name),
    "days_in_stage": (CitySummary.stage_entered_at,),
    "last_activity": (CitySummary.last_activity_at,),
    "progress": (CitySummary.complete_categories, City.name),
    "score": (CitySummary.score_percent, City.name),
    "verifier": (CitySummary.verifier_key, City.name),
    "population": (City.population, City.name),
    "created": (City.created_at,),
    # Programme milestones (by date; cities without one last, whichever the direction).
    "fee_invoiced": (CitySummary.fee_invoiced_on, City.name),
    "fee_paid": (CitySummary.fee_paid_on, City.name),
    "signed_letter": (CitySummary.signed_letter_at, City.name),
    "certificate": (CitySummary.certificate_issued_on, City.name),
    "award": (CitySummary.award_nominated_on, City.name),
}
# The milestone columns, by the key a list's filter uses: ?milestone=fee_paid lists the
# cities that have it, ?milestone=no_fee_paid those still without it (skipped counts as
# without: no fee was paid).
MILESTONE_COLUMNS = {
    "fee_invoiced": CitySummary.fee_invoiced_on,
    "fee_paid": CitySummary.fee_paid_on,
    "signed_letter": CitySummary.signed_letter_at,
    "certificate": CitySummary.certificate_issued_on,
    "award": CitySummary.award_nominated_on,
}
MILESTONE_FILTERS = frozenset({*MILESTONE_COLUMNS, *(f"no_{k}" for k in MILESTONE_COLUMNS)})
# "days in stage" reads naturally largest first, which is the earliest entry date.
_REVERSED_SORTS = frozenset({"days_in_stage"})
DEFAULT_CITY_SORT = "name"


def city_query(user: User, filters: CityFilters):
    query = visible_cities_query(user).outerjoin(CitySummary, CitySummary.city_id == City.id)
    if filters.stage is not None:
        query = query.where(City.stage == filters.stage)
    if filters.country:
        query = query.where(City.country == filters.country.upper()[:2])
    if filters.verifier_id:
        # Aliased: a verifier's own list already joins the assignments.
        assigned = aliased(VerifierAssignment)
        query = query.where(select(assigned.city_id).where(
            assigned.city_id == City.id, assigned.user_id == filters.verifier_id)
            .correlate(City).exists())
    if filters.search:
        query = query.where(CitySummary.search_key.contains(fold(filters.search),
                                                            autoescape=True))
    if filters.milestone in MILESTONE_FILTERS:
        column = MILESTONE_COLUMNS[filters.milestone.removeprefix("no_")]
        query = query.where(column.is_(None) if filters.milestone.startswith("no_")
                            else column.is_not(None))
    if filters.overdue_only:
        limit = utcnow() - timedelta(days=pipeline.OVERDUE_AFTER_DAYS + 1)
        query = query.where(City.stage != ProgrammeStage.PUBLISHED,
                            CitySummary.stage_entered_at <= limit)
    return query


def order_by(sorts: dict, sort: str, descending: bool, default: str) -> list:
    columns = sorts.get(sort) or sorts[default]
    descending = descending != (sort in _REVERSED_SORTS)
    order = []
    for column in columns:
        # NULLs (no score yet) go last whichever way the list is sorted. A column that
        # cannot be NULL gets no such key: it would keep the database off the column's index.
        if getattr(getattr(column, "expression", column), "nullable", True):
            order.append(column.is_(None))
        order.append(column.desc() if descending else column.asc())
    return order


def city_page(user: User, *, filters: CityFilters = CityFilters(), sort: str = "name",
              descending: bool = False, page: int = 1, per_page: int = paging.PER_PAGE,
              language: str = "en") -> paging.Page:
    """One page of the cities this account may see, in a fixed number of queries."""
    query = city_query(user, filters)
    order = order_by(CITY_SORTS, sort, descending, DEFAULT_CITY_SORT)
    found = paging.paginate(query.add_columns(CitySummary).order_by(*order, City.id),
                            query, page=page, per_page=per_page)
    rows = build_rows([city for city, _summary in found.items], language,
                      summaries={city.id: summary for city, summary in found.items})
    return found.replace(rows)


def city_rows(user: User, *, stage: ProgrammeStage | None = None, search: str = "",
              overdue_only: bool = False, language: str = "en") -> list[CityRow]:
    """Every matching city (exports and small lists); pages use city_page."""
    query = city_query(user, CityFilters(stage=stage, search=search,
                                         overdue_only=overdue_only))
    cities = list(db.session.execute(query.order_by(City.name, City.id)).scalars())
    return build_rows(cities, language)


def city_row(city: City, *, language: str = "en") -> CityRow:
    return build_rows([city], language)[0]


def build_rows(cities: list[City], language: str,
               summaries: dict[int, CitySummary | None] | None = None) -> list[CityRow]:
    ids = [city.id for city in cities]
    entered = pipeline.stage_entered_at(ids)
    scores = latest_scores(ids)
    verifiers = verifiers_by_city(ids)
    signed = signed_letters(ids)
    flags = open_duplicates(ids)
    states = states_by_city(ids)
    duplicates = duplicate_flags(ids)
    milestones = milestones_by_city(ids)
    rows = []
    for city in cities:
        age = pipeline.stage_age(ProgrammeStage(city.stage), entered[city.id])
        summary = (summaries or {}).get(city.id)
        row = CityRow(city=city, days_in_stage=age.days, overdue=age.overdue,
                      entered_stage_at=entered[city.id],
                      verifiers=verifiers.get(city.id, []),
                      signed=signed[city.id][0] if city.id in signed else None,
                      duplicates=flags.get(city.id, []),
                      last_activity_at=summary.last_activity_at if summary else None,
                      duplicate_of=duplicates.get(city.id, []),
                      milestones=milestones.get(city.id, {}),
                      signed_at=signed[city.id][1] if city.id in signed else None)
        row.categories = category_cells(states.get(city.id, {}), scores.get(city.id, {}),
                                        language)
        row.score_percent, row.score_band = overall_score(row.categories,
                                                          scores.get(city.id, {}))
        rows.append(row)
    return rows


def states_by_city(city_ids: list[int]) -> dict[int, dict[str, CategoryState]]:
    found: dict[int, dict[str, CategoryState]] = {}
    if not city_ids:
        return found
    for state in db.session.execute(
            select(CategoryState).where(CategoryState.city_id.in_(city_ids))).scalars():
        found.setdefault(state.city_id, {})[state.category_id] = state
    return found


def duplicate_flags(city_ids: list[int]) -> dict[int, list[int]]:
    """Other cities with the same normalized name and country, or the same focal point."""
    if not city_ids:
        return {}
    other = aliased(CitySummary)
    found: dict[int, list[int]] = {}
    for city_id, other_id in db.session.execute(
            select(CitySummary.city_id, other.city_id)
            .join(other, (other.city_id != CitySummary.city_id)
                  & ((other.name_key == CitySummary.name_key)
                     | ((CitySummary.email_key.is_not(None))
                        & (other.email_key == CitySummary.email_key))))
            .where(CitySummary.city_id.in_(city_ids))
            .order_by(other.city_id)).all():
        found.setdefault(city_id, []).append(other_id)
    return found


def category_cells(states: dict[str, CategoryState], scores: dict[str, CategoryScore],
                   language: str) -> list[CategoryCell]:
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
    """Each city's latest score per category: the figures only, not the items (which are
    large and which no list shows)."""
    if not city_ids:
        return {}
    rows = db.session.execute(
        select(CategoryScore.city_id, CategoryScore.category_id, CategoryScore.percent,
               CategoryScore.band, CategoryScore.scored)
        .where(CategoryScore.city_id.in_(city_ids))
        .order_by(CategoryScore.computed_at, CategoryScore.id)
    ).all()
    latest: dict[int, dict[str, CategoryScore]] = {}
    for row in rows:
        latest.setdefault(row.city_id, {})[row.category_id] = row
    return latest


def milestones_by_city(city_ids: list[int]) -> dict[int, dict[str, tuple[str, date]]]:
    """Per city: milestone kind → (done | skipped, its date), in one query."""
    from intake.models.programme import Milestone

    if not city_ids:
        return {}
    found: dict[int, dict[str, tuple[str, date]]] = {}
    for city_id, kind, status, occurred_on in db.session.execute(
            select(Milestone.city_id, Milestone.kind, Milestone.status, Milestone.occurred_on)
            .where(Milestone.city_id.in_(city_ids))):
        found.setdefault(city_id, {})[str(kind)] = (str(status), occurred_on)
    return found


def signed_by_city(city_ids: list[int]) -> dict[int, str]:
    """"received" or "acknowledged" for the cities whose latest letter came back signed."""
    return {city_id: state for city_id, (state, _at) in signed_letters(city_ids).items()}


def signed_letters(city_ids: list[int]) -> dict[int, tuple[str, datetime]]:
    """("received" or "acknowledged", when it was received) for the cities whose latest
    letter came back signed, in one query."""
    if not city_ids:
        return {}
    found: dict[int, tuple[str, datetime]] = {}
    for city_id, signed_at, acknowledged_at in db.session.execute(
        select(Letter.city_id, Letter.signed_at, Letter.signed_acknowledged_at)
        .where(Letter.city_id.in_(city_ids))
        .order_by(Letter.created_at, Letter.id)
    ).all():
        # Ordered oldest first: the latest letter decides.
        found.pop(city_id, None)
        if signed_at is not None:
            found[city_id] = ("acknowledged" if acknowledged_at is not None else "received",
                              signed_at)
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


LETTER_SORTS = {
    "created": (Letter.created_at,),
    "city": (City.name,),
    "country": (City.country, City.name),
    "language": (Letter.locale, Letter.created_at),
}
DEFAULT_LETTER_SORT = "created"


def letter_query(*, search: str = "", language: str | None = None,
                 package: str | None = None, economy: str | None = None):
    query = select(Letter, City).join(City, City.id == Letter.city_id)
    if language:
        query = query.where(Letter.locale == language)
    if search:
        # Joined only to search: unfiltered, the newest letters come straight off the
        # created_at index instead of joining every city first.
        needle = fold(search)
        query = query.outerjoin(CitySummary, CitySummary.city_id == City.id).where(
            CitySummary.search_key.contains(needle, autoescape=True)
                            | (func.lower(City.country) == needle))
    # Package and economy are read from the quote frozen in the letter, not the editable city.
    if package:
        query = query.where(func.coalesce(Letter.fee["package"].as_string(), City.package)
                            == package)
    if economy:
        query = query.where(func.coalesce(Letter.fee["economy"].as_string(), City.economy)
                            == economy)
    return query


def _letters_only(language: str | None):
    query = select(Letter.id)
    return query.where(Letter.locale == language) if language else query


def letter_page(*, search: str = "", language: str | None = None, package: str | None = None,
                economy: str | None = None, sort: str = DEFAULT_LETTER_SORT,
                descending: bool = True, page: int = 1,
                per_page: int = paging.PER_PAGE) -> paging.Page:
    query = letter_query(search=search, language=language, package=package, economy=economy)
    order = order_by(LETTER_SORTS, sort, descending, DEFAULT_LETTER_SORT)
    # Every letter has its city (a required key), so unless a filter reads the city the
    # total counts letters alone, without joining every city.
    counted = (query.with_only_columns(Letter.id) if search or package or economy
               else _letters_only(language))
    found = paging.paginate(query.order_by(*order, Letter.id.desc() if descending
                                           else Letter.id.asc()),
                            counted, page=page, per_page=per_page)
    return found.replace(_with_flags([LetterRow(letter=letter, city=city)
                                      for letter, city in found.items]))


def letter_rows(*, search: str = "", language: str | None = None, package: str | None = None,
                economy: str | None = None) -> list[LetterRow]:
    """Every matching letter, newest first (pages use letter_page)."""
    query = letter_query(search=search, language=language, package=package, economy=economy)
    return _with_flags([LetterRow(letter=letter, city=city) for letter, city in db.session.execute(
        query.order_by(Letter.created_at.desc(), Letter.id.desc())).all()])


def _with_flags(rows: list[LetterRow]) -> list[LetterRow]:
    """The open duplicate flags of the listed cities, in one query."""
    flags = open_duplicates(sorted({row.city.id for row in rows}))
    for row in rows:
        row.duplicates = flags.get(row.city.id, [])
    return rows
