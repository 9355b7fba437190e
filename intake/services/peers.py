"""Peer comparison: where a city stands among verified cities of its band and economy.

The peers' figures are stored per group (population band, economy type, catalog and
benchmark version) in `peer_statistic`, computed by a job whenever a peer's scores or its
place in a group change, so a page reads one group's rows whatever the number of cities.
A city's own figures stay live; a verified city, itself in its group, gets the group's
figures without its own value (a city is never its own peer), from the few sorted values
stored around each quartile.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from intake.extensions import db
from intake.fees import BANDS, band_for_population
from intake.jobs import enqueue, job_handler
from intake.models import JobRecord, JobState
from intake.models._types import utcnow
from intake.models.city import City, ProgrammeStage
from intake.models.peers import PeerStatistic
from intake.models.score import CategoryScore
from intake.services.gains import VERIFIED_STAGES, catalog, latest_scores
from scoring.peers import MIN_PEERS, PeerFigure, round_significant, usable

log = logging.getLogger(__name__)

JOB_KIND = "peers.group"
QUEUE = "default"
QUARTERS = 4  # quartiles: statistics.quantiles(n=4, method="exclusive"), as scoring.peers
CITIES = "cities"
CATEGORY = "category"
ITEM = "item"


@dataclass
class PeerComparison:
    """Peer figures for one city; figures are None where fewer than 5 cities contribute."""

    band: str | None
    economy: str | None
    cities: int  # how many verified peer cities there are (never who they are)
    categories: dict[str, PeerFigure | None] = field(default_factory=dict)
    items: dict[str, PeerFigure | None] = field(default_factory=dict)
    computed_at: datetime | None = None  # when the stored peer figures were computed

    @property
    def any(self) -> bool:
        return any(self.categories.values()) or any(self.items.values())


@dataclass(frozen=True)
class Group:
    band: str
    economy: str
    catalog_version: str
    benchmark_version: str

    @property
    def key(self) -> str:
        return (f"peers:{self.band}:{self.economy}:{self.catalog_version}:"
                f"{self.benchmark_version}")[:200]

    def as_payload(self) -> dict[str, str]:
        return {"band": self.band, "economy": self.economy,
                "catalog_version": self.catalog_version,
                "benchmark_version": self.benchmark_version}

    def where(self, model=PeerStatistic):
        return and_(model.band == self.band, model.economy == self.economy,
                    model.catalog_version == self.catalog_version,
                    model.benchmark_version == self.benchmark_version)


def group_of(city: City) -> Group | None:
    """The city's peer group under the current catalog, or None without economy/population."""
    if not city.economy or not city.population:
        return None
    book = catalog()
    return Group(band_for_population(city.population), city.economy, book.version,
                 book.benchmark_version)


def _population_range(band: str):
    """SQL condition for the cities of a population band (as band_for_population)."""
    lowest = [low for low, name in BANDS if name == band]
    if not lowest:
        return City.id.is_(None)
    higher = [low for low, _name in BANDS if low > lowest[0]]
    condition = City.population >= lowest[0]
    return condition & (City.population < min(higher)) if higher else condition


def _members(group: Group):
    return and_(City.economy == group.economy, City.stage.in_(VERIFIED_STAGES),
                _population_range(group.band))


# -------------------------------------------------------------------------- the arithmetic
def _positions(length: int) -> list[tuple[int, int]]:
    """(j, delta) per quartile of `length` sorted values, as statistics.quantiles does."""
    m = length + 1
    found = []
    for i in range(1, QUARTERS):
        j = i * m // QUARTERS
        j = 1 if j < 1 else length - 1 if j > length - 1 else j
        found.append((j, i * m - j * QUARTERS))
    return found


def _quartiles(at, length: int) -> tuple[float, float, float]:
    """The exclusive-method quartiles of `length` sorted values; at(k) is the k-th value."""
    return tuple(round_significant((at(j - 1) * (QUARTERS - delta) + at(j) * delta) / QUARTERS)
                 for j, delta in _positions(length))


