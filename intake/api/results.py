"""/api/v1/cities/<id>/results/<item_id> and /categories/<id>/complete: results a city
reports directly, and marking a category complete.

Writes follow the values' rules: the ETag read last in If-Match (428 without, 412 when
stale), the same checks as the wizard and the import (422 lists every finding), an audit row
per change (actor "api:<e-mail>") and scoring queued again. Item ids hold ':', '#' and
spaces: send them percent-encoded (`EC%3A%20ICT%3A%20ICT%3A%204C%23cov_3g`).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_smorest import abort
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from forms.rules import ERROR, WARNING, message
from intake.api import bp
from intake.api.auth import CITY_ID, api_user, city_or_abort, token_required
from intake.api.values import (
    MAX_REASON,
    ORIGIN_METADATA,
    VALUE_METADATA,
    DataValueField,
    origin_or_422,
)
from intake.extensions import db
from intake.models.values import DataValue
from intake.services import results as result_service
from intake.services.values import catalog
from intake.services.wizard import review as wizard_review
from intake.wizard.helpers import render_message

TAGS = ["results"]


class ResultSchema(Schema):
    """One scored item of one city: the value that counts and where it comes from."""

    class Meta:
        unknown = RAISE

    item_id = fields.String(dump_only=True)
    kpi_code = fields.String(dump_only=True)
    value = DataValueField(required=True, allow_none=True, metadata={
        **VALUE_METADATA,
        "description": "The result that counts: reported directly when `reported_directly`, "
                       "else computed from the raw inputs. Write a number, true/false for "
                       "yes/no items, or null: the result is not available."})
    reason = fields.String(load_only=True, allow_none=True,
                           validate=validate.Length(max=MAX_REASON),
                           metadata={"description": "Why it changed (kept in the audit); "
                                                    "also the justification a warning needs."})
    origin = fields.String(allow_none=True, metadata=ORIGIN_METADATA)
    reported_directly = fields.Boolean(dump_only=True)
    computed_value = fields.Raw(dump_only=True, allow_none=True, metadata={
        "description": "What the raw inputs give (null when some are missing)."})
    unit = fields.String(dump_only=True)
    version = fields.Integer(dump_only=True)
    warnings = fields.List(fields.String(), dump_only=True, metadata={
        "description": "Warnings the value was stored with (after a write only)."})


class CompleteRequestSchema(Schema):
    """Nothing to send: the body may be empty or `{}`."""

    class Meta:
        unknown = RAISE


class CategoryCompleteSchema(Schema):
    city_id = fields.Integer(dump_only=True)
    category_id = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    scoring_queued = fields.Boolean(dump_only=True)


def _item_or_404(item_id: str):
    try:
        return result_service.item_or_key_error(item_id)
    except KeyError:
        abort(404, message=str(_l("There is no scored item with this id.")))


@bp.get(f"/cities/{CITY_ID}/results/<item_id>", tags=TAGS)
@token_required()
@bp.etag
@bp.response(200, ResultSchema)
@bp.alt_response(404, response="NOT_FOUND")
def show_result(city_id: int, item_id: str):
    """One scored item's result; its ETag is what a write sends back in If-Match"""
    city = city_or_abort(city_id)
    data = result_service.result_data(city.id, _item_or_404(item_id).id)
    # Set explicitly, from the data a write checks: flask-smorest keeps the ETag on the app
    # context, so one set by an earlier write in the same context is never answered here.
    bp.set_etag(data, ResultSchema)
    return data


@bp.put(f"/cities/{CITY_ID}/results/<item_id>", tags=TAGS)
@token_required()
@bp.etag
@bp.arguments(ResultSchema)
@bp.response(200, ResultSchema)
@bp.alt_response(404, response="NOT_FOUND")
def write_result(payload: dict, city_id: int, item_id: str):
    """Report a result directly (If-Match: the ETag read last)

    Send `{"value": 87.5, "reason": "…", "origin": "statistics_office"}`; `null` marks the
    result not available. It counts over what the raw inputs give. A value with a warning
    (outside the usual range …) needs a `reason`, which is kept as its justification.
    """
    city = city_or_abort(city_id)
    item = _item_or_404(item_id)
    # Lock the row (PostgreSQL) so two writers holding the same ETag cannot both pass.
    db.session.execute(select(DataValue).where(
        DataValue.city_id == city.id, DataValue.data_point_id == item.result_key,
    ).with_for_update().execution_options(populate_existing=True))
    bp.check_etag(result_service.result_data(city.id, item.id), ResultSchema)
    value = payload["value"]
    reason = (payload.get("reason") or "").strip() or None
    origin = origin_or_422(payload)
    findings = result_service.check_result(city.id, item.id, value)
    refused = [m for m in findings if m.tier == ERROR]
    warned = [m for m in findings if m.tier == WARNING]
    if warned and not refused and reason is None:
        refused = [*warned, message("justification_needed", item.result_key)]
    if refused:
        db.session.rollback()
        abort(422, errors={"value": [render_message(m) for m in refused]})
    try:
        result_service.set_result(city.id, item.id, value, actor=f"api:{api_user().email}",
                                  reason=reason, justification=reason if warned else None,
                                  **origin)
    except IntegrityError:
        db.session.rollback()
        abort(412)
    data = result_service.result_data(city.id, item.id)
    # The ETag is the one a GET gives (without the write's warnings), good for the next write.
    bp.set_etag(data, ResultSchema)
    return {**data, "warnings": [render_message(m) for m in warned]}


@bp.post(f"/cities/{CITY_ID}/categories/<category_id>/complete", tags=TAGS)
@token_required()
@bp.arguments(CompleteRequestSchema, required=False)
@bp.response(200, CategoryCompleteSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def complete_category(_payload: dict, city_id: int, category_id: str):
    """Mark a category complete and queue its scoring, as the wizard's button does

    422 lists the KPIs still open (a figure missing, not valid, or a warning unexplained).
    """
    city = city_or_abort(city_id)
    try:
        catalog().category(category_id)
    except KeyError:
        abort(404, message=str(_l("There is no category with this id.")))
    open_kpis = wizard_review.complete_category(city.id, category_id,
                                                 actor=f"api:{api_user().email}")
    if open_kpis:
        abort(422, errors={kpi_review.kpi.code: _open_reasons(kpi_review)
                           for kpi_review in open_kpis})
    from intake.models import JobRecord
    from intake.services.scoring import current_payload, job_key

    # The completion signal queued the job (or found this exact input queued already).
    queued = db.session.execute(select(JobRecord.id).where(
        JobRecord.key == job_key(current_payload(city.id, category_id)))).first() is not None
    return {"city_id": city.id, "category_id": category_id, "status": "complete",
            "scoring_queued": queued}


def _open_reasons(kpi_review) -> list[str]:
    reasons = [str(_l("Missing: %(label)s", label=dp.label.get("en")))
               for dp in kpi_review.missing]
    reasons += [str(_l("Needs correcting: %(label)s", label=dp.label.get("en")))
                for dp in kpi_review.invalid]
    reasons += [str(_l("A warning needs a justification: %(label)s", label=dp.label.get("en")))
                for dp in kpi_review.unjustified]
    return reasons
