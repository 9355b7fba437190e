"""Render a letter's frozen content to HTML (Jinja, autoescaped) and PDF (WeasyPrint)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from babel import Locale
from flask import current_app, render_template
from flask_babel import force_locale, format_date, format_decimal
from markupsafe import Markup

from intake.i18n import text_direction
from intake.letter.money import format_fee
from intake.letter.texts import letter_gettext

STYLESHEET = "css/letter.css"

# Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) let a name
# reorder the text around it ("Trojan Source"); controls other than line breaks have no
# place in a letter. The marks U+200E/U+200F stay: Arabic text legitimately uses them.
_UNSAFE = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    text = _UNSAFE.sub("", value or "")
    if not multiline:
        text = " ".join(text.split())
    return text.strip()


def bdi(value: str) -> Markup:
    """User text isolated from the sentence around it (a Latin name inside Arabic)."""
    return Markup("<bdi>%s</bdi>") % value


def vision_paragraphs(vision: str) -> list[str]:
    text = clean_text(vision, multiline=True).replace("\r\n", "\n").replace("\r", "\n")
    return [" ".join(part.split()) for part in re.split(r"\n\s*\n|\n", text) if part.strip()]


def letter_context(content: dict, fee: dict, *, locale: str, template_version: str,
                   letter_date: date) -> dict:
    """Everything the template shows, formatted for `locale` (call under force_locale)."""
    city = clean_text(content.get("city_name"))
    country = (content.get("country") or "").upper()
    amount = fee["amount"]
    return {
        "lang": locale,
        "dir": text_direction(locale),
        "city_plain": city,
        "city": bdi(city),
        "country_name": bdi(Locale.parse(locale).territories.get(country, country))
        if country else "",
        "date": format_date(letter_date, format="long"),
        "vision": [bdi(paragraph) for paragraph in vision_paragraphs(content.get("vision"))],
        "focal_point_name": bdi(clean_text(content.get("focal_point_name"))),
        "focal_point_email": Markup('<bdi class="ltr">%s</bdi>')
        % clean_text(content.get("focal_point_email")),
        "representative_name": bdi(clean_text(content.get("representative_name"))),
        "representative_title": bdi(clean_text(content.get("representative_title"))),
        "economy": fee["economy"],
        "package": fee["package"],
        "population": bdi(format_decimal(int(fee["population"]))),
        "fee_chf": bdi(format_fee(Decimal(amount), "CHF")),
        "fee_usd": bdi(format_fee(Decimal(amount), "USD")),
        "template_version": template_version,
    }


@dataclass
class RenderedHTML:
    html: str
    missing: set[str] = field(default_factory=set)


def render_html(content: dict, fee: dict, *, locale: str, template_version: str,
                letter_date: date, stylesheet_href: str | None = None) -> RenderedHTML:
    """The letter as a standalone HTML document in `locale`."""
    missing: set[str] = set()
    with force_locale(locale):
        context = letter_context(content, fee, locale=locale,
                                 template_version=template_version, letter_date=letter_date)
        if stylesheet_href is None:
            stylesheet_href = f"{current_app.static_url_path}/{STYLESHEET}"
        html = render_template(
            "letter/letter.html",
            _=letter_gettext(locale, markup=True, missing=missing),
            stylesheet_href=stylesheet_href,
            **context,
        )
    return RenderedHTML(html=html, missing=missing)


# --------------------------------------------------------------------------- PDF
def render_pdf(html: str, *, fetcher=None) -> bytes:
    """The PDF of a letter's HTML (intake/letter/pdf.py; WeasyPrint loads on first use,
    so a web process that never writes a PDF does not carry it)."""
    from intake.letter.pdf import render_pdf as write_pdf

    return write_pdf(html, fetcher=fetcher)


def pdf_stylesheet_href() -> str:
    return (Path(current_app.static_folder) / STYLESHEET).as_uri()
