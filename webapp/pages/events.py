"""The dashboard's live updates as Server-Sent Events.

``GET /events/tasks``: each task event becomes ``event: task-<id>`` whose data is that
task's fresh ``_task_row.html``; the page's rows swap themselves in (htmx SSE extension).
A ``task:progress`` event becomes ``event: progress-<id>`` with ``_task_progress.html``
only: replacing the whole row several times a second would swap the buttons out from
under a click. A browser that reconnects sends ``Last-Event-ID`` and gets every row
again, so nothing it missed while away stays stale; and every ``ROW_REFRESH_SECONDS``
the stream re-sends every row, so relative times ("in 4 minutes") are re-rendered by
the server rather than computed a second time in the browser. Rows are rendered once
per process (``rows.SharedRows``) and copied into every stream.

``GET /events/runs/<id>``: the run page's triggers, for that run's events only:
``event: progress`` for its progress, ``event: run`` for any other change.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

from flask import Response, current_app, request, stream_with_context
from flask_login import login_required
from flask_wtf.csrf import generate_csrf

from ..auth import credential_check
from ..engine.events import Event, Subscription
from ..runtime import Runtime, get_runtime
from ..stream import LIVENESS_SECONDS, PAGE_STREAMS, Pulse, event_stream_response, live_messages, open_subscription
from . import bp
from .queries import page_errors
from .rows import SharedRows, shared_rows


@bp.get("/events/tasks")
@login_required
def task_events() -> Response:
    runtime = get_runtime()
    config = current_app.config
    resend_all = "Last-Event-ID" in request.headers
    rows, token = shared_rows(), generate_csrf()
    subscription, position = open_subscription(runtime, PAGE_STREAMS)
    events = _task_events(
        runtime, rows, subscription, position, resend_all, credential_check(),
        keepalive=config["STREAM_KEEPALIVE_SECONDS"], retry_ms=config["STREAM_RETRY_MS"],
        refresh=config["ROW_REFRESH_SECONDS"],
    )
    filled = (message.replace(rows.slot, token) for message in events)
    return event_stream_response(runtime, subscription, stream_with_context(filled))


@bp.get("/events/runs/<run_id>")
@login_required
def run_events(run_id: str) -> Response:
    runtime = get_runtime()
    with page_errors():
        runtime.history.run(run_id)
    config = current_app.config
    subscription, _position = open_subscription(runtime, PAGE_STREAMS)
    events = _run_events(
        runtime, subscription, run_id, credential_check(), keepalive=config["STREAM_KEEPALIVE_SECONDS"],
        retry_ms=config["STREAM_RETRY_MS"],
    )
    return event_stream_response(runtime, subscription, events)


def _task_events(
    runtime: Runtime, rows: SharedRows, subscription: Subscription, position: int, resend_all: bool,
    holds: Callable[[], bool], *, keepalive: float, retry_ms: int, refresh: float,
) -> Iterator[str]:
    """The stream's messages, the shared rows' CSRF slot still in them."""
    broker = runtime.broker
    try:
        yield f"retry: {retry_ms}\nid: {position}\n: connected\n\n"
        if resend_all:  # every row, without an id: the client's Last-Event-ID stays where it was
            yield rows.every_row(runtime).messages
        refresh_at = time.monotonic() + refresh
        pulse = Pulse(keepalive)
        for event in broker.follow(subscription, LIVENESS_SECONDS):
            if not holds():
                return  # logged out, here or anywhere: the page stops showing what it showed
            if event is not None and event.id > position and event.task_id:
                position = event.id
                pulse.sent()
                yield rows.event_message(runtime, event)
            if time.monotonic() >= refresh_at:
                refresh_at = time.monotonic() + refresh
                pulse.sent()
                yield rows.every_row(runtime).messages  # shared by the streams refreshing this stamp
            elif event is None:
                yield pulse.quiet()
    finally:
        broker.unsubscribe(subscription)


def _run_events(
    runtime: Runtime, subscription: Subscription, run_id: str, holds: Callable[[], bool], *,
    keepalive: float, retry_ms: int,
) -> Iterator[str]:
    def trigger(event: Event) -> str | None:
        if not event.task_id or json.loads(event.data).get("executionId") != run_id:
            return None
        return f"event: {'progress' if event.type == 'task:progress' else 'run'}\ndata: {run_id}\n\n"
    try:
        yield f"retry: {retry_ms}\n: connected\n\n"
        yield from live_messages(runtime.broker, subscription, holds, keepalive, trigger)
    finally:
        runtime.broker.unsubscribe(subscription)
