"""Security headers on every response (CSP without inline script, HSTS in production),
pages opened by a link kept out of caches and search engines, and trusted proxies."""

from __future__ import annotations

from flask import Flask, request
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

# Pages opened by a capability link (the link is the key): never in a shared cache, never in
# a search engine, whatever the view itself said.
WORKSPACE_PREFIX = "/w"
SNAPSHOT_PREFIX = "/snapshot"

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


class _Talisman(Talisman):
    """Talisman whose site-wide Referrer-Policy does not overwrite a view's own stricter one
    (the letter downloads send `no-referrer`: their link is the key)."""

    def _set_referrer_policy_headers(self, headers):
        headers.setdefault("Referrer-Policy", self.referrer_policy)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def keep_link_pages_private(response):
    path = request.path
    if _under(path, WORKSPACE_PREFIX):
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    elif _under(path, SNAPSHOT_PREFIX):
        # The snapshot may stay in the visitor's own cache (revalidated by ETag), never in
        # a shared one.
        if "private" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "private, no-cache"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def configure_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, read the client's address, scheme and host
    from their X-Forwarded-* headers (rate limits per client, not one bucket for all)."""
    count = app.config.get("TRUSTED_PROXIES", 0)
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count,
                                x_port=count, x_prefix=0)


def content_security_policy(app: Flask) -> dict:
    """The policy, with the hashes of the static files pages may carry inline."""
    from intake.assets import inline_csp_sources

    policy = {key: value if isinstance(value, str) else list(value)
              for key, value in CONTENT_SECURITY_POLICY.items()}
    for directive, sources in inline_csp_sources(app.static_folder).items():
        policy[directive] = " ".join([policy[directive], *sources])
    return policy


def configure_security_headers(app: Flask) -> None:
    production = app.config["PRODUCTION"]
    app.after_request(keep_link_pages_private)
    _Talisman(
        app,
        force_https=production,
        strict_transport_security=production,
        strict_transport_security_max_age=31_536_000,
        session_cookie_secure=production,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        content_security_policy=content_security_policy(app),
        frame_options="DENY",
        # Keep the origin on same-site requests: Flask-WTF's HTTPS CSRF check needs a Referer.
        referrer_policy="strict-origin-when-cross-origin",
        x_content_type_options=True,
    )
