"""Checks that a PDF is tagged for assistive technology and says its language."""

from __future__ import annotations

import io

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
