"""Verification: a verdict per KPI, question threads with the city, and the audit trail."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from forms.fields import format_plain, parse_value
from forms.rules import ERROR, WARNING, Message
from intake.extensions import db
from intake.models._types import utcnow
from intake.models.city import City, ProgrammeStage
from intake.models.submission import COMPLETE
from intake.models.user import User
from intake.models.values import ValueAudit
from intake.models.verification import (
    ANSWERED,
    CLOSED,
    KPI_STATUSES,
    OPEN,
    PENDING,
    KpiVerification,
    Question,
    QuestionMessage,
)
from intake.models.verification import VERIFIED as VERIFIED_KPI
from intake.services import values as value_service
from intake.services.csv_cells import safe_cell

MAX_TEXT = 4000
MAX_NOTE = 2000
CITY_ACTOR = "city"
# The audit trail's data point column for a row about the whole verification, not a figure.
REOPENED_MARK = "(verification reopened)"


class VerificationError(ValueError):
    """A refused verification action; the message is for the user, in their language."""


class ValueRefused(VerificationError):
    """A new value in a reply that does not parse or breaks a blocking rule."""

    def __init__(self, messages: list[Message]):
        super().__init__(messages[0].text if messages else "")
        self.messages = messages


# ------------------------------------------------------------------------------ verdicts
def _kpi(kpi_code: str):
    try:
        return value_service.catalog().kpi(kpi_code)
    except KeyError:
        raise VerificationError(_("“%(code)s” is not a KPI of the catalog.",
                                  code=str(kpi_code)[:40])) from None


def mark_kpi(city_id: int, kpi_code: str, status: str, *, actor: User,
             note: str | None = None) -> KpiVerification:
    """Record the verdict on one KPI of a submitted category (the latest verdict counts)."""
    if status not in KPI_STATUSES:
        raise VerificationError(_("Choose whether the KPI is verified."))
    kpi = _kpi(kpi_code)
    if value_service.category_status(city_id, kpi.category) != COMPLETE:
        raise VerificationError(_("This KPI's category has not been submitted yet: it can be "
                                  "verified once the city marks it complete."))
    note = (note or "").strip()[:MAX_NOTE] or None
    row = verdicts(city_id).get(kpi.code)
    if row is None:
        row = KpiVerification(city_id=city_id, kpi_code=kpi.code)
        db.session.add(row)
    row.status = status
    row.note = note
    row.verifier_id = actor.id if actor is not None else None
    row.at = utcnow()
    try:
        db.session.commit()
    except IntegrityError:
        # Two verifiers marked the same KPI at once: the later one updates the row.
        db.session.rollback()
        row = verdicts(city_id)[kpi.code]
        row.status, row.note, row.at = status, note, utcnow()
        row.verifier_id = actor.id if actor is not None else None
        db.session.commit()
    return row


def flag_verdicts_for_recheck(city_id: int, reason: str | None) -> int:
    """Mark the city's "verified" verdicts pending again (no commit); returns how many."""
    note = _("Verification was reopened: check again. Reason: %(reason)s",
             reason=(reason or "").strip()[:MAX_NOTE - 200])
    count = 0
    for row in verdicts(city_id).values():
        if row.status == VERIFIED_KPI:
            row.status = PENDING
            row.note = note
            row.at = utcnow()
            count += 1
    return count


