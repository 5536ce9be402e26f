"""``GET /api/tasks/stream``: Server-Sent Events from the persisted event log.

Each connection subscribes to the process's one log reader. A reconnect with
``Last-Event-ID`` first replays what the log holds after that id, then carries on
from the live queue without sending anything twice. An id the log no longer covers
gets a ``reset`` event: the client reloads its state.

A quiet stream still wakes every ``LIVENESS_SECONDS``: it sends an empty chunk, which
costs the client nothing but tells the server whether the client is still there (a
stream whose client left frees its slot and its thread), and it checks that its
credential still holds (a revoked key's streams end).
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Iterable, Iterator

from flask import Blueprint, Response, current_app, request
from sqlalchemy import func, select

from ..auth import credential_check, require_api_auth
from ..clock import iso, now_utc
from ..db import Database
from ..engine.events import Event, EventBroker, Subscription, events_after
from ..errors import AppError
from ..models import TaskEvent
from ..runtime import Runtime, get_runtime

bp = Blueprint("stream", __name__)
LIVENESS_SECONDS = 1.0
API_STREAMS, PAGE_STREAMS = "api", "page"  # two allowances: API clients cannot use up the dashboard's


class TooManyStreams(AppError):
    status = 503
    code = "TOO_MANY_STREAMS"


@bp.before_request
def _authenticate() -> None:
    require_api_auth()


@bp.get("/api/tasks/stream")
def stream() -> Response:
    runtime = get_runtime()
    config = current_app.config
    last_id = _last_event_id()
    subscription, position = open_subscription(runtime, API_STREAMS)
    events = _events(
        runtime.db, runtime.broker, subscription, position, last_id, credential_check(),
        keepalive=config["STREAM_KEEPALIVE_SECONDS"], retry_ms=config["STREAM_RETRY_MS"],
    )
    return event_stream_response(runtime, subscription, events)


def open_subscription(runtime: Runtime, kind: str) -> tuple[Subscription, int]:
    """A new stream's subscription, or 503 once this process holds its allowance of that kind."""
    allowance = current_app.config["MAX_STREAMS" if kind == API_STREAMS else "MAX_PAGE_STREAMS"]
    if runtime.broker.subscriber_count(kind) >= allowance:
        raise TooManyStreams("Too many open event streams; try again shortly")
    return runtime.broker.subscribe(kind)


class Pulse:
    """When a quiet stream sends its keep-alive comment; between two, empty liveness chunks."""

    def __init__(self, keepalive: float) -> None:
        self.keepalive = keepalive
        self.due = time.monotonic() + keepalive

    def sent(self) -> None:
        self.due = time.monotonic() + self.keepalive

    def quiet(self) -> str:
        """What a quiet tick sends: the keep-alive comment when due, else an empty chunk."""
        if time.monotonic() < self.due:
            return ""
        self.sent()
        return ": keepalive\n\n"


def event_stream_response(runtime: Runtime, subscription: Subscription, events: Iterable[str]) -> Response:
    """``text/event-stream`` of ``events``, unsubscribing however the response ends."""
    # "close": a stream the server ends (a revoked key, a stop) takes its connection along;
    # a client reconnects on a new one anyway.
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "close"}
    response = Response(events, mimetype="text/event-stream", headers=headers)
    # Also when the body is never iterated (a client gone before the first byte, a HEAD).
    response.call_on_close(lambda: runtime.broker.unsubscribe(subscription))
    return response


def _last_event_id() -> int | None:
    raw = request.headers.get("Last-Event-ID", "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 18 else None


def _events(
    db: Database, broker: EventBroker, subscription: Subscription, position: int, last_id: int | None,
    holds: Callable[[], bool], *, keepalive: float, retry_ms: int,
) -> Iterator[str]:
    try:
        yield f"retry: {retry_ms}\n: connected\n\n"
        sent = position
        if last_id is not None:
            sent = yield from _replay(db, last_id, position)

        def unsent(event: Event) -> str | None:
            nonlocal sent
            if event.id <= sent:
                return None
            sent = event.id
            return event.as_sse()
        yield from live_messages(broker, subscription, holds, keepalive, unsent)
    finally:
        broker.unsubscribe(subscription)


def live_messages(
    broker: EventBroker, subscription: Subscription, holds: Callable[[], bool], keepalive: float,
    message: Callable[[Event], str | None],
) -> Iterator[str]:
    """``message(event)`` for each event of the live queue it shows (None: not shown), the
    pulse otherwise; ends when the stream's credential no longer ``holds()``."""
    pulse = Pulse(keepalive)
    for event in broker.follow(subscription, LIVENESS_SECONDS):
        if not holds():
            return
        text = None if event is None else message(event)
        if text is None:
            yield pulse.quiet()
        else:
            pulse.sent()
            yield text


def _replay(db: Database, last_id: int, position: int) -> Generator[str, None, int]:
    """Sends the logged events after ``last_id`` up to ``position``; returns the last id sent."""
    with db.read() as session:
        lowest, highest = session.execute(select(func.min(TaskEvent.id), func.max(TaskEvent.id))).one()
    if last_id > (highest or 0) or (lowest is not None and lowest > last_id + 1):
        data = json.dumps({
            "taskId": None, "reason": "Last-Event-ID is older than the kept event log", "timestamp": iso(now_utc()),
        })
        yield f"id: {position}\nevent: reset\ndata: {data}\n\n"
        return position
    sent = last_id
    while sent < position:
        with db.read() as session:
            batch = [event for event in events_after(session, sent) if event.id <= position]
        if not batch:
            break
        for event in batch:
            yield event.as_sse()
        sent = batch[-1].id
    return max(sent, last_id)
