"""Downloads of participation letters by signed token: /letters/<token>.html|.pdf|.docx.

Thin views: look the letter up by its token and send the stored document.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from intake.services.letters import (
    letter_for_link,
    link_from_token,
    served_document,
    stored_document,
)

bp = Blueprint("letters", __name__, url_prefix="/letters")


@bp.get("/<token>.<any(html, pdf, docx):kind>")
def download(token: str, kind: str):
    document = served_document(token, kind)
    if document is None:
        link = link_from_token(token)
        letter = letter_for_link(link) if link is not None else None
        if letter is None:
            abort(404)
        if not letter.is_rendered:
            # Rendering runs in the background; the page refreshes itself (a meta refresh,
            # no script) until the documents are there.
            response = Response(render_template("letter/preparing.html", kind=kind),
                                status=202)
            response.headers["Retry-After"] = "5"
            response.headers["Cache-Control"] = "no-store"
            return response
        document = stored_document(letter, token=token, link=link, kind=kind)
    if request.if_none_match.contains(document.etag):
        return Response(status=304, headers={"ETag": f'"{document.etag}"'})
    response = Response(document.body)
    response.headers["Content-Type"] = document.media_type
    if document.filename:
        response.headers.set("Content-Disposition", "attachment", filename=document.filename)
    response.set_etag(document.etag)
    # The link is the key: keep it out of shared caches and referrers.
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
