"""``/runs/<id>``: one run's summary and its activity, paged and filtered; live while it runs.

While the run is going the page listens to ``/events/runs/<id>``: each event of the run
(progress at most once a second) makes the summary, and on the first page the activity
table, fetch itself again. An htmx request for the page's own URL answers the piece its
``HX-Target`` names, alone. Once the run has ended, the summary's answer replaces the whole
live part with a copy that does not listen, and the browser closes the stream: a finished
run holds no connection open.
"""
from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user, login_required
from htmx_flask import make_response, request
from werkzeug.wrappers import Response

from ..clock import now_utc
from ..runtime import get_runtime
from ..services.history import ACTIVITY_STATUSES
from . import bp
from .kept import kept_pages
from .queries import activity_query, page_errors

ACTIVITY_PAGE_SIZE = 50
PIECES = {"run-summary": "_run_summary.html", "run-activity": "_run_activity.html"}


@bp.get("/runs/<run_id>")
@login_required
def run_page(run_id: str) -> Response | str:
    runtime = get_runtime()
    with page_errors():
        run = runtime.history.run(run_id)
        query = activity_query()
    live = run.status == "running"
    template = _template(live)

    def build(csrf: str) -> tuple[str, bool]:
        with page_errors():
            task = runtime.tasks.get(run.task_id)  # read only when the page is built: a kept page needs no query
        context: dict[str, Any] = {
            "run": run, "task": task, "query": query, "live": live, "statuses": ACTIVITY_STATUSES, "now": now_utc(),
            "csrf_token": lambda: csrf,
        }
        if template != "_run_summary.html":  # the summary, refreshed most often, shows no activity
            context["activity"] = runtime.history.activity(
                run_id, query.page, ACTIVITY_PAGE_SIZE, query.status, query.search
            )
        # A running run's activity grows between the events that announce it: never kept.
        return render_template(template, **context), not live

    html = kept_pages().page(runtime, ("run", run_id, template, query, current_user.get_id()), build)
    if template == "_run_live.html":
        response: Response = make_response(html, retarget="#run-live", reswap="outerHTML")  # htmx_flask is untyped
        return response
    return html


def _template(live: bool) -> str:
    """The full page; for htmx the piece its ``HX-Target`` names, but the whole live part
    instead of the summary once the run has ended (or when it names no piece)."""
    if not request.htmx:
        return "run.html"
    piece = PIECES.get(request.htmx.target or "", "_run_live.html")
    return piece if live or piece == "_run_activity.html" else "_run_live.html"
