"""Local KPIs: a city proposes its own indicators, the secretariat decides, the city enters
figures per reference year; they are scored apart from the 91 and never compared with peers.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from forms.builder import QUALITY_TIER_IDS
from forms.rules import EARLIEST_YEAR
from intake.extensions import db
from intake.models._types import utcnow
from intake.models.audit import AuditEvent
from intake.models.local_kpi import (
    MAX_DESCRIPTION,
    MAX_FORMULA,
    MAX_INPUT_LABEL,
    MAX_NAME,
    MAX_REASON,
    MAX_SOURCE,
    MAX_UNIT,
    LocalKpi,
    LocalKpiStatus,
    LocalKpiValue,
)
from intake.models.values import ValueAudit
from intake.services import values as value_service
from scoring.bands import HIGHER_IS_BETTER, LOWER_IS_BETTER
from scoring.local_kpis import DIRECT, KINDS, MULTIPLIERS, RATIO, compute_value, score

# A city's own indicators stay a handful beside the 91 (rejected proposals do not count).
MAX_PER_CITY = 20
# Figures beyond this are typing errors, not city statistics (and stay exact in a float).
MAX_MAGNITUDE = 1e15
VERIFICATIONS = ("yes", "no")

Status = LocalKpiStatus


class LocalKpiError(ValueError):
    """A refused local-KPI action; `errors` maps a field name to a message for the user."""

    def __init__(self, errors: Mapping[str, str] | str) -> None:
        self.errors = dict(errors) if isinstance(errors, Mapping) else {"": errors}
        super().__init__("; ".join(self.errors.values()))


# ------------------------------------------------------------------------------ parsing
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009'’_]")


def parse_figure(text: object) -> float | None:
    """A finite number from what was typed ("1 234,5", "1,234.5", "٣٫٥"); None when empty.

    Raises ValueError for text that is not a number, for NaN and infinity.
    """
    if text is None:
        return None
    if isinstance(text, bool):
        raise ValueError(text)
    if isinstance(text, int | float):
        result = float(text)
    else:
        raw = unicodedata.normalize("NFKC", str(text)).strip()
        if not raw:
            return None
        raw = raw.replace("\u066b", ".").replace("\u066c", ",").replace("\u2212", "-")
        raw = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in raw)
        raw = _SPACES.sub("", raw)
        if not re.fullmatch(r"[+-]?[\d.,]*\d[\d.,]*(?:[eE][+-]?\d+)?", raw):
            raise ValueError(text)
        dots, commas = raw.count("."), raw.count(",")
        if dots and commas:
            mark = "." if raw.rfind(".") > raw.rfind(",") else ","
            other = "," if mark == "." else "."
            raw = raw.replace(other, "").replace(mark, ".")
        elif commas == 1:
            raw = raw.replace(",", ".")
        elif commas > 1 or dots > 1:
            raw = raw.replace(",", "").replace(".", "")  # grouping only: "1.234.567"
        try:
            result = float(Decimal(raw))
        except (InvalidOperation, OverflowError) as error:
            raise ValueError(text) from error
    if not math.isfinite(result) or abs(result) > MAX_MAGNITUDE:
        raise ValueError(text)
    return result


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    return " ".join(str(value).split()) if name != "description" else str(value).strip()


def _required(errors: dict, data: Mapping, name: str, limit: int) -> str:
    value = _text(data, name)
    if not value:
        errors[name] = _("This field is required.")
    elif len(value) > limit:
        errors[name] = _("Keep this to %(limit)s characters at most.", limit=limit)
    return value


def _optional(errors: dict, data: Mapping, name: str, limit: int) -> str:
    value = _text(data, name)
    if len(value) > limit:
        errors[name] = _("Keep this to %(limit)s characters at most.", limit=limit)
    return value


def category_ids() -> list[str]:
    return [category.id for category in value_service.catalog().categories]


def _definition(data: Mapping[str, Any]) -> dict[str, Any]:
    """The checked definition of a proposal; LocalKpiError names every field that is wrong."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {
        "name": _required(errors, data, "name", MAX_NAME),
        "description": _optional(errors, data, "description", MAX_DESCRIPTION),
        "unit": _required(errors, data, "unit", MAX_UNIT),
        "formula": _required(errors, data, "formula", MAX_FORMULA),
        "target_source": _required(errors, data, "target_source", MAX_SOURCE),
    }
    kind = _text(data, "kind")
    if kind not in KINDS:
        errors["kind"] = _("Choose how the value is obtained.")
    clean["kind"] = kind
    clean["multiplier"] = 1
    clean["numerator_label"] = clean["denominator_label"] = None
    if kind == RATIO:
        clean["numerator_label"] = _required(errors, data, "numerator_label", MAX_INPUT_LABEL)
        clean["denominator_label"] = _required(errors, data, "denominator_label",
                                               MAX_INPUT_LABEL)
        try:
            multiplier = int(_text(data, "multiplier") or "1")
        except ValueError:
            multiplier = 0
        if multiplier not in MULTIPLIERS:
            errors["multiplier"] = _("Choose one of the multipliers offered.")
        clean["multiplier"] = multiplier
    direction = _text(data, "direction")
    if direction not in (HIGHER_IS_BETTER, LOWER_IS_BETTER):
        errors["direction"] = _("Choose whether a higher or a lower value is better.")
    clean["direction"] = direction
    try:
        target = parse_figure(data.get("target"))
    except ValueError:
        errors["target"] = _("Enter the target as a number, for example 75 or 12.5.")
    else:
        if target is None:
            errors["target"] = _("This field is required.")
        elif target < 0:
            errors["target"] = _("The target cannot be negative.")
        elif target == 0 and direction == HIGHER_IS_BETTER:
            errors["target"] = _("A target of 0 where higher is better would always be met: "
                                 "give a target above 0.")
        clean["target"] = target
    category = _text(data, "category_id") or None
    if category is not None and category not in category_ids():
        errors["category_id"] = _("Choose one of the categories offered.")
    clean["category_id"] = category
    if errors:
        raise LocalKpiError(errors)
    return clean


