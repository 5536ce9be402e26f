"""``/login`` and ``/logout``; the first visit with no user offers to create the owner."""
from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from ..clock import now_utc
from ..db import get_db
from ..errors import ValidationError
from . import users
from .throttle import LoginThrottle

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
    """Checks (or, on the first visit, creates) the account, slowing down repeated failures."""
    throttle: LoginThrottle = current_app.extensions["cinephage.login_throttle"]
    key = (request.remote_addr or "", username.strip().lower())
    wait = math.ceil(throttle.retry_after(key))
    if wait > 0:
        message = f"Too many failed attempts: try again in {wait} seconds"
        return _refused(message, 429, first_run, username, {"Retry-After": str(wait)})
    db = get_db()
    try:
        if first_run:
            users.create_user(db, username, password, now_utc())
        user = users.authenticate(db, username, password, now_utc())
    except ValidationError as error:
        return _refused(error.message, 400, first_run, username)
    if user is None:
        throttle.failed(key)
        return _refused("Wrong user name or password", 401, first_run, username)
    throttle.succeeded(key)
    login_user(user, remember=request.form.get("remember") == "on")
    return redirect(safe_next(request.args.get("next")))


def _refused(
    message: str, status: int, first_run: bool, username: str, headers: dict[str, str] | None = None
) -> tuple[str, int, dict[str, str]]:
    flash(message, "error")
    return render_template("login.html", first_run=first_run, username=username), status, headers or {}


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    logout_user()
    return redirect(url_for("auth.login"))
