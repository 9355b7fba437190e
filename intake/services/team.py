"""The city team: invite colleagues, hand them categories or KPIs, personal links, progress."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from intake.extensions import db
from intake.i18n import normalise_language
from intake.jobs import enqueue, job_handler
from intake.models._types import utcnow
from intake.models.city import City
from intake.models.submission import COMPLETE
from intake.models.team import Assignment, MissingFigure, TeamMember
from intake.models.values import ValueAudit
from intake.services import values as value_service

log = logging.getLogger(__name__)

# The path of a colleague's personal link; intake.logs masks the token after it.
LINK_PATH = "/w/colleague/"
MAX_NOTE = 2000
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


class TeamError(ValueError):
    """A refused team action; the message is for the user, in their language."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ------------------------------------------------------------------------------ scope
@dataclass(frozen=True)
class Scope:
    """What one colleague's link opens: whole categories, and single KPIs."""

    categories: frozenset[str]
    kpis: frozenset[str]
    partial: frozenset[str]  # categories reached through single KPIs only

    def opens_category(self, category_id: str) -> bool:
        return category_id in self.categories or category_id in self.partial

    def whole(self, category_id: str) -> bool:
        return category_id in self.categories

    def opens_kpi(self, kpi_code: str) -> bool:
        if kpi_code in self.kpis:
            return True
        try:
            kpi = value_service.catalog().kpi(kpi_code)
        except KeyError:
            return False
        return kpi.category in self.categories

    def opens_step(self, step) -> bool:
        return self.whole(step.category_id) or any(k.code in self.kpis for k in step.kpis)

    def data_points(self, step) -> set[str]:
        """The data points of a step this colleague may write."""
        if self.whole(step.category_id):
            return {dp.id for dp in step.data_points}
        allowed: set[str] = set()
        for kpi in value_service.catalog().kpis_in(step.category_id):
            if kpi.code in self.kpis:
                allowed |= {dp.id for dp in kpi.data_points}
        return allowed


def scope_of(member: TeamMember) -> Scope:
    categories = {a.category_id for a in member.assignments if not a.kpi_code}
    kpis = {a.kpi_code for a in member.assignments if a.kpi_code}
    partial = {a.category_id for a in member.assignments if a.kpi_code} - categories
    return Scope(frozenset(categories), frozenset(kpis), frozenset(partial))


# ------------------------------------------------------------------------------ identity
def member_for_token(token: str) -> tuple[TeamMember | None, str]:
    """(member, state) for a link: "ok", "revoked", "replaced" or "invalid"."""
    if not token or len(token) > 200:
        return None, "invalid"
    digest = hash_token(token)
    member = db.session.execute(
        select(TeamMember).where(TeamMember.token_hash == digest)).scalar_one_or_none()
    if member is not None:
        return member, ("revoked" if member.revoked_at is not None else "ok")
    member = db.session.execute(
        select(TeamMember).where(TeamMember.replaced_hash == digest)).scalars().first()
    if member is not None:
        return member, ("revoked" if member.revoked_at is not None else "replaced")
    return None, "invalid"


def session_key(member: TeamMember) -> str:
    """What a session remembers of the link: a fresh link or a revocation ends it."""
    return (member.token_hash or "")[:16]


def member_for_session(member_id: object, key: object) -> tuple[TeamMember | None, str]:
    if isinstance(member_id, bool) or not isinstance(member_id, int):
        return None, "invalid"
    member = db.session.get(TeamMember, member_id)
    if member is None:
        return None, "invalid"
    if member.revoked_at is not None:
        return member, "revoked"
    if not member.token_hash or session_key(member) != key:
        return member, "replaced"
    return member, "ok"


def touch(member: TeamMember) -> None:
    """Record that this colleague just did something (no commit of its own)."""
    member.last_activity_at = utcnow()


