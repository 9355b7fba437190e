"""/api/v1/cities/<id>/values: read a city's values and provenance; write one value.

A write needs the value's ETag in If-Match: without it 428, with an old one 412 and nothing
is written. Writes go through the same service as the wizard, so they are audited (actor
"api:<e-mail>") and the categories using the value are scored again.
"""

from __future__ import annotations

import math

from flask_babel import lazy_gettext as _l
from flask_smorest import abort
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from forms.origins import read_origin
from forms.rules import ERROR, WARNING, check_value, message
from intake.api import bp
from intake.api.auth import CITY_ID, api_user, city_or_abort, token_required
from intake.api.fields import UtcDateTime
from intake.extensions import db
from intake.models.user import UserRole
from intake.models.values import DataValue
from intake.services import values as value_service
from intake.services.origins import unknown_message as unknown_origin_message
from intake.services.values import catalog, set_city_values
from intake.wizard.helpers import render_message

TAGS = ["values"]
MAX_REASON = 2000


class DataValueField(fields.Field):
    """A number, true/false, or null for "not available"."""

    default_error_messages = {
        "invalid": _l("The value must be a number, true or false, or null (not available)."),
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            try:
                number = float(value)
            except OverflowError:
                raise self.make_error("invalid") from None
            if math.isfinite(number):
                return value
        raise self.make_error("invalid")

    def _serialize(self, value, attr, obj, **kwargs):
        return value


VALUE_METADATA = {
    "description": "The value: a number, true/false for yes/no data points, or null when "
                   "the city marked it not available (or nothing is stored).",
    "oneOf": [{"type": "number"}, {"type": "boolean"}],
    "nullable": True,
}


ORIGIN_METADATA = {
    "description": "Who produced the figure: a code of the configured data origins "
                   "(`city`, `statistics_office`, `other_organisation` by default), or null "
                   "when not said. Left out of a write, the stored origin is kept; an "
                   "unknown code is refused (422).",
}


def origin_or_422(payload: dict) -> dict:
    """{data origin} to store from a write: empty when the write does not name one."""
    if "origin" not in payload:
        return {}
    code, known = read_origin(payload["origin"])
    if not known:
        db.session.rollback()
        abort(422, errors={"origin": [unknown_origin_message(payload["origin"])]})
    return {"origin": code}


class ValueSchema(Schema):
    """One data point of one city; only `value` (and a `reason`) can be written."""

    class Meta:
        unknown = RAISE

    city_id = fields.Integer(dump_only=True)
    data_point_id = fields.String(dump_only=True)
    kpi_codes = fields.List(fields.String(), dump_only=True)
    type = fields.String(dump_only=True)
    value = DataValueField(required=True, allow_none=True, metadata=VALUE_METADATA)
    reason = fields.String(load_only=True, allow_none=True,
                           validate=validate.Length(max=MAX_REASON),
                           metadata={"description": "Why it changed (kept in the audit)."})
    origin = fields.String(allow_none=True, metadata=ORIGIN_METADATA)
    raw_text = fields.String(dump_only=True, metadata={"description": "As typed."})
    not_available = fields.Boolean(dump_only=True)
    valid = fields.Boolean(dump_only=True)
    stored = fields.Boolean(dump_only=True)
    version = fields.Integer(dump_only=True)
    updated_by = fields.String(dump_only=True, allow_none=True)
    updated_at = UtcDateTime(dump_only=True, allow_none=True)
    warnings = fields.List(fields.String(), dump_only=True, metadata={
        "description": "Warnings the value was stored with (after a write only); a write "
                       "that raises one needs a `reason`, kept as its justification."})


class ProvenanceSchema(Schema):
    class Meta:
        unknown = RAISE

    kpi_code = fields.String(dump_only=True)
    quality_tier = fields.String(dump_only=True, allow_none=True)
    source = fields.String(dump_only=True, allow_none=True)
    reference_year = fields.Integer(dump_only=True, allow_none=True)
    updated_at = UtcDateTime(dump_only=True, allow_none=True)


class CityValuesSchema(Schema):
    class Meta:
        unknown = RAISE

    city_id = fields.Integer(dump_only=True)
    catalog_version = fields.String(dump_only=True)
    values = fields.List(fields.Nested(ValueSchema), dump_only=True)
    provenance = fields.List(fields.Nested(ProvenanceSchema), dump_only=True)


def _kpi_codes() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for kpi in catalog().kpis:
        for dp in kpi.data_points:
            found.setdefault(dp.id, []).append(kpi.code)
    return found


def _data_point_or_404(data_point_id: str):
    try:
        return catalog().data_point(data_point_id)
    except KeyError:
        abort(404, message=str(_l("There is no data point with this id.")))


def value_data(city_id: int, dp, row=None, kpi_codes: list[str] | None = None) -> dict:
    if row is None:
        row = value_service.value_rows(city_id, [dp.id]).get(dp.id)
    if kpi_codes is None:
        kpi_codes = _kpi_codes().get(dp.id, [])
    return {
        "city_id": city_id, "data_point_id": dp.id, "kpi_codes": kpi_codes, "type": dp.type,
        "value": row.value if row is not None else None,
        "origin": row.origin if row is not None else None,
        "raw_text": row.raw_text if row is not None else "",
        "not_available": bool(row.not_available) if row is not None else False,
        "valid": bool(row.valid) if row is not None else False,
        "stored": row is not None,
        "version": row.version if row is not None else 0,
        "updated_by": row.updated_by if row is not None else None,
        "updated_at": row.updated_at if row is not None else None,
    }


def value_findings(city_id: int, dp, value) -> tuple[list[str], list]:
    """(why this value cannot be stored, the warnings it would be stored with): the same
    checks as the wizard and the import."""
    if value is None:
        return [], []
    if dp.type == "boolean":
        if not isinstance(value, bool):
            return [str(_l("This data point is answered yes or no: send true or false."))], []
        return [], []
    if isinstance(value, bool):
        return [str(_l("This data point is a number: send a number, not true or false."))], []
    from intake.services.wizard.checks import rule_context
    from intake.wizard.helpers import render_message

    context = rule_context(city_id, "en")
    found = check_value(dp, value, context)
    if not any(item.tier == ERROR for item in found):
        from intake.services.wizard.checks import across_findings

        found += across_findings([dp.id], {**context.values, dp.id: value},
                                 context.labels).get(dp.id, [])
    return ([render_message(item) for item in found if item.tier == ERROR],
            [item for item in found if item.tier == WARNING])


def value_problems(city_id: int, dp, value) -> list[str]:
    """Why this value cannot be stored for this data point (empty when it can)."""
    return value_findings(city_id, dp, value)[0]


@bp.get(f"/cities/{CITY_ID}/values", tags=TAGS)
@token_required()
@bp.etag
@bp.response(200, CityValuesSchema)
def list_values(city_id: int):
    """Every stored value of a city, and where each KPI's figures come from"""
    city = city_or_abort(city_id)
    rows = value_service.value_rows(city.id)
    codes = _kpi_codes()
    book = catalog()
    values = []
    for dp_id in sorted(rows):
        try:
            dp = book.data_point(dp_id)
        except KeyError:
            continue  # a data point dropped from the catalog since it was stored
        values.append(value_data(city.id, dp, rows[dp_id], codes.get(dp_id, [])))
    provenance = value_service.provenance_rows(city.id)
    return {"city_id": city.id, "catalog_version": book.version, "values": values,
            "provenance": [
                {"kpi_code": code, "quality_tier": row.quality_tier, "source": row.source,
                 "reference_year": row.reference_year, "updated_at": row.updated_at}
                for code, row in sorted(provenance.items())]}


@bp.get(f"/cities/{CITY_ID}/values/<data_point_id>", tags=TAGS)
@token_required()
@bp.etag
@bp.response(200, ValueSchema)
def show_value(city_id: int, data_point_id: str):
    """One data point's value; its ETag is what a write sends back in If-Match"""
    city = city_or_abort(city_id)
    data = value_data(city.id, _data_point_or_404(data_point_id))
    # Set explicitly, from the data a write checks: flask-smorest keeps the ETag on the app
    # context, so one set by an earlier write in the same context is never answered here.
    bp.set_etag(data, ValueSchema)
    return data


@bp.route(f"/cities/{CITY_ID}/values/<data_point_id>", methods=["PUT", "PATCH"],
          tags=TAGS)
@token_required(UserRole.SECRETARIAT)
@bp.alt_response(409, response="CONFLICT")
@bp.etag
@bp.arguments(ValueSchema)
@bp.response(200, ValueSchema)
def write_value(payload: dict, city_id: int, data_point_id: str):
    """Set one data point's value (If-Match: the ETag read last)

    Send `{"value": 12.5, "reason": "…", "origin": "city"}`; `null` marks it not
    available. PUT and PATCH do the same: `value` and its `origin` are what can be written.
    The change is audited and the categories using the value are scored again. Secretariat
    tokens only: verifiers check figures and never write them. A verified (or published)
    city's figures are frozen: 409 until the secretariat reopens verification.
    """
    city = city_or_abort(city_id)
    value_service.ensure_editable(city.id)
    dp = _data_point_or_404(data_point_id)
    # Lock the row (PostgreSQL) so two writers holding the same ETag cannot both pass the
    # check; a row created meanwhile by another writer shows up as a conflict below.
    db.session.execute(select(DataValue).where(
        DataValue.city_id == city.id, DataValue.data_point_id == dp.id,
    ).with_for_update().execution_options(populate_existing=True))
    bp.check_etag(value_data(city.id, dp), ValueSchema)
    value = payload["value"]
    reason = (payload.get("reason") or "").strip() or None
    origin = origin_or_422(payload)
    problems, warned = value_findings(city.id, dp, value)
    if warned and not problems and reason is None:
        # As in the wizard: a warning is passed only with a word of explanation.
        problems = [render_message(m) for m in
                    [*warned, message("justification_needed", dp.id)]]
    if problems:
        db.session.rollback()
        abort(422, errors={"value": problems})
    try:
        set_city_values(city.id, {dp.id: value}, actor=f"api:{api_user().email}",
                        reason=reason, warnings={
                            dp.id: ([m.as_dict() for m in warned], reason if warned else None)},
                        origins={dp.id: origin["origin"]} if origin else None)
    except IntegrityError:
        db.session.rollback()
        abort(412)
    data = value_data(city.id, dp)
    bp.set_etag(data, ValueSchema)  # as a GET gives it: without the write's warnings
    return {**data, "warnings": [render_message(m) for m in warned]}