# ------------------------------------------------------------------------------ reading
def kpis_of(city_id: int, *, status: LocalKpiStatus | None = None) -> list[LocalKpi]:
    query = select(LocalKpi).where(LocalKpi.city_id == city_id)
    if status is not None:
        query = query.where(LocalKpi.status == status)
    return list(db.session.execute(query.order_by(LocalKpi.id)).scalars())


def get_kpi(city_id: int, kpi_id: int) -> LocalKpi:
    kpi = db.session.get(LocalKpi, kpi_id)
    if kpi is None or kpi.city_id != city_id:
        raise LookupError(kpi_id)
    return kpi


def counted(city_id: int) -> int:
    return db.session.execute(
        select(func.count()).select_from(LocalKpi).where(
            LocalKpi.city_id == city_id, LocalKpi.status != LocalKpiStatus.REJECTED)).scalar()


# ------------------------------------------------------------------------------ the city
def propose(city_id: int, data: Mapping[str, Any], *, actor: str) -> LocalKpi:
    """The city proposes an indicator; it waits for the secretariat's approval."""
    value_service.ensure_editable(city_id)
    clean = _definition(data)
    if counted(city_id) >= MAX_PER_CITY:
        raise LocalKpiError(_("A city can define at most %(limit)s local KPIs. Withdraw "
                              "one before proposing another.", limit=MAX_PER_CITY))
    kpi = LocalKpi(city_id=city_id, status=LocalKpiStatus.PROPOSED,
                   proposed_by=actor[:200], **clean)
    db.session.add(kpi)
    db.session.flush()
    db.session.add(ValueAudit(city_id=city_id, data_point_id=f"local:{kpi.id}",
                              actor=actor[:200], old_text=None, new_text=kpi.name,
                              reason="local KPI proposed"))
    db.session.commit()
    return kpi


def withdraw(city_id: int, kpi_id: int, *, actor: str) -> None:
    """The city withdraws a proposal the secretariat has not approved (nothing to keep)."""
    value_service.ensure_editable(city_id)
    kpi = get_kpi(city_id, kpi_id)
    if kpi.status == LocalKpiStatus.APPROVED:
        raise LocalKpiError(_("An approved local KPI can only be withdrawn by the "
                              "secretariat."))
    db.session.add(ValueAudit(city_id=city_id, data_point_id=f"local:{kpi.id}",
                              actor=actor[:200], old_text=kpi.name, new_text=None,
                              reason="local KPI withdrawn"))
    db.session.delete(kpi)
    db.session.commit()


def _year(text: object) -> int:
    try:
        year = int(str(text).strip())
    except (TypeError, ValueError):
        message = _("Enter the reference year, for example %(year)s.",
                    year=str(utcnow().year - 1))
        raise LocalKpiError({"reference_year": message}) from None
    if year < EARLIEST_YEAR or year > utcnow().year:
        raise LocalKpiError({"reference_year": _(
            "The reference year must be between %(earliest)s and %(current_year)s.",
            earliest=str(EARLIEST_YEAR), current_year=str(utcnow().year))})
    return year