def _points(ordered: list[float]) -> dict[str, float]:
    """The sorted values a figure without any one of them needs (positions j-1 … j+1)."""
    if len(ordered) - 1 < MIN_PEERS:
        return {}
    wanted = set()
    for j, _delta in _positions(len(ordered) - 1):
        wanted.update((j - 1, j, j + 1))
    return {str(k): ordered[k] for k in sorted(wanted)}


def figure_without(row: PeerStatistic, value: float) -> PeerFigure | None:
    """The group's figure with one contribution `value` left out (the viewing city's)."""
    length = row.count - 1
    if length < MIN_PEERS or not row.points:
        return None
    points = row.points

    def at(k: int) -> float:
        # Without `value`, position k holds x[k] while x[k] is below it, else x[k + 1].
        here = points[str(k)]
        return here if here < value else points[str(k + 1)]

    q1, median, q3 = _quartiles(at, length)
    return PeerFigure(count=length, q1=q1, median=median, q3=q3)


def _figure(row: PeerStatistic) -> PeerFigure | None:
    if row.median is None:
        return None
    return PeerFigure(count=row.count, q1=row.q1, median=row.median, q3=row.q3)


def _statistic(group: Group, kind: str, subject: str, values: Iterable[object],
               now: datetime) -> dict[str, Any]:
    ordered = sorted(usable(values))
    figure = dict.fromkeys(("q1", "median", "q3"))
    if len(ordered) >= MIN_PEERS:
        figure = dict(zip(("q1", "median", "q3"),
                          _quartiles(ordered.__getitem__, len(ordered)), strict=True))
    return {**group.as_payload(), "subject_kind": kind, "subject_id": subject[:120],
            "count": len(ordered), **figure, "points": _points(ordered) or None,
            "computed_at": now}


# ------------------------------------------------------------------------ computing a group
def _latest_group_scores(group: Group):
    """Each member city's latest score per category: one query over the group."""
    ranked = select(
        CategoryScore.city_id, CategoryScore.category_id, CategoryScore.percent,
        CategoryScore.items.label("score_items"),
        func.row_number().over(
            partition_by=(CategoryScore.city_id, CategoryScore.category_id),
            order_by=(CategoryScore.computed_at.desc(), CategoryScore.id.desc())).label("rank"),
    ).join(City, City.id == CategoryScore.city_id).where(_members(group)).subquery()
    return db.session.execute(
        select(ranked.c.category_id, ranked.c.percent, ranked.c.score_items)
        .where(ranked.c.rank == 1)).all()


def compute_group(group: Group) -> int:
    """Store the group's statistics afresh (a few queries whatever its size); returns rows."""
    cities = db.session.execute(
        select(func.count(City.id)).where(_members(group))).scalar_one()
    per_category: dict[str, list] = {}
    per_item: dict[str, list] = {}
    for category_id, percent, items in _latest_group_scores(group):
        per_category.setdefault(category_id, []).append(percent)
        for item in items or ():
            if item.get("status") != "not_reported":
                per_item.setdefault(item["id"], []).append(item.get("value"))
    now = utcnow()
    rows = [{**group.as_payload(), "subject_kind": CITIES, "subject_id": "", "count": cities,
             "q1": None, "median": None, "q3": None, "points": None, "computed_at": now}]
    rows += [_statistic(group, CATEGORY, key, values, now)
             for key, values in per_category.items()]
    rows += [_statistic(group, ITEM, key, values, now) for key, values in per_item.items()]
    for attempt in (1, 2):
        try:
            db.session.execute(delete(PeerStatistic).where(group.where()),
                               execution_options={"synchronize_session": False})
            db.session.execute(insert(PeerStatistic), rows)
            db.session.commit()
            break
        except IntegrityError:
            # Another worker stored the same group at the same moment: store ours again.
            db.session.rollback()
            if attempt == 2:
                raise
    return len(rows)


@job_handler(JOB_KIND)
def run_group(payload: dict[str, Any]) -> dict[str, Any]:
    group = Group(payload["band"], payload["economy"], payload["catalog_version"],
                  payload["benchmark_version"])
    return {"rows": compute_group(group)}


