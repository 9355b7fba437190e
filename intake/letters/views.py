"""Thin views: look the letter up by its token and send the stored document."""

from __future__ import annotations

from flask import Response, abort, render_template, request

from intake.letters import bp
from intake.services.letters import (
    MEDIA_TYPES,
    download_filename,
    letter_from_token,
)


@bp.get("/<token>.<any(html, pdf, docx):kind>")
def download(token: str, kind: str):
    letter = letter_from_token(token)
    if letter is None:
        abort(404)
    if not letter.is_rendered:
        # Rendering runs in the background; the page refreshes itself (a meta refresh,
        # no script) until the documents are there.
        response = Response(render_template("letter/preparing.html", kind=kind), status=202)
        response.headers["Retry-After"] = "5"
        response.headers["Cache-Control"] = "no-store"
        return response
    etag = f"{letter.content_hash}-{kind}"
    if request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    response = Response(getattr(letter, kind), mimetype=MEDIA_TYPES[kind].split(";")[0])
    if kind == "html":
        response.headers["Content-Type"] = MEDIA_TYPES["html"]
    else:
        response.headers.set("Content-Disposition", "attachment",
                             filename=download_filename(letter, kind))
    response.set_etag(etag)
    # The link is the key: keep it out of shared caches and referrers.
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
