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
    (the letter downloads send `no-referrer`: their link is the key), and whose headers are
    built once per configuration instead of on every response.

    Stock Talisman looks up per-view options, parses the CSP dictionary into its string and
    sets eight headers one by one on every response (about a fifth of a bare portal request).
    No view here has options of its own (`@talisman(...)`), so the header values are the same
    for every response: they are computed on the first request and copied from then on. A
    view given its own options later goes back to Talisman's per-request path.
    """

    _fixed: tuple[tuple[tuple[str, str], ...], frozenset[str]] | None = None
    _per_view: bool | None = None

    def _set_referrer_policy_headers(self, headers):
        headers.setdefault("Referrer-Policy", self.referrer_policy)

    def _views_have_options(self) -> bool:
        if self._per_view is None:
            self._per_view = any(hasattr(view, "talisman_view_options")
                                 for view in self.app.view_functions.values())
        return self._per_view

    def _fixed_headers(self):
        """(name, value) pairs of every header but HSTS and Referrer-Policy, as stock Talisman
        writes them for a view without options of its own."""
        if self._fixed is None:
            from werkzeug.datastructures import Headers

            headers = Headers()
            options = {"force_https": self.force_https, "frame_options": self.frame_options,
                       "frame_options_allow_from": self.frame_options_allow_from,
                       "content_security_policy": self.content_security_policy,
                       "content_security_policy_nonce_in":
                           self.content_security_policy_nonce_in,
                       "permissions_policy": self.permissions_policy,
                       "document_policy": self.document_policy,
                       "feature_policy": self.feature_policy}
            self._set_feature_policy_headers(headers, options)
            self._set_permissions_policy_headers(headers, options)
            self._set_document_policy_headers(headers, options)
            self._set_frame_options_headers(headers, options)
            items = tuple(headers.items())
            # The CSP string without a request (no nonce is configured: see _make_nonce).
            policy = self.content_security_policy
            if policy:
                text = "; ".join(
                    f"{section} {content if isinstance(content, str) else ' '.join(content)}"
                    for section, content in policy.items()) if not isinstance(
                    policy, str) else policy
                if self.content_security_policy_report_uri and "report-uri" not in text:
                    text += "; report-uri " + self.content_security_policy_report_uri
                name = "Content-Security-Policy"
                if self.content_security_policy_report_only:
                    name += "-Report-Only"
                extra = []
                if self.x_xss_protection:
                    extra.append(("X-XSS-Protection", "1; mode=block"))
                if self.x_content_type_options:
                    extra.append(("X-Content-Type-Options", "nosniff"))
                if self.force_file_save:
                    extra.append(("X-Download-Options", "noopen"))
                items += (*extra, (name, text))
            self._fixed = (items, frozenset(name.lower() for name, _ in items))
        return self._fixed

    def _set_response_headers(self, response):
        if self._views_have_options() or self.content_security_policy_nonce_in or isinstance(
                self.content_security_policy, str):
            return super()._set_response_headers(response)
        items, names = self._fixed_headers()
        headers = response.headers
        # Replace, as Talisman's `headers[name] = value` does, in one pass over the list.
        if any(name.lower() in names for name, _ in headers.items()):
            for name, _ in items:
                del headers[name]
        headers.extend(items)
        self._set_hsts_headers(headers)
        self._set_referrer_policy_headers(headers)
        return response

    def _make_nonce(self):
        if self._views_have_options() or self.content_security_policy_nonce_in:
            return super()._make_nonce()
        return None

    def _force_https(self):
        if self.force_https or self._views_have_options():
            return super()._force_https()
        if self.session_cookie_secure and not self.app.debug:
            self.app.config["SESSION_COOKIE_SECURE"] = True
        return None


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
