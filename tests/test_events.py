"""The event log and its per-process broker: fan-out, slow clients, cross-process wake-ups."""
from __future__ import annotations

import time
import uuid

import psycopg
import pytest
from sqlalchemy import text

from servers import wait_until
from webapp.clock import now_utc
from webapp.db import Database
from webapp.engine.events import EventBroker, append_event, events_after, trim_events


def publish(db: Database, count: int = 1, task_id: str = "task_upgrade") -> None:
    with db.write() as session:
        for _ in range(count):
            append_event(session, "task:updated", task_id, now_utc(), enabled=True)


def listening(db: Database, application_name: str) -> bool:
    """Whether a connection named ``application_name`` has run its LISTEN."""
    with db.read() as session:
        return bool(session.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name AND query LIKE 'LISTEN %'"),
            {"name": application_name},
        ))


def test_events_are_delivered_in_id_order_to_every_subscriber(db: Database) -> None:
    broker = EventBroker(db, poll_seconds=0.02)
    try:
        first, _ = broker.subscribe()
        second, _ = broker.subscribe()
        publish(db, 3)
        got = [[sub.get(timeout=2).id for _ in range(3)] for sub in (first, second)]  # type: ignore[union-attr]
        assert got[0] == got[1] and got[0] == sorted(got[0]) and len(set(got[0])) == 3
    finally:
        broker.stop()


def test_a_slow_subscriber_is_dropped_without_holding_up_the_others(db: Database) -> None:
    broker = EventBroker(db, poll_seconds=0.02, queue_size=5)
    try:
        slow, _ = broker.subscribe()
        fast, _ = broker.subscribe()
        publish(db, 4)
        for _ in range(4):
            fast.get(timeout=2)
        publish(db, 4)  # slow now holds 8 > 5: dropped
        for _ in range(4):
            fast.get(timeout=2)
        assert slow.dropped and not fast.dropped
        assert broker.subscriber_count() == 1
    finally:
        broker.stop()


def test_another_process_wakes_the_reader_before_its_poll(db: Database, migrated_url: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    if not migrated_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    name = f"listen-{uuid.uuid4().hex[:12]}"  # names this broker's connections among other tests'
    connect = psycopg.connect
    monkeypatch.setattr(psycopg, "connect", lambda *args, **kwargs: connect(*args, application_name=name, **kwargs))
    broker = EventBroker(db, poll_seconds=30)  # only a notification can deliver in time
    other = Database(migrated_url)
    try:
        sub, _ = broker.subscribe()
        wait_until(lambda: listening(other, name), 10, "the broker's LISTEN connection")
        started = time.monotonic()
        publish(other)
        assert sub.get(timeout=5) is not None
        assert time.monotonic() - started < 2
    finally:
        broker.stop()
        other.dispose()


def test_trim_removes_only_old_events(db: Database) -> None:
    publish(db, 3)
    assert trim_events(db, now_utc().replace(year=2000)) == 0
    assert trim_events(db, now_utc()) == 3
    publish(db)
    with db.read() as session:
        remaining = events_after(session, 0)
    assert len(remaining) == 1 and remaining[0].id == 4  # ids never go back after a trim
