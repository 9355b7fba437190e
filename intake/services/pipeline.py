"""The programme's steps: moving a city along, its history, and who verifies it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from intake.extensions import db
from intake.models._types import utcnow
from intake.models.city import City, ProgrammeStage
from intake.models.pipeline import StageChange
from intake.models.user import User, UserRole, VerifierAssignment

STAGES: tuple[ProgrammeStage, ...] = tuple(ProgrammeStage)

STAGE_LABELS = {
    ProgrammeStage.LETTER_RECEIVED: _l("Letter received"),
    ProgrammeStage.ACKNOWLEDGED: _l("Acknowledged"),
    ProgrammeStage.DATA_COLLECTION: _l("Data collection"),
    ProgrammeStage.SUBMITTED: _l("Submitted"),
    ProgrammeStage.IN_VERIFICATION: _l("In verification"),
    ProgrammeStage.VERIFIED: _l("Verified"),
    ProgrammeStage.PUBLISHED: _l("Published"),
}

# What the focal point reads about the new step, in their language.
STAGE_EXPLANATIONS = {
    ProgrammeStage.LETTER_RECEIVED: _l("The U4SSC secretariat has your city's letter of "
                                       "interest."),
    ProgrammeStage.ACKNOWLEDGED: _l("The secretariat has acknowledged your letter and will "
                                    "contact you about registration and the timeline."),
    ProgrammeStage.DATA_COLLECTION: _l("Your city can now enter its data for the 91 KPIs in "
                                       "its workspace."),
    ProgrammeStage.SUBMITTED: _l("Your city's data has been submitted for verification."),
    ProgrammeStage.IN_VERIFICATION: _l("A verifier is reviewing your city's data and may ask "
                                       "questions in your workspace."),
    ProgrammeStage.VERIFIED: _l("Your city's data has been verified."),
    ProgrammeStage.PUBLISHED: _l("Your city's results have been published."),
}

# A city that stays longer than this in one step (other than "published", which is the end)
# is shown as overdue on the overview.
OVERDUE_AFTER_DAYS = 30


class TransitionError(ValueError):
    """A move the pipeline does not allow; the message says why, for the user."""


def stage_label(stage: ProgrammeStage | str) -> str:
    return str(STAGE_LABELS[ProgrammeStage(stage)])


def parse_stage(value: str | ProgrammeStage) -> ProgrammeStage:
    try:
        return ProgrammeStage(value)
    except ValueError:
        raise TransitionError(_("“%(value)s” is not a step of the programme.",
                                value=str(value)[:40])) from None


def next_stage(stage: ProgrammeStage) -> ProgrammeStage | None:
    index = STAGES.index(stage)
    return STAGES[index + 1] if index + 1 < len(STAGES) else None


def previous_stage(stage: ProgrammeStage) -> ProgrammeStage | None:
    index = STAGES.index(stage)
    return STAGES[index - 1] if index > 0 else None


def check_transition(current: ProgrammeStage, target: ProgrammeStage, note: str | None) -> None:
    """Forward one step, or back one step with a note; anything else is refused."""
    if target == current:
        raise TransitionError(_("The city is already at the step “%(stage)s”.",
                                stage=stage_label(current)))
    if target == next_stage(current):
        return
    if target == previous_stage(current):
        if not (note or "").strip():
            raise TransitionError(_("Moving a city back to “%(stage)s” needs a note saying "
                                    "why; the focal point receives it.",
                                    stage=stage_label(target)))
        return
    raise TransitionError(_("A city moves one step at a time: from “%(current)s” it can go "
                            "forward to the next step or back to the previous one, not to "
                            "“%(target)s”.",
                            current=stage_label(current), target=stage_label(target)))


def move_city(city_id: int, to_stage: ProgrammeStage | str, *, actor: User | int | None,
              note: str | None = None, expected_stage: ProgrammeStage | str | None = None
              ) -> StageChange:
    """Move a city one step, record who did it and why, and tell the focal point.

    `expected_stage` is the step the person saw on the page: if someone else moved the city
    meanwhile, the move is refused instead of skipping a step.
    """
    target = parse_stage(to_stage)
    city = db.session.get(City, city_id)
    if city is None:
        raise TransitionError(_("This city does not exist."))
    note = (note or "").strip()[:4000] or None
    current = ProgrammeStage(city.stage)
    if expected_stage is not None and parse_stage(expected_stage) != current:
        raise TransitionError(_("Someone moved this city to “%(stage)s” in the meantime. "
                                "Check the history, then try again.",
                                stage=stage_label(current)))
    check_transition(current, target, note)
    if target == ProgrammeStage.PUBLISHED and not has_publication_consent(city_id):
        raise TransitionError(_("A city is published only with its consent, given in "
                                "its workspace once verified."))
    # Compare-and-set: of two simultaneous moves from the same step only one succeeds.
    moved = db.session.execute(
        update(City).where(City.id == city_id, City.stage == current)
        .values(stage=target, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.rollback()
        db.session.refresh(city)
        raise TransitionError(_("Someone moved this city to “%(stage)s” in the meantime. "
                                "Check the history, then try again.",
                                stage=stage_label(city.stage)))
    actor_id = actor.id if isinstance(actor, User) else actor
    change = StageChange(city_id=city_id, from_stage=current, to_stage=target,
                         actor_id=actor_id, note=note, at=utcnow())
    db.session.add(change)
    if current == ProgrammeStage.VERIFIED and target == ProgrammeStage.IN_VERIFICATION:
        # Back to verification: the figures may change again, so every verdict is re-checked.
        from intake.services.verification import flag_verdicts_for_recheck

        flag_verdicts_for_recheck(city_id, note)
    db.session.commit()
    db.session.refresh(city)
    from intake.services.peers import stage_changed

    stage_changed(city_id, current, target)  # joins or leaves its peer group once verified
    if target in (ProgrammeStage.ACKNOWLEDGED, ProgrammeStage.DATA_COLLECTION):
        from intake.services.reminders import ensure_deadline

        ensure_deadline(city_id)  # the letter is received: the data collection clock starts
    notify_focal_point(city, change)
    return change


def has_publication_consent(city_id: int) -> bool:
    """Consent in force; read here so the pipeline needs nothing from the gains service
    (which moves cities through this module: one direction only)."""
    from intake.models.gains import Consent

    consent = db.session.execute(
        select(Consent).where(Consent.city_id == city_id)).scalar_one_or_none()
    return consent is not None and consent.active


def notify_focal_point(city: City, change: StageChange) -> None:
    """E-mail the focal point about the new step, in the city's language."""
    from intake.services.links import workspace_url
    from intake.services.mail import send_mail
    from intake.services.onboarding import focal_point_recipient

    if focal_point_recipient(city) is None:
        return  # never to an address its owner has not confirmed
    from intake.i18n import normalise_language

    with force_locale(normalise_language(city.locale) or "en"):
        subject = _("%(city)s: your U4SSC programme step is now “%(stage)s”",
                    city=city.name, stage=stage_label(change.to_stage))
        lines = [
            _("Dear %(name)s,", name=city.focal_point_name or city.name),
            "",
            _("%(city)s has moved from “%(before)s” to “%(after)s” in the U4SSC KPI "
              "programme.", city=city.name,
              before=stage_label(change.from_stage) if change.from_stage else "-",
              after=stage_label(change.to_stage)),
            str(STAGE_EXPLANATIONS[ProgrammeStage(change.to_stage)]),
        ]
        if change.note:
            lines += ["", _("Note from the secretariat:"), change.note]
        lines += ["", _("Your city's workspace: %(url)s", url=workspace_url(city)), "",
                  _("The U4SSC secretariat")]
    send_mail(to=[city.focal_point_email], subject=subject, body="\n".join(lines),
              key=f"stage-change:{change.id}")


