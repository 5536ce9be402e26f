"""Dashboard sessions: started fresh at login, ended in every browser at once.

Every session and remember cookie carries the user's session token (``User.get_id()``);
replacing the token ends them all, in every process, with nothing else to keep.
"""
from __future__ import annotations

import math
from datetime import datetime

from flask import current_app, g, request, session
from flask_login import login_user, logout_user

from ..db import get_db
from ..models import User
from . import forget_sessions, users
from .throttle import LoginThrottle, TooManyAttempts, throttle_key


def login_throttle() -> LoginThrottle:
    throttle: LoginThrottle = current_app.extensions["cinephage.login_throttle"]
    return throttle


def client_key(username: str) -> tuple[str, str]:
    """The login throttle's key of this request for ``username``."""
    return throttle_key(request.remote_addr or "", username)


def reserve_attempt(key: tuple[str, str], now: datetime) -> None:
    """Counts a password check against the throttle before it is made; raises when it must wait."""
    wait = login_throttle().reserve(key, now)
    if wait > 0:
        raise TooManyAttempts(math.ceil(wait))


def start_session(user: User, remember: bool) -> None:
    """A new session for this user: nothing of the one before is kept, not even its CSRF token."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)  # Flask-WTF's copy for this request
    login_user(user, remember=remember)


def end_sessions(user_id: int) -> None:
    """Logs the user out of every browser, this one included."""
    users.end_sessions(get_db(), user_id)
    forget_sessions()
    logout_user()


def change_password(user_id: int, username: str, current: str, new: str, now: datetime) -> None:
    """Sets a new password and ends the user's other sessions; this browser stays logged in.

    The current password is checked under the login throttle, so that a borrowed session
    cannot be used to guess it quickly.
    """
    users.validate_credentials(username, new)  # a weak new password is no guess: not counted
    key = client_key(username)
    reserve_attempt(key, now)
    user = users.change_password(get_db(), user_id, current, new)
    forget_sessions()
    login_throttle().succeeded(key)
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    start_session(user, remember=remembered)  # new cookies, with the new token