def reopen_verification(city_id: int, *, actor: User, reason: str):
    """The secretariat reopens a verified (or published) city's verification.

    The city goes back to "in verification" (its public page and certificate are gone until
    it is verified again), its KPI verdicts are flagged for re-check, and the reason is kept
    in the step history and the audit trail; the focal point is told.
    """
    from intake.models.pipeline import StageChange
    from intake.services.pipeline import notify_focal_point
    from intake.services.values import FROZEN_STAGES

    reason = (reason or "").strip()[:4000]
    if not reason:
        raise VerificationError(_("Say why verification is reopened: the reason is kept in "
                                  "the audit trail and sent to the focal point."))
    city = db.session.get(City, city_id)
    if city is None:
        raise VerificationError(_("This city does not exist."))
    current = ProgrammeStage(city.stage)
    if current not in FROZEN_STAGES:
        raise VerificationError(_("Only a verified or published city's verification can be "
                                  "reopened."))
    # Compare-and-set, like every move: of two simultaneous reopenings one succeeds.
    moved = db.session.execute(
        update(City).where(City.id == city_id, City.stage == current)
        .values(stage=ProgrammeStage.IN_VERIFICATION, updated_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        db.session.rollback()
        raise VerificationError(_("Someone moved this city in the meantime. Check the "
                                  "history, then try again."))
    change = StageChange(city_id=city_id, from_stage=current,
                         to_stage=ProgrammeStage.IN_VERIFICATION, actor_id=actor.id,
                         note=reason, at=utcnow())
    db.session.add(change)
    flagged = flag_verdicts_for_recheck(city_id, reason)
    db.session.add(ValueAudit(
        city_id=city_id, data_point_id=REOPENED_MARK, actor=f"staff:{actor.email}"[:200],
        old_text=str(current.value), new_text=str(ProgrammeStage.IN_VERIFICATION.value),
        reason=f"verification reopened ({flagged} KPI verdicts to check again): {reason}",
        at=utcnow()))
    db.session.commit()
    db.session.refresh(city)
    from intake.services.peers import stage_changed

    stage_changed(city_id, current, ProgrammeStage.IN_VERIFICATION)  # leaves its peer group
    notify_focal_point(city, change)
    return change


def verdicts(city_id: int) -> dict[str, KpiVerification]:
    rows = db.session.execute(select(KpiVerification).where(KpiVerification.city_id == city_id))
    return {row.kpi_code: row for row in rows.scalars()}


# ------------------------------------------------------------------------------ questions
def _target(target: str) -> tuple[str | None, str | None]:
    """(data point id, KPI code) for a question about a data point or a whole KPI."""
    cat = value_service.catalog()
    target = (target or "").strip()
    try:
        cat.data_point(target)
    except KeyError:
        pass
    else:
        for kpi in cat.kpis:
            if any(dp.id == target for dp in kpi.data_points):
                return target, kpi.code
        return target, None
    return None, _kpi(target).code


def _clean_text(text: str | None) -> str:
    return (text or "").strip()[:MAX_TEXT]


def open_question(city_id: int, target: str, text: str, *, actor: User) -> Question:
    """Ask the city about a data point (or a KPI); the focal point is e-mailed."""
    city = db.session.get(City, city_id)
    if city is None:
        raise VerificationError(_("This city does not exist."))
    text = _clean_text(text)
    if not text:
        raise VerificationError(_("Write the question for the city."))
    data_point_id, kpi_code = _target(target)
    question = Question(city_id=city_id, data_point_id=data_point_id, kpi_code=kpi_code,
                        opened_by_id=actor.id if actor is not None else None, status=OPEN)
    question.messages.append(QuestionMessage(
        author_kind="staff", author_name=(actor.display_name if actor else "")[:200],
        text=text))
    db.session.add(question)
    db.session.commit()
    _mail_city(city, question, text)
    return question


def target_label(question: Question, language: str) -> str:
    cat = value_service.catalog()
    if question.data_point_id:
        try:
            return cat.data_point(question.data_point_id).label.get(language)
        except KeyError:
            return question.data_point_id
    try:
        return cat.kpi(question.kpi_code).name.get(language)
    except KeyError:
        return question.kpi_code or ""


def _mail_city(city: City, question: Question, text: str, *, follow_up_id: int | None = None
               ) -> None:
    from intake.i18n import normalise_language
    from intake.services.links import workspace_url
    from intake.services.mail import send_mail
    from intake.services.onboarding import focal_point_recipient

    if focal_point_recipient(city) is None:
        return  # never to an address its owner has not confirmed
    language = normalise_language(city.locale) or "en"
    with force_locale(language):
        subject = _("%(city)s: a question from the U4SSC verifier (#%(number)s)",
                    city=city.name, number=question.id)
        body = "\n".join([
            _("Dear %(name)s,", name=city.focal_point_name or city.name),
            "",
            _("The verifier of your city's U4SSC data has a question about “%(item)s”:",
              item=target_label(question, language)),
            "",
            text,
            "",
            _("Please answer in your workspace (and correct the figure there if needed): open "
              "%(url)s and choose “Questions from the verifier”.", url=workspace_url(city)),
            "",
            _("The U4SSC secretariat"),
        ])
    key = f"question:{question.id}" + (f":{follow_up_id}" if follow_up_id else "")
    send_mail(to=[city.focal_point_email], subject=subject, body=body, key=key)


def questions(city_id: int, *, status: str | None = None) -> list[Question]:
    query = select(Question).where(Question.city_id == city_id)
    if status is not None:
        query = query.where(Question.status == status)
    return list(db.session.execute(
        query.order_by(Question.created_at.desc(), Question.id.desc())).scalars())


def open_count(city_id: int) -> int:
    return db.session.execute(select(func.count(Question.id)).where(
        Question.city_id == city_id, Question.status == OPEN)).scalar_one()


def get_question(question_id: int, *, city_id: int) -> Question | None:
    """The question only if it belongs to this city: no one reaches another city's thread."""
    question = db.session.get(Question, question_id)
    if question is None or question.city_id != city_id:
        return None
    return question


def _question_or_error(question_id: int, city_id: int) -> Question:
    question = get_question(question_id, city_id=city_id)
    if question is None:
        raise VerificationError(_("This question does not exist."))
    return question


@dataclass
class Answer:
    question: Question
    message: QuestionMessage
    changed: bool


def check_new_value(city_id: int, data_point_id: str, text: str, locale: str
                    ) -> tuple[float | bool, list[Message]]:
    """Parse and check a value like the wizard does: (value, warnings) or ValueRefused."""
    from intake.services.wizard.checks import rule_context

    dp = value_service.catalog().data_point(data_point_id)
    parsed = parse_value(dp.type, text, locale)
    if parsed.error is not None:
        error = parsed.error
        raise ValueRefused([Message(error.id, error.tier, error.text, error.params, dp.id)])
    if parsed.value is None:
        raise ValueRefused([])
    from forms.rules import evaluate

    found = evaluate([dp], {dp.id: parsed.value}, rule_context(city_id, locale)).get(dp.id, [])
    errors = [m for m in found if m.tier == ERROR]
    if errors:
        raise ValueRefused(errors)
    return parsed.value, [m for m in found if m.tier == WARNING]


def answer_question(question_id: int, text: str, *, city_id: int, new_value: str | None = None,
                    locale: str = "en", author_name: str | None = None,
                    actor: str | None = None) -> Answer:
    """The city answers, and may correct the figure; the change is audited with its reason.

    `new_value` is the text the city typed (parsed in its locale); a value that does not
    parse or breaks a blocking rule raises ValueRefused and nothing is stored.
    """
    question = _question_or_error(question_id, city_id)
    if question.status == CLOSED:
        raise VerificationError(_("This question is closed. Reply to an open question, or "
                                  "contact the secretariat."))
    text = _clean_text(text)
    new_text = (new_value or "").strip()
    if new_text and not question.data_point_id:
        raise VerificationError(_("This question is about a whole KPI: answer in words and "
                                  "correct the figures in the category's wizard."))
    if not text and not new_text:
        raise VerificationError(_("Write an answer or give the corrected value."))
    old_text = new_stored = None
    value = warnings = None
    if new_text:
        value, warnings = check_new_value(city_id, question.data_point_id, new_text, locale)
        row = value_service.value_rows(city_id, [question.data_point_id]).get(
            question.data_point_id)
        old_text = ("n/a" if row.not_available else row.raw_text) if row is not None else None
        new_stored = format_plain(value)
    changed = new_stored is not None and new_stored != old_text
    message = QuestionMessage(author_kind="city", author_name=(author_name or "")[:200],
                              text=text, old_value=old_text if changed else None,
                              new_value=new_stored if changed else None)
    question.messages.append(message)
    question.status = ANSWERED
    if changed:
        # One commit stores the answer and the new figure together (set_city_values commits).
        value_service.set_city_values(city_id, {question.data_point_id: value},
                                      actor=actor or CITY_ACTOR,
                                      reason=f"answer to question #{question.id}")
        row = value_service.value_rows(city_id, [question.data_point_id])[
            question.data_point_id]
        # The new figure's warnings stay visible to the verifier, explained by the answer.
        row.findings = [m.as_dict() for m in warnings] or None
        if warnings:
            row.justification = text[:1000] or row.justification
    db.session.commit()
    _mail_staff(question, message)
    return Answer(question, message, changed)


def _mail_staff(question: Question, message: QuestionMessage) -> None:

    from intake.services.mail import send_mail

    opener = db.session.get(User, question.opened_by_id) if question.opened_by_id else None
    if opener is None or not opener.active:
        return
    city = db.session.get(City, question.city_id)
    from intake.services.links import mail_base_url

    base = mail_base_url()
    send_mail(to=[opener.email],
              subject=_("U4SSC: %(city)s answered question #%(number)s",
                        city=city.name, number=question.id),
              body=_("%(city)s answered your question. Read the thread here: %(url)s",
                     city=city.name, url=f"{base}/staff/verify/{city.id}/questions"),
              key=f"question-answer:{message.id}")


def reply_as_staff(question_id: int, text: str, *, city_id: int, actor: User) -> Question:
    """A follow-up from staff re-opens the thread and e-mails the city again."""
    question = _question_or_error(question_id, city_id)
    text = _clean_text(text)
    if not text:
        raise VerificationError(_("Write the question for the city."))
    message = QuestionMessage(author_kind="staff", author_name=actor.display_name[:200],
                              text=text)
    question.messages.append(message)
    question.status = OPEN
    db.session.commit()
    _mail_city(db.session.get(City, city_id), question, text, follow_up_id=message.id)
    return question


def close_question(question_id: int, *, city_id: int, actor: User) -> Question:
    question = _question_or_error(question_id, city_id)
    question.status = CLOSED
    db.session.commit()
    return question


# ------------------------------------------------------------------------------ audit trail
def audit_trail(city_id: int) -> list[ValueAudit]:
    """Every change of the city's values, newest first."""
    return list(db.session.execute(
        select(ValueAudit).where(ValueAudit.city_id == city_id)
        .order_by(ValueAudit.at.desc(), ValueAudit.id.desc())).scalars())




def neutralise(text: object) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    return safe_cell("" if text is None else str(text))


def audit_csv(city_id: int, language: str = "en") -> str:
    """The audit trail as CSV for staff; cells can never become formulas."""
    cat = value_service.catalog()
    labels: dict[str, str] = {}
    for kpi in cat.kpis:
        for dp in kpi.data_points:
            labels.setdefault(dp.id, dp.label.get(language))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("When (UTC)"), _("Data point"), _("Label"), _("Who"), _("From"),
                     _("To"), _("Why")])
    for row in audit_trail(city_id):
        when = row.at.replace(tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S") if isinstance(
            row.at, datetime) else ""
        writer.writerow([neutralise(cell) for cell in (
            when, row.data_point_id, labels.get(row.data_point_id, ""), row.actor,
            row.old_text if row.old_text is not None else "",
            row.new_text if row.new_text is not None else "", row.reason or "")])
    return out.getvalue()
