"""Thin views: the city proposes local KPIs and enters their figures; staff decide and verify."""

from __future__ import annotations

from functools import wraps

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from forms.builder import QUALITY_TIERS
from intake.extensions import db
from intake.i18n import current_language
from intake.local_kpis import bp
from intake.local_kpis.forms import (
    DIRECTION_LABELS,
    KIND_LABELS,
    ConfirmForm,
    DecisionForm,
    ProposeForm,
    ValueForm,
    VerifyForm,
)
from intake.models.city import City
from intake.models.local_kpi import LocalKpiStatus
from intake.models.user import UserRole
from intake.permissions import (
    SESSION_MEMBER,
    can_manage,
    current_city,
    current_member_state,
    current_staff_user,
    staff_city_or_abort,
    staff_required,
)
from intake.services import local_kpis as service
from intake.services import team as team_service
from intake.services import values as value_service
from intake.wizard import team_access
from scoring.local_kpis import RATIO


# ------------------------------------------------------------------------------ helpers
def workspace_required(view):
    """The focal point (the city's link), or a colleague whose link is still valid.

    What a colleague may do is narrowed by each view (see `_colleague_may_enter`).
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.member = None
        city = current_city()
        if city is None and SESSION_MEMBER in session:
            member, state = current_member_state()
            if state != "ok":
                return team_access.stopped_link(member, state)
            g.member, g.scope = member, team_service.scope_of(member)
            g.city = db.session.get(City, member.city_id)
            return view(*args, **kwargs)
        if city is None:
            return render_template("wizard/no_session.html"), 401
        g.city = city
        return view(*args, **kwargs)

    return wrapper


def _actor() -> str:
    if g.get("member") is not None:
        return g.member.signature
    city = g.city
    return f"{city.focal_point_name or city.name} (focal point)"[:200]


def _colleague_may_enter(kpi) -> bool:
    """A colleague enters a local KPI's figures when its whole category is handed to them
    (as for the catalog KPIs of that category); the focal point enters every one."""
    if g.get("member") is None:
        return True
    return bool(kpi.category_id) and g.scope.whole(kpi.category_id)


def _category_names() -> dict[str, str]:
    language = current_language()
    return {c.id: c.name.get(language) for c in value_service.catalog().categories}


def _attach(form, errors: dict[str, str]) -> list[str]:
    """Put the service's messages on the form's fields; return those with no field."""
    loose = []
    for name, message in errors.items():
        field = getattr(form, name, None) if name else None
        if field is None or not hasattr(field, "errors"):
            loose.append(message)
        else:
            field.errors = [*list(field.errors or ()), message]
    return loose


def _value_form(kpi, formdata=None) -> ValueForm:
    form = ValueForm(formdata=formdata, prefix=f"kpi{kpi.id}")
    if formdata is None:
        latest = kpi.values[-1] if kpi.values else None
        if latest is not None:
            form.reference_year.data = str(latest.reference_year)
            form.source.data = latest.source
            form.quality_tier.data = latest.quality_tier or ""
            for name in ("numerator", "denominator", "direct"):
                number = getattr(latest, name)
                getattr(form, name).data = "" if number is None else format(number, "g")
        else:
            from intake.services.guidance import reference_year

            form.reference_year.data = str(reference_year(kpi.city_id))
    return form


def _page(*, propose_form: ProposeForm | None = None, value_forms: dict | None = None,
          errors: list[str] | None = None, status: int = 200):
    city = g.city
    names = _category_names()
    kpis = service.kpis_of(city.id)
    if g.member is not None:
        kpis = [k for k in kpis if k.status == LocalKpiStatus.APPROVED
                and _colleague_may_enter(k)]
    if propose_form is None:
        propose_form = ProposeForm(formdata=None)
    propose_form.category_id.choices = [SelectChoice("", "—"),
                                        *[SelectChoice(k, v) for k, v in names.items()]]
    forms = dict(value_forms or {})
    for kpi in kpis:
        if kpi.status == LocalKpiStatus.APPROVED and kpi.id not in forms:
            forms[kpi.id] = _value_form(kpi)
    return render_template(
        "local_kpis/index.html", city=city, kpis=kpis, rows={k.id: service.row_for(k)
                                                              for k in kpis},
        propose_form=propose_form, value_forms=forms, confirm_form=ConfirmForm(formdata=None),
        categories=names, kinds=KIND_LABELS, directions=DIRECTION_LABELS,
        quality_labels={tier: _(label) for tier, label in QUALITY_TIERS},
        frozen=value_service.is_frozen(city.id), errors=errors or [],
        limit=service.MAX_PER_CITY, used=service.counted(city.id),
        may_propose=g.member is None, ratio=RATIO), status


def _kpi_or_404(city_id: int, kpi_id: int):
    try:
        return service.get_kpi(city_id, kpi_id)
    except LookupError:
        abort(404)


# ------------------------------------------------------------------------------ the city
@bp.get("/w/local-kpis")
@workspace_required
def index():
    return _page()


@bp.post("/w/local-kpis")
@workspace_required
def propose():
    if g.member is not None:
        return team_access.not_yours()
    form = ProposeForm()
    if not form.validate_on_submit():
        return _page(propose_form=form, errors=[_("The form had expired. Please try again.")],
                     status=400)
    try:
        kpi = service.propose(g.city.id, request.form, actor=_actor())
    except service.LocalKpiError as error:
        loose = _attach(form, error.errors)
        return _page(propose_form=form, errors=loose or [
            _("Some answers need a correction: see the messages below each field.")],
            status=400)
    flash(_("“%(name)s” is proposed. The secretariat will approve it or tell you why not.",
            name=kpi.name), "success")
    return redirect(url_for("localkpi.index", _anchor=f"local-kpi-{kpi.id}"))


@bp.post("/w/local-kpis/<int:kpi_id>/values")
@workspace_required
def enter(kpi_id: int):
    kpi = _kpi_or_404(g.city.id, kpi_id)
    if not _colleague_may_enter(kpi):
        return team_access.not_yours()
    form = ValueForm(prefix=f"kpi{kpi.id}")
    if not form.validate_on_submit():
        return _page(value_forms={kpi.id: form},
                     errors=[_("The form had expired. Please try again.")], status=400)
    data = {name: field.data for name, field in form._fields.items()}
    try:
        service.save_value(g.city.id, kpi.id, data, actor=_actor())
    except service.LocalKpiError as error:
        loose = _attach(form, error.errors)
        return _page(value_forms={kpi.id: form}, errors=loose or [
            _("Some answers need a correction: see the messages below each field.")],
            status=400)
    flash(_("The figures of “%(name)s” are saved.", name=kpi.name), "success")
    return redirect(url_for("localkpi.index", _anchor=f"local-kpi-{kpi.id}"))


@bp.post("/w/local-kpis/<int:kpi_id>/withdraw")
@workspace_required
def withdraw(kpi_id: int):
    if g.member is not None:
        return team_access.not_yours()
    kpi = _kpi_or_404(g.city.id, kpi_id)
    ConfirmForm().validate_on_submit()  # the token itself is checked for every POST
    try:
        service.withdraw(g.city.id, kpi.id, actor=_actor())
    except service.LocalKpiError as error:
        return _page(errors=list(error.errors.values()), status=409)
    flash(_("The proposal is withdrawn."), "success")
    return redirect(url_for("localkpi.index"))


# ------------------------------------------------------------------------------ staff
def _staff_page(city: City, *, forms: dict | None = None, status: int = 200):
    user = current_staff_user()
    kpis = service.kpis_of(city.id)
    forms = dict(forms or {})
    for kpi in kpis:
        forms.setdefault(("decide", kpi.id), DecisionForm(formdata=None, prefix=f"d{kpi.id}"))
        forms.setdefault(("verify", kpi.id), VerifyForm(formdata=None, prefix=f"v{kpi.id}"))
    return render_template(
        "local_kpis/staff.html", city=city, kpis=kpis,
        rows={k.id: service.row_for(k) for k in kpis}, forms=forms,
        categories=_category_names(), kinds=KIND_LABELS, directions=DIRECTION_LABELS,
        quality_labels={tier: _(label) for tier, label in QUALITY_TIERS},
        can_decide=can_manage(user), frozen=value_service.is_frozen(city.id),
        ratio=RATIO), status


@bp.get("/staff/cities/<int:city_id>/local-kpis")
@staff_required()
def staff(city_id: int):
    return _staff_page(staff_city_or_abort(city_id))


@bp.post("/staff/cities/<int:city_id>/local-kpis/<int:kpi_id>/decision")
@staff_required(UserRole.SECRETARIAT)
def decide(city_id: int, kpi_id: int):
    city = staff_city_or_abort(city_id)
    kpi = _kpi_or_404(city.id, kpi_id)
    form = DecisionForm(prefix=f"d{kpi.id}")
    if not form.validate_on_submit() or form.decision.data not in ("approve", "reject"):
        form.reason.errors = [_("The form had expired. Please try again.")]
        return _staff_page(city, forms={("decide", kpi.id): form}, status=400)
    approve = form.decision.data == "approve"
    try:
        service.decide(city.id, kpi.id, user=current_staff_user(), approve=approve,
                       reason=form.reason.data or "")
    except service.LocalKpiError as error:
        form.reason.errors = list(error.errors.values())
        return _staff_page(city, forms={("decide", kpi.id): form}, status=400)
    flash(_("“%(name)s” is approved.", name=kpi.name) if approve else
          _("“%(name)s” is rejected; the city sees your reason.", name=kpi.name), "success")
    return redirect(url_for("localkpi.staff", city_id=city.id, _anchor=f"local-kpi-{kpi.id}"))


@bp.post("/staff/cities/<int:city_id>/local-kpis/<int:kpi_id>/verify")
@staff_required(UserRole.SECRETARIAT, UserRole.VERIFIER)
def verify(city_id: int, kpi_id: int):
    city = staff_city_or_abort(city_id)
    kpi = _kpi_or_404(city.id, kpi_id)
    form = VerifyForm(prefix=f"v{kpi.id}")
    if not form.validate_on_submit():
        form.note.errors = [_("The form had expired. Please try again.")]
        return _staff_page(city, forms={("verify", kpi.id): form}, status=400)
    try:
        service.verify(city.id, kpi.id, user=current_staff_user(),
                       status=form.status.data or "", note=form.note.data or "")
    except service.LocalKpiError as error:
        form.note.errors = list(error.errors.values())
        return _staff_page(city, forms={("verify", kpi.id): form}, status=400)
    flash(_("Your answer on “%(name)s” is recorded.", name=kpi.name), "success")
    return redirect(url_for("localkpi.staff", city_id=city.id, _anchor=f"local-kpi-{kpi.id}"))


# ------------------------------------------------------------------------------ elsewhere
@bp.app_template_global()
def local_kpi_rows(city_id: int) -> list:
    """The approved local KPIs of a city, for the snapshot, the report and the PDFs."""
    return service.approved_rows(city_id)


@bp.app_template_global()
def local_kpis_waiting(city_id: int) -> int:
    """Proposals waiting for the secretariat's decision (the city page's notice)."""
    return len(service.kpis_of(city_id, status=LocalKpiStatus.PROPOSED))

