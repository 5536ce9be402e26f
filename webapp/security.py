"""Response headers that every page and API answer carries: CSP, framing, sniffing, referrer."""
from __future__ import annotations

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

# No inline script or style and no eval: htmx is configured (templates/base.html) not to need them.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus building a signer for requests without a cookie.

    API clients never send one, and the signer (a key derivation) cost a fifth of answering
    ``GET /api/tasks``.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def init_app(app: Flask) -> None:
    """Call before the other extensions: the cookie hook must run after theirs (Flask-Login's)."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops:  # the client's address (for the login throttle) and scheme, as the proxies saw them
        # Flask's documented way to add WSGI middleware is to replace this method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.session_interface = CookieSessions()

    @app.after_request
    def secure_cookies(response: Response) -> Response:
        """A cookie set over HTTPS (straight, or through a trusted proxy) is never sent over HTTP."""
        cookies = response.headers.getlist("Set-Cookie")
        if request.is_secure and cookies:
            response.headers.setlist("Set-Cookie", [c if "; Secure" in c else f"{c}; Secure" for c in cookies])
        return response

    @app.after_request
    def secure_headers(response: Response) -> Response:
        if "Content-Security-Policy" not in response.headers:  # this hook sets all four together
            response.headers.extend(HEADERS)
        return response
