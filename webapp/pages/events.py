"""``GET /events/tasks``: the task list's live updates as Server-Sent Events of rendered rows.

Each task event becomes ``event: task-<id>`` whose data is that task's fresh
``_task_row.html``; the page's rows swap themselves in (htmx SSE extension). A
``task:progress`` event becomes ``event: progress-<id>`` with ``_task_progress.html``
only: replacing the whole row several times a second would swap the buttons out from
under a click. A browser that reconnects sends ``Last-Event-ID`` and gets every row
again, so nothing it missed while away stays stale; and every ``ROW_REFRESH_SECONDS``
the stream re-sends every row, so relative times ("in 4 minutes") are re-rendered by
the server rather than computed a second time in the browser.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

from flask import Response, current_app, request, stream_with_context
from flask_login import login_required

from ..auth import credential_check
from ..clock import now_utc
from ..engine.events import Event, Subscription
from ..errors import AppError
from ..runtime import Runtime, get_runtime
from ..services import tasks as service
from ..stream import LIVENESS_SECONDS, PAGE_STREAMS, Pulse, event_stream_response, open_subscription
from . import bp
from .views import render_progress, render_row


@bp.get("/events/tasks")
@login_required
def task_events() -> Response:
    runtime = get_runtime()
    config = current_app.config
    resend_all = "Last-Event-ID" in request.headers
    subscription, position = open_subscription(runtime, PAGE_STREAMS)
    events = _events(
        runtime, subscription, position, resend_all, credential_check(), keepalive=config["STREAM_KEEPALIVE_SECONDS"],
        retry_ms=config["STREAM_RETRY_MS"], refresh=config["ROW_REFRESH_SECONDS"],
    )
    return event_stream_response(runtime, subscription, stream_with_context(events))


def sse(event_name: str, html: str, event_id: int | None = None) -> str:
    """One SSE message; every line of the fragment gets its own ``data:`` prefix."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    data = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
    return f"{head}event: {event_name}\n{data}\n"


def _message(runtime: Runtime, task_id: str, event: Event) -> str:
    """The SSE message for one task event: the task's fresh row, or its progress alone."""
    try:
        if event.type == "task:progress":
            html = render_progress(runtime, task_id, json.loads(event.data))
            return sse(f"progress-{task_id}", html, event.id)
        task = service.get_task(runtime.db, runtime.registry, task_id)
    except AppError:  # a task this version does not know: nothing to show
        return f"id: {event.id}\n\n"
    return sse(f"task-{task_id}", render_row(runtime, task, now_utc()), event.id)


def _every_row(runtime: Runtime) -> Iterator[str]:
    """Every task's current row, without an id: the client's Last-Event-ID stays where it was."""
    now = now_utc()
    for task in service.list_tasks(runtime.db, runtime.registry):
        yield sse(f"task-{task['id']}", render_row(runtime, task, now))


def _events(
    runtime: Runtime, subscription: Subscription, position: int, resend_all: bool, holds: Callable[[], bool], *,
    keepalive: float, retry_ms: int, refresh: float,
) -> Iterator[str]:
    broker = runtime.broker
    try:
        yield f"retry: {retry_ms}\nid: {position}\n: connected\n\n"
        if resend_all:
            yield from _every_row(runtime)
        refresh_at = time.monotonic() + refresh
        pulse = Pulse(keepalive)
        for event in broker.follow(subscription, LIVENESS_SECONDS):
            if not holds():
                return  # logged out, here or anywhere: the page stops showing what it showed
            if event is not None and event.id > position and event.task_id:
                position = event.id
                pulse.sent()
                yield _message(runtime, event.task_id, event)
            if time.monotonic() >= refresh_at:
                refresh_at = time.monotonic() + refresh
                pulse.sent()
                yield from _every_row(runtime)
            elif event is None:
                yield pulse.quiet()
    finally:
        broker.unsubscribe(subscription)
