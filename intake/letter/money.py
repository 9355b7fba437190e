"""Fee amounts in the reader's language, by Babel, without cents when there are none."""

from __future__ import annotations

from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency as babel_format_currency
from flask_babel import get_locale


def format_fee(amount: Decimal, currency: str, locale: str | None = None) -> str:
    """'3 000 CHF' in French, 'CHF 3,000' in English: the locale's currency pattern.

    Fees are whole amounts, and "3,000.00" reads like an invoice line; cents are shown
    only when an amount has them.
    """
    language = Locale.parse(locale or str(get_locale() or "en"))
    pattern = language.currency_formats["standard"].pattern
    if amount == amount.to_integral_value():
        pattern = pattern.replace("0.00", "0")
    return babel_format_currency(amount, currency, format=pattern, locale=language,
                                 currency_digits=False)
