"""The letter's three documents: escaping, six languages, fonts and a fetcher that refuses."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from datetime import date
from html import unescape
from pathlib import Path

import pytest
from docx import Document

from intake.letter.docx import render_docx
from intake.letter.pdf import LetterURLFetcher, RefusedURL
from intake.letter.render import (
    clean_text,
    pdf_stylesheet_href,
    render_html,
    render_pdf,
)
from intake.letter.texts import TEXTS_FILE, load_texts, template_version
from tests.conftest import _service_missing
from tests.pdf_checks import assert_accessible_pdf

LANGUAGES = ["en", "fr", "es", "ar", "zh", "ru"]
HOSTILE_CITY = "Ålesund <script>alert(1)</script> & {{7*7}} \u202eevil"
CITY_NAMES = {"en": HOSTILE_CITY, "fr": "Genève", "es": "Bogotá", "ar": "دبي",
              "zh": "上海市", "ru": "Москва"}
FEE = {"amount": "3000", "band": "100k_500k", "economy": "developing",
       "package": "verification", "population": 250000, "currencies": ["CHF", "USD"],
       "travel_costs_extra": True}


def content_for(language: str) -> dict:
    return {
        "city_name": CITY_NAMES[language], "country": "NO",
        "vision": "A city that measures what matters.\n\n<img src=x onerror=alert(1)> & more",
        "focal_point_name": "Kari <b>Nordmann</b>", "focal_point_email": "kari@example.org",
        "representative_name": "Eva O'Mayor", "representative_title": "Mayor & Chair",
    }


@pytest.fixture(scope="module")
def letter_app(tmp_path_factory):
    """Rendering needs an app (templates, Babel) but no database: build it once."""
    from intake import create_app

    folder = tmp_path_factory.mktemp("letter")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True,
                      "SECRET_KEY": "test", "REDIS_URL": None,
                      "DOCUMENT_FOLDER": str(folder / "documents"),
                      "UPLOAD_FOLDER": str(folder / "uploads")})
    with app.app_context():
        yield app


@pytest.fixture(scope="module")
def letters(letter_app):
    """Each language rendered once (WeasyPrint is the slow part)."""
    rendered = {}
    for language in LANGUAGES:
        arguments = {"locale": language, "template_version": template_version(),
                     "letter_date": date(2026, 11, 28)}
        page = render_html(content_for(language), FEE, **arguments)
        printable = render_html(content_for(language), FEE,
                                stylesheet_href=pdf_stylesheet_href(), **arguments)
        direction = "rtl" if language == "ar" else "ltr"
        rendered[language] = {
            "html": page.html, "missing": page.missing | printable.missing,
            "pdf": render_pdf(printable.html),
            "docx": render_docx(page.html, language=language, direction=direction),
        }
    return rendered


def pdf_tool(name: str, pdf: bytes, tmp_path: Path, *args: str) -> str:
    if not shutil.which(name):
        # Like a missing service: a failure in CI (.ci/system-deps.sh installs poppler-utils),
        # a skip on a developer's machine without it.
        _service_missing(f"{name} (poppler-utils) is not installed")
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    return subprocess.run([name, *args, str(path), *(["-"] if name == "pdftotext" else [])],
                          capture_output=True, text=True, check=True).stdout


# ------------------------------------------------------------------------------ text
def test_every_language_has_the_whole_official_text():
    texts = load_texts()
    english = None
    for language in LANGUAGES[1:]:
        keys = set(texts["languages"][language])
        english = english or keys
        assert keys == english, language
        for source, translated in texts["languages"][language].items():
            placeholders = sorted(re.findall(r"%\(\w+\)s", source))
            assert sorted(re.findall(r"%\(\w+\)s", translated)) == placeholders, translated
    assert json.loads(TEXTS_FILE.read_text(encoding="utf-8"))["template_version"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_letter_is_fully_written_in_its_language(letters, language):
    html = letters[language]["html"]
    assert letters[language]["missing"] == set()
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in html
    subject = load_texts()["languages"][language].get(
        "Participation in the U4SSC Key performance indicators (KPIs) project",
        "Participation in the U4SSC Key performance indicators (KPIs) project")
    assert subject.replace("'", "&#39;") in html
    assert f"{template_version()}</p>" in html  # the footer names the template version


def test_english_letter_has_every_part(letters):
    html = letters["en"]["html"]
    for part in ("Participation in the U4SSC Key performance indicators (KPIs) project",
                 "ITU-U4SSC Secretariat", "Annex: participation fee and contact",
                 "A city that measures what matters.", "kari@example.org", "Eva O&#39;Mayor",
                 "Mayor &amp; Chair", "Signature", "November 28, 2026", "Norway",
                 "For a city of <bdi>250,000</bdi> inhabitants in a developing economy",
                 "<bdi>CHF3,000</bdi> or <bdi>$3,000</bdi>",
                 "verification of the KPIs, City Snapshot and ITU certificate",
                 "travel, accommodation and daily allowance"):
        assert part in html, part


def test_html_escapes_user_text(letters):
    html = letters["en"]["html"]
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{7*7}}" in html and "&amp; 49" not in html  # data, never evaluated
    assert "Ålesund &lt;script&gt;alert(1)&lt;/script&gt; &amp; {{7*7}}" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt; &amp; more" in html
    assert "<b>" not in html and "Kari &lt;b&gt;Nordmann&lt;/b&gt;" in html
    # A right-to-left override could reorder the sentence around the name: it is dropped,
    # and user text sits in <bdi> so it cannot leak direction into the letter.
    assert "\u202e" not in html
    assert "<bdi>Ålesund &lt;script&gt;" in html


def test_clean_text_keeps_marks_and_drops_overrides():
    assert clean_text("a\u202eb\u2066c\u200fd\x00e") == "abc\u200fde"
    assert clean_text("  two\n lines ") == "two lines"
    assert clean_text("one\n\ntwo", multiline=True) == "one\n\ntwo"


TEMPLATE = (Path(__file__).resolve().parents[3] / "shared" / "reference"
            / "participation-letter-template.md")


def _template_body() -> str:
    """The brochure's letter between its two rules, placeholders left as written."""
    if not TEMPLATE.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{TEMPLATE} not available (CI=true: the letter must be checked)")
        pytest.skip(f"{TEMPLATE} not available")
    body = TEMPLATE.read_text(encoding="utf-8").split("\n---\n")[1]
    return " ".join(body.replace("**", "").split())


