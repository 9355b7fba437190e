"""Thin views for the workspace, the category wizards, review, evidence and workbooks."""

from __future__ import annotations

import time
from functools import wraps

from flask import (
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import MultiDict
from wtforms import EmailField
from wtforms.validators import Length, Optional, Regexp

from forms.builder import QUALITY_TIERS, build_step_form, field_name, kpi_field_prefix
from intake.extensions import db
from intake.i18n import current_language, normalise_language
from intake.models import City
from intake.permissions import (
    SESSION_MEMBER,
    current_city,
    current_member_state,
    forget_member,
    remember_city,
)
from intake.services import evidence as evidence_service
from intake.services import guidance, signed_letters
from intake.services import team as team_service
from intake.services import values as value_service
from intake.services import wizard as wizard_service
from intake.services import workbook as workbook_service
from intake.services.links import (
    LinkError,
    city_from_token,
    mail_base_url,
    snapshot_url,
    workspace_token,
    workspace_url,
)
from intake.services.mail import send_mail
from intake.services.onboarding import focal_point_recipient, same_address
from intake.services.reference_years import previous_year_values
from intake.wizard import bp, hints, rendering
from intake.wizard import team_access as rendering_team
from intake.wizard.helpers import format_number, render_message

SESSION_TOKEN = "workspace_token"


@bp.app_template_filter("finding")
def _finding_filter(found) -> str:
    return render_message(found)


@bp.app_template_filter("kpi_number")
def _number_filter(value, exact: bool = False) -> str:
    return format_number(value, exact)


# ------------------------------------------------------------------------------ identity
def _remember(city: City) -> None:
    forget_member()
    remember_city(city)
    # Re-issued on each visit: the link stays valid while it is used.
    session[SESSION_TOKEN] = workspace_token(city)


def _city_from_session() -> City | None:
    return current_city()


def _city_from_resume_field() -> City | None:
    token = request.form.get("resume", "")
    if not token or len(token) > 500:
        return None
    try:
        city = city_from_token(token)
    except LinkError:
        return None
    _remember(city)
    return city


def city_required(view):
    """The city's focal point, or a colleague within what is handed to them."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.member = None
        city = _city_from_session()
        if city is None and SESSION_MEMBER in session:
            member, state = current_member_state()
            if state != "ok":
                return rendering_team.stopped_link(member, state)
            g.member, g.scope = member, team_service.scope_of(member)
            g.city = db.session.get(City, member.city_id)
            if not rendering_team.member_may(request.endpoint, request.view_args or {}):
                return rendering_team.not_yours()
            return view(*args, **kwargs)
        if city is None and request.method == "POST":
            city = _city_from_resume_field()
        if city is None:
            return render_template("wizard/no_session.html"), 401
        g.city = city
        return view(*args, **kwargs)

    return wrapper


def _actor() -> str:
    """Who is acting, by name and department, for values, provenance, files and audit."""
    if g.get("member") is not None:
        return g.member.signature
    city = g.city
    return f"{city.focal_point_name or city.name} (focal point)"[:200]


def _lang() -> str:
    return current_language()


# ------------------------------------------------------------------------------ workspace
class ResumeLinkForm(FlaskForm):
    # A plain shape check: the address only receives a link the user already holds.
    email = EmailField(validators=[Optional(), Length(max=320),
                                   Regexp(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")])


@bp.get("/<token>")
def enter(token: str):
    if len(token) > 500:
        return _link_error("invalid")
    try:
        city = city_from_token(token)
    except LinkError as error:
        return _link_error(error.reason)
    _remember(city)
    return redirect(url_for("wizard.home"))


def _link_error(reason: str):
    return render_template("wizard/link_error.html", reason=reason), 404


@bp.get("/")
@city_required
def home():
    if g.member is not None:
        return rendering_team.member_home()
    overview = wizard_service.workspace(g.city.id)
    form = ResumeLinkForm(email=g.city.focal_point_email)
    return render_template("wizard/workspace.html", city=g.city, overview=overview,
                           form=form, lang=_lang(), progress_text=_progress_text,
                           scores=wizard_service.workspace_scores(g.city.id, _lang()),
                           signed=signed_letters.current_letter(g.city.id),
                           signed_form=FlaskForm(),
                           signed_max_mb=signed_letters.max_bytes() // (1024 * 1024),
                           snapshot_link=snapshot_url(g.city, request.host_url),
                           holders=team_service.holders(g.city.id),
                           team_tasks=len(team_service.open_tasks(g.city.id)))


@bp.post("/signed-letter")
@city_required
def upload_signed_letter():
    upload = request.files.get("signed_letter")
    if upload is None or not upload.filename:
        flash(_("Choose the scan of the signed letter to upload."), "error")
        return redirect(url_for("wizard.home", _anchor="signed-letter"))
    try:
        signed_letters.upload_signed_letter(g.city.id, upload.filename, upload.stream)
    except evidence_service.EvidenceError as error:
        flash(str(error.text), "error")
        return redirect(url_for("wizard.home", _anchor="signed-letter"))
    flash(_("Thank you: the secretariat has received your signed letter."), "success")
    return redirect(url_for("wizard.home", _anchor="signed-letter"))


def _progress_text(answered: int, total: int) -> str:
    return ngettext("%(answered)s of %(num)s KPI answered",
                    "%(answered)s of %(num)s KPIs answered", total, answered=answered)


@bp.post("/resume-link")
@city_required
def resume_link():
    form = ResumeLinkForm()
    if not form.validate():
        flash(_("That e-mail address does not look right. Check it and try again."), "error")
        return redirect(url_for("wizard.home"))
    address = form.email.data or g.city.focal_point_email
    if not address:
        flash(_("Type the e-mail address the link should go to."), "error")
        return redirect(url_for("wizard.home"))
    if not same_address(address, focal_point_recipient(g.city)):
        # Anything else would let a workspace send the portal's e-mails to any address.
        flash(_("For your security, the link is e-mailed only to the focal point's confirmed "
                "address. Ask the secretariat if it has changed."), "error")
        return redirect(url_for("wizard.home"))
    link = workspace_url(g.city, mail_base_url(request.host_url))
    send_mail(to=[address],
              subject=_("Your U4SSC workspace for %(city)s", city=g.city.name),
              body=_("Open this link to continue entering your city's data where you left "
                     "off:\n\n%(link)s\n\nThe link stays valid as long as you use it at least "
                     "every 60 days. Keep it private: anyone with it can edit your city's "
                     "figures.", link=link),
              key=f"resume:{g.city.id}:{address}:{int(time.time() // 60)}")
    flash(_("We sent a link to %(address)s. It may take a few minutes to arrive.",
            address=address), "success")
    return redirect(url_for("wizard.home"))


# ------------------------------------------------------------------------------ steps
def _step_or_404(category_id: str, index: int):
    try:
        return wizard_service.get_step(category_id, index)
    except KeyError:
        abort(404)


def _form_class(step):
    return build_step_form(step, base=FlaskForm, translate=_, locale=_lang())


def _render_step(step, formdata: MultiDict, *, findings=None, provenance_findings=None,
                 unjustified=(), status=200, conflict=None, version=None, notice=None):
    city = g.city
    lang = _lang()
    catalog = value_service.catalog()
    category = catalog.category(step.category_id)
    all_steps = wizard_service.steps(step.category_id)
    state = value_service.category_state(city.id, step.category_id)
    if version is None:
        version = state.version if state is not None else 0
    skeleton = rendering.skeleton(catalog, step, category, all_steps, lang, _form_class(step))
    page = rendering.render_step_page(
        skeleton, step, formdata, city_name=city.name, notice=notice, conflict=conflict,
        status=state.status if state is not None else value_service.NOT_STARTED,
        labels=lambda: wizard_service.data_point_labels(lang), version=version,
        # A colleague's page never carries the city's own link.
        resume="" if g.get("member") is not None else (
            session.get(SESSION_TOKEN) or workspace_token(city)),
        findings=findings or {}, provenance_findings=provenance_findings or {},
        unjustified=set(unjustified), computed=wizard_service.counted_for_step(city.id, step),
        files=evidence_service.evidence_for(city.id, [kpi.code for kpi in step.kpis]),
        last_year=previous_year_values(city.id), lang=lang,
        origins=wizard_service.assistant_figures(city.id, step),
        intro=hints.category_intro(catalog.kpis_in(step.category_id),
                                   guidance.reference_year(city.id)),
        failed_save=status == 422)
    return render_template("wizard/step.html", page=page), status


def _display_findings(city_id: int, step, formdata) -> tuple[dict, dict]:
    submitted = wizard_service.input_from_form(step, formdata)
    typed_results = {item_id for item_id, posted in submitted.results.items()
                     if posted["text"].strip()}
    if not any(v["text"].strip() for v in submitted.values.values()) and not any(
            p["year"] for p in submitted.provenance.values()) and not typed_results:
        return {}, {}
    checked = wizard_service.check_step(city_id, step, submitted, _lang())
    typed = {dp_id for dp_id, posted in submitted.values.items() if posted["text"].strip()}
    typed |= {value_service.catalog().result_point(item_id).id for item_id in typed_results}
    shown = {dp_id: found for dp_id, found in checked.findings.items() if dp_id in typed}
    return shown, checked.provenance_findings


@bp.get("/c/<category_id>/<int:index>")
@city_required
def step(category_id: str, index: int):
    step = _step_or_404(category_id, index)
    data = wizard_service.step_formdata(g.city.id, step)
    offered = guidance.offer_previous_provenance(g.city.id, step, data)
    formdata = MultiDict(data)
    findings, prov_findings = _display_findings(g.city.id, step, formdata)
    notice = (_("Source, quality and year are filled in as for the KPI before (“same as "
                "above”). Check them, change what differs, and save.") if offered else None)
    return _render_step(step, formdata, findings=findings, provenance_findings=prov_findings,
                        notice=notice)


@bp.get("/c/<category_id>")
@city_required
def category(category_id: str):
    try:
        wizard_service.steps(category_id)
    except KeyError:
        abort(404)
    if g.member is not None and not g.scope.whole(category_id):
        first = next(s for s in wizard_service.steps(category_id) if g.scope.opens_step(s))
        return redirect(url_for("wizard.step", category_id=category_id, index=first.index))
    state = value_service.category_state(g.city.id, category_id)
    if state is not None and state.status == "complete":
        return redirect(url_for("wizard.review", category_id=category_id))
    return redirect(url_for("wizard.step", category_id=category_id,
                            index=state.current_step if state else 0))


@bp.post("/c/<category_id>/<int:index>")
@city_required
def save(category_id: str, index: int):
    step = _step_or_404(category_id, index)
    city = g.city
    formdata = request.form
    expected = _posted_version()
    if expected is None:
        expected = -1  # garbled: treated as a stale copy (a conflict), never a crash
    submitted = wizard_service.input_from_form(step, formdata)
    if g.member is not None:
        submitted = rendering_team.within_scope(step, submitted)
        team_service.touch(g.member)
    overlong = wizard_service.overlong_values(step, submitted)
    if overlong:
        shown = formdata.copy()
        for dp_id in overlong:
            shown[field_name(dp_id)] = submitted.values[dp_id]["text"]
        return _render_step(step, shown, findings=overlong, status=422, notice=_(
            "Nothing on this page was saved: a figure is longer than its box allows. "
            "Correct it and save again."))
    action = formdata.get("action", "save")
    outcome = wizard_service.save_step(city.id, step, submitted, expected_version=expected,
                                       actor=_actor(), locale=_lang(), action=action)
    if outcome.status == "locked":
        flash(_("This category is marked complete, so nothing was changed. Reopen it to "
                "edit its figures."), "warning")
        return redirect(url_for("wizard.review", category_id=category_id))
    checked = outcome.checked
    if outcome.status == "conflict":
        return _render_step(step, formdata, findings=checked.findings,
                            provenance_findings=checked.provenance_findings,
                            unjustified=checked.unjustified, status=409,
                            conflict=outcome.changes, version=outcome.version)
    refused = _save_uploads(step)
    delete_id = formdata.get("delete_evidence", "")
    if delete_id.isdigit() and _may_touch_evidence(int(delete_id)):
        evidence_service.delete_evidence(city.id, int(delete_id))
    if refused:
        # The figures are saved; the refused file is the one thing to fix, so say so here.
        return _render_step(step, MultiDict(wizard_service.step_formdata(city.id, step)),
                            status=422)
    steps = wizard_service.steps(category_id)
    if action == "back":
        return redirect(url_for("wizard.step", category_id=category_id, index=max(index - 1, 0)))
    if action in ("next", "review") and outcome.blocking:
        notice = (_("Some figures need attention before you go on. What you typed is saved "
                    "as a draft."))
        return _render_step(step, MultiDict(wizard_service.step_formdata(city.id, step)),
                            findings=checked.findings,
                            provenance_findings=checked.provenance_findings,
                            unjustified=checked.unjustified, status=422, notice=notice)
    if action == "next" and index + 1 < len(steps):
        return redirect(url_for("wizard.step", category_id=category_id, index=index + 1))
    if action in ("next", "review"):
        return redirect(url_for("wizard.review", category_id=category_id))
    if action == "upload":
        return redirect(url_for("wizard.step", category_id=category_id, index=index,
                                _anchor="evidence"))
    if action == "save" and request.accept_mimetypes.best == "application/json":
        # wizard.js saves a draft without leaving the page: one round trip on a slow line,
        # not a post, a redirect and the page again. Findings are shown by reloading.
        found = any(checked.findings.values()) or bool(checked.provenance_findings)
        return jsonify(saved=True, version=outcome.version, findings=found,
                       message=_("Saved."))
    flash(_("Saved."), "success")
    return redirect(url_for("wizard.step", category_id=category_id, index=index))


def _may_touch_evidence(file_id: int) -> bool:
    """A colleague deletes only files of their own KPIs; the focal point, any of the city's."""
    if g.member is None:
        return True
    record = evidence_service.get_evidence(g.city.id, file_id)
    return record is not None and g.scope.opens_kpi(record.kpi_code)


def _save_uploads(step) -> int:
    """Store the files attached to a step; returns how many were refused (each flashed)."""
    refused = 0
    for kpi in step.kpis:
        upload = request.files.get(kpi_field_prefix(kpi.code) + "__evidence")
        if upload is None or not upload.filename:
            continue
        try:
            evidence_service.save_evidence(g.city.id, kpi.code, upload.filename, upload.stream,
                                           actor=_actor())
        except evidence_service.EvidenceError as error:
            flash(str(error.text), "error")
            refused += 1
        else:
            flash(_("The file %(name)s was added.", name=upload.filename[:100]), "success")
    return refused


@bp.errorhandler(CSRFError)
def csrf_expired(error):
    """An expired form or session: show the step again with what was typed, never drop it."""
    endpoint = request.endpoint or ""
    args = request.view_args or {}
    member = _member_for_expired_form()
    if request.method == "POST" and endpoint == "wizard.save":
        city = (g.city if member is not None
                else _city_from_session() or _city_from_resume_field())
        try:
            step = wizard_service.get_step(args.get("category_id", ""), args.get("index", -1))
        except KeyError:
            step = None
        if city is not None and step is not None:
            g.city = city
            findings, prov = _display_findings(city.id, step, request.form)
            notice = _("This page had been open for a long time, so for your security nothing "
                       "was saved yet. Your figures are still here: check them and press Save "
                       "again.")
            return _render_step(step, request.form, findings=findings,
                                provenance_findings=prov, notice=notice, status=200,
                                version=_posted_version())
    if member is not None or _city_from_session() is not None:
        # Buttons such as "Mark category complete": nothing typed is lost, so say what
        # happened and go back to the page to press the button again.
        flash(_("This page had expired, so nothing was done. Please try again."), "warning")
        if endpoint in ("wizard.complete", "wizard.reopen") and "category_id" in args:
            return redirect(url_for("wizard.review", category_id=args["category_id"]))
        if endpoint.startswith("wizard.import"):
            return redirect(url_for("wizard.import_workbook"))
        return redirect(url_for("wizard.home"))
    return render_template("wizard/no_session.html", expired=True), 400


def _member_for_expired_form():
    """A colleague whose form expired keeps what they typed, within what is theirs."""
    g.member = None
    if SESSION_MEMBER not in session:
        return None
    member, state = current_member_state()
    if state != "ok":
        return None
    g.member, g.scope = member, team_service.scope_of(member)
    g.city = db.session.get(City, member.city_id)
    if not rendering_team.member_may(request.endpoint, request.view_args or {}):
        g.member = None
        return None
    return member


def _posted_version() -> int | None:
    """The version the form was based on; None when garbled (or beyond any real version)."""
    value = request.form.get("version", "0").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        return None
    return int(value)


@bp.get("/c/<category_id>/<int:index>/preview")
@city_required
def preview(category_id: str, index: int):
    """Live KPI values for the figures being typed (JSON for wizard.js; nothing is saved)."""
    step = _step_or_404(category_id, index)
    submitted = wizard_service.input_from_form(step, request.args)
    values = value_service.get_city_values(g.city.id)
    checked = wizard_service.check_step(g.city.id, step, submitted, _lang())
    for entry in checked.entries:
        if entry.not_available:
            values[entry.data_point_id] = None
        elif entry.valid and entry.value is not None:
            values[entry.data_point_id] = entry.value
        else:
            values.pop(entry.data_point_id, None)
    result = {}
    from intake.services.results import counted_results

    for kpi in step.kpis:
        counted = counted_results(kpi, values)
        result[kpi.code] = [{"id": item.id, "label": item.label.get(_lang()),
                             "unit": item.unit.get(_lang()),
                             "value": format_number(counted[item.id][0]),
                             "reported_directly": counted[item.id][1]}
                            for item in kpi.items]
    return jsonify(result)


# ------------------------------------------------------------------------------ review
@bp.get("/c/<category_id>/review")
@city_required
def review(category_id: str):
    try:
        items = wizard_service.review(g.city.id, category_id)
    except KeyError:
        abort(404)
    return _render_review(category_id, items)


def _render_review(category_id, items, status=200, open_kpis=None):
    category = value_service.catalog().category(category_id)
    return render_template("wizard/review.html", city=g.city, category=category, items=items,
                           lang=_lang(), status=value_service.category_status(
                               g.city.id, category_id),
                           steps=wizard_service.steps(category_id), open_kpis=open_kpis,
                           tiers=dict(QUALITY_TIERS), form=FlaskForm(),
                           frozen=value_service.is_frozen(g.city.id)), status


@bp.post("/c/<category_id>/complete")
@city_required
def complete(category_id: str):
    try:
        open_kpis = wizard_service.complete_category(g.city.id, category_id, actor=_actor())
    except KeyError:
        abort(404)
    if open_kpis:
        return _render_review(category_id, wizard_service.review(g.city.id, category_id),
                              status=422, open_kpis=open_kpis)
    flash(_("The category is marked complete and handed over for scoring."), "success")
    return redirect(url_for("wizard.review", category_id=category_id))


@bp.post("/c/<category_id>/reopen")
@city_required
def reopen(category_id: str):
    try:
        value_service.reopen_category(g.city.id, category_id, actor=_actor())
    except KeyError:
        abort(404)
    flash(_("The category is open again for changes."), "success")
    return redirect(url_for("wizard.review", category_id=category_id))


# ------------------------------------------------------------------------------ evidence
@bp.get("/evidence/<int:file_id>")
@city_required
def evidence(file_id: int):
    record = evidence_service.get_evidence(g.city.id, file_id)
    if record is not None and g.member is not None and not g.scope.opens_kpi(record.kpi_code):
        record = None
    if record is None or not evidence_service.evidence_path(record).is_file():
        abort(404)
    return send_file(evidence_service.evidence_path(record), mimetype=record.content_type,
                     as_attachment=True, download_name=record.original_name)


# ------------------------------------------------------------------------------ workbooks
def _download(content, mimetype: str, extension: str) -> Response:
    name = f"u4ssc-{g.city.id}-data.{extension}"
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/export.xlsx")
@city_required
def export_xlsx():
    # Sheets and column headers in the city's language: the colleagues it circulates
    # among read that one, whoever downloads it.
    city_lang = normalise_language(g.city.locale) or _lang()
    return _download(workbook_service.export_xlsx(g.city.id, city_lang),
                     evidence_service.KINDS["xlsx"][0], "xlsx")


@bp.get("/export.csv")
@city_required
def export_csv():
    return _download(workbook_service.export_csv(g.city.id, _lang()), "text/csv", "csv")


@bp.get("/export.json")
@city_required
def export_json():
    return _download(workbook_service.export_json(g.city.id, _lang()), "application/json",
                     "json")


@bp.route("/import", methods=["GET", "POST"])
@city_required
def import_workbook():
    form = FlaskForm()
    if request.method == "GET":
        return render_template("wizard/import.html", city=g.city, form=form, plan=None)
    upload = request.files.get("workbook")
    if upload is None or not upload.filename:
        return render_template("wizard/import.html", city=g.city, form=form, plan=None,
                               error=_("Choose the workbook to upload.")), 400
    data = upload.stream.read(workbook_service.MAX_IMPORT_BYTES + 1)
    try:
        plan = workbook_service.plan_import(g.city.id, data, locale=_lang())
    except workbook_service.WorkbookError as error:
        return render_template("wizard/import.html", city=g.city, form=form, plan=None,
                               error=str(error.text)), 400
    ticket = workbook_service.keep_pending(g.city.id, data) if plan.changes else None
    return render_template("wizard/import.html", city=g.city, form=form, plan=plan,
                           ticket=ticket, lang=_lang())


@bp.post("/import/cancel")
@city_required
def import_cancel():
    workbook_service.drop_pending(g.city.id, request.form.get("ticket", ""))
    return redirect(url_for("wizard.import_workbook"))


@bp.post("/import/apply")
@city_required
def import_apply():
    ticket = request.form.get("ticket", "")
    data = workbook_service.load_pending(g.city.id, ticket)
    if data is None:
        flash(_("That upload is no longer available. Upload the workbook again."), "error")
        return redirect(url_for("wizard.import_workbook"))
    plan = workbook_service.apply_import(g.city.id, data, actor=_actor(), locale=_lang())
    workbook_service.drop_pending(g.city.id, ticket)
    flash(ngettext("%(num)s value was updated from the workbook.",
                   "%(num)s values were updated from the workbook.", len(plan.changes)),
          "success")
    return redirect(url_for("wizard.home"))
