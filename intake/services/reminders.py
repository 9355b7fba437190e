"""Data-collection deadlines and e-mail reminders, sent once each through RQ's scheduler."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from intake.extensions import db
from intake.i18n import normalise_language
from intake.jobs import job_handler
from intake.models import JobRecord, JobState
from intake.models._types import utcnow
from intake.models.city import City, ProgrammeStage
from intake.models.submission import COMPLETE
from intake.models.team import (
    Assignment,
    CollectionDeadline,
    ProgrammeSetting,
    ReminderSent,
    ReminderStop,
    TeamMember,
)
from intake.models.values import ValueAudit
from intake.services import values as value_service

log = logging.getLogger(__name__)

DEFAULT_DAYS_KEY = "collection_days"
SOON_DAYS = 3  # a colleague is reminded this many days before their due date
SWEEP_EVERY = timedelta(hours=1)
COLLECTING = (ProgrammeStage.ACKNOWLEDGED, ProgrammeStage.DATA_COLLECTION)


class DeadlineError(ValueError):
    """A refused deadline; the message is for the user, in their language."""


# ------------------------------------------------------------------------------ deadlines
def default_collection_days() -> int:
    stored = db.session.get(ProgrammeSetting, DEFAULT_DAYS_KEY)
    if stored is not None and stored.value.isdigit():
        return int(stored.value)
    return int(current_app.config.get("COLLECTION_DAYS", 120))


def set_default_collection_days(days: int) -> None:
    if not 7 <= days <= 730:
        raise DeadlineError(_("Give a number of days between 7 and 730."))
    row = db.session.get(ProgrammeSetting, DEFAULT_DAYS_KEY)
    if row is None:
        row = ProgrammeSetting(key=DEFAULT_DAYS_KEY, value=str(days))
        db.session.add(row)
    row.value = str(days)
    db.session.commit()


def deadline(city_id: int) -> date | None:
    return db.session.execute(select(CollectionDeadline.due_on).where(
        CollectionDeadline.city_id == city_id)).scalar_one_or_none()


def set_deadline(city_id: int, due_on: date) -> None:
    row = db.session.execute(select(CollectionDeadline).where(
        CollectionDeadline.city_id == city_id)).scalar_one_or_none()
    if row is None:
        row = CollectionDeadline(city_id=city_id, due_on=due_on)
        db.session.add(row)
    row.due_on = due_on
    db.session.commit()


def ensure_deadline(city_id: int, today: date | None = None) -> date:
    """The city's deadline, set from the default when the letter is acknowledged."""
    existing = deadline(city_id)
    if existing is not None:
        return existing
    due_on = (today or utcnow().date()) + timedelta(days=default_collection_days())
    set_deadline(city_id, due_on)
    return due_on


def check_due_date(city_id: int, due_on: date | None) -> date | None:
    """An assignment's due date: within the city's deadline (the deadline when not given)."""
    limit = deadline(city_id)
    if due_on is None:
        return limit
    if limit is not None and due_on > limit:
        raise DeadlineError(_("The due date must be on or before the city's deadline, "
                              "%(date)s.", date=limit.isoformat()))
    return due_on


# ------------------------------------------------------------------------------ the pipeline
@dataclass(frozen=True)
class CollectionStatus:
    deadline: date | None
    on_time_rate: int | None  # percent of assignments due so far that were complete in time
    last_activity: datetime | None


