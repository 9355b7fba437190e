"""The workspace home, the signed letter upload and the resume link by e-mail."""

from __future__ import annotations

import time

from flask import (
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import Length, Optional, Regexp

from intake.i18n import current_language
from intake.services import evidence as evidence_service
from intake.services import signed_letters
from intake.services import team as team_service
from intake.services.links import (
    LinkError,
    city_from_token,
    mail_base_url,
    snapshot_url,
    workspace_url,
)
from intake.services.mail import send_mail
from intake.services.onboarding import focal_point_recipient, same_address
from intake.services.wizard import progress as wizard_progress
from intake.wizard import bp
from intake.wizard import team_access as rendering_team
from intake.wizard.access import (
    city_required,
    remember,
)
from intake.wizard.helpers import format_number, render_message


@bp.app_template_filter("finding")
def _finding_filter(found) -> str:
    return render_message(found)


@bp.app_template_filter("kpi_number")
def _number_filter(value, exact: bool = False) -> str:
    return format_number(value, exact)


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
    remember(city)
    return redirect(url_for("wizard.home"))


def _link_error(reason: str):
    return render_template("wizard/link_error.html", reason=reason), 404


@bp.get("/")
@city_required
def home():
    if g.member is not None:
        return rendering_team.member_home()
    overview = wizard_progress.workspace(g.city.id)
    form = ResumeLinkForm(email=g.city.focal_point_email)
    return render_template("wizard/workspace.html", city=g.city, overview=overview,
                           form=form, lang=current_language(), progress_text=_progress_text,
                           scores=wizard_progress.workspace_scores(g.city.id, current_language()),
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