def _visible_text(html: str) -> str:
    text = re.sub(r"</?bdi>", "", html.split("<main", 1)[1])  # inline: no word break
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(unescape(text).split())


def test_english_letter_is_the_template_word_for_word(letters):
    """Between the subject and the closing, the letter is the brochure's text filled in:
    nothing dropped, reworded or added (the fee stands apart, in the annex)."""
    city = " ".join(clean_text(HOSTILE_CITY).split())
    expected = (_template_body()
                .replace("[City Name]", city)
                .replace("[Please include a short paragraph on the city's vision of/current "
                         "work on smart sustainable cities.]",
                         "A city that measures what matters. "
                         "<img src=x onerror=alert(1)> & more")
                .replace("[insert name]", "Kari <b>Nordmann</b>"))
    expected = expected.split(" [Name and signature")[0]
    letter = _visible_text(letters["en"]["html"])
    assert expected in letter
    assert letter.index("Kind regards,") < letter.index("Eva O'Mayor") < letter.index(
        "Annex: participation fee and contact") < letter.index("For a city of")


def test_case_study_letter_names_everything_the_package_includes(letter_app):
    fee = {**FEE, "package": "case_study", "amount": "30000"}
    page = render_html(content_for("en"), fee, locale="en",
                       template_version=template_version(), letter_date=date(2026, 11, 28))
    assert "verification report, City Snapshot, ITU certificate and case study" in page.html


# ------------------------------------------------------------------------------ PDF
def test_pdf_has_the_city_name(letters, tmp_path):
    pdf = letters["en"]["pdf"]
    assert pdf.startswith(b"%PDF")
    assert_accessible_pdf(pdf, "en")
    text = pdf_tool("pdftotext", pdf, tmp_path)
    assert "Ålesund <script>alert(1)</script> & {{7*7}}" in " ".join(text.split())
    assert "Participation in the U4SSC Key performance indicators (KPIs) project" in text


