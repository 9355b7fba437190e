"""The fee table as rows for display, computed from intake.fees so it cannot drift."""

from __future__ import annotations

from flask_babel import format_currency, format_decimal
from flask_babel import gettext as _

from intake.fees import BANDS, CASE_STUDY_FEE, VERIFICATION_FEES


def band_label(band: str) -> str:
    """A population band in words, numbers in the visitor's locale."""
    lows = {name: low for low, name in BANDS}
    if band == "1m_plus":
        return _("%(low)s inhabitants and more", low=format_decimal(lows[band]))
    if band == "under_100k":
        return _("fewer than %(high)s inhabitants", high=format_decimal(lows["100k_500k"]))
    upper = {"500k_1m": lows["1m_plus"] - 1, "100k_500k": lows["500k_1m"] - 1}[band]
    return _("%(low)s to %(high)s inhabitants", low=format_decimal(lows[band]),
             high=format_decimal(upper))


def fee_table() -> list[dict]:
    return [
        {
            "band": band_label(band),
            "developed": format_currency(VERIFICATION_FEES["developed"][band], "CHF"),
            "developing": format_currency(VERIFICATION_FEES["developing"][band], "CHF"),
        }
        for _low, band in BANDS
    ]


def case_study_fee() -> str:
    return format_currency(CASE_STUDY_FEE, "CHF")
