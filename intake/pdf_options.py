"""The options every PDF of the portal is written with: tagged, PDF/UA-1, language set."""

from __future__ import annotations

# PDF/UA-1 makes WeasyPrint write a structure tree (headings, paragraphs, tables, lists in
# reading order), MarkInfo and the document's /Lang from <html lang>, so a screen reader
# reads a letter or a report as it reads the web page. Every template sets lang and a title.
ACCESSIBLE_PDF = {"pdf_variant": "pdf/ua-1"}