def collection_status(city_ids: list[int], today: date | None = None
                      ) -> dict[int, CollectionStatus]:
    """Per city: deadline, on-time rate and last activity, in three queries for any number."""
    if not city_ids:
        return {}
    today = today or utcnow().date()
    deadlines = dict(db.session.execute(select(
        CollectionDeadline.city_id, CollectionDeadline.due_on).where(
        CollectionDeadline.city_id.in_(city_ids))).all())
    last = dict(db.session.execute(select(ValueAudit.city_id, func.max(ValueAudit.at)).where(
        ValueAudit.city_id.in_(city_ids)).group_by(ValueAudit.city_id)).all())
    from intake.models.submission import CategoryState

    due = db.session.execute(
        select(Assignment.city_id, Assignment.due_on, CategoryState.status,
               CategoryState.completed_at)
        .outerjoin(CategoryState, (CategoryState.city_id == Assignment.city_id)
                   & (CategoryState.category_id == Assignment.category_id))
        .where(Assignment.city_id.in_(city_ids), Assignment.kpi_code == "",
               Assignment.due_on.is_not(None), Assignment.due_on < today)).all()
    rates: dict[int, list[bool]] = {}
    for city_id, due_on, status, completed_at in due:
        in_time = (status == COMPLETE and completed_at is not None
                   and completed_at.date() <= due_on)
        rates.setdefault(city_id, []).append(in_time)
    return {city_id: CollectionStatus(
        deadlines.get(city_id),
        round(100 * sum(rates[city_id]) / len(rates[city_id])) if rates.get(city_id) else None,
        last.get(city_id)) for city_id in city_ids}


# ------------------------------------------------------------------------------ stopping
def _stop_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="reminder-stop")


def stop_token(address: str) -> str:
    return _stop_serializer().dumps(address.lower())


def address_from_stop_token(token: str) -> str | None:
    if len(token) > 600:
        return None
    try:
        address = _stop_serializer().loads(token)
    except BadSignature:
        return None
    return address if isinstance(address, str) else None


def stop_reminders(address: str) -> None:
    address = address.lower()
    exists = db.session.execute(select(ReminderStop).where(
        ReminderStop.address == address)).scalar_one_or_none()
    if exists is None:
        db.session.add(ReminderStop(address=address))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # stopped twice at once: once is enough


def stopped(address: str) -> bool:
    return db.session.execute(select(ReminderStop.id).where(
        ReminderStop.address == address.lower())).first() is not None


# ------------------------------------------------------------------------------ what is due
@dataclass
class Reminder:
    city_id: int
    recipient: str
    kind: str  # due_soon | overdue | digest | city_overdue
    period: str
    lines: list[str] = field(default_factory=list)


def _week_after(start: date, today: date) -> int:
    return (today - start).days // 7


def due_reminders(today: date) -> list[Reminder]:
    """Every reminder due today, one per (recipient, kind, period)."""
    cat = value_service.catalog()
    found: dict[tuple[str, str, str], Reminder] = {}
    stops = set(db.session.execute(select(ReminderStop.address)).scalars())
    cities = {c.id: c for c in db.session.execute(
        select(City).where(City.stage.in_(COLLECTING))).scalars()}
    if not cities:
        return []
    states = {}
    for city_id in cities:
        states[city_id] = value_service.category_states(city_id)
    rows = db.session.execute(
        select(Assignment, TeamMember).join(TeamMember, TeamMember.id == Assignment.member_id)
        .where(Assignment.city_id.in_(list(cities)), Assignment.due_on.is_not(None))).all()

    def add(city_id, recipient, kind, period, line):
        if not recipient or recipient.lower() in stops:
            return
        key = (recipient.lower(), kind, period)
        reminder = found.setdefault(key, Reminder(city_id, recipient.lower(), kind, period))
        if line not in reminder.lines:
            reminder.lines.append(line)

    for assignment, member in rows:
        state = states[assignment.city_id].get(assignment.category_id)
        complete = state is not None and state.status == COMPLETE
        name = (cat.kpi(assignment.kpi_code).code if assignment.kpi_code
                else cat.category(assignment.category_id).id)
        if complete or not member.active or member.reminders_off:
            continue
        due = assignment.due_on
        if due - timedelta(days=SOON_DAYS) <= today < due:
            add(assignment.city_id, member.email, "due_soon", due.isoformat(), name)
        elif today > due:
            add(assignment.city_id, member.email, "overdue",
                f"{due.isoformat()}+{_week_after(due, today)}w", name)
    iso = today.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    assigned_cities = {a.city_id for a, _m in rows}
    for city_id in assigned_cities:
        city = cities[city_id]
        add(city_id, city.focal_point_email, "digest", f"{city_id}:{week}", "digest")
    secretariat = current_app.config.get("SECRETARIAT_EMAIL")
    limits = dict(db.session.execute(select(
        CollectionDeadline.city_id, CollectionDeadline.due_on).where(
        CollectionDeadline.city_id.in_(list(cities)))).all())
    for city_id, due in limits.items():
        if today > due:
            add(city_id, secretariat, "city_overdue",
                f"{city_id}:{due.isoformat()}+{_week_after(due, today)}w", str(city_id))
    return list(found.values())