def history(city_id: int) -> list[StageChange]:
    return list(db.session.execute(
        select(StageChange).where(StageChange.city_id == city_id)
        .order_by(StageChange.at.desc(), StageChange.id.desc())
    ).scalars())


def stage_entered_at(city_ids: list[int]) -> dict[int, datetime]:
    """When each city entered its current step (its latest move, else its creation)."""
    if not city_ids:
        return {}
    from sqlalchemy import func

    latest = dict(db.session.execute(
        select(StageChange.city_id, func.max(StageChange.at))
        .where(StageChange.city_id.in_(city_ids)).group_by(StageChange.city_id)
    ).all())
    created = dict(db.session.execute(
        select(City.id, City.created_at).where(City.id.in_(city_ids))
    ).all())
    return {city_id: latest.get(city_id) or created[city_id] for city_id in created}


@dataclass(frozen=True)
class StageAge:
    days: int
    overdue: bool


def stage_age(stage: ProgrammeStage, entered_at: datetime, now: datetime | None = None
              ) -> StageAge:
    days = max(0, ((now or utcnow()) - entered_at).days)
    overdue = stage != ProgrammeStage.PUBLISHED and days > OVERDUE_AFTER_DAYS
    return StageAge(days=days, overdue=overdue)


# ------------------------------------------------------------------------------ verifiers
def assign_verifier(city_id: int, user_id: int, *, actor: User | int | None
                    ) -> VerifierAssignment:
    """Let a verifier see and verify a city (assigning twice changes nothing)."""
    city = db.session.get(City, city_id)
    if city is None:
        raise TransitionError(_("This city does not exist."))
    user = db.session.get(User, user_id)
    if user is None or user.role != UserRole.VERIFIER:
        raise TransitionError(_("Choose a verifier account."))
    if not user.active:
        raise TransitionError(_("This verifier's account is disabled."))
    existing = db.session.get(VerifierAssignment, (city_id, user_id))
    if existing is not None:
        return existing
    assignment = VerifierAssignment(city_id=city_id, user_id=user_id,
                                    assigned_by_id=actor.id if isinstance(actor, User) else actor)
    db.session.add(assignment)
    db.session.commit()
    _notify_verifier(city, user, assignment)
    return assignment


