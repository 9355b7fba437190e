"""Checks every document a city or the secretariat downloads: its language, its city, and no
template artefacts or English left in a translated document."""

from __future__ import annotations

import io
import re
import zipfile
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from tests.pdf_checks import assert_accessible_pdf, assert_pdf_direction, pdf_text

ROOT = Path(__file__).resolve().parent.parent
ARABIC_LETTERS = re.compile(r"[\u0621-\u064A]")
# "None." is an English answer in a list ("KPIs not verified: None."); Python's None is not.
ARTEFACTS = (re.compile(r"\bNone\b(?!\.)"), re.compile(r"\{\{|\}\}|\{%|%\}"),
             re.compile(r"%\([a-z_]+\)"), re.compile(r"\bTraceback\b"))


@cache
def glossary_terms() -> tuple[str, ...]:
    """The English terms of translations/GLOSSARY.md ("fee", "verification report", …)."""
    terms = []
    for line in (ROOT / "translations" / "GLOSSARY.md").read_text().splitlines():
        if not line.startswith("| ") or line.startswith("| English") or "---" in line:
            continue
        english = re.sub(r"\(.*?\)", "", line.split("|")[1])
        for term in english.split("/"):
            term = term.strip()
            if len(term) > 3 and "U4SSC" not in term:
                terms.append(term)
    return tuple(terms)


@cache
def translated_sentences(language: str) -> tuple[str, ...]:
    """English messages of four words or more that the catalogue translates: finding one
    verbatim in a document of that language means a string escaped translation."""
    path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    found = set()
    for message in catalogue:
        if not message.id or not isinstance(message.id, str) or message.string == message.id:
            continue
        for part in re.split(r"%\([a-z_]+\)[sd]|%%|\n", message.id):
            part = part.strip(" .:,;“”\"'")
            if len(part.split()) >= 4:
                found.add(part)
    return tuple(sorted(found))


def assert_text(text: str, *, language: str, city: str, what: str) -> None:
    """The document names the city, has no template artefacts and, translated, no English
    where the glossary or the catalogue has the term."""
    flat = " ".join(text.split())
    assert city in flat, f"{what}: the city's name {city!r} is missing"
    for pattern in ARTEFACTS:
        found = pattern.search(flat)
        assert not found, f"{what}: {found.group(0)!r} in …{flat[found.start() - 200:][:400]}…"
    if language == "en":
        assert not ARABIC_LETTERS.search(flat.replace(city, "")), f"{what}: Arabic in English"
        return
    if language == "ar":
        assert "None" not in flat, f"{what}: 'None' in an Arabic document"
        assert len(ARABIC_LETTERS.findall(flat)) > 40, f"{what} is not in Arabic: {flat[:300]!r}"
    english = [term for term in glossary_terms()
               if re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", flat, re.I)]
    english += [sentence for sentence in translated_sentences(language) if sentence in flat]
    where = [flat[max(0, flat.lower().find(e.lower()) - 80):][:200] for e in english]
    assert english == [], f"{what} ({language}) keeps English: {english} in {where}"


def assert_pdf(data: bytes, *, language: str, city: str, what: str,
               tagged: bool = True) -> str:
    """A PDF in the language, laid out in its direction; returns its text."""
    if tagged:
        assert_accessible_pdf(data, language)
    text = pdf_text(data)
    assert_text(text, language=language, city=city, what=what)
    assert_pdf_direction(data, rtl=language == "ar")
    return " ".join(text.split())


def assert_docx(data: bytes, *, language: str, city: str, what: str) -> str:
    from docx import Document

    document = Document(io.BytesIO(data))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert_text(text, language=language, city=city, what=what)
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert ("<w:bidi/>" in xml) == (language == "ar"), f"{what}: paragraph direction"
    return " ".join(text.split())


def assert_page(page, *, language: str, city: str, what: str) -> str:
    """A page in the language with its direction set; returns its visible text."""
    html = page.locator("html")
    assert html.get_attribute("lang") == language, f"{what}: lang"
    assert html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr"), f"{what}: dir"
    text = page.locator("main").inner_text()  # the language menu names every language
    assert_text(text, language=language, city=city, what=what)
    # Nothing sticks out sideways (a table or a long word that does not wrap).
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{what}: {overflow}px wider than the window"
    return " ".join(text.split())