# ------------------------------------------------------------------------------ sending
def _mail(reminder: Reminder, city: City) -> tuple[str, str]:
    cat = value_service.catalog()
    language = normalise_language(city.locale) or "en"
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    stop = f"{base}/w/reminders/stop/{stop_token(reminder.recipient)}"
    with force_locale(language):
        def item(code: str) -> str:
            try:
                return f"- {cat.category(code).name.get(language)}"
            except KeyError:
                kpi = cat.kpi(code)
                return f"- {kpi.code} {kpi.name.get(language)}"

        if reminder.kind == "due_soon":
            subject = _("%(city)s: your U4SSC figures are due on %(date)s", city=city.name,
                        date=reminder.period)
            intro = _("A reminder: these figures are due on %(date)s. Open your personal "
                      "link (in the first e-mail you received) to finish them.",
                      date=reminder.period)
            lines = [item(code) for code in reminder.lines]
        elif reminder.kind == "overdue":
            subject = _("%(city)s: your U4SSC figures are overdue", city=city.name)
            intro = _("These figures were due on %(date)s and are not complete yet. If you "
                      "cannot find one, say so from your link: your focal point will help.",
                      date=reminder.period.split("+")[0])
            lines = [item(code) for code in reminder.lines]
        elif reminder.kind == "digest":
            subject = _("%(city)s: this week in your U4SSC data collection", city=city.name)
            intro = _("Where your team stands this week:")
            lines = digest_lines(city.id, language)
        else:
            subject = _("U4SSC: %(city)s is past its data-collection deadline", city=city.name)
            intro = _("%(city)s has not completed its data collection, due on %(date)s.",
                      city=city.name, date=reminder.period.split(":")[1].split("+")[0])
            lines = []
        body = "\n".join([intro, "", *lines, "",
                          _("To stop these reminders: %(url)s", url=stop)])
    return subject, body


def digest_lines(city_id: int, language: str) -> list[str]:
    from intake.services import team as team_service

    lines = []
    for item in team_service.progress(city_id, team_service.assignments(city_id)):
        what = item.kpi.code if item.kpi is not None else item.category.name.get(language)
        member = item.assignment.member
        if item.status == COMPLETE:
            lines.append(_("- %(what)s: complete (%(who)s)", what=what, who=member.signature))
        elif item.overdue:
            lines.append(_("- %(what)s: late, due %(date)s (%(who)s)", what=what,
                           who=member.signature, date=item.assignment.due_on.isoformat()))
        else:
            lines.append(_("- %(what)s: %(answered)s of %(total)s answered (%(who)s)",
                           what=what, answered=item.answered, total=item.total,
                           who=member.signature))
    return lines