def unassign_verifier(city_id: int, user_id: int) -> bool:
    assignment = db.session.get(VerifierAssignment, (city_id, user_id))
    if assignment is None:
        return False
    db.session.delete(assignment)
    db.session.commit()
    return True


def verifiers_of(city_id: int) -> list[User]:
    return list(db.session.execute(
        select(User).join(VerifierAssignment, VerifierAssignment.user_id == User.id)
        .where(VerifierAssignment.city_id == city_id).order_by(User.name, User.email)
    ).scalars())


def _notify_verifier(city: City, user: User, assignment: VerifierAssignment) -> None:

    from intake.services.links import mail_base_url
    from intake.services.mail import send_mail

    base = mail_base_url()
    send_mail(to=[user.email],
              subject=_("U4SSC: %(city)s is assigned to you for verification", city=city.name),
              body=_("The secretariat has assigned %(city)s to you. Open it here: %(url)s",
                     city=city.name, url=f"{base}/staff/cities/{city.id}"),
              key=f"verifier-assigned:{city.id}:{user.id}:{assignment.assigned_at.isoformat()}")


# ------------------------------------------------------------------------------ bulk actions
@dataclass
class BulkOutcome:
    done: int = 0
    # (city name, why it was refused), for the message beside the list.
    refused: list[tuple[str, str]] | None = None

    def __post_init__(self) -> None:
        self.refused = self.refused or []


BULK_ACTIONS = ("move", "assign", "remind")


def bulk_action(city_ids: list[int], action: str, *, actor: User | int | None,
                to_stage: str | None = None, verifier_id: int | None = None,
                note: str | None = None) -> BulkOutcome:
    """Apply one action to several cities; each city succeeds or is refused on its own."""
    if action not in BULK_ACTIONS:
        raise TransitionError(_("Choose an action."))
    if action == "move" and not to_stage:
        raise TransitionError(_("Choose the step to move the cities to."))
    if action == "assign" and not verifier_id:
        raise TransitionError(_("Choose a verifier account."))
    target = parse_stage(to_stage) if action == "move" else None
    cities = list(db.session.execute(
        select(City.id, City.name, City.stage).where(City.id.in_(city_ids))
        .order_by(City.name, City.id)).all())
    outcome = BulkOutcome()
    for city_id, name, stage in cities:
        try:
            if action == "move":
                move_city(city_id, target, actor=actor, note=note, expected_stage=stage)
            elif action == "assign":
                assign_verifier(city_id, verifier_id, actor=actor)
            else:
                remind(city_id)
        except TransitionError as problem:
            db.session.rollback()
            outcome.refused.append((name, str(problem)))
            continue
        outcome.done += 1
    return outcome


def remind(city_id: int) -> None:
    """E-mail the focal point a reminder of where the city stands, with its workspace link."""
    from intake.i18n import normalise_language
    from intake.services.links import workspace_url
    from intake.services.mail import send_mail

    city = db.session.get(City, city_id)
    if city is None:
        raise TransitionError(_("This city does not exist."))
    if not city.focal_point_email:
        raise TransitionError(_("This city has no focal point e-mail address."))
    with force_locale(normalise_language(city.locale) or "en"):
        subject = _("%(city)s: a reminder from the U4SSC secretariat", city=city.name)
        body = "\n".join([
            _("Dear %(name)s,", name=city.focal_point_name or city.name), "",
            _("%(city)s is at the step “%(stage)s” of the U4SSC KPI programme.",
              city=city.name, stage=stage_label(city.stage)),
            str(STAGE_EXPLANATIONS[ProgrammeStage(city.stage)]), "",
            _("Your city's workspace: %(url)s", url=workspace_url(city)), "",
            _("The U4SSC secretariat")])
    send_mail(to=[city.focal_point_email], subject=subject, body=body,
              key=f"reminder:{city.id}:{utcnow().date().isoformat()}")
