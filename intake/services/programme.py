"""The programme from letter to recognition: fee invoiced and paid, certificate handed over,
award nomination, the invoice document and the case study with its generated outline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from forms.parsing import parse_email
from intake.extensions import db
from intake.i18n import normalise_language
from intake.models._types import utcnow
from intake.models.city import City, ProgrammeStage
from intake.models.letter import Letter
from intake.models.pipeline import StageChange
from intake.models.programme import (
    CaseStudy,
    CaseStudyStatus,
    Milestone,
    MilestoneKind,
    MilestoneStatus,
)
from intake.models.user import User

CURRENCIES = ("CHF", "USD")
MAX_AMOUNT = Decimal("1000000")
NOTE_MAX = 2000

MILESTONE_LABELS = {
    MilestoneKind.FEE_INVOICED: _l("Fee invoiced"),
    MilestoneKind.FEE_PAID: _l("Fee paid"),
    MilestoneKind.CERTIFICATE_ISSUED: _l("Certificate issued"),
    MilestoneKind.AWARD_NOMINATED: _l("Award nominated"),
}

CASE_STUDY_LABELS = {
    CaseStudyStatus.ASSIGNED: _l("Writer assigned"),
    CaseStudyStatus.DRAFT: _l("Draft"),
    CaseStudyStatus.REVIEW: _l("In review"),
    CaseStudyStatus.PUBLISHED: _l("Published"),
}

# The whole programme in order: the pipeline's steps with the milestones between them.
PROGRAMME: tuple[ProgrammeStage | MilestoneKind, ...] = (
    ProgrammeStage.LETTER_RECEIVED, ProgrammeStage.ACKNOWLEDGED,
    MilestoneKind.FEE_INVOICED, MilestoneKind.FEE_PAID,
    ProgrammeStage.DATA_COLLECTION, ProgrammeStage.SUBMITTED, ProgrammeStage.IN_VERIFICATION,
    ProgrammeStage.VERIFIED, MilestoneKind.CERTIFICATE_ISSUED, ProgrammeStage.PUBLISHED,
    MilestoneKind.AWARD_NOMINATED,
)
# Recognition follows verification: these need a verified (or published) city.
NEEDS_VERIFIED = frozenset({MilestoneKind.CERTIFICATE_ISSUED, MilestoneKind.AWARD_NOMINATED})
# A fee may be waived or paid by a national hub: the step is then recorded as skipped.
SKIPPABLE = frozenset({MilestoneKind.FEE_INVOICED, MilestoneKind.FEE_PAID})
WITH_AMOUNT = frozenset({MilestoneKind.FEE_INVOICED, MilestoneKind.FEE_PAID})


class ProgrammeError(ValueError):
    """A milestone or case study that cannot be recorded; the message says why."""


def milestone_label(kind: MilestoneKind | str) -> str:
    return str(MILESTONE_LABELS[MilestoneKind(kind)])


def parse_kind(value: str) -> MilestoneKind:
    try:
        return MilestoneKind(value)
    except ValueError:
        raise ProgrammeError(_("“%(value)s” is not a step of the programme.",
                               value=str(value)[:40])) from None


def milestones_of(city_id: int) -> dict[MilestoneKind, Milestone]:
    rows = db.session.execute(select(Milestone).where(Milestone.city_id == city_id)).scalars()
    return {MilestoneKind(row.kind): row for row in rows}


def quoted_fee(city: City) -> tuple[Decimal | None, str | None]:
    """The amount the participation letter quoted (else the fee table's for the city), and
    its first currency, to prefill the invoice."""
    from intake.fees import quote_fee

    fee = db.session.execute(
        select(Letter.fee).where(Letter.city_id == city.id)
        .order_by(Letter.created_at.desc()).limit(1)).scalar_one_or_none() or {}
    try:
        amount = Decimal(str(fee["amount"]))
    except (KeyError, InvalidOperation, TypeError):
        try:
            amount = Decimal(quote_fee(city.population, city.economy or "",
                                       city.package or "verification").amount)
        except ValueError:  # economy not known yet: the secretariat types the amount
            amount = None
    currencies = fee.get("currencies") or ["CHF"]
    return amount, currencies[0]


def parse_amount(text: str | None) -> Decimal | None:
    """"30 000", "30,000.00" and "30000" are the same amount; anything else is refused."""
    cleaned = (text or "").strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if not cleaned:
        return None
    if "," in cleaned and "." not in cleaned and len(cleaned.rsplit(",", 1)[1]) != 3:
        cleaned = cleaned.replace(",", ".")  # a decimal comma: "7000,50"
    cleaned = cleaned.replace(",", "").replace("'", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ProgrammeError(_("“%(text)s” is not an amount. Type digits, for example 7000 "
                               "or 7000.50.", text=text.strip()[:40])) from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise ProgrammeError(_("The amount must be more than 0 and at most %(max)s.",
                               max="1,000,000"))
    return amount.quantize(Decimal("0.01"))


def invoice_number(city_id: int, on: date) -> str:
    return f"U4SSC-INV-{on.year}-{city_id:05d}"


def record_milestone(city_id: int, kind: MilestoneKind | str, *, actor: User,
                     status: MilestoneStatus | str = MilestoneStatus.DONE,
                     on: date | None = None, amount: Decimal | None = None,
                     currency: str | None = None, reference: str | None = None,
                     note: str | None = None) -> Milestone:
    """Record (or correct) a milestone; a skipped one needs a note saying why."""
    from intake.services.reports import has_certificate

    kind = parse_kind(kind) if isinstance(kind, str) else kind
    status = MilestoneStatus(status)
    city = db.session.get(City, city_id)
    if city is None:
        raise ProgrammeError(_("This city does not exist."))
    note = (note or "").strip()[:NOTE_MAX] or None
    on = on or utcnow().date()
    if on > utcnow().date():
        raise ProgrammeError(_("The date cannot be in the future."))
    if kind in NEEDS_VERIFIED and not has_certificate(city):
        raise ProgrammeError(_("“%(step)s” follows verification: this city is not verified.",
                               step=milestone_label(kind)))
    if status == MilestoneStatus.SKIPPED:
        if kind not in SKIPPABLE:
            raise ProgrammeError(_("“%(step)s” cannot be skipped.", step=milestone_label(kind)))
        if not note:
            raise ProgrammeError(_("Say why this step is skipped, for example “fee waived” "
                                   "or “paid by the national hub”."))
        amount = currency = reference = None
    elif kind in WITH_AMOUNT:
        if amount is None or currency not in CURRENCIES:
            raise ProgrammeError(_("Give the amount and the currency (CHF or USD)."))
        if kind == MilestoneKind.FEE_PAID and MilestoneKind.FEE_INVOICED not in \
                milestones_of(city_id):
            raise ProgrammeError(_("Record the invoice first (or mark it skipped)."))
        if kind == MilestoneKind.FEE_INVOICED:
            reference = (reference or "").strip()[:40] or invoice_number(city_id, on)
    else:
        amount = currency = None
    row = db.session.execute(select(Milestone).where(
        Milestone.city_id == city_id, Milestone.kind == kind)).scalar_one_or_none()
    if row is None:
        row = Milestone(city_id=city_id, kind=kind)
        db.session.add(row)
    row.status, row.occurred_on, row.amount, row.currency = status, on, amount, currency
    row.reference = (reference or "").strip()[:40] or None
    row.note, row.actor_id, row.recorded_at = note, actor.id, utcnow()
    db.session.commit()
    return row


def clear_milestone(city_id: int, kind: MilestoneKind | str) -> bool:
    """Take back a milestone recorded by mistake."""
    kind = parse_kind(kind) if isinstance(kind, str) else kind
    row = db.session.execute(select(Milestone).where(
        Milestone.city_id == city_id, Milestone.kind == kind)).scalar_one_or_none()
    if row is None:
        return False
    db.session.delete(row)
    db.session.commit()
    return True


# ------------------------------------------------------------------------------ timeline
@dataclass(frozen=True)
class TimelineStep:
    key: str
    label: str
    state: str  # done | current | skipped | open
    on: date | datetime | None = None
    detail: str | None = None
    milestone: bool = False


def timeline(city: City) -> list[TimelineStep]:
    """Every step from letter to recognition, with what happened and when."""
    from intake.services.pipeline import STAGES, stage_label

    marks = milestones_of(city.id)
    entered: dict[str, datetime] = {}
    for to_stage, at in db.session.execute(
            select(StageChange.to_stage, StageChange.at).where(StageChange.city_id == city.id)
            .order_by(StageChange.at)).all():
        entered[str(to_stage)] = at
    current = ProgrammeStage(city.stage)
    steps = []
    for step in PROGRAMME:
        if isinstance(step, ProgrammeStage):
            index, here = STAGES.index(step), STAGES.index(current)
            state = "current" if index == here else ("done" if index < here else "open")
            when = entered.get(step.value) or (city.created_at if index == 0 else None)
            steps.append(TimelineStep(step.value, stage_label(step), state,
                                      when if state != "open" else None))
            continue
        mark = marks.get(step)
        if mark is None:
            steps.append(TimelineStep(step.value, milestone_label(step), "open", milestone=True))
            continue
        detail = mark.note
        if mark.amount is not None:
            amount = _("%(amount)s %(currency)s", amount=f"{mark.amount:,.2f}",
                       currency=mark.currency)
            detail = " · ".join(part for part in (mark.reference, amount, mark.note) if part)
        steps.append(TimelineStep(step.value, milestone_label(step),
                                  "skipped" if mark.status == MilestoneStatus.SKIPPED
                                  else "done", mark.occurred_on, detail, milestone=True))
    return steps


# ------------------------------------------------------------------------------ invoice
def invoice_pdf(city: City) -> bytes:
    """The invoice for the recorded fee, in the city's language."""
    from intake.i18n import text_direction
    from intake.services.reports import _write_pdf
    from intake.snapshot.render import PDF_FONTS

    mark = milestones_of(city.id).get(MilestoneKind.FEE_INVOICED)
    if mark is None or mark.status != MilestoneStatus.DONE:
        raise ProgrammeError(_("No invoice is recorded for this city."))
    language = normalise_language(city.locale) or "en"
    with force_locale(language):
        html = render_template("programme/invoice.html", city=city, mark=mark,
                               language=language, rtl=text_direction(language) == "rtl",
                               case_study=chose_case_study(city),
                               amount=f"{mark.amount:,.2f}", fonts=PDF_FONTS)
    return _write_pdf(html)


# ------------------------------------------------------------------------------ case study
def case_study_of(city_id: int) -> CaseStudy | None:
    return db.session.get(CaseStudy, city_id)


def chose_case_study(city: City) -> bool:
    return city.package == "case_study"


def save_case_study(city_id: int, *, actor: User, writer_name: str, status: str,
                    writer_email: str | None = None, due_on: date | None = None,
                    link: str | None = None, note: str | None = None) -> CaseStudy:
    from intake.services.improvement import valid_link

    if db.session.get(City, city_id) is None:
        raise ProgrammeError(_("This city does not exist."))
    writer_name = (writer_name or "").strip()[:200]
    if not writer_name:
        raise ProgrammeError(_("Name the writer of the case study."))
    try:
        status = CaseStudyStatus(status)
    except ValueError:
        raise ProgrammeError(_("Choose the state of the case study.")) from None
    link = (link or "").strip()[:500] or None
    if link and not valid_link(link):
        raise ProgrammeError(_("The link must start with http:// or https://."))
    if status == CaseStudyStatus.PUBLISHED and not link:
        raise ProgrammeError(_("A published case study needs the link where it is published."))
    writer_email = (writer_email or "").strip()
    if writer_email and parse_email(writer_email) is None:
        raise ProgrammeError(_("“%(text)s” is not an e-mail address.", text=writer_email[:60]))
    study = db.session.get(CaseStudy, city_id)
    if study is None:
        study = CaseStudy(city_id=city_id)
        db.session.add(study)
    study.status, study.writer_name = status, writer_name
    study.writer_email = (writer_email or "").strip()[:254] or None
    study.due_on, study.link = due_on, link
    study.note = (note or "").strip()[:NOTE_MAX] or None
    study.updated_by_id, study.updated_at = actor.id, utcnow()
    db.session.commit()
    return study


def case_study_outline(city: City, language: str, rtl: bool) -> str:
    """A Markdown outline the writer starts from: the city's results, initiatives and
    vision, in the order of the published case studies."""
    from intake.services.improvement import initiatives_by_category
    from intake.snapshot.data import build_snapshot

    snapshot = build_snapshot(city, language, rtl)
    letter = db.session.execute(
        select(Letter.content).where(Letter.city_id == city.id)
        .order_by(Letter.created_at.desc()).limit(1)).scalar_one_or_none() or {}
    scored = [c for c in snapshot.categories if c.percent is not None]
    strongest = sorted(scored, key=lambda c: -c.percent)[:3]
    weakest = sorted(scored, key=lambda c: c.percent)[:3]
    initiatives = initiatives_by_category(city.id)
    names = {c.id: c.label for c in snapshot.categories}

    def pct(value: float | None) -> str:
        return _("not scored") if value is None else f"{value:.0f} %"

    def section(number: int, title: str) -> list[str]:
        return ["", f"## {number}. {title}", ""]

    lines = ["# " + _("Case study: %(city)s", city=city.name)]
    lines += section(1, _("The city"))
    lines.append(_("Population: %(population)s", population=f"{city.population:,}"))
    vision = (letter.get("vision") or "").strip()
    lines += section(2, _("Vision and strategy"))
    lines.append(vision or _("(The participation letter gives no vision: ask the city.)"))
    lines += section(3, _("Results by dimension"))
    lines += [f"- {d.label}: {pct(d.percent)}" for d in snapshot.dimensions]
    lines += section(4, _("Strengths"))
    lines += [f"- {c.label}: {pct(c.percent)}" for c in strongest] or [_("(No score yet.)")]
    lines += section(5, _("Where the city can improve"))
    lines += [f"- {c.label}: {pct(c.percent)}" for c in weakest] or [_("(No score yet.)")]
    lines += section(6, _("Initiatives"))
    if initiatives:
        for category_id, items in initiatives.items():
            for item in items:
                lines.append(f"- {names.get(category_id, category_id)}: {item.title}")
    else:
        lines.append(_("(The city has recorded no initiatives yet.)"))
    lines += section(7, _("Lessons learned and next steps"))
    lines += [_("(To be written with the city.)"), ""]
    return "\n".join(lines)