def request_group(group: Group) -> JobRecord | None:
    """Queue the group's recomputation, unless a run that has not started yet is waiting
    (it will read the change that asked for this one)."""
    import uuid

    waiting = db.session.execute(
        select(JobRecord.state).where(JobRecord.key == group.key)).scalar_one_or_none()
    if waiting in (JobState.PENDING, JobState.QUEUED):
        return None
    # A new payload each time, so a running or finished job is run again, not reused.
    return enqueue(JOB_KIND, {**group.as_payload(), "request": uuid.uuid4().hex},
                   key=group.key, queue=QUEUE)


def city_changed(city_id: int, *, was_member: bool | None = None) -> None:
    """A city's scores or its stage changed: recompute its group if it is (or was) a peer.

    Never raises: the change itself is already stored; a failure to queue is logged.
    """
    try:
        city = db.session.get(City, city_id)
        if city is None:
            return
        member = ProgrammeStage(city.stage) in VERIFIED_STAGES
        group = group_of(city)
        if group is not None and (member or was_member):
            request_group(group)
    except Exception:
        db.session.rollback()
        log.exception("could not queue the peer statistics of city %s", city_id)


def stage_changed(city_id: int, before, after) -> None:
    """After a move: the city joins or leaves its peer group when it crosses "verified"."""
    was, now = (ProgrammeStage(before) in VERIFIED_STAGES,
                ProgrammeStage(after) in VERIFIED_STAGES)
    if was != now:
        city_changed(city_id, was_member=was)


def after_scoring(payload: dict[str, Any], result: dict[str, Any] | None) -> None:
    """The scoring job stored a score: the city's group has new figures."""
    if payload.get("city_id") is not None:
        city_changed(int(payload["city_id"]))


def rebuild_all() -> dict[str, int]:
    """Compute every group of the current catalog now (`flask peers rebuild`)."""
    book = catalog()
    groups = set()
    for economy, population in db.session.execute(
            select(City.economy, City.population).where(
                City.stage.in_(VERIFIED_STAGES), City.economy.is_not(None),
                City.population.is_not(None), City.population > 0).distinct()):
        groups.add(Group(band_for_population(population), economy, book.version,
                         book.benchmark_version))
    # Groups stored before whose cities all left: emptied, not left showing old figures.
    for band, economy in db.session.execute(
            select(PeerStatistic.band, PeerStatistic.economy).where(
                PeerStatistic.catalog_version == book.version,
                PeerStatistic.benchmark_version == book.benchmark_version).distinct()):
        groups.add(Group(band, economy, book.version, book.benchmark_version))
    rows = 0
    for group in sorted(groups, key=lambda g: (g.band, g.economy)):
        rows += compute_group(group)
    # End the reading transaction too: on SQLite it holds the write lock (BEGIN IMMEDIATE)
    # even when no group needed computing.
    db.session.commit()
    return {"groups": len(groups), "rows": rows}


# ------------------------------------------------------------------------------ the reading
def compare_with_peers(city: City) -> PeerComparison:
    """The city's peer figures from its group's stored rows (one query, plus the city's own
    latest scores when it is a member of the group)."""
    band = band_for_population(city.population) if city.population else None
    group = group_of(city)
    if group is None:
        return PeerComparison(band=band, economy=city.economy, cities=0)
    rows = list(db.session.execute(select(PeerStatistic).where(group.where())).scalars())
    member = ProgrammeStage(city.stage) in VERIFIED_STAGES
    own_category: dict[str, float] = {}
    own_item: dict[str, float] = {}
    if member and rows:
        for category_id, score in latest_scores([city.id]).get(city.id, {}).items():
            own_category.update((category_id, v) for v in usable([score.percent]))
            for item in score.items or ():
                if item.get("status") != "not_reported":
                    own_item.update((item["id"], v) for v in usable([item.get("value")]))
    comparison = PeerComparison(band=band, economy=city.economy, cities=0)
    for row in rows:
        if row.subject_kind == CITIES:
            comparison.cities = max(0, row.count - 1) if member else row.count
            comparison.computed_at = row.computed_at
            continue
        own = (own_category if row.subject_kind == CATEGORY else own_item).get(row.subject_id)
        figure = figure_without(row, own) if own is not None else _figure(row)
        target = comparison.categories if row.subject_kind == CATEGORY else comparison.items
        target[row.subject_id] = figure
    for category in catalog().categories:
        comparison.categories.setdefault(category.id, None)
    return comparison