# ------------------------------------------------------------------------------ invite
def _clean(text: str | None, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


def invite(city_id: int, *, name: str, email: str, department: str,
           categories: list[str], kpis: list[str], due_on: date | None = None) -> TeamMember:
    """Add a colleague, hand them what is listed, and e-mail their personal link."""
    name, email, department = _clean(name, 200), _clean(email, 320), _clean(department, 200)
    if not name:
        raise TeamError(_("Give your colleague's name."))
    if not _EMAIL.match(email):
        raise TeamError(_("That e-mail address does not look right. Check it and try again."))
    if not categories and not kpis:
        raise TeamError(_("Choose at least one category or KPI for your colleague."))
    targets = _targets(categories, kpis)
    due_on = _due(city_id, due_on)
    member = TeamMember(city_id=city_id, name=name, email=email, department=department,
                        link_generation=1)
    db.session.add(member)
    db.session.flush()
    for category_id, kpi_code in targets:
        _assign(city_id, member, category_id, kpi_code, due_on)
    db.session.commit()
    send_link(member)
    return member


def _due(city_id: int, due_on: date | None) -> date | None:
    from intake.services.reminders import DeadlineError, check_due_date

    try:
        return check_due_date(city_id, due_on)
    except DeadlineError as error:
        raise TeamError(str(error)) from None


def _targets(categories: list[str], kpis: list[str]) -> list[tuple[str, str]]:
    cat = value_service.catalog()
    known = {c.id for c in cat.categories}
    targets: list[tuple[str, str]] = []
    for category_id in categories:
        if category_id not in known:
            raise TeamError(_("“%(item)s” is not a category of the catalog.",
                              item=str(category_id)[:80]))
        targets.append((category_id, ""))
    for code in kpis:
        try:
            kpi = cat.kpi(code)
        except KeyError:
            raise TeamError(_("“%(code)s” is not a KPI of the catalog.",
                              code=str(code)[:40])) from None
        if kpi.category not in categories:
            targets.append((kpi.category, kpi.code))
    return targets


def _assign(city_id: int, member: TeamMember, category_id: str, kpi_code: str,
            due_on: date | None) -> Assignment:
    """Hand one item to `member`, moving it from whoever held it (their drafts stay)."""
    row = db.session.execute(select(Assignment).where(
        Assignment.city_id == city_id, Assignment.category_id == category_id,
        Assignment.kpi_code == kpi_code)).scalar_one_or_none()
    if row is None:
        row = Assignment(city_id=city_id, category_id=category_id, kpi_code=kpi_code)
        db.session.add(row)
    row.member_id = member.id
    row.member = member
    row.due_on = due_on
    row.assigned_at = utcnow()
    if not kpi_code:
        # A whole category supersedes single KPIs of it handed to the same person.
        db.session.execute(delete(Assignment).where(
            Assignment.city_id == city_id, Assignment.category_id == category_id,
            Assignment.member_id == member.id, Assignment.kpi_code != ""))
    return row


def get_member(city_id: int, member_id: int) -> TeamMember | None:
    """The colleague only if they belong to this city."""
    member = db.session.get(TeamMember, member_id)
    if member is None or member.city_id != city_id:
        return None
    return member


def assign(city_id: int, *, category_id: str, kpi_code: str = "", member_id: int | None,
           due_on: date | None = None) -> None:
    """Reassign an item to another colleague, or take it back (member_id None)."""
    targets = _targets([category_id] if not kpi_code else [], [kpi_code] if kpi_code else [])
    if not targets:
        return
    category_id, kpi_code = targets[0]
    if member_id is None:
        db.session.execute(delete(Assignment).where(
            Assignment.city_id == city_id, Assignment.category_id == category_id,
            Assignment.kpi_code == kpi_code))
        db.session.commit()
        return
    member = get_member(city_id, member_id)
    if member is None or member.revoked_at is not None:
        raise TeamError(_("Choose a colleague whose link is active."))
    _assign(city_id, member, category_id, kpi_code, _due(city_id, due_on))
    db.session.commit()


def revoke(city_id: int, member_id: int) -> TeamMember:
    member = get_member(city_id, member_id)
    if member is None:
        raise TeamError(_("This colleague is not in your team."))
    if member.revoked_at is None:
        member.revoked_at = utcnow()
    db.session.commit()
    return member


def fresh_link(city_id: int, member_id: int) -> TeamMember:
    """End the current link at once and e-mail a new one (also re-activates a revoked link)."""
    member = get_member(city_id, member_id)
    if member is None:
        raise TeamError(_("This colleague is not in your team."))
    if member.token_hash:
        member.replaced_hash = member.token_hash
    member.token_hash = None
    member.revoked_at = None
    member.link_generation = (member.link_generation or 0) + 1
    db.session.commit()
    send_link(member)
    return member


# ------------------------------------------------------------------------------ the e-mail
def send_link(member: TeamMember) -> None:
    """Queue the e-mail; the job mints the token, so it is never stored in a job row."""
    enqueue("team.link", {"member_id": member.id, "generation": member.link_generation},
            key=f"team-link:{member.id}:{member.link_generation}", queue="mail")


def colleague_url(token: str) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}{LINK_PATH}{token}"


