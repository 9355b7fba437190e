"""Thin, read-only views of published cities; anything not published with consent is a 404."""

from __future__ import annotations

from flask import Response, abort, render_template, request, url_for

from intake.i18n import current_language, text_direction
from intake.public import bp
from intake.services import gains as gains_service
from intake.services import improvement as improvement_service
from intake.services import publication as publication_service

# Short enough that a city taken off the pages drops out of shared caches quickly; the
# server itself answers 404 from the moment it is unpublished.
MAX_AGE = 60
PER_PAGE = 24


def _cacheable(response: Response) -> Response:
    # ?lang= sets the visitor's language cookie: such an answer is theirs, not shared.
    scope = "private" if request.args.get("lang") else "public"
    response.headers["Cache-Control"] = f"{scope}, max-age={MAX_AGE}"
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")  # the remembered language choice
    response.add_etag()
    return response.make_conditional(request)


def _published(public_id: str):
    found = publication_service.public_city(public_id)
    if found is None:
        abort(404)
    return found


def _language() -> tuple[str, bool]:
    language = current_language()
    return language, text_direction(language) == "rtl"


@bp.get("/")
def index():
    from intake.services import paging

    page, _size = paging.clamp(request.args.get("page", 1))
    search = request.args.get("q", "").strip()[:100]
    found = publication_service.published_page(page=page, per_page=PER_PAGE, search=search)
    language, _rtl = _language()
    dimensions = [(d.id, d.name.get(language)) for d in gains_service.catalog().dimensions]
    html = render_template("public/index.html", rows=found.items, page=found, search=search,
                           public_page=True, certified=_certified, dimensions=dimensions)
    return _cacheable(Response(html, mimetype="text/html"))


@bp.get("/<public_id>")
def city(public_id: str):
    from intake.snapshot.data import build_snapshot

    city, consent = _published(public_id)
    language, rtl = _language()
    snapshot = build_snapshot(city, language, rtl)
    initiatives = (improvement_service.initiatives_by_category(city.id)
                   if consent.include_initiatives else {})
    html = render_template("public/city.html", city=city, consent=consent, snapshot=snapshot,
                           initiatives=initiatives, public_page=True,
                           certified=_certified(city),
                           svg_url=url_for("public.snapshot_svg", public_id=public_id))
    return _cacheable(Response(html, mimetype="text/html"))


@bp.get("/<public_id>/snapshot.svg")
def snapshot_svg(public_id: str):
    from intake.snapshot.data import build_snapshot
    from intake.snapshot.render import svg_text

    city, _consent = _published(public_id)
    language, rtl = _language()
    response = Response(svg_text(build_snapshot(city, language, rtl)), mimetype="image/svg+xml")
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Embeddable on other sites as an image.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return _cacheable(response)


@bp.get("/<public_id>/certificate.pdf")
def certificate(public_id: str):
    from intake.services import reports

    city, _consent = _published(public_id)
    if not reports.has_certificate(city):
        abort(404)
    language, rtl = _language()
    response = Response(reports.certificate_pdf(city, language, rtl),
                        mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'inline; filename="{reports.filename(city, "certificate", "pdf")}"')
    return _cacheable(response)


def _certified(city) -> bool:
    from intake.services import reports

    return reports.has_certificate(city)
