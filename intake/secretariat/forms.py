"""Forms of the staff pages (CSRF through Flask-WTF)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from intake.models.city import ProgrammeStage


class MoveForm(FlaskForm):
    # The step shown on the page when it was opened: a move made meanwhile by someone else
    # is reported instead of silently skipping a step.
    expected_stage = HiddenField(validators=[DataRequired()])
    to_stage = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Length(max=4000)])


def stage_choices() -> list[str]:
    return [stage.value for stage in ProgrammeStage]


class ReopenVerificationForm(FlaskForm):
    reason = TextAreaField(_l("Why verification is reopened"),
                           validators=[DataRequired(), Length(max=4000)])


class TokenForm(FlaskForm):
    name = StringField(_l("What the token is for"), validators=[DataRequired(), Length(max=200)])


class AssignForm(FlaskForm):
    verifier = SelectField(_l("Verifier"), coerce=int, validators=[DataRequired()],
                           validate_choice=True)


class ConfirmForm(FlaskForm):
    """Only the CSRF token (remove an assignment)."""


class BulkForm(FlaskForm):
    """An action on the cities ticked in the list (the ids come as repeated city_ids).

    The action and step are checked by the pipeline service, which says what is wrong.
    """

    action = StringField(_l("Action"), validators=[DataRequired(), Length(max=20)])
    to_stage = StringField(_l("Step"), validators=[Optional(), Length(max=40)])
    verifier = IntegerField(_l("Verifier"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Length(max=4000)])
