"""``/settings``: API keys (create, list, revoke) through the same functions as ``api-key``;
the account (change the password, log out everywhere).

A new key is shown once, in the answer to the POST that created it: never in a redirect,
a flash (the session cookie) or a log. Every answer here is ``Cache-Control: no-store``,
so a page holding a key (the POST's, or ``/settings`` after htmx swapped one in) is kept
neither by a cache nor for the back button.
Like the task actions, every form works as a plain POST; htmx swaps ``_api_keys.html`` alone.
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from htmx_flask import request
from werkzeug.wrappers import Response

from .. import auth
from ..auth import api_keys, sessions, users
from ..auth.throttle import TooManyAttempts
from ..clock import now_utc
from ..db import get_db
from ..errors import AppError, ValidationError
from . import bp

NO_STORE = {"Cache-Control": "no-store"}
MAX_ID = 2**31 - 1  # beyond an INTEGER column: a 404 from the router, not a database error


def _render(status: int = 200, **context: Any) -> Response:
    """The settings page, or its API-key section alone for htmx; never stored by a cache."""
    template = "_api_keys.html" if request.htmx else "settings.html"
    context.setdefault("name", "")
    context.setdefault("min_password_length", users.MIN_PASSWORD_LENGTH)
    html = render_template(template, keys=api_keys.list_keys(get_db()), now=now_utc(), **context)
    return Response(html, status=status, headers=NO_STORE, mimetype="text/html")


@bp.get("/settings")
@login_required
def settings() -> Response:
    return _render()


@bp.post("/settings/api-keys")
@login_required
def create_api_key() -> Response:
    name = request.form.get("name", "")
    try:
        key = api_keys.create_key(get_db(), name, now_utc(), source="dashboard")
    except AppError as error:
        # htmx swaps only a 2xx answer: it gets the section with the error, like a task row.
        return _render(200 if request.htmx else 400, name=name, error=error.message)
    return _render(new_key=key)


@bp.post(f"/settings/api-keys/<int(max={MAX_ID}):key_id>/revoke")
@login_required
def revoke_api_key(key_id: int) -> Response:
    """Without ``confirm=yes`` (a plain form, no JavaScript): the confirmation page first."""
    try:
        if request.form.get("confirm") != "yes":
            return _confirm(api_keys.get_key(get_db(), key_id))
        key = auth.revoke_api_key(key_id, now_utc())
    except AppError as error:
        return _answer(error.message, error=True)
    return _answer(f"Revoked the key “{key.name}” ({key.prefix}…): it no longer works")


def _confirm(key: api_keys.KeyInfo) -> Response:
    if key.revoked_at is not None:
        return _answer(f"The key “{key.name}” is already revoked", error=True)
    html = render_template("settings_revoke.html", key=key)
    return Response(html, headers=NO_STORE, mimetype="text/html")


def _answer(message: str, *, error: bool = False) -> Response:
    """htmx: the section with the message; a plain form: a flash and a 303 to ``/settings``."""
    if request.htmx:
        return _render(notice=message, notice_error=error)
    flash(message, "error" if error else "info")
    return redirect(url_for("pages.settings"), 303)


@bp.post("/settings/password")
@login_required
def change_password() -> Response:
    """A new password ends every other session; this browser gets new cookies and stays in."""
    form = request.form
    try:
        if form.get("new_password", "") != form.get("new_password_again", ""):
            raise ValidationError("The new password and its repetition differ", "PASSWORDS_DIFFER")
        sessions.change_password(
            current_user.id, current_user.username, form.get("current_password", ""), form.get("new_password", ""),
            now_utc(),
        )
    except TooManyAttempts as error:
        response = _render(error.status, password_error=error.message)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    except AppError as error:
        return _render(error.status, password_error=error.message)
    flash("Password changed: every other browser has been logged out", "info")
    return redirect(url_for("pages.settings"), 303)


@bp.post("/settings/log-out-everywhere")
@login_required
def log_out_everywhere() -> Response:
    sessions.end_sessions(current_user.id)
    flash("Logged out everywhere: every browser, this one included, must log in again", "info")
    return redirect(url_for("auth.login"), 303)
