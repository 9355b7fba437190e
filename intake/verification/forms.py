"""Forms of the verification pages (CSRF through Flask-WTF)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from intake.services.verification import MAX_NOTE, MAX_TEXT


class MarkForm(FlaskForm):
    status = RadioField(_l("Verified?"),
                        choices=[SelectChoice("verified", _l("Yes, verified")),
                                 SelectChoice("not_verified", _l("No, not verified"))],
                        validators=[DataRequired(_l("Choose whether the KPI is verified."))])
    note = TextAreaField(_l("Note"), validators=[Length(max=MAX_NOTE)])


class QuestionForm(FlaskForm):
    target = HiddenField(validators=[DataRequired()])
    text = TextAreaField(_l("Question"), validators=[
        DataRequired(_l("Write the question for the city.")), Length(max=MAX_TEXT)])


class ReplyForm(FlaskForm):
    text = TextAreaField(_l("Reply"), validators=[
        DataRequired(_l("Write the question for the city.")), Length(max=MAX_TEXT)])


class ConfirmForm(FlaskForm):
    """Only the CSRF token (close a question)."""


class DataPointCheckForm(FlaskForm):
    """YES or NO on one figure; the button pressed carries the answer."""
    status = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("What is wrong (needed for NO)"), validators=[Length(max=MAX_NOTE)])