@pytest.mark.parametrize(("language", "words"), [
    ("ar", ["دبي", "الاتحاد الدولي للاتصالات", "التوقيع"]),
    ("zh", ["上海市", "国际电信联盟", "签名"]),
    ("ru", ["Москва", "Международный союз электросвязи", "Подпись"]),
    ("fr", ["Genève", "Union internationale des télécommunications"]),
    ("es", ["Bogotá", "Unión Internacional de Telecomunicaciones"]),
])
def test_pdf_text_is_in_the_letter_language(letters, tmp_path, language, words):
    pdf = letters[language]["pdf"]
    assert pdf.startswith(b"%PDF")
    text = pdf_tool("pdftotext", pdf, tmp_path)
    for word in words:
        assert word in text, word


@pytest.mark.parametrize(("language", "font"), [("ar", "Noto-Naskh-Arabic"),
                                                ("zh", "NotoSansCJK"), ("en", "Noto-Sans")])
def test_pdf_embeds_the_fonts_for_its_script(letters, tmp_path, language, font):
    fonts = pdf_tool("pdffonts", letters[language]["pdf"], tmp_path)
    names = [line.split()[0] for line in fonts.splitlines()[2:]]
    assert any(font.replace("-", "") in name.replace("-", "") for name in names), fonts
    for line in fonts.splitlines()[2:]:
        assert " yes " in line  # every font embedded: no tofu on another machine


def test_pdf_is_one_page(letters, tmp_path):
    for language in LANGUAGES:
        info = pdf_tool("pdfinfo", letters[language]["pdf"], tmp_path)
        assert re.search(r"^Pages:\s+1$", info, re.M), language


def test_fetcher_refuses_files_and_network_but_render_succeeds(letter_app):
    fetcher = LetterURLFetcher(letter_app.static_folder)
    html = ('<html><head><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
            '<link rel="stylesheet" href="file:///etc/passwd"></head><body>'
            '<img src="file:///etc/passwd"><img src="http://127.0.0.1/latest/meta-data">'
            '<img src="https://example.org/logo.png">'
            '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
            '<p>Letter</p></body></html>')
    pdf = render_pdf(html, fetcher=fetcher)
    assert pdf.startswith(b"%PDF")
    assert "file:///etc/passwd" in fetcher.refused
    assert "http://127.0.0.1:9/x.css" in fetcher.refused
    assert "http://127.0.0.1/latest/meta-data" in fetcher.refused
    assert "https://example.org/logo.png" in fetcher.refused
    assert not any(url.startswith("data:") for url in fetcher.refused)


def test_fetcher_serves_only_static_files(letter_app):
    fetcher = LetterURLFetcher(letter_app.static_folder)
    static = Path(letter_app.static_folder)
    response = fetcher.fetch((static / "css" / "letter.css").as_uri())
    assert b"Noto Sans" in response.read()
    for url in ("file:///etc/passwd", (static / ".." / "__init__.py").as_uri(),
                (static / "css" / ".." / ".." / "config.py").as_uri(),
                "file://evil.example/" + str(static / "css" / "letter.css"),
                "ftp://127.0.0.1/x"):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


# ------------------------------------------------------------------------------ DOCX
def test_docx_opens_and_holds_the_city_name_as_text(letters):
    data = letters["en"]["docx"]
    document = Document(io.BytesIO(data))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "Ålesund <script>alert(1)</script> & {{7*7}}" in text
    assert "Participation in the U4SSC Key performance indicators (KPIs) project" in text
    assert "Eva O'Mayor" in text and "Mayor & Chair" in text
    assert "\u202e" not in text
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; {{7*7}}" in xml
    assert "<w:bidi/>" not in xml


def test_arabic_docx_paragraphs_and_runs_are_right_to_left(letters):
    data = letters["ar"]["docx"]
    document = Document(io.BytesIO(data))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "دبي" in text and "التوقيع" in text
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    paragraphs = xml.count("<w:p>") + xml.count("<w:p ")
    assert xml.count("<w:bidi/>") >= paragraphs - 1  # every paragraph of the letter
    assert "<w:rtl/>" in xml
    assert 'w:cs="Noto Naskh Arabic"' in xml


def test_chinese_docx_names_a_cjk_font(letters):
    xml = zipfile.ZipFile(io.BytesIO(letters["zh"]["docx"])).read("word/document.xml").decode()
    assert "上海市" in xml and 'w:eastAsia="Noto Sans CJK SC"' in xml
