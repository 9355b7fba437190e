"""A letter's PDF (WeasyPrint), with a URL fetcher that loads nothing but the app's own files."""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from flask import current_app
from weasyprint.urls import URLFetcherResponse

from intake.pdf_options import ACCESSIBLE_PDF

log = logging.getLogger(__name__)


class RefusedURL(ValueError):
    """A resource the letter may not load (anything but data: and the app's static files)."""


class LetterURLFetcher(weasyprint.URLFetcher):
    """Loads only data: URLs and files inside the app's static folder; never the network.

    User text can hold URLs (a vision paragraph with <img src=…> is escaped, but the
    stylesheet and any future logo are fetched): file:///etc/passwd, http://127.0.0.1 or
    a redirect to them must not end up in, or be probed by, a letter.
    """

    def __init__(self, static_folder: str | Path):
        super().__init__(timeout=5, allowed_protocols=("data", "file"),
                         allow_redirects=False, fail_on_errors=False)
        self.static_root = Path(static_folder).resolve()
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            parts = urlsplit(url)
            path = Path(unquote(parts.path)).resolve()
            if parts.netloc in ("", "localhost") and path.is_relative_to(self.static_root) \
                    and path.is_file():
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    path.as_uri(), body=path.read_bytes(),
                    headers={"Content-Type": content_type})
        self.refused.append(url)
        log.warning("letter PDF: refused to fetch %s", url[:200])
        raise RefusedURL(f"letters may not load {url[:200]}")


def render_pdf(html: str, *, fetcher: LetterURLFetcher | None = None) -> bytes:
    """The PDF of a letter's HTML; its stylesheet is read from the static folder."""
    static_folder = Path(current_app.static_folder)
    fetcher = fetcher or LetterURLFetcher(static_folder)
    document = weasyprint.HTML(string=html, base_url=static_folder.as_uri() + "/",
                               url_fetcher=fetcher)
    return document.write_pdf(**ACCESSIBLE_PDF)