def _figure(errors: dict, data: Mapping, name: str, *, positive: bool = False) -> float | None:
    try:
        number = parse_figure(data.get(name))
    except ValueError:
        errors[name] = _("Enter a number, for example 1234.5.")
        return None
    if number is None:
        errors[name] = _("This field is required.")
    elif number < 0:
        errors[name] = _("The figure cannot be negative.")
    elif positive and number == 0:
        errors[name] = _("The denominator must be more than 0.")
    return number


def save_value(city_id: int, kpi_id: int, data: Mapping[str, Any], *, actor: str) -> LocalKpiValue:
    """Enter (or correct) one reference year's figures of an approved local KPI."""
    value_service.ensure_editable(city_id)
    kpi = get_kpi(city_id, kpi_id)
    if kpi.status != LocalKpiStatus.APPROVED:
        raise LocalKpiError(_("Figures can be entered once the secretariat has approved this "
                              "local KPI."))
    errors: dict[str, str] = {}
    try:
        year = _year(data.get("reference_year"))
    except LocalKpiError as error:
        errors.update(error.errors)
        year = 0
    figures: dict[str, float | None] = {"numerator": None, "denominator": None, "direct": None}
    if kpi.kind == RATIO:
        figures["numerator"] = _figure(errors, data, "numerator")
        figures["denominator"] = _figure(errors, data, "denominator", positive=True)
    else:
        figures["direct"] = _figure(errors, data, "direct")
    source = _required(errors, data, "source", MAX_SOURCE)
    tier = _text(data, "quality_tier") or None
    if tier is not None and tier not in QUALITY_TIER_IDS:
        errors["quality_tier"] = _("Choose one of the quality tiers offered.")
    if errors:
        raise LocalKpiError(errors)
    row = db.session.execute(select(LocalKpiValue).where(
        LocalKpiValue.local_kpi_id == kpi.id, LocalKpiValue.reference_year == year)
    ).scalar_one_or_none()
    before = _describe(row) if row is not None else None
    if row is None:
        row = LocalKpiValue(local_kpi_id=kpi.id, city_id=city_id, reference_year=year)
        db.session.add(row)
    row.numerator, row.denominator, row.direct = (figures["numerator"],
                                                  figures["denominator"], figures["direct"])
    row.source, row.quality_tier, row.updated_by = source, tier, actor[:200]
    after = _describe(row)
    if before != after:
        db.session.add(ValueAudit(city_id=city_id, data_point_id=f"local:{kpi.id}:{year}",
                                  actor=actor[:200], old_text=before, new_text=after,
                                  reason=None))
    # The verifier checked other figures: a changed figure needs checking again.
    if before != after and kpi.verification is not None:
        kpi.verification = None
    db.session.commit()
    return row


def _describe(row: LocalKpiValue) -> str:
    if row.direct is not None:
        return repr(row.direct)
    return f"{row.numerator!r} / {row.denominator!r}"


# ------------------------------------------------------------------------------ staff
def _staff_audit(user, city_id: int, action: str, kpi: LocalKpi, **detail: Any) -> None:
    db.session.add(AuditEvent(actor=user.email, action=action, city_id=city_id,
                              detail={"local_kpi_id": kpi.id, "name": kpi.name, **detail}))
    db.session.add(ValueAudit(city_id=city_id, data_point_id=f"local:{kpi.id}",
                              actor=f"staff:{user.email}"[:200], old_text=None,
                              new_text=action.rsplit(".", 1)[-1],
                              reason=detail.get("reason")))


def decide(city_id: int, kpi_id: int, *, user, approve: bool, reason: str = "") -> LocalKpi:
    """The secretariat approves a proposal, or rejects it with a reason the city sees."""
    value_service.ensure_editable(city_id)
    kpi = get_kpi(city_id, kpi_id)
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise LocalKpiError({"reason": _("Keep this to %(limit)s characters at most.",
                                         limit=MAX_REASON)})
    if not approve and not reason:
        raise LocalKpiError({"reason": _("Say why the local KPI is rejected: the city sees "
                                         "the reason.")})
    # A rejected proposal does not count towards the limit; approving it again does.
    if approve and kpi.status == LocalKpiStatus.REJECTED and counted(city_id) >= MAX_PER_CITY:
        raise LocalKpiError(_("A city can define at most %(limit)s local KPIs. Withdraw "
                              "one before proposing another.", limit=MAX_PER_CITY))
    kpi.status = LocalKpiStatus.APPROVED if approve else LocalKpiStatus.REJECTED
    kpi.decision_reason = reason or None
    kpi.decided_by_id = user.id
    kpi.decided_at = utcnow()
    _staff_audit(user, city_id, "local_kpi.approved" if approve else "local_kpi.rejected",
                 kpi, reason=reason or None)
    db.session.commit()
    return kpi