def _link_mail(member: TeamMember, city: City, link: str) -> tuple[str, str]:
    language = normalise_language(city.locale) or "en"
    cat = value_service.catalog()
    with force_locale(language):
        items = []
        for assignment in member.assignments:
            category = cat.category(assignment.category_id)
            if assignment.kpi_code:
                kpi = cat.kpi(assignment.kpi_code)
                items.append(f"- {kpi.code} {kpi.name.get(language)}")
            else:
                items.append(f"- {category.name.get(language)}")
        subject = _("%(city)s: your part of the U4SSC data collection", city=city.name)
        body = "\n".join([
            _("Dear %(name)s,", name=member.name),
            "",
            _("%(focal_point)s, who coordinates the U4SSC data collection for %(city)s, asks "
              "you to enter these figures:", focal_point=city.focal_point_name or city.name,
              city=city.name),
            "",
            *items,
            "",
            _("Open your personal link to enter them. No account or password is needed; "
              "everything you type is saved as a draft and recorded under your name."),
            "",
            link,
            "",
            _("Keep this link to yourself: it is yours alone. If you lose it, ask "
              "%(focal_point)s for a new one.", focal_point=city.focal_point_name or city.name),
        ])
    return subject, body


@job_handler("team.link")
def mint_and_send(payload: dict) -> dict:
    """Mint the colleague's token, store its hash, and send the link straight away."""
    from flask_mail import Message

    from intake.extensions import mail

    member = db.session.get(TeamMember, payload["member_id"])
    if member is None or member.revoked_at is not None:
        return {"sent": False, "reason": "no active colleague"}
    if member.link_generation != payload["generation"]:
        return {"sent": False, "reason": "a newer link was asked for"}
    token = secrets.token_urlsafe(32)
    if member.token_hash:
        member.replaced_hash = member.token_hash
    member.token_hash = hash_token(token)
    city = db.session.get(City, member.city_id)
    subject, body = _link_mail(member, city, colleague_url(token))
    db.session.commit()
    if not current_app.config.get("MAIL_SERVER"):
        log.info("e-mail not sent (MAIL_SERVER unset): personal link for colleague %s",
                 member.id)
        return {"sent": False, "reason": "MAIL_SERVER unset"}
    mail.send(Message(subject=subject.replace("\r", " ").replace("\n", " "),
                      recipients=[member.email], body=body))
    return {"sent": True}


# ------------------------------------------------------------------------------ overview
@dataclass(frozen=True)
class AssignmentProgress:
    assignment: Assignment
    category: object
    kpi: object | None
    answered: int
    total: int
    status: str  # not_started | in_progress | complete
    overdue: bool
    last_activity: datetime | None

    @property
    def started(self) -> bool:
        return self.status != value_service.NOT_STARTED or self.answered > 0


def _answered(kpi, rows) -> bool:
    for dp in kpi.data_points:
        row = rows.get(dp.id)
        if row is None or not (row.not_available or row.valid):
            return False
    return True


