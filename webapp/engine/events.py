"""The event log: appended inside write transactions, read by one thread per process.

Every process appends to the same table; each process's ``EventBroker`` polls it and
fans new rows out to bounded per-client queues. A stream that reconnects with
``Last-Event-ID`` replays from the table, so nothing is lost between processes or
across reconnects.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..clock import iso
from ..db import Database
from ..models import TaskEvent

log = logging.getLogger("cinephage.events")

EVENT_LOG_LOCK = 727275
NOTIFY_CHANNEL = "cinephage_events"


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    task_id: str | None
    data: str  # the JSON text sent as ``data:``

    def as_sse(self) -> str:
        return f"id: {self.id}\nevent: {self.type}\ndata: {self.data}\n\n"


def append_event(session: Session, event_type: str, task_id: str | None, now: datetime, **fields: Any) -> None:
    """Adds an event to the log in the caller's write transaction.

    On PostgreSQL a transaction-scoped advisory lock makes events commit in id order,
    so a reader that has seen id N can never later find a smaller id appear.
    (SQLite serialises writers already.)
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_LOG_LOCK})
        session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))  # delivered at commit: a wake-up hint
    payload = {"taskId": task_id, **fields, "timestamp": iso(now)}
    session.execute(
        insert(TaskEvent).values(type=event_type, task_id=task_id, payload=json.dumps(payload, separators=(",", ":")), created_at=now)
    )


def events_after(session: Session | Connection, after_id: int, limit: int = 500) -> list[Event]:
    rows = session.execute(
        select(TaskEvent.id, TaskEvent.type, TaskEvent.task_id, TaskEvent.payload)
        .where(TaskEvent.id > after_id)
        .order_by(TaskEvent.id)
        .limit(limit)
    )
    return [Event(*row) for row in rows]


def trim_events(db: Database, older_than: datetime, chunk: int = 5000) -> int:
    """Deletes events older than ``older_than`` in short chunks; returns how many."""
    removed = 0
    while True:
        with db.write() as session:
            ids = session.scalars(
                select(TaskEvent.id).where(TaskEvent.created_at < older_than).order_by(TaskEvent.id).limit(chunk)
            ).all()
            if not ids:
                return removed
            session.execute(delete(TaskEvent).where(TaskEvent.id.in_(ids)))
        removed += len(ids)


class Subscription:
    """One stream's bounded queue. A client that falls behind is dropped, not waited for."""

    def __init__(self, maxsize: int, kind: str) -> None:
        self.queue: queue.Queue[Event | None] = queue.Queue(maxsize=maxsize)
        self.kind = kind  # whose allowance this stream counts against (API clients, the dashboard)
        self.dropped = False

    def offer(self, event: Event) -> bool:
        try:
            self.queue.put_nowait(event)
            return True
        except queue.Full:
            self.dropped = True
            return False

    def close(self) -> None:
        try:
            self.queue.put_nowait(None)
        except queue.Full:
            self.dropped = True

    def get(self, timeout: float) -> Event | None:
        """The next event; raises ``queue.Empty`` after ``timeout``; None when closed."""
        return self.queue.get(timeout=timeout)


class EventBroker:
    """The one reader of the event log in this process."""

    def __init__(self, db: Database, poll_seconds: float = 0.5, queue_size: int = 1000) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.queue_size = queue_size
        self._lock = threading.Lock()
        self._subscribers: set[Subscription] = set()
        self._listeners: list[Callable[[Event], None]] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.position = 0

    def start(self) -> None:
        """Starts the reader thread (once), from the log's current end."""
        with self._lock:
            if self._thread is not None:
                return
            with self.db.read() as session:
                self.position = session.scalar(select(func.coalesce(func.max(TaskEvent.id), 0))) or 0
            self._thread = threading.Thread(target=self._run, name="event-reader", daemon=True)
            self._thread.start()
            if self.db.engine.dialect.name == "postgresql":
                threading.Thread(target=self._listen, name="event-listen", daemon=True).start()

    def _listen(self) -> None:
        """Wakes the reader when another process commits an event (PostgreSQL LISTEN/NOTIFY).

        Only a hint: polling goes on regardless, so a lost notification or a dropped
        connection costs latency, never an event.
        """
        conninfo = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self._wake.set()
            except psycopg.Error:
                log.warning("LISTEN connection lost; polling until it is back", exc_info=True)
                self._stop.wait(5.0)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            subscribers, self._subscribers = list(self._subscribers), set()
        for sub in subscribers:
            sub.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def running(self) -> bool:
        """True while the reader thread follows the log (so listeners hear of every change)."""
        return self._thread is not None and not self._stop.is_set()

    def notify(self) -> None:
        """Something was appended here: read the log now rather than at the next poll."""
        self._wake.set()

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        """Calls ``listener`` on the reader thread for every new event, of any process."""
        self._listeners.append(listener)

    def subscribe(self, kind: str = "api") -> tuple[Subscription, int]:
        """A new subscription and the id up to which the reader has delivered."""
        self.start()
        sub = Subscription(self.queue_size, kind)
        with self._lock:
            self._subscribers.add(sub)
            return sub, self.position

    def follow(self, sub: Subscription, tick: float) -> Iterator[Event | None]:
        """The subscription's events as they come, None after each ``tick`` seconds of quiet.

        Ends when the broker stops or the subscription is closed or dropped (a dropped
        client reconnects with Last-Event-ID and replays what it missed).
        """
        while not self.stopped:
            try:
                event = sub.get(timeout=tick)
            except queue.Empty:
                yield None
                continue
            if event is None or sub.dropped:
                return
            yield event

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    def subscriber_count(self, kind: str | None = None) -> int:
        """Open subscriptions, of one kind or of all."""
        with self._lock:
            return sum(1 for sub in self._subscribers if kind in (None, sub.kind))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            try:
                self.poll()
            except Exception:  # the reader must outlive a database hiccup
                log.exception("reading the event log failed; retrying")
                self._stop.wait(1.0)

    def poll(self) -> int:
        """Reads and delivers everything new; returns how many events."""
        delivered = 0
        while True:
            with self.db.engine.connect() as conn:  # Core, not a Session: this runs twice a second
                batch = events_after(conn, self.position)
            if not batch:
                return delivered
            self._deliver(batch)
            delivered += len(batch)

    def _deliver(self, batch: list[Event]) -> None:
        # Listeners first: a client that sees an event must find caches already refreshed.
        for event in batch:
            for listener in self._listeners:
                listener(event)
        with self._lock:
            self.position = batch[-1].id
            slow = [sub for sub in self._subscribers if not all(sub.offer(event) for event in batch)]
            for sub in slow:
                self._subscribers.discard(sub)
                sub.close()
        for sub in slow:
            log.warning("dropped a stream client that fell %d events behind", self.queue_size)
