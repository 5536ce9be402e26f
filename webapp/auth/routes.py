"""``/login`` and ``/logout``; the first visit with no user offers to create the owner."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..clock import now_utc
from ..db import get_db
from ..errors import ValidationError
from . import sessions, users
from .throttle import TooManyAttempts

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """``next`` only to a local path; anything else goes to the task list."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("pages.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int, dict[str, str]]:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    first_run = users.user_count(get_db()) == 0
    if request.method == "GET":
        return render_template("login.html", first_run=first_run, username="")
    return _log_in(first_run, request.form.get("username", ""), request.form.get("password", ""))


def _log_in(first_run: bool, username: str, password: str) -> Response | tuple[str, int, dict[str, str]]:
    """Checks (or, on the first visit, creates) the account, slowing down repeated failures.

    The attempt is counted before the password is checked, so that guesses sent all at
    once get no more checks than guesses sent one by one.
    """
    db = get_db()
    key = sessions.client_key(username)
    try:
        if first_run:
            users.validate_credentials(username, password)  # a typo here is no guess: not counted
        sessions.reserve_attempt(key, now_utc())
        if first_run:
            users.create_user(db, username, password, now_utc())
        user = users.authenticate(db, username, password, now_utc())
    except TooManyAttempts as error:
        return _refused(error.message, 429, first_run, username, {"Retry-After": str(error.retry_after)})
    except ValidationError as error:
        return _refused(error.message, 400, first_run, username)
    if user is None:
        return _refused("Wrong user name or password", 401, first_run, username)
    sessions.login_throttle().succeeded(key)
    sessions.start_session(user, remember=request.form.get("remember") == "on")
    return redirect(safe_next(request.args.get("next")))


def _refused(
    message: str, status: int, first_run: bool, username: str, headers: dict[str, str] | None = None
) -> tuple[str, int, dict[str, str]]:
    flash(message, "error")
    return render_template("login.html", first_run=first_run, username=username), status, headers or {}


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """Ends the user's sessions in every browser: a copied cookie must not outlive a logout."""
    sessions.end_sessions(current_user.id)
    return redirect(url_for("auth.login"))
