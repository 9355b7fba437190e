"""Delivery on slow lines: compressed responses, content-hashed static URLs, Vary by language.

Static files are linked as /static/<file>?v=<first 12 hex of its sha256>, the hashes read
once at start-up. A request carrying the current hash gets a year of `immutable` caching, so
a warm page never re-validates its stylesheet or scripts; a new deploy changes the hash and
hence the URL. A request without (or with an old) hash is answered as before, `no-cache`
with an ETag, so stale links still work.

A page most visitors open with an empty cache (the City Snapshot, opened from a link sent
to them) carries its stylesheet and script inline instead: on a 400 ms line each linked
file costs a round trip before the page is usable. The inline copies are allowed by their
sha256 in the Content-Security-Policy (no 'unsafe-inline').
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from pathlib import Path

from flask import Flask, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_compress import Compress
from markupsafe import Markup

IMMUTABLE_MAX_AGE = 31_536_000
HASH_PARAMETER = "v"

# Flask-Compress settings: what is worth compressing and how hard. Brotli level 5 and gzip
# level 6 are close to the best ratio for pages of 10–150 kB at a fraction of the CPU of the
# maxima; under 500 bytes the headers cost more than compression saves.
COMPRESS_SETTINGS = {
    "COMPRESS_MIMETYPES": [
        "text/html", "text/css", "text/javascript", "application/javascript",
        "image/svg+xml", "application/json", "application/problem+json", "text/csv",
        "text/plain", "application/xml",
    ],
    "COMPRESS_MIN_SIZE": 500,
    "COMPRESS_LEVEL": 6,
    "COMPRESS_BR_LEVEL": 5,
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    # Streamed responses (CSV exports) pass untouched: Flask-Compress's stream compressors
    # hold output back until megabytes have been produced, so a download would stall
    # instead of starting at once. Static files are read whole and compressed (below).
    "COMPRESS_STREAMS": False,
    "COMPRESS_REGISTER": True,
}
# Flask-Compress marks a compressed representation's ETag "<etag>:br". A client sends that
# back in If-None-Match / If-Match; the views compare with their own "<etag>", so the
# suffix is taken off first: a 304 is then answered before any work, and an API write with
# the ETag it read is not refused with 412.
_ENCODING_SUFFIX = re.compile(r':(?:br|gzip|deflate|zstd)"')

compress = Compress()

# Static files a page may carry inline (see inline_static), by CSP directive.
INLINE_FILES = {"css/portal.css": "style-src", "js/sections.js": "script-src"}


def file_hashes(folder: str | Path) -> dict[str, str]:
    """Relative path (with /) → short sha256 of every file under the static folder."""
    root = Path(folder)
    hashes: dict[str, str] = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            hashes[path.relative_to(root).as_posix()] = digest
    return hashes


def inline_sources(folder: str | Path) -> dict[str, str]:
    """Text of each file in INLINE_FILES, exactly as a page inlines it."""
    return {name: (Path(folder) / name).read_text(encoding="utf-8") for name in INLINE_FILES}


def inline_csp_sources(folder: str | Path) -> dict[str, list[str]]:
    """CSP directive → the 'sha256-…' sources that allow the inline copies, and nothing else."""
    allowed: dict[str, list[str]] = {}
    for name, text in inline_sources(folder).items():
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
        allowed.setdefault(INLINE_FILES[name], []).append(f"'sha256-{digest}'")
    return allowed


def inline_static(filename: str) -> Markup:
    """A static file's text for a <style> or <script> element (its hash is in the CSP).

    It must be written with nothing between the tags and the text, or the hash differs."""
    text = current_app.extensions["intake.inline_sources"][filename]
    if "</" in text:  # would end the element early
        raise ValueError(f"{filename} cannot be inlined: it contains '</'")
    return Markup(text)  # noqa: S704  (our own file, read at start-up)


def static_hash(filename: str) -> str | None:
    return current_app.extensions["intake.static_hashes"].get(filename)


def _add_static_hash(endpoint: str, values: dict) -> None:
    if endpoint == "static" and HASH_PARAMETER not in values:
        digest = static_hash(values.get("filename", ""))
        if digest:
            values[HASH_PARAMETER] = digest


def _cache_hashed_static(response):
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    if response.status_code == 200 and response.is_streamed and (
            response.mimetype in current_app.config["COMPRESS_MIMETYPES"]):
        # Read the (small) file now so it is compressed whole: Flask-Compress's streaming
        # path replaces the file wrapper by a generator and would never close the file.
        wrapper = response.response
        try:
            data = b"".join(wrapper)
        finally:
            wrapper.close()
        response.direct_passthrough = False
        response.set_data(data)
    filename = (request.view_args or {}).get("filename", "")
    digest = static_hash(filename)
    if digest and request.args.get(HASH_PARAMETER) == digest:
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = IMMUTABLE_MAX_AGE
        response.cache_control.immutable = True
    return response


def _strip_encoding_from_validators() -> None:
    for header in ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH"):
        value = request.environ.get(header)
        if value and ":" in value:
            request.environ[header] = _ENCODING_SUFFIX.sub('"', value)


def _vary_by_language(response):
    # The page's language came from the cookie or Accept-Language (not the address): a
    # shared cache must key on both, or it can serve a page in someone else's language.
    if request.endpoint != "static" and getattr(g, "language_source", None) in (
            "cookie", "accept-language"):
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, minus `Vary: Cookie` on static files.

    Flask-Login reads the session on every request, so Flask marks every response as
    varying by Cookie. A static file is the same for everyone: with the Vary, a browser
    would fetch the stylesheet again whenever the session cookie changes (after each save
    with a message), and shared caches would keep one copy per visitor.
    """

    def get_signing_serializer(self, app):
        # Flask builds a new serializer (key derivation setup, JSON tagger) on every request;
        # it depends only on the keys, so one is kept per set of keys.
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = getattr(self, "_serializer", None)
        if cached is not None and cached[0] == keys:
            return cached[1]
        serializer = super().get_signing_serializer(app)
        self._serializer = (keys, serializer)
        return serializer

    def save_session(self, app, session, response) -> None:
        super().save_session(app, session, response)
        if request.endpoint == "static":
            # (HeaderSet.discard does not write back: set the header anew.)
            kept = [name for name in response.vary if name.lower() != "cookie"]
            response.headers["Vary"] = ", ".join(kept)


def init_assets(app: Flask) -> None:
    for key, value in COMPRESS_SETTINGS.items():
        app.config.setdefault(key, value)
    compress.init_app(app)
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = SessionInterface()
    app.extensions["intake.static_hashes"] = file_hashes(app.static_folder)
    app.extensions["intake.inline_sources"] = inline_sources(app.static_folder)
    app.add_template_global(inline_static)
    app.url_defaults(_add_static_hash)
    app.before_request(_strip_encoding_from_validators)
    app.after_request(_cache_hashed_static)
    app.after_request(_vary_by_language)
