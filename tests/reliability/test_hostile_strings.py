"""200+ hostile strings typed into every text field end up inert in HTML, SVG, PDF, DOCX,
XLSX and e-mail: no injected elements or attributes, no evaluated templates or formulas."""

from __future__ import annotations

import email
import io
import itertools
import re
import socket
import xml.etree.ElementTree as ElementTree
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from intake.extensions import db, mail
from intake.jobs import run_job
from intake.models import City, JobRecord
from intake.models.letter import Letter
from intake.services.cities import create_city
from intake.services.workbook import export_xlsx
from tests.conftest import csrf_token_from
from tests.intake.test_workbook import header_keys
from tests.reliability.helpers import (
    API,
    DRAINAGE,
    fresh_csrf,
    open_workspace,
    start_conversation,
    step_form,
)

CORPUS = Path(__file__).with_name("hostile_strings.txt")


ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[rnt\\])")
SIMPLE = {"r": "\r", "n": "\n", "t": "\t", "\\": "\\"}


def _unescape(match: re.Match) -> str:
    code = match.group(1)
    return SIMPLE[code] if code in SIMPLE else chr(int(code[1:], 16))


def load_corpus() -> list[str]:
    strings = []
    for line in CORPUS.read_text("utf-8").splitlines()[1:]:  # line 1 explains the format
        text = ESCAPE.sub(_unescape, line)
        if text.startswith("@@LONG:"):
            _marker, size, unit = text.split(":", 2)
            text = (unit * (int(size) // len(unit) + 1))[: int(size)]
        strings.append(text)
    return strings


HOSTILE = load_corpus()


def browser_safe(text: str) -> str:
    """What a browser can submit: lone surrogates become U+FFFD (they cannot be UTF-8)."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def test_the_corpus_is_big_and_varied():
    assert len(HOSTILE) >= 200
    joined = "\n".join(HOSTILE)
    for needle in ("<script>", "onerror=", "{{7*7}}", "{%", "${7*7}", "=HYPERLINK(", "+cmd",
                   "@SUM", "-2+3", "\r\nBcc:", "\u202e", "\u2066", "\u2069", "\x00", "DROP TABLE",
                   "../../etc/passwd", "北京", "مدينة", "🏙"):
        assert needle in joined, needle
    assert max(len(text) for text in HOSTILE) >= 10_000


# ---------------------------------------------------------------------------- checks
FORBIDDEN_TAGS = {"iframe", "object", "embed", "math", "marquee", "base", "frame", "frameset",
                  "video", "audio", "source", "template", "isindex", "foreignobject",
                  "x", "scr", "mglyph", "mtext", "noscript", "xss"}


# The portal's own foldable sections (snapshot and factsheet by dimension, staff forms); any
# other <details> in a page would have come from user text.
OWN_DETAILS_CLASSES = {"dimension-details", "ask", ""}


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.inline: dict[int, str] = {}  # index in tags of a <script>/<style> → its text
        self.open: int | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        if tag in ("script", "style"):
            self.open = len(self.tags) - 1
            self.inline[self.open] = ""

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.open = None

    def handle_data(self, data):
        if self.open is not None:
            self.inline[self.open] += data


def _own_inline_files() -> set[str]:
    """The static files a page may carry inline (their hashes are in the CSP)."""
    from pathlib import Path

    import intake
    from intake.assets import inline_sources

    return set(inline_sources(Path(intake.__file__).parent / "static").values())


def assert_inert_html(html: str, where: str) -> None:
    parser = _Collector()
    parser.feed(html)
    parser.close()
    own = _own_inline_files()
    for index, (tag, attrs) in enumerate(parser.tags):
        assert tag not in FORBIDDEN_TAGS, (where, tag, attrs)
        if tag == "details":
            assert attrs.get("class", "") in OWN_DETAILS_CLASSES and set(attrs) <= {
                "class", "open"}, (where, tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (where, tag, attrs)
        if tag == "script" and "src" in attrs:
            assert attrs["src"].startswith("/static/"), (where, attrs)
        elif tag in ("script", "style"):  # inline: only one of our own files, whole
            assert parser.inline.get(index) in own, (where, f"inline <{tag}> element")
        if tag in ("img", "svg", "link", "meta", "form", "a", "body", "input", "button"):
            for name in ("src", "href", "action", "formaction", "http-equiv"):
                value = attrs.get(name, "").strip().lower()
                assert not value.startswith(("javascript:", "data:text", "vbscript:",
                                             "//evil")), (where, tag, attrs)
                assert "refresh" not in value, (where, tag, attrs)
        if tag == "img":
            assert not attrs.get("src", "").startswith("x"), (where, attrs)
        assert "style" not in attrs or "javascript" not in attrs["style"], (where, attrs)
    text = unescape(html)
    assert "7777777" not in text, where  # {{7*'7'}} evaluated
    assert "<class '" not in text and "<Config " not in text, where  # {{config}} evaluated


def assert_template_not_evaluated(html: str, where: str) -> None:
    """A page that shows what was typed shows `{{7*7}}` as typed, never as 49."""
    assert "{{7*7}}" in unescape(html), where


# What intake/templates/snapshot/wheel.svg draws; anything else was injected.
SVG_ELEMENTS = {"svg", "g", "path", "circle", "text", "tspan", "title", "desc", "rect", "defs",
                "pattern"}


def assert_inert_svg(svg: bytes, where: str) -> None:
    root = ElementTree.fromstring(svg)  # well-formed XML, or this raises
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1]
        assert name in SVG_ELEMENTS, (where, name)
        assert not any(attr.rsplit("}", 1)[-1].startswith("on") for attr in element.attrib), \
            (where, element.attrib)
        assert name != "script", where


def assert_no_formulas(xlsx: bytes, where: str) -> None:
    book = load_workbook(io.BytesIO(xlsx))
    formulas = [(ws.title, cell.coordinate, cell.value) for ws in book.worksheets
                for row in ws.iter_rows() for cell in row if cell.data_type == "f"]
    assert formulas == [], (where, formulas[:5])


NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def chunks(items: list, size: int) -> list[list]:
    return [items[start:start + size] for start in range(0, len(items), size)]


# ---------------------------------------------------------------------------- the wizard
@pytest.mark.slow
def test_wizard_fields_and_exports_stay_inert(app):
    city = create_city(name="Hostile Wizardry", population=90_000)
    client = app.test_client()
    open_workspace(client, city)
    fields = ("dp_dr_km", "dp_dr_ict_km", "dp_dr_km__why", "dp_dr_ict_km__why",
              "kpi_ec_ict_d_1a__source")
    shown_template = False
    for batch in chunks([browser_safe(text) for text in HOSTILE], len(fields)):
        fresh_csrf()
        page = client.get(f"/w/c/{DRAINAGE}/0").text
        data = dict(zip(fields, batch, strict=False))
        fresh_csrf()
        response = client.post(f"/w/c/{DRAINAGE}/0", data=step_form(page, data))
        assert response.status_code in (302, 409, 422), (batch, response.status_code)
        fresh_csrf()
        shown = client.get(f"/w/c/{DRAINAGE}/0")
        assert shown.status_code == 200
        assert_inert_html(shown.text, f"step page after {batch!r:.80}")
        if "{{7*7}}" in batch:
            assert_template_not_evaluated(shown.text, "step page")
            shown_template = True
        review = client.get(f"/w/c/{DRAINAGE}/review")
        assert review.status_code == 200
        assert_inert_html(review.text, "review page")
        assert_no_formulas(client.get("/w/export.xlsx").data, f"export after {batch!r:.80}")
        assert_csv_cells_inert(client.get("/w/export.csv").get_data(as_text=True))
    assert shown_template


def assert_csv_cells_inert(csv_text: str) -> None:
    """No cell a spreadsheet would run as a formula (a plain negative number is fine)."""
    import csv

    for row in csv.reader(io.StringIO(csv_text)):
        for cell in row:
            risky = cell[:1] in ("=", "+", "@", "\t", "\r") or (
                cell[:1] == "-" and not re.fullmatch(r"-\d+(\.\d+)?", cell))
            assert not risky, f"CSV cell may run as a formula: {cell!r:.80}"


def test_workbook_import_of_hostile_cells_is_inert(app):
    city = create_city(name="Hostile Import", population=90_000)
    client = app.test_client()
    open_workspace(client, city)
    template = load_workbook(io.BytesIO(export_xlsx(city.id)))
    strings = itertools.cycle(HOSTILE)
    for number in range(2):
        book = Workbook()
        book.remove(book.active)
        for source in template.worksheets:
            ws = book.create_sheet(source.title)
            ws.append([cell.value for cell in source[1]])
            header = header_keys(source)  # the headers are in the city's language
            for row in source.iter_rows(min_row=2, values_only=True):
                row = list(row)
                for column in ("value", "source", "quality_tier", "reference_year"):
                    text = browser_safe(next(strings))
                    # A worksheet (XML) cannot hold control characters: Excel never sends them.
                    row[header.index(column)] = NOT_XML.sub("", text)[:32_000]
                ws.append(row)
        out = io.BytesIO()
        book.save(out)
        fresh_csrf()
        page = client.get("/w/import").text
        fresh_csrf()
        response = client.post("/w/import", data={
            "csrf_token": csrf_token_from(page),
            "workbook": (io.BytesIO(out.getvalue()), f"hostile-{number}.xlsx")},
            content_type="multipart/form-data")
        assert response.status_code in (200, 400), response.status_code
        assert_inert_html(response.text, f"import preview {number}")


# ---------------------------------------------------------------------------- the assistant
SLOTS = ("city_name", "focal_point_name", "representative_name", "representative_title",
         "focal_point_email")
FALLBACK = {"city_name": "Springfield", "country": "Kenya", "population": "250000",
            "economy": "yes", "package": "1", "vision": "A green city.",
            "focal_point_name": "Jane Doe", "focal_point_email": "jane@springfield.gov",
            "representative_name": "John Smith", "representative_title": "Mayor",
            # Every conversation falls back on the same address: each is another city.
            "registered": "different-city"}


def _talk(client, strings: list[str]) -> dict:
    """One conversation: hostile answers first, the plain answer when one is refused."""
    plan = {slot: [text] for slot, text in zip(SLOTS, strings, strict=False)}
    plan["vision"] = ["\n".join(strings[len(SLOTS):])[:3900]]
    conversation_id = start_conversation(client)
    turn = None
    for _ in range(40):
        body = client.get(f"{API}/{conversation_id}").get_json() if turn is None else turn
        slot = body["turn"]["slot"]
        if slot == "confirm":
            break
        queue = plan.get(slot) or []
        text = queue.pop(0) if queue else FALLBACK[slot]
        response = client.post(f"{API}/{conversation_id}/messages", json={"text": text})
        assert response.status_code == 200, (slot, text[:80], response.status_code)
        turn = response.get_json()
        assert turn["done"] is False
    response = client.post(f"{API}/{conversation_id}/messages", json={"text": "yes"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["done"] is True, body["turn"]
    return {"id": conversation_id, **body["result"]}


def _dead_redis_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.mark.slow
def test_assistant_fields_stay_inert_in_pages_letters_svg_and_mail(app, app_factory,
                                                                   database_url):
    from intake.letter.render import render_html

    # A Redis nobody listens on: letters and e-mails wait as pending jobs, so this test
    # renders documents only for the handful it checks (rendering all would be slow).
    quiet = app_factory(database_url, REDIS_URL=_dead_redis_url(), MAIL_SERVER="localhost",
                        MAIL_SUPPRESS_SEND=True)
    with quiet.app_context():
        client = quiet.test_client()
        results = [_talk(client, batch) for batch in chunks(HOSTILE, 10)]
        assert db.session.scalar(select(db.func.count(City.id))) == len(results)
        for number, result in enumerate(results):
            chat = client.get(f"/assistant/{result['id']}")
            assert chat.status_code == 200
            assert_inert_html(chat.text, f"chat {number}")
            letter = db.session.execute(select(Letter).where(
                Letter.conversation_id == result["id"])).scalar_one()
            page = render_html(letter.content, letter.fee, locale=letter.locale,
                               template_version=letter.template_version,
                               letter_date=letter.created_at.date())
            assert_inert_html(page.html, f"letter {number}")
            visitor = quiet.test_client()
            assert visitor.get(urlsplit(result["workspace_url"]).path).status_code == 302
            workspace = visitor.get("/w/")
            assert workspace.status_code == 200
            assert_inert_html(workspace.text, f"workspace {number}")
            snapshot = visitor.get("/snapshot/")
            assert snapshot.status_code == 200
            assert_inert_html(snapshot.text, f"snapshot {number}")
            svg = visitor.get("/snapshot/wheel.svg")
            assert svg.status_code == 200
            assert_inert_svg(svg.data, f"wheel {number}")

        # Documents for a handful: the PDF renders, the DOCX opens, the text is as typed.
        import docx

        for result in results[:3]:
            letter = db.session.execute(select(Letter).where(
                Letter.conversation_id == result["id"])).scalar_one()
            job = db.session.execute(select(JobRecord).where(
                JobRecord.key == f"letter-render:{letter.id}:{letter.download_key}")
            ).scalar_one()
            run_job(job.id)
            pdf = client.get(urlsplit(result["letter"]["pdf_url"]).path)
            assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
            document = client.get(urlsplit(result["letter"]["docx_url"]).path)
            assert document.status_code == 200
            opened = docx.Document(io.BytesIO(document.data))
            assert any(paragraph.text.strip() for paragraph in opened.paragraphs)

        # E-mails: the recipients are the ones expected and no header was added.
        secretariat = quiet.config["SECRETARIAT_EMAIL"]
        with mail.record_messages() as outbox:
            for job in db.session.execute(select(JobRecord).where(
                    JobRecord.kind == "mail.send")).scalars().all():
                run_job(job.id)
        assert len(outbox) == 2 * len(results)
        focal_points = {db.session.get(City, r["city_id"]).focal_point_email for r in results}
        for message in outbox:
            assert len(message.recipients) == 1
            assert message.recipients[0] in focal_points | {secretariat}
            parsed = email.message_from_bytes(message.as_bytes())
            headers = {name.lower() for name in parsed}
            assert headers <= {"content-type", "mime-version", "content-transfer-encoding",
                               "subject", "from", "to", "date", "message-id"}, headers
            assert "\n" not in (message.subject or "") and "\r" not in (message.subject or "")
            assert parsed["To"] == message.recipients[0]
