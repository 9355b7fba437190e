"""Forms for milestones and the case study (CSRF through Flask-WTF)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from intake.models.programme import CaseStudyStatus


class MilestoneForm(FlaskForm):
    status = SelectField(_l("What happened"), choices=[SelectChoice("done", _l("Done")),
                                                       SelectChoice("skipped", _l("Skipped"))],
                         default="done")
    occurred_on = DateField(_l("Date"), validators=[Optional()])
    amount = StringField(_l("Amount"), validators=[Optional(), Length(max=40)])
    # Checked by the service, and only for the fee steps (the other forms have no currency).
    currency = SelectField(_l("Currency"), choices=[SelectChoice("CHF", "CHF"),
                                                      SelectChoice("USD", "USD")],
                           validate_choice=False)
    reference = StringField(_l("Invoice number"), validators=[Optional(), Length(max=40)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class ClearForm(FlaskForm):
    """Only the CSRF token (take a milestone back)."""


class CaseStudyForm(FlaskForm):
    writer_name = StringField(_l("Writer"), validators=[DataRequired(), Length(max=200)])
    writer_email = EmailField(_l("Writer's e-mail"),
                              validators=[Optional(), Length(max=254)])
    status = SelectField(_l("State"), choices=[SelectChoice(s.value, s.value)
                                               for s in CaseStudyStatus])
    due_on = DateField(_l("Due"), validators=[Optional()])
    link = StringField(_l("Link to the published case study"),
                       validators=[Optional(), Length(max=500)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
