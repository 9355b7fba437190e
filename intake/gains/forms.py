"""Forms of the gains pages (CSRF through Flask-WTF); the services check every rule again."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from intake.services.improvement import (
    DESCRIPTION_MAX,
    LINK_MAX,
    RECOMMENDATION_MAX,
    TITLE_MAX,
    valid_link,
)

STATUS_LABELS = {"planned": _l("Planned"), "ongoing": _l("Ongoing"),
                 "completed": _l("Completed")}


def _http_link(form, field) -> None:
    if field.data and not valid_link(field.data.strip()):
        raise ValidationError(_l("The link must be a web address starting with http:// or "
                                 "https://."))


class InitiativeForm(FlaskForm):
    category_id = SelectField(_l("Category"), validators=[DataRequired(
        message=_l("Choose one of the categories."))], validate_choice=True)
    title = StringField(_l("Title"), validators=[
        DataRequired(message=_l("Give the initiative a title.")),
        Length(max=TITLE_MAX, message=_l("At most %(max)d characters."))])
    description = TextAreaField(_l("Short description"), validators=[
        Optional(), Length(max=DESCRIPTION_MAX, message=_l("At most %(max)d characters."))])
    status = SelectField(_l("Status"), choices=[SelectChoice(value, label) for value, label
                                                in STATUS_LABELS.items()],
                         validators=[DataRequired()], validate_choice=True)
    link = StringField(_l("Link (optional)"), validators=[
        Optional(), Length(max=LINK_MAX, message=_l("At most %(max)d characters.")),
        _http_link])


class ConfirmForm(FlaskForm):
    """Only the CSRF token (delete, revoke, generate, publish)."""


class ConsentForm(FlaskForm):
    include_initiatives = BooleanField(_l("Also show our initiatives on the public page"))
    agree = BooleanField(_l("We agree that our verified results are published on the U4SSC "
                            "portal."), validators=[InputRequired(
                                message=_l("Tick the box to agree."))])


class NewYearForm(FlaskForm):
    year = IntegerField(_l("New reference year"), validators=[
        InputRequired(message=_l("Enter a year, for example 2026.")),
        NumberRange(min=2000, max=2100, message=_l("Enter a year between 2000 and 2100."))])
    carry_evidence = BooleanField(_l("Keep our evidence files for the new year"))
    confirm = BooleanField(_l("Start the new year: the categories open again, with last "
                              "year's figures shown beside each field"),
                           validators=[InputRequired(message=_l("Tick the box to confirm."))])


class RecommendationForm(FlaskForm):
    recommendation_id = HiddenField()
    category_id = SelectField(_l("Category"), validators=[DataRequired(
        message=_l("Choose one of the categories."))], validate_choice=True)
    text = TextAreaField(_l("Recommendation"), validators=[
        DataRequired(message=_l("Write the recommendation.")),
        Length(max=RECOMMENDATION_MAX, message=_l("At most %(max)d characters."))])


class UnpublishForm(FlaskForm):
    note = TextAreaField(_l("Why is the city taken off the public pages?"), validators=[
        DataRequired(message=_l("Say why; the focal point receives the note.")),
        Length(max=4000)])