def verify(city_id: int, kpi_id: int, *, user, status: str, note: str = "") -> LocalKpi:
    """The verifier's YES/NO on an approved local KPI's figures, as for a catalog KPI."""
    value_service.ensure_editable(city_id)
    kpi = get_kpi(city_id, kpi_id)
    if kpi.status != LocalKpiStatus.APPROVED:
        raise LocalKpiError(_("Only an approved local KPI can be verified."))
    if status not in VERIFICATIONS:
        raise LocalKpiError({"status": _("Choose YES or NO.")})
    note = (note or "").strip()
    if len(note) > MAX_REASON:
        raise LocalKpiError({"note": _("Keep this to %(limit)s characters at most.",
                                       limit=MAX_REASON)})
    if status == "no" and not note:
        raise LocalKpiError({"note": _("Say what is wrong, so the city can correct it.")})
    kpi.verification, kpi.verification_note = status, note or None
    kpi.verified_by_id, kpi.verified_at = user.id, utcnow()
    _staff_audit(user, city_id, f"local_kpi.verified_{status}", kpi, reason=note or None)
    db.session.commit()
    return kpi


# ------------------------------------------------------------------------------ display
@dataclass(frozen=True)
class LocalRow:
    """What the snapshot, the report, the API and the exports show of one local KPI."""

    kpi: LocalKpi
    year: int | None
    value: float | None
    percent: float | None
    band: int | None
    source: str | None
    quality_tier: str | None
    numerator: float | None
    denominator: float | None

    @property
    def id(self) -> int:
        return self.kpi.id

    @property
    def approved_on(self) -> datetime | None:
        return self.kpi.decided_at


def row_for(kpi: LocalKpi) -> LocalRow:
    """The latest reference year's value and points of one local KPI."""
    latest = kpi.values[-1] if kpi.values else None
    if latest is None:
        return LocalRow(kpi, None, None, None, None, None, None, None, None)
    value = compute_value(kpi.kind, numerator=latest.numerator,
                          denominator=latest.denominator, direct=latest.direct,
                          multiplier=kpi.multiplier)
    result = score(value, kpi.target, kpi.direction)
    return LocalRow(kpi, latest.reference_year, result.value, result.percent, result.band,
                    latest.source, latest.quality_tier, latest.numerator, latest.denominator)


def approved_rows(city_id: int) -> list[LocalRow]:
    """Every approved local KPI of a city, with its latest value and points."""
    return [row_for(kpi) for kpi in kpis_of(city_id, status=LocalKpiStatus.APPROVED)]


def as_data(row: LocalRow) -> dict[str, Any]:
    """Plain data for the API and the exports (codes and numbers, no translated labels)."""
    kpi = row.kpi
    return {
        "id": kpi.id, "name": kpi.name, "description": kpi.description, "unit": kpi.unit,
        "formula": kpi.formula, "kind": kpi.kind,
        "multiplier": kpi.multiplier if kpi.kind == RATIO else None,
        "numerator_label": kpi.numerator_label, "denominator_label": kpi.denominator_label,
        "direction": kpi.direction, "target": kpi.target, "target_source": kpi.target_source,
        "category_id": kpi.category_id, "status": str(kpi.status),
        "approved_at": kpi.decided_at if kpi.status == LocalKpiStatus.APPROVED else None,
        "reference_year": row.year, "numerator": row.numerator,
        "denominator": row.denominator,
        "value": row.value, "percent": row.percent, "band": row.band, "source": row.source,
        "quality_tier": row.quality_tier, "verification": kpi.verification,
        "compared_with_peers": False,
    }


__all__ = ["DIRECT", "MAX_PER_CITY", "RATIO", "LocalKpiError", "LocalRow", "approved_rows",
           "as_data", "decide", "get_kpi", "kpis_of", "parse_figure", "propose", "row_for",
           "save_value", "verify", "withdraw"]
