"""Delivery on slow lines: compressed responses, content-hashed static URLs, Vary by language.

Static files are linked as /static/<file>?v=<first 12 hex of its sha256>, the hashes read
once at start-up. A request carrying the current hash gets a year of `immutable` caching, so
a warm page never re-validates its stylesheet or scripts; a new deploy changes the hash and
hence the URL. A request without (or with an old) hash is answered as before, `no-cache`
with an ETag, so stale links still work.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from flask import Flask, current_app, g, request
from flask_compress import Compress

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
    # Streamed responses (static files, CSV exports) are compressed chunk by chunk as they
    # are sent, never buffered whole, so an export of any size keeps streaming.
    "COMPRESS_STREAMS": True,
    "COMPRESS_ALGORITHM_STREAMING": ["br", "deflate"],
    "COMPRESS_REGISTER": True,
}
# Flask-Compress marks a compressed representation's ETag "<etag>:br". A client sends that
# back in If-None-Match / If-Match; the views compare with their own "<etag>", so the
# suffix is taken off first: a 304 is then answered before any work, and an API write with
# the ETag it read is not refused with 412.
_ENCODING_SUFFIX = re.compile(r':(?:br|gzip|deflate|zstd)"')

compress = Compress()


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
    filename = (request.view_args or {}).get("filename", "")
    digest = static_hash(filename)
    if digest and request.args.get(HASH_PARAMETER) == digest:
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = IMMUTABLE_MAX_AGE
        response.cache_control.immutable = True
        # The session is read on every request (login, CSRF), so Flask adds Vary: Cookie;
        # a static file is the same for everyone and shared caches may keep one copy.
        response.vary.discard("Cookie")
    return response


def _strip_encoding_from_validators() -> None:
    for header in ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH"):
        value = request.environ.get(header)
        if value and ":" in value:
            request.environ[header] = _ENCODING_SUFFIX.sub('"', value)


def _vary_by_language(response):
    # The page's language came from the cookie or Accept-Language (not the address): a
    # shared cache must key on both, or it can serve a page in someone else's language.
    if getattr(g, "language_source", None) in ("cookie", "accept-language"):
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


def init_assets(app: Flask) -> None:
    for key, value in COMPRESS_SETTINGS.items():
        app.config.setdefault(key, value)
    compress.init_app(app)
    app.extensions["intake.static_hashes"] = file_hashes(app.static_folder)
    app.url_defaults(_add_static_hash)
    app.before_request(_strip_encoding_from_validators)
    app.after_request(_cache_hashed_static)
    app.after_request(_vary_by_language)
