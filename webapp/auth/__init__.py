"""Authentication: dashboard sessions (Flask-Login), API keys, and CSRF (Flask-WTF)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TypeVar

from flask import Flask, current_app, g, request
from werkzeug.wrappers import Response
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from ..clock import now_utc
from ..db import get_db
from ..errors import Unauthorized, ValidationError
from ..models import User
from . import api_keys, users
from .recent import Recent
from .throttle import LoginThrottle

V = TypeVar("V")
RECENT_KEYS, RECENT_SESSIONS = "cinephage.recent_keys", "cinephage.recent_sessions"

login_manager = LoginManager()
csrf = CSRFProtect()
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
QUERY_KEY_NAMES = ("apikey", "api_key", "apiKey", "x-api-key", "key")
# The only routes open to anyone; every other route needs a logged-in user or, for the JSON
# routes (which check it themselves with ``require_api_auth``) and the demo indexer's feed
# (which checks Torznab's ``apikey``), an API key.
PUBLIC_ENDPOINTS = frozenset({"health.healthz", "auth.login", "static", "api.openapi", "pages.favicon"})
KEY_BLUEPRINTS = frozenset({"api", "stream", "demo"})
LOGIN_BODY_LIMIT = 16 * 1024  # a user name, a password and a token


def init_app(app: Flask) -> None:
    app.extensions[RECENT_KEYS] = Recent[bool]()  # by the key's digest
    app.extensions[RECENT_SESSIONS] = Recent[User]()  # by ``User.get_id()``: a page costs no user query
    app.extensions["cinephage.login_throttle"] = LoginThrottle(app.extensions["cinephage.db"])
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    # Before CSRF's check, which reads a form: a stranger's body is refused from its headers, unread.
    app.before_request(_guard)
    csrf.init_app(app)
    from . import routes

    app.register_blueprint(routes.bp)


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """Both the session and the remember cookie name the user with ``User.get_id()``.

    Answered from the users verified in the last ``Recent.ttl`` seconds: a session ended by
    another process stops working within that time, one ended here at once (``forget_sessions``).
    """
    return _recalled(current_app.extensions[RECENT_SESSIONS], session_id, partial(users.load_session_user, get_db()))


def forget_sessions() -> None:
    """A user's session token changed in this process: no session is taken on trust any more."""
    current_app.extensions[RECENT_SESSIONS].clear()


def _guard() -> Response | None:
    """Every route needs a credential except ``PUBLIC_ENDPOINTS``; decided before any body is read."""
    if request.endpoint == "auth.login":
        request.max_content_length = LOGIN_BODY_LIMIT  # the one body a stranger may send
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS or request.blueprint in KEY_BLUEPRINTS:
        return None  # no route (a 404 or 405 follows), an open route, or one that checks its key itself
    if current_user.is_authenticated:
        return None
    return login_manager.unauthorized()


def require_api_auth() -> None:
    """``before_request`` of every JSON route: an API key header, or a session plus CSRF token."""
    if any(name in request.args for name in QUERY_KEY_NAMES):
        raise ValidationError(
            "API keys are not accepted in the query string; send the x-api-key header", "API_KEY_IN_QUERY"
        )
    key = request.headers.get("x-api-key")
    if key is not None:
        _check_key(key.strip())
        g.auth_method = "api_key"
        return
    if current_user.is_authenticated:
        g.auth_method = "session"
        if request.method not in SAFE_METHODS:
            csrf.protect()
        return
    raise Unauthorized("Authentication required: send an x-api-key header or log in", "AUTH_REQUIRED")


def revoke_api_key(key_id: int, now: datetime) -> api_keys.KeyInfo:
    """Revokes a key for the dashboard; it stops working in this process at once.

    The keys verified lately are forgotten here, the one place a running app revokes: other
    processes (a second server, the ``api-key revoke`` command) reach their own caches
    within ``Recent.ttl`` seconds.
    """
    key = api_keys.revoke_key_id(get_db(), key_id, now)
    current_app.extensions[RECENT_KEYS].clear()
    return key


def _check_key(key: str) -> None:
    def verify(_hashed: str) -> bool | None:
        return api_keys.verify_key(get_db(), key, now_utc()) is not None or None
    if _recalled(current_app.extensions[RECENT_KEYS], api_keys.digest(key), verify) is None:
        raise Unauthorized("Invalid or revoked API key", "INVALID_API_KEY")


def credential_check() -> Callable[[], bool]:
    """For an answer that outlives its request (an event stream): whether this request's
    credential still holds, a revoked key or an ended session ending it.

    Answered from what was verified lately; past ``Recent.ttl`` the database is asked
    again, so a key revoked or a session ended by any process is noticed within that time.
    """
    db = get_db()
    key = request.headers.get("x-api-key")
    if key is not None:
        def key_is_live(hashed: str) -> bool | None:
            return api_keys.hash_is_live(db, hashed) or None
        return partial(_holds, current_app.extensions[RECENT_KEYS], api_keys.digest(key.strip()), key_is_live)
    session_id = current_user.get_id()
    return partial(_holds, current_app.extensions[RECENT_SESSIONS], session_id, partial(users.load_session_user, db))


def _recalled(recent: Recent[V], credential: str, verify: Callable[[str], V | None]) -> V | None:
    """What ``credential`` stands for: as verified lately, else verified (and kept) now; None if nothing."""
    value = recent.get(credential)
    if value is None:
        value = verify(credential)
        if value is not None:
            recent.put(credential, value)
    return value


def _holds(recent: Recent[V], credential: str, verify: Callable[[str], V | None]) -> bool:
    return _recalled(recent, credential, verify) is not None