def progress(city_id: int, assignments: list[Assignment], today: date | None = None
             ) -> list[AssignmentProgress]:
    cat = value_service.catalog()
    today = today or utcnow().date()
    rows = value_service.value_rows(city_id)
    states = value_service.category_states(city_id)
    last_by_category = dict(db.session.execute(
        select(ValueAudit.category_id, func.max(ValueAudit.at))
        .where(ValueAudit.city_id == city_id).group_by(ValueAudit.category_id)).all())
    result = []
    for assignment in assignments:
        category = cat.category(assignment.category_id)
        kpi = cat.kpi(assignment.kpi_code) if assignment.kpi_code else None
        kpis = [kpi] if kpi is not None else cat.kpis_in(category.id)
        answered = sum(1 for k in kpis if _answered(k, rows))
        state = states.get(category.id)
        if kpi is not None:
            status = ("complete" if answered == 1 else
                      "in_progress" if any(rows.get(dp.id) for dp in kpi.data_points)
                      else value_service.NOT_STARTED)
        else:
            status = state.status if state is not None else value_service.NOT_STARTED
        overdue = (assignment.due_on is not None and assignment.due_on < today
                   and status != COMPLETE)
        result.append(AssignmentProgress(assignment, category, kpi, answered, len(kpis),
                                         status, overdue, last_by_category.get(category.id)))
    return result


def members(city_id: int) -> list[TeamMember]:
    return list(db.session.execute(select(TeamMember).where(TeamMember.city_id == city_id)
                                   .order_by(TeamMember.name, TeamMember.id)).scalars())


def assignments(city_id: int) -> list[Assignment]:
    return list(db.session.execute(select(Assignment).where(Assignment.city_id == city_id)
                                   .order_by(Assignment.id)).scalars())


def holders(city_id: int) -> dict[str, TeamMember]:
    """Category id → the colleague holding it whole (for the workspace's cards)."""
    return {a.category_id: a.member for a in assignments(city_id) if not a.kpi_code}


# ------------------------------------------------------------------------------ missing figures
def report_missing(member: TeamMember, kpi_code: str, note: str) -> MissingFigure:
    """A colleague says they do not have a figure: it becomes the focal point's task."""
    if not scope_of(member).opens_kpi(kpi_code):
        raise TeamError(_("Choose one of the KPIs handed to you."))
    note = (note or "").strip()[:MAX_NOTE]
    if not note:
        raise TeamError(_("Say in a few words why you do not have this figure, or who may "
                          "have it."))
    task = MissingFigure(city_id=member.city_id, member_id=member.id, kpi_code=kpi_code,
                         note=note, reported_by=member.signature)
    db.session.add(task)
    touch(member)
    db.session.commit()
    return task


def open_tasks(city_id: int) -> list[MissingFigure]:
    return list(db.session.execute(select(MissingFigure).where(
        MissingFigure.city_id == city_id, MissingFigure.resolved_at.is_(None))
        .order_by(MissingFigure.created_at, MissingFigure.id)).scalars())


def member_tasks(member: TeamMember) -> list[MissingFigure]:
    return list(db.session.execute(select(MissingFigure).where(
        MissingFigure.member_id == member.id, MissingFigure.resolved_at.is_(None))
        .order_by(MissingFigure.id)).scalars())


def resolve_task(city_id: int, task_id: int, *, reassign_to: int | None = None) -> None:
    """Close a missing-figure task; optionally hand that KPI to another colleague."""
    task = db.session.get(MissingFigure, task_id)
    if task is None or task.city_id != city_id:
        raise TeamError(_("This task does not exist."))
    if reassign_to is not None:
        member = get_member(city_id, reassign_to)
        if member is None or member.revoked_at is not None:
            raise TeamError(_("Choose a colleague whose link is active."))
        kpi = value_service.catalog().kpi(task.kpi_code)
        _assign(city_id, member, kpi.category, kpi.code, None)
    task.resolved_at = utcnow()
    db.session.commit()
