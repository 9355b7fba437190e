"""Template helpers for the staff pages: names of countries, packages, fees, letter links."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel import Locale
from flask import url_for
from flask_babel import lazy_gettext as _l

from intake.i18n import current_language

ECONOMY_LABELS = {"developed": _l("Developed"), "developing": _l("Developing")}
PACKAGE_LABELS = {"verification": _l("Verification"), "case_study": _l("Case study")}


def country_name(code: str | None) -> str:
    if not code:
        return "—"
    return Locale.parse(current_language()).territories.get(code.upper(), code.upper())


def economy_label(code: str | None) -> str:
    return str(ECONOMY_LABELS.get(code or "", code or "—"))


def package_label(code: str | None) -> str:
    return str(PACKAGE_LABELS.get(code or "", code or "—"))


def fee_text(fee: dict | None) -> str:
    from intake.letter.money import format_fee

    try:
        amount = Decimal(str((fee or {}).get("amount")))
    except (InvalidOperation, ValueError):
        return "—"
    currencies = (fee or {}).get("currencies") or ["CHF"]
    return format_fee(amount, currencies[0], current_language())


def letter_document_url(letter, fmt: str) -> str:
    """The letters blueprint's signed download link (it shows "preparing" until rendered)."""
    from intake.services.letters import letter_token

    return url_for("letters.download", token=letter_token(letter), kind=fmt)


def template_helpers() -> dict:
    return {"country_name": country_name, "economy_label": economy_label,
            "package_label": package_label, "fee_text": fee_text,
            "letter_document_url": letter_document_url}
