"""Error pages in the visitor's language, and JSON errors for the API."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("We could not understand that request"),
          _l("Something in what was sent is not in the form we expect. Go back and try again.")),
    403: (_l("You cannot open this page"),
          _l("Your account does not give access to this page. Sign in with another account "
             "or ask the secretariat.")),
    404: (_l("Page not found"),
          _l("This address does not lead anywhere. It may have been typed wrongly or the "
             "page may have moved.")),
    405: (_l("That action is not possible here"),
          _l("This page cannot be used that way. Go back and use the buttons on the page.")),
    409: (_l("This change is not possible now"),
          _l("Someone changed this in the meantime, or its state does not allow it. Reload "
             "the page and try again.")),
    413: (_l("The file is too large"),
          _l("What you sent is larger than the portal accepts. Send a smaller file, or "
             "split it into several.")),
    429: (_l("Too many attempts"),
          _l("Please wait a minute before trying again.")),
    503: (_l("The portal is busy"),
          _l("Many documents are being prepared right now. Please try again in a minute.")),
    500: (_l("Something went wrong on our side"),
          _l("Nothing you did caused this. What you entered before this page was saved. "
             "Please try again in a moment.")),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def render_error(code: int, description: str | None = None):
    title, text = MESSAGES.get(code, MESSAGES[500])
    if _wants_json():
        return jsonify({"error": {"code": code, "message": str(title),
                                  "detail": str(description or text)}}), code
    return render_template("errors/error.html", code=code, title=title,
                           text=description or text), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, str(_l("This form had expired. Nothing was saved from it; "
                                        "please fill it in again.")))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if isinstance(error, SecurityError):
            # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no page either.
            return error
        if error.code in MESSAGES:
            response = make_response(render_error(error.code))
            retry_after = getattr(error, "retry_after", None)
            if isinstance(retry_after, int):
                response.headers["Retry-After"] = str(retry_after)
            return response
        return error

    from intake.services.values import CityFrozen

    @app.errorhandler(CityFrozen)
    def city_frozen(error: CityFrozen):
        # Raised by the one check every writer of a city's figures goes through, so no
        # path (wizard, import, new reference year, answers, API) changes verified data.
        from intake.extensions import db

        db.session.rollback()
        return render_error(409, str(error))

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        log.exception("server error on %s %s", request.method, request.path)
        return render_error(500)
