"""The letter as DOCX, built with python-docx from the rendered HTML, so it can be signed.

The HTML is the single source of the wording: this walks its few block elements (h1, p,
blockquote) and inline ones (strong, br, bdi/span) and writes paragraphs and runs.
python-docx escapes text for XML itself, so user text (already unescaped by the parser)
cannot break the document. Arabic paragraphs get <w:bidi/> and their runs <w:rtl/>.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from html.parser import HTMLParser

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

BLOCKS = {"p", "h1", "blockquote"}
FONTS = {
    "ar": ("Noto Naskh Arabic", "Noto Naskh Arabic"),
    "zh": ("Noto Sans CJK SC", "Noto Sans CJK SC"),
}
DEFAULT_FONT = ("Noto Sans", "Noto Sans Arabic")


@dataclass
class Run:
    text: str
    bold: bool = False
    line_break: bool = False


@dataclass
class Block:
    tag: str
    classes: set[str]
    quoted: bool = False
    runs: list[Run] = field(default_factory=list)


class LetterHTMLParser(HTMLParser):
    """Collects the <main> of the letter as blocks of runs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title = ""
        self._in_main = False
        self._in_title = False
        self._bold = 0
        self._quote = 0
        self._current: Block | None = None

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        if tag == "main":
            self._in_main = True
        elif tag == "title":
            self._in_title = True
        elif not self._in_main:
            return
        elif tag == "blockquote":
            self._quote += 1
        elif tag in BLOCKS:
            self._current = Block(tag=tag, classes=classes, quoted=self._quote > 0)
            self.blocks.append(self._current)
        elif tag == "strong":
            self._bold += 1
        elif tag == "br" and self._current is not None:
            self._current.runs.append(Run("", line_break=True))

    def handle_endtag(self, tag):
        if tag == "main":
            self._in_main = False
        elif tag == "title":
            self._in_title = False
        elif tag == "blockquote":
            self._quote -= 1
        elif tag in BLOCKS:
            self._current = None
        elif tag == "strong":
            self._bold -= 1

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._current is None or not self._in_main:
            return
        text = " ".join(data.split())
        if not text:
            return
        # Keep the single spaces that separate inline elements.
        if data[:1].isspace() and self._current.runs:
            text = " " + text
        if data[-1:].isspace():
            text += " "
        self._current.runs.append(Run(text, bold=self._bold > 0))


def _set_rtl(paragraph) -> None:
    properties = paragraph._p.get_or_add_pPr()
    bidi = OxmlElement("w:bidi")
    properties.insert(0, bidi)


def _run_fonts(run, language: str, rtl: bool) -> None:
    latin, complex_script = FONTS.get(language, DEFAULT_FONT)
    run.font.name = latin
    r_pr = run._r.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    fonts.set(qn("w:cs"), complex_script)
    fonts.set(qn("w:eastAsia"), FONTS.get("zh")[0])
    if rtl:
        r_pr.append(OxmlElement("w:rtl"))


def render_docx(html: str, *, language: str, direction: str) -> bytes:
    parser = LetterHTMLParser()
    parser.feed(html)
    parser.close()
    rtl = direction == "rtl"

    document = Document()
    document.core_properties.title = " ".join(parser.title.split())[:250]
    document.core_properties.language = language
    style = document.styles["Normal"]
    style.font.size = Pt(11)
    section = document.sections[0]
    section.page_height, section.page_width = 10692130, 7560310  # A4 in EMU

    for block in parser.blocks:
        paragraph = document.add_paragraph()
        if rtl:
            _set_rtl(paragraph)
        if "letter-date" in block.classes and not rtl:
            # The date sits at the end of the line, as in the HTML; an RTL paragraph
            # already starts on the right, and Word's left/right flip under w:bidi.
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if block.quoted:
            paragraph.paragraph_format.left_indent = Pt(18) if not rtl else None
            paragraph.paragraph_format.right_indent = Pt(18) if rtl else None
        if "letter-signature-line" in block.classes:
            paragraph.paragraph_format.space_before = Pt(36)
            document_text = "_" * 30
            line = paragraph.add_run(document_text)
            _run_fonts(line, language, rtl)
            line.add_break()
        if "letter-signature-date" in block.classes:
            block.runs.append(Run(" " + "_" * 20))
        if "letter-stamp" in block.classes:
            paragraph.paragraph_format.space_before = Pt(24)
        for item in block.runs:
            if item.line_break:
                paragraph.add_run().add_break()
                continue
            run = paragraph.add_run(item.text)
            run.bold = item.bold or block.tag == "h1"
            run.italic = block.quoted and language not in ("ar", "zh")
            if "letter-footer" in block.classes:
                run.font.size = Pt(8)
            _run_fonts(run, language, rtl)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
