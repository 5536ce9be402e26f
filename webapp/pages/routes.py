"""``/`` and the task actions: plain forms (POST, flash, 303) that answer htmx with the row alone."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from htmx_flask import request
from markupsafe import Markup
from werkzeug.wrappers import Response

from ..clock import UNIT_MINUTES, now_utc
from ..errors import AppError, NotFound
from ..parsing import whole_number
from ..runtime import Runtime, get_runtime
from ..services.history import HISTORY_STATUSES
from . import bp
from .formatting import absolute, duration, moment
from .queries import history_query, page_errors
from .kept import kept_pages
from .rows import render_row, shared_rows

HISTORY_PAGE_SIZE = 25


@bp.app_context_processor
def _time_helpers() -> dict[str, Any]:
    return {"moment": moment, "absolute": absolute, "duration": duration}


@bp.get("/")
@login_required
def index() -> str:
    rows = shared_rows()
    html = rows.every_row(get_runtime()).html.replace(rows.slot, generate_csrf())
    return render_template("index.html", rows=Markup(html))


@bp.get("/favicon.ico")
def favicon() -> Response:
    """No icon yet: an empty answer rather than a 404 logged in every browser console."""
    return Response(status=204, headers={"Cache-Control": "public, max-age=86400"})


def _task_action(task_id: str, action: Callable[[Runtime], str], *, streamed: bool = False) -> Response | str:
    """Runs one action; answers htmx with the row, anything else with a flash and a 303 to ``/``.

    ``streamed``: the action starts a change the engine carries on with (run, cancel). Its
    row then comes from the event stream alone, which is ordered: a row in this response,
    rendered before the engine moved on, could land after a newer streamed row and undo
    it (the badge would stay "queued" or "running"). htmx swaps nothing on a 204.
    """
    runtime = get_runtime()
    try:
        runtime.tasks.definition(task_id)
    except NotFound:
        abort(404)
    error = None
    try:
        message = action(runtime)
    except AppError as failure:
        error = message = failure.message
    if request.htmx and streamed and error is None:
        return Response(status=204)
    if request.htmx:
        return render_row(runtime, runtime.tasks.get(task_id), now_utc(), error=error)
    flash(message, "error" if error else "info")
    return redirect(url_for("pages.index"), 303)


@bp.post("/tasks/<task_id>/run")
@login_required
def run(task_id: str) -> Response | str:
    def action(runtime: Runtime) -> str:
        return runtime.tasks.run(task_id, force=False, options={}, now=now_utc()).message
    return _task_action(task_id, action, streamed=True)


@bp.post("/tasks/<task_id>/cancel")
@login_required
def cancel(task_id: str) -> Response | str:
    def action(runtime: Runtime) -> str:
        runtime.tasks.cancel(task_id, now_utc())
        return "Task cancellation requested"
    return _task_action(task_id, action, streamed=True)


@bp.post("/tasks/<task_id>/enabled")
@login_required
def enabled(task_id: str) -> Response | str:
    value = request.form.get("enabled", "")

    def action(runtime: Runtime) -> str:
        if value not in ("true", "false"):
            raise AppError("Choose enabled or disabled")
        task = runtime.tasks.set_enabled(task_id, value == "true", now_utc())
        return f"{task.name} {'enabled' if task.enabled else 'disabled'}"
    return _task_action(task_id, action)


@bp.post("/tasks/<task_id>/interval")
@login_required
def interval(task_id: str) -> Response | str:
    raw, unit = request.form.get("interval", ""), request.form.get("unit", "")

    def action(runtime: Runtime) -> str:
        # The widest bounds (in minutes) any unit allows; the service checks the task's own per unit.
        maximum = runtime.tasks.definition(task_id).max_interval
        number = whole_number(raw, "interval", 1, maximum)
        if unit not in UNIT_MINUTES:
            raise AppError("Unit must be minutes, hours or days")
        task = runtime.tasks.set_interval(task_id, number, unit, now_utc())
        return f"{task.name} now runs every {task.interval} {task.interval_unit}"
    return _task_action(task_id, action)


@bp.get("/tasks/<task_id>/history")
@login_required
def history(task_id: str) -> str:
    """A task's runs, newest first, a page at a time, optionally of one status."""
    runtime = get_runtime()
    with page_errors():
        runtime.tasks.definition(task_id)  # an unknown task is a 404 before the kept page is looked at
        query = history_query()

    def build(csrf: str) -> tuple[str, bool]:
        with page_errors():
            task = runtime.tasks.get(task_id)  # read only when the page is built: a kept page needs no query
        runs = runtime.history.runs(task_id, query.page, HISTORY_PAGE_SIZE, query.status)
        html = render_template(
            "history.html", task=task, runs=runs, query=query, statuses=HISTORY_STATUSES, now=now_utc(),
            csrf_token=lambda: csrf,
        )
        return html, True
    return kept_pages().page(runtime, ("history", task_id, query, current_user.get_id()), build)
