"""Forms of the local-KPI pages (CSRF through Flask-WTF; the service checks the values)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from forms.builder import QUALITY_TIERS
from intake.models.local_kpi import (
    MAX_DESCRIPTION,
    MAX_FORMULA,
    MAX_INPUT_LABEL,
    MAX_NAME,
    MAX_REASON,
    MAX_SOURCE,
    MAX_UNIT,
)
from scoring.bands import HIGHER_IS_BETTER, LOWER_IS_BETTER
from scoring.local_kpis import DIRECT, MULTIPLIERS, RATIO

KIND_LABELS = {
    # i18n: how a local KPI's value is obtained
    RATIO: _l("Computed: numerator ÷ denominator × multiplier"),
    DIRECT: _l("Entered directly as one figure"),
}
DIRECTION_LABELS = {
    HIGHER_IS_BETTER: _l("Higher is better"),
    LOWER_IS_BETTER: _l("Lower is better"),
}


def _limit(limit: int) -> dict:
    # The browser stops the typing; the service refuses anything longer that gets through.
    return {"maxlength": limit}


class ProposeForm(FlaskForm):
    name = StringField(_l("Name of the indicator"), render_kw=_limit(MAX_NAME))
    description = TextAreaField(_l("What it measures and why it matters to the city"),
                                render_kw=_limit(MAX_DESCRIPTION))
    category_id = SelectField(_l("Category it sits beside (optional)"), validate_choice=False)
    unit = StringField(_l("Unit"), render_kw=_limit(MAX_UNIT))
    formula = StringField(_l("Formula, in words"), render_kw=_limit(MAX_FORMULA))
    kind = SelectField(_l("How the value is obtained"), validate_choice=False,
                       choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()])
    numerator_label = StringField(_l("Numerator (what is counted)"),
                                  render_kw=_limit(MAX_INPUT_LABEL))
    denominator_label = StringField(_l("Denominator (what it is divided by)"),
                                    render_kw=_limit(MAX_INPUT_LABEL))
    multiplier = SelectField(_l("Multiplier"), validate_choice=False,
                             choices=[SelectChoice(str(m), f"× {m:,}".replace(",", "\u202f"))
                                      for m in MULTIPLIERS])
    direction = SelectField(_l("Which way is better"), validate_choice=False,
                            choices=[SelectChoice(k, v) for k, v in DIRECTION_LABELS.items()])
    target = StringField(_l("Benchmark target"), render_kw={"inputmode": "decimal",
                                                            "maxlength": 40})
    target_source = StringField(_l("Source of the target"), render_kw=_limit(MAX_SOURCE))


class ValueForm(FlaskForm):
    reference_year = StringField(_l("Reference year"), render_kw={"inputmode": "numeric",
                                                                  "maxlength": 4})
    numerator = StringField(_l("Numerator"), render_kw={"inputmode": "decimal",
                                                        "maxlength": 40})
    denominator = StringField(_l("Denominator"), render_kw={"inputmode": "decimal",
                                                            "maxlength": 40})
    direct = StringField(_l("Value"), render_kw={"inputmode": "decimal", "maxlength": 40})
    source = StringField(_l("Source of the figures"), render_kw=_limit(MAX_SOURCE))
    quality_tier = SelectField(_l("Quality of the figures"), validate_choice=False,
                               choices=[SelectChoice("", "—"),
                                        *[SelectChoice(k, _l(v)) for k, v in QUALITY_TIERS]])


class DecisionForm(FlaskForm):
    decision = HiddenField()
    reason = TextAreaField(_l("Reason (required to reject; the city sees it)"),
                           render_kw=_limit(MAX_REASON))


class VerifyForm(FlaskForm):
    status = HiddenField()
    note = TextAreaField(_l("What is wrong (needed for NO)"), render_kw=_limit(MAX_REASON))


class ConfirmForm(FlaskForm):
    """Only the CSRF token (withdraw a proposal)."""
