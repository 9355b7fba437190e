"""Verification per data point: the verifier's YES/NO on each raw figure, beside the
verdict per KPI, and whether the figure changed since it was checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intake.extensions import db
from intake.models._types import utcnow
from intake.models.datapoint_check import CHECK_NO, CHECK_STATUSES, CHECK_YES, DataPointCheck
from intake.models.submission import COMPLETE
from intake.models.user import User
from intake.services import values as value_service
from intake.services.verification import MAX_NOTE, VerificationError

# What a data point's check says today.
CHANGED = "changed"  # checked, then the city changed the figure: to be checked again


@dataclass(frozen=True)
class CheckState:
    status: str  # yes | no | changed
    check: DataPointCheck


def checks(city_id: int) -> dict[str, DataPointCheck]:
    rows = db.session.execute(select(DataPointCheck).where(DataPointCheck.city_id == city_id))
    return {row.data_point_id: row for row in rows.scalars()}


def _figure(city_id: int, data_point_id: str) -> tuple[str, bool]:
    row = value_service.value_rows(city_id, [data_point_id]).get(data_point_id)
    return ("", False) if row is None else (row.raw_text or "", bool(row.not_available))


def state_of(status: str, checked_text: str, checked_not_available: bool, row) -> str:
    """yes or no as checked, or changed when the figure (row: its stored value, or None)
    is no longer the one checked."""
    now = ("", False) if row is None else (row.raw_text or "", bool(row.not_available))
    return status if now == (checked_text, checked_not_available) else CHANGED


def states(city_id: int) -> dict[str, CheckState]:
    """Every checked data point → yes, no, or changed since it was checked."""
    rows = value_service.value_rows(city_id)
    return {dp_id: CheckState(state_of(check.status, check.checked_text,
                                       check.checked_not_available, rows.get(dp_id)), check)
            for dp_id, check in checks(city_id).items()}


class ExportedCheck(NamedTuple):
    """A data point's check as the exports read it (plain columns)."""

    status: str
    checked_text: str
    checked_not_available: bool
    note: str | None


def checks_for_export(city_ids: list[int]) -> dict[int, dict[str, ExportedCheck]]:
    """Per city: data point → its check, for a batch of cities in one query."""
    found: dict[int, dict[str, ExportedCheck]] = {}
    for city_id, dp_id, *rest in db.session.execute(select(
            DataPointCheck.city_id, DataPointCheck.data_point_id, DataPointCheck.status,
            DataPointCheck.checked_text, DataPointCheck.checked_not_available,
            DataPointCheck.note).where(DataPointCheck.city_id.in_(city_ids))):
        found.setdefault(city_id, {})[dp_id] = ExportedCheck(*rest)
    return found


def verdicts_for_export(city_ids: list[int]) -> dict[int, dict[str, str]]:
    """Per city: KPI code → its verdict (verified, not_verified, pending), in one query."""
    from intake.models.verification import KpiVerification

    found: dict[int, dict[str, str]] = {}
    for city_id, code, status in db.session.execute(select(
            KpiVerification.city_id, KpiVerification.kpi_code, KpiVerification.status)
            .where(KpiVerification.city_id.in_(city_ids))):
        found.setdefault(city_id, {})[code] = status
    return found


def category_of(data_point_id: str, preferred: str | None = None) -> str | None:
    """A category whose KPIs use this data point (shared ones, like the population, are in
    several): the page the verifier came from when it is one of them, else the first."""
    categories = [kpi.category for kpi in value_service.catalog().kpis
                  if data_point_id in {p.id for p in kpi.data_points}]
    if preferred in categories:
        return preferred
    return categories[0] if categories else None


def check_data_point(city_id: int, data_point_id: str, status: str, *, actor: User,
                     note: str | None = None) -> DataPointCheck:
    """Record YES or NO on one figure of a submitted category; NO needs a note saying why."""
    if status not in CHECK_STATUSES:
        raise VerificationError(_("Choose YES or NO for this data point."))
    cat = value_service.catalog()
    try:
        point = cat.data_point(data_point_id)
    except KeyError:
        raise VerificationError(_("This data point is not in the catalog.")) from None
    categories = {kpi.category for kpi in cat.kpis
                  if point.id in {p.id for p in kpi.data_points}}
    if not any(value_service.category_status(city_id, c) == COMPLETE for c in categories):
        raise VerificationError(_("This figure's category has not been submitted yet: it can "
                                  "be checked once the city marks it complete."))
    note = (note or "").strip()[:MAX_NOTE] or None
    if status == CHECK_NO and not note:
        raise VerificationError(_("Say what is wrong with this figure, so the city can "
                                  "correct it."))
    text, not_available = _figure(city_id, data_point_id)
    values = {"status": status, "note": note, "checked_text": text,
              "checked_not_available": not_available,
              "verifier_id": actor.id if actor is not None else None, "at": utcnow()}
    row = _store(city_id, data_point_id, values)
    if status == CHECK_NO:
        _tell_the_city(city_id, data_point_id, note, actor)
    return row


def _store(city_id: int, data_point_id: str, values: dict) -> DataPointCheck:
    row = checks(city_id).get(data_point_id)
    if row is None:
        row = DataPointCheck(city_id=city_id, data_point_id=data_point_id, **values)
        db.session.add(row)
        try:
            db.session.commit()
            return row
        except IntegrityError:  # checked by someone else at the same moment: update theirs
            db.session.rollback()
            row = checks(city_id)[data_point_id]
    for name, value in values.items():
        setattr(row, name, value)
    db.session.commit()
    return row


def _tell_the_city(city_id: int, data_point_id: str, note: str, actor: User | None) -> None:
    """A NO reaches the city as a question on the figure: it sees the reason in its
    workspace (and by e-mail) and answers with the corrected figure."""
    from intake.models.verification import CLOSED, Question
    from intake.services import verification

    text = _("This figure is not accepted: %(reason)s", reason=note)
    thread = db.session.execute(
        select(Question).where(Question.city_id == city_id,
                               Question.data_point_id == data_point_id,
                               Question.status != CLOSED)
        .order_by(Question.id.desc()).limit(1)).scalar_one_or_none()
    if thread is not None and actor is not None:
        verification.reply_as_staff(thread.id, text, city_id=city_id, actor=actor)
    else:
        verification.open_question(city_id, data_point_id, text, actor=actor)


def summary(city_id: int) -> dict[str, int]:
    """How many data points are checked YES (and unchanged), NO, or changed since."""
    counts = {CHECK_YES: 0, CHECK_NO: 0, CHANGED: 0}
    for state in states(city_id).values():
        counts[state.status] += 1
    return counts
