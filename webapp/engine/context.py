"""What a task body works with: its items, its activity, progress and cancellation.

A body selects its items, then for each does one thing and calls ``record``. The
context batches activity writes, publishes progress a few times a second, and
raises ``RunStopped`` between items once a cancel was asked for (from any process),
the run's time ran out, or the run lost its lease.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from ..db import Database, insert_for
from ..models import RUN_CANCELLED, RUN_FAILED, RUN_RUNNING, TaskActivity, TaskActivityCount, TaskRun
from .events import append_event
from .runs import cancel_state

T = TypeVar("T")


class NamedItem(Protocol):
    """Anything a task handles that names a media item."""

    @property
    def media_id(self) -> str | None: ...

    @property
    def title(self) -> str: ...


class RunStopped(Exception):
    """Raised between items when the run must end; carries the status it ends with."""

    def __init__(self, status: str, error: str | None) -> None:
        super().__init__(error or status)
        self.status = status
        self.error = error


@dataclass(frozen=True)
class ContextSettings:
    """How every run batches its writes and checks for a stop; the engine hands its own to each run."""

    batch_size: int = 500
    flush_seconds: float = 0.5
    progress_seconds: float = 0.4
    cancel_check_seconds: float = 0.5  # how often a run asks the database; the event log is faster
    item_delay_seconds: float = 0.0  # a pause between items, to spare providers' rate limits


@dataclass
class RunContext:
    db: Database
    run_id: str
    task_id: str
    force: bool
    options: dict[str, Any]
    clock: Callable[[], datetime]
    deadline: float  # time.monotonic() value after which the run fails
    local_cancel: threading.Event = field(default_factory=threading.Event)
    stop_reason: str | None = None  # why ``local_cancel`` was set, when it was not a user's cancel
    settings: ContextSettings = field(default_factory=ContextSettings)
    processed: int = 0
    affected: int = 0
    total: int | None = None
    current_title: str | None = None
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _last_flush: float = field(default_factory=time.monotonic)
    _last_progress: float = 0.0
    _last_cancel_check: float = 0.0

    @property
    def now(self) -> datetime:
        return self.clock()

    def items(self, items: Sequence[T], title: Callable[[T], str] | None = None) -> Iterator[T]:
        """Yields each item, counting it processed once the body is done with it."""
        self.total = (self.total or 0) + len(items)
        for item in items:
            self.check_stop()
            self.current_title = title(item) if title else getattr(item, "title", None)
            yield item
            self.processed += 1
            self._tick()
            if self.settings.item_delay_seconds:
                self.local_cancel.wait(self.settings.item_delay_seconds)
        self.flush()

    def record(
        self, item: NamedItem | None, action: str, status: str, message: str, *, affected: bool = False
    ) -> None:
        """One activity row for the item in hand; ``affected`` counts it as changed."""
        self._pending.append({
            "run_id": self.run_id,
            "media_id": item.media_id if item is not None else None,
            "media_title": item.title if item is not None else None,
            "action": action,
            "status": status,
            "message": message,
            "timestamp": self.clock(),
        })
        if affected:
            self.affected += 1
        if len(self._pending) >= self.settings.batch_size:
            self.flush()

    def count(self, processed: int = 0, affected: int = 0) -> None:
        """Counts work done outside ``items`` (e.g. rows deleted in one chunk)."""
        self.processed += processed
        self.affected += affected
        self._tick()

    def option(self, name: str, default: int) -> int:
        return int(self.options.get(name, default))

    def check_stop(self) -> None:
        """Raises ``RunStopped`` if the run was cancelled, timed out or lost its lease."""
        if time.monotonic() > self.deadline:
            raise RunStopped(RUN_FAILED, "Timed out: the run took longer than the task's time limit")
        now = time.monotonic()
        if not self.local_cancel.is_set() and now - self._last_cancel_check < self.settings.cancel_check_seconds:
            return
        self._last_cancel_check = now
        status, requested_at, reason = cancel_state(self.db, self.run_id)
        if status != RUN_RUNNING:
            raise RunStopped(status, "The run was ended elsewhere (its lease was lost)")
        if requested_at is not None or self.local_cancel.is_set():
            raise RunStopped(RUN_CANCELLED, reason or self.stop_reason)

    def flush(self, progress: bool = False) -> None:
        """Writes pending activity, the run's counters and maybe a progress event, in one transaction."""
        rows, self._pending = self._pending, []
        with self.db.write() as session:
            if rows:
                append_activity(session, self.run_id, rows)
            session.execute(
                update(TaskRun)
                .where(TaskRun.id == self.run_id)
                .values(items_processed=self.processed, items_affected=self.affected, items_total=self.total)
            )
            if progress:
                append_event(
                    session, "task:progress", self.task_id, self.clock(), executionId=self.run_id,
                    processed=self.processed, total=self.total, currentItem=self.current_title,
                )
        self._last_flush = time.monotonic()

    def _tick(self) -> None:
        now = time.monotonic()
        progress_due = now - self._last_progress >= self.settings.progress_seconds
        if progress_due:
            self._last_progress = now
        if progress_due or now - self._last_flush >= self.settings.flush_seconds:
            self.flush(progress=progress_due)


def append_activity(session: Session, run_id: str, rows: list[dict[str, Any]]) -> None:
    """Inserts a run's activity rows and adds them to its per-status counters.

    The counters let a page of a run with millions of rows skip counting them; every
    writer of activity goes through here so they never drift.
    """
    session.execute(insert(TaskActivity), rows)
    upsert = insert_for(session)
    for status, count in Counter(row["status"] for row in rows).items():
        statement = upsert(TaskActivityCount).values(run_id=run_id, status=status, count=count)
        session.execute(statement.on_conflict_do_update(
            index_elements=["run_id", "status"], set_={"count": TaskActivityCount.count + statement.excluded.count}
        ))
