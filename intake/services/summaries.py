"""Keeps each city's summary row (what the lists sort and filter by) in step with its data.

Every flush that touches a city's values, category states, scores, stage changes, verifier
assignments, programme milestones, signed letters or profile updates that city's row in the
same transaction, so a list never
reads a stale score and needs no per-request aggregation over all cities.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import delete, event, func, insert, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from intake.models._types import utcnow
from intake.models.city import City
from intake.models.letter import Letter
from intake.models.pipeline import StageChange
from intake.models.programme import Milestone, MilestoneKind, MilestoneStatus
from intake.models.score import CategoryScore
from intake.models.submission import COMPLETE, CategoryState
from intake.models.summary import CitySummary
from intake.models.user import User, VerifierAssignment
from intake.models.values import DataValue

CHUNK = 500
_PENDING_KEY = "city_summary_pending"


def fold(text: str | None) -> str:
    """Case-folded NFKC text: what searches and duplicate checks compare."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def name_key(name: str | None, country: str | None) -> str:
    return f"{fold(name)}|{(country or '').upper()}"[:210]


def overall_score(cells: Iterable[tuple[float | None, int]]) -> float | None:
    """Points over 4 × scored items across complete categories (the U4SSC aggregation)."""
    points = 0.0
    items = 0
    for percent, scored in cells:
        if percent is None or not scored:
            continue
        points += percent / 100 * 4 * scored
        items += scored
    return 100 * points / (4 * items) if items else None


def refresh(connection: Connection, city_ids: Iterable[int] | None = None, *,
            with_milestones: bool | None = None) -> None:
    """Rebuild the summary rows of these cities (all when None) from the source tables.

    Migration 0008 builds the first rows through this function, before the milestone
    columns exist (0012 adds and fills them): unless told, it looks whether the table has
    them. The app (always at the latest revision) tells it, so it never looks.
    """
    if with_milestones is None:
        with_milestones = "fee_paid_on" in {
            column["name"] for column in inspect(connection).get_columns("city_summary")}
    if city_ids is None:
        ids = list(connection.execute(select(City.id).order_by(City.id)).scalars())
    else:
        ids = sorted(set(city_ids))
    for start in range(0, len(ids), CHUNK):
        _refresh_chunk(connection, ids[start:start + CHUNK], with_milestones)


def _refresh_chunk(connection: Connection, ids: list[int], with_milestones: bool) -> None:
    from scoring.bands import band_for

    if not ids:
        return
    cities = connection.execute(
        select(City.id, City.name, City.country, City.focal_point_email, City.created_at,
               City.updated_at).where(City.id.in_(ids))).all()
    entered = dict(connection.execute(
        select(StageChange.city_id, func.max(StageChange.at))
        .where(StageChange.city_id.in_(ids)).group_by(StageChange.city_id)).all())
    edited = dict(connection.execute(
        select(DataValue.city_id, func.max(DataValue.updated_at))
        .where(DataValue.city_id.in_(ids)).group_by(DataValue.city_id)).all())
    states: dict[int, dict[str, str]] = {}
    state_times: dict[int, datetime] = {}
    for city_id, category_id, status, changed in connection.execute(
            select(CategoryState.city_id, CategoryState.category_id, CategoryState.status,
                   CategoryState.updated_at).where(CategoryState.city_id.in_(ids))):
        states.setdefault(city_id, {})[category_id] = status
        if changed is not None and (city_id not in state_times
                                    or changed > state_times[city_id]):
            state_times[city_id] = changed
    latest: dict[tuple[int, str], tuple[float | None, int]] = {}
    for city_id, category_id, percent, scored in connection.execute(
            select(CategoryScore.city_id, CategoryScore.category_id, CategoryScore.percent,
                   CategoryScore.scored).where(CategoryScore.city_id.in_(ids))
            .order_by(CategoryScore.computed_at, CategoryScore.id)):
        latest[(city_id, category_id)] = (percent, scored)
    verifier: dict[int, str] = {}
    for city_id, name, email in connection.execute(
            select(VerifierAssignment.city_id, User.name, User.email)
            .join(User, User.id == VerifierAssignment.user_id)
            .where(VerifierAssignment.city_id.in_(ids)).order_by(User.name, User.email)):
        verifier.setdefault(city_id, fold(name or email)[:200])
    milestones: dict[int, dict[str, date]] = {}
    signed: dict[int, datetime | None] = {}
    if with_milestones:
        for city_id, kind, occurred_on in connection.execute(
                select(Milestone.city_id, Milestone.kind, Milestone.occurred_on)
                .where(Milestone.city_id.in_(ids), Milestone.status == MilestoneStatus.DONE)):
            milestones.setdefault(city_id, {})[str(kind)] = occurred_on
        for city_id, signed_at in connection.execute(
                select(Letter.city_id, Letter.signed_at).where(Letter.city_id.in_(ids))
                .order_by(Letter.created_at, Letter.id)):
            signed[city_id] = signed_at  # oldest first: the latest letter decides
    rows = []
    for city_id, name, country, email, created_at, updated_at in cities:
        done = milestones.get(city_id, {})
        city_states = states.get(city_id, {})
        complete = [category for category, status in city_states.items()
                    if status == COMPLETE]
        percent = overall_score(latest[(city_id, category)] for category in complete
                                if (city_id, category) in latest)
        moments = [moment for moment in (updated_at, created_at, entered.get(city_id),
                                         edited.get(city_id), state_times.get(city_id))
                   if moment is not None]
        rows.append({
            "city_id": city_id,
            "stage_entered_at": entered.get(city_id) or created_at,
            "last_activity_at": max(moments),
            "complete_categories": len(complete),
            "score_percent": percent,
            "score_band": band_for(percent) if percent is not None else None,
            "verifier_key": verifier.get(city_id, ""),
            "search_key": fold(name)[:200],
            "name_key": name_key(name, country),
            "email_key": (email or "").strip().lower()[:320] or None,
        })
        if with_milestones:
            rows[-1].update({
                "fee_invoiced_on": done.get(MilestoneKind.FEE_INVOICED),
                "fee_paid_on": done.get(MilestoneKind.FEE_PAID),
                "signed_letter_at": signed.get(city_id),
                "certificate_issued_on": done.get(MilestoneKind.CERTIFICATE_ISSUED),
                "award_nominated_on": done.get(MilestoneKind.AWARD_NOMINATED),
            })
    present = [row["city_id"] for row in rows]
    connection.execute(delete(CitySummary).where(CitySummary.city_id.in_(ids),
                                                 CitySummary.city_id.not_in(present)))
    if rows:
        connection.execute(_upsert(connection, rows[0].keys()), rows)


