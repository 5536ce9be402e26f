"""``/login`` and ``/logout``; the first visit with no user offers to create the owner."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from ..clock import now_utc
from ..db import get_db
from ..errors import ValidationError
from . import users

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """``next`` only to a local path; anything else goes to the task list."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("pages.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    db = get_db()
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    first_run = users.user_count(db) == 0
    if request.method == "POST":
        username = request.form.get("username", "")
        password = request.form.get("password", "")
        try:
            if first_run:
                users.create_user(db, username, password, now_utc())
            user = users.authenticate(db, username, password, now_utc())
        except ValidationError as error:
            flash(error.message, "error")
            return render_template("login.html", first_run=first_run, username=username), 400
        if user is None:
            flash("Wrong user name or password", "error")
            return render_template("login.html", first_run=first_run, username=username), 401
        login_user(user, remember=request.form.get("remember") == "on")
        return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", first_run=first_run, username="")


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    logout_user()
    return redirect(url_for("auth.login"))
