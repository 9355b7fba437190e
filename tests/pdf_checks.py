"""Checks that a PDF is tagged for assistive technology and says its language."""

from __future__ import annotations

import io
import re
import subprocess

from pypdf import PdfReader


def assert_accessible_pdf(data: bytes, language: str) -> None:
    """Tagged (StructTreeRoot, MarkInfo /Marked true), /Lang set, a title shown."""
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root, "the PDF has no structure tree (untagged)"
    assert root["/MarkInfo"]["/Marked"], "the PDF is not marked as tagged"
    assert str(root["/Lang"]).lower().startswith(language), root.get("/Lang")
    # PDF/UA: the window shows the document's title, not its file name.
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert reader.metadata and reader.metadata.title


def pdf_text(data: bytes) -> str:
    """The PDF's text as poppler lays it out (what a reader copies)."""
    assert data.startswith(b"%PDF"), data[:40]
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data,
                            capture_output=True, check=True, timeout=120)
    return result.stdout.decode()


def line_sides(data: bytes) -> tuple[int, int]:
    """How many text lines start at the left margin, and how many end at the right one.

    Left-to-right text is flush left and ragged right; right-to-left text the reverse.
    Centred lines (titles) and short ones (table cells) count for neither.
    """
    assert data.startswith(b"%PDF")
    result = subprocess.run(["pdftotext", "-bbox-layout", "-", "-"], input=data,
                            capture_output=True, check=True, timeout=120)
    xml = result.stdout.decode()
    left = right = 0
    for page in re.finditer(r'<page width="([\d.]+)".*?</page>', xml, re.S):
        width = float(page.group(1))
        for line in re.finditer(r'<line xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"',
                                page.group(0)):
            start, end = float(line.group(1)), width - float(line.group(2))
            if abs(start - end) < 0.05 * width or width - start - end < 0.3 * width:
                continue  # centred, as wide as the page, or a short cell of a table
            if start < end:
                left += 1
            else:
                right += 1
    return left, right


def assert_pdf_direction(data: bytes, rtl: bool) -> None:
    """Most lines sit against the margin the language starts from."""
    left, right = line_sides(data)
    if left == right == 0:
        return  # every line centred (a certificate): nothing leans either way
    if rtl:
        assert right > left, f"right-to-left PDF: {left} lines flush left, {right} right"
    else:
        assert left > right, f"left-to-right PDF: {left} lines flush left, {right} right"