def _upsert(connection: Connection, columns: Iterable[str]):
    """INSERT … ON CONFLICT (city_id) DO UPDATE: two transactions refreshing the same
    city at once both end with its row. (Delete-then-insert let the second one's delete
    find nothing once the first had committed, and its insert then broke the key.)"""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif connection.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - the portal runs on PostgreSQL or SQLite
        return insert(CitySummary)
    statement = dialect_insert(CitySummary)
    return statement.on_conflict_do_update(
        index_elements=[CitySummary.city_id],
        set_={name: statement.excluded[name] for name in columns if name != "city_id"})


# ------------------------------------------------------------------------------ upkeep
# Which changes make a city's summary stale. A value edit only moves "last activity"
# (one UPDATE, so the wizard's save stays short); anything else rebuilds the row.
_REBUILD_ON = {
    City: ("name", "country", "focal_point_email", "stage", None),
    CategoryState: ("status", None),
    CategoryScore: (None,),
    StageChange: (None,),
    VerifierAssignment: (None,),
    Milestone: (None,),
    # A letter created, or its signed scan received (rendering a letter changes nothing).
    Letter: ("signed_at",),
}


def _touched(session: Session) -> tuple[set[int], set[int]]:
    rebuild: set[int] = set()
    activity: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        kind = type(obj)
        if kind is DataValue:
            activity.add(obj.city_id)
            continue
        watched = _REBUILD_ON.get(kind)
        if watched is None:
            continue
        city_id = obj.id if kind is City else obj.city_id
        if (obj in session.new or obj in session.deleted or None in watched
                and kind is not City):
            rebuild.add(city_id)
            continue
        state = inspect(obj)
        if any(state.attrs[name].history.has_changes() for name in watched if name):
            rebuild.add(city_id)
    return rebuild, activity


def _after_flush(session: Session, _context) -> None:
    rebuild, activity = _touched(session)
    pending = session.info.setdefault(_PENDING_KEY, (set(), set()))
    pending[0].update(i for i in rebuild if i is not None)
    pending[1].update(i for i in activity if i is not None)


def _before_commit(session: Session) -> None:
    session.flush()
    rebuild, activity = session.info.pop(_PENDING_KEY, (set(), set()))
    if not rebuild and not activity:
        return
    connection = session.connection()
    if rebuild:
        refresh(connection, rebuild, with_milestones=True)
    activity -= rebuild
    if activity:
        connection.execute(update(CitySummary).where(CitySummary.city_id.in_(activity))
                           .values(last_activity_at=utcnow()))


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


_installed = False


def init_summaries() -> None:
    """Connect the upkeep to every session (once per process)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_soft_rollback", lambda session, _tx: _after_rollback(session))
    _installed = True