def send_due_reminders(today: date | None = None) -> int:
    """Queue every reminder due today that nobody queued before. Returns how many.

    The reminder's row and its e-mail job's row are one commit: a second worker running
    the same sweep hits the unique (recipient, kind, period) and skips it, and a worker that
    dies after the commit leaves a pending job that the next worker start hands over.
    """
    from intake.jobs import dispatch

    today = today or datetime.now(UTC).date()
    queued: list[JobRecord] = []
    for reminder in due_reminders(today):
        city = db.session.get(City, reminder.city_id)
        subject, body = _mail(reminder, city)
        row = ReminderSent(city_id=reminder.city_id, recipient=reminder.recipient,
                           kind=reminder.kind, period=reminder.period)
        db.session.add(row)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()  # already queued, by this worker earlier or another one
            continue
        job = JobRecord(id=uuid.uuid4().hex, kind="reminder.send", queue="mail",
                        key=f"reminder:{row.id}",
                        payload={"reminder_id": row.id, "to": [reminder.recipient],
                                 "subject": subject, "body": body})
        row.job_id = job.id
        db.session.add(job)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        queued.append(job)
    for job in queued:
        dispatch(job)
    return len(queued)


def _lease() -> timedelta:
    return timedelta(seconds=2 * current_app.config["JOB_TIMEOUT"])


@job_handler("reminder.send")
def deliver_reminder(payload: dict) -> dict:
    """Claim the reminder, send it, mark it delivered: once, whichever worker runs it."""
    from flask_mail import Message

    from intake.extensions import mail

    now = utcnow()
    claimed = db.session.execute(
        update(ReminderSent)
        .where(ReminderSent.id == payload["reminder_id"], ReminderSent.delivered_at.is_(None),
               or_(ReminderSent.claimed_at.is_(None), ReminderSent.claimed_at < now - _lease()))
        .values(claimed_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if claimed != 1:
        return {"sent": False, "reason": "already sent or being sent"}
    if current_app.config.get("MAIL_SERVER"):
        mail.send(Message(subject=payload["subject"].replace("\r", " ").replace("\n", " "),
                          recipients=payload["to"], body=payload["body"]))
    else:
        log.info("reminder %s not sent (MAIL_SERVER unset)", payload["reminder_id"])
    db.session.execute(update(ReminderSent).where(ReminderSent.id == payload["reminder_id"])
                       .values(delivered_at=utcnow())
                       .execution_options(synchronize_session=False))
    return {"sent": bool(current_app.config.get("MAIL_SERVER"))}


def recover_abandoned(now: datetime | None = None) -> int:
    """Queue again the reminders a dead worker left unsent (their claim or queueing is stale)."""
    from intake.jobs import dispatch

    now = now or utcnow()
    stale = now - _lease()
    rows = list(db.session.execute(select(ReminderSent).where(
        ReminderSent.delivered_at.is_(None), ReminderSent.job_id.is_not(None),
        or_(ReminderSent.claimed_at < stale,
            and_(ReminderSent.claimed_at.is_(None), ReminderSent.created_at < stale))
    )).scalars())
    records = []
    for row in rows:
        record = db.session.get(JobRecord, row.job_id)
        if record is None or record.state == JobState.DONE:
            continue
        # RQ keeps the dead worker's job under its id and refuses that id again: the retry
        # is a new RQ job (the old id, if RQ ever runs it, finds no row and does nothing).
        record.id = row.job_id = uuid.uuid4().hex
        record.state = JobState.PENDING
        records.append(record)
    db.session.commit()
    for record in records:
        dispatch(record)
    return len(records)


def sweep() -> int:
    """The periodic job: queue what is due, then book the next sweep on RQ's scheduler."""
    from intake.jobs import _fresh_connections_after_fork

    _fresh_connections_after_fork()
    recover_abandoned()
    count = send_due_reminders()
    schedule_next_sweep()
    return count


def schedule_next_sweep(now: datetime | None = None) -> None:
    """Book the next sweep at the next full hour; every worker books the same job id, so
    however many workers start, each hour has one sweep."""
    from rq import Queue

    from intake.jobs import get_redis

    connection = get_redis()
    if connection is None:
        return
    now = now or datetime.now(UTC)
    at = (now + SWEEP_EVERY).replace(minute=0, second=0, microsecond=0)
    Queue("default", connection=connection).enqueue_at(
        at, sweep, job_id=f"reminders-sweep-{at:%Y%m%d%H}", job_timeout=600,
        result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600)
