"""Runs and what they did item by item: history pages, one run, activity, whole exports.

Lists read Core rows of a few columns, not ORM objects (a page of them costs half as
much), and exports read by keyset in short batches, so a run of 100,000 rows is read
as cheaply at its end as at its start.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from ..db import Database
from ..engine.registry import TaskRegistry
from ..errors import NotFound
from ..models import RUN_QUEUED, RUN_RUNNING, TaskActivity, TaskActivityCount, TaskRun

# decisions.md keeps history to four statuses: a run waiting to start is "running" (and ``queued``).
HISTORY_STATUSES = ("running", "completed", "failed", "cancelled")
ACTIVITY_STATUSES = ("success", "grabbed", "no_results", "skipped", "failed", "expired", "deleted")
EXPORT_BATCH = 500  # rows per read of a whole filtered table (print views, CSV)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Run:
    """One run of a task, as its history shows it."""

    id: str
    task_id: str
    status: str  # one of HISTORY_STATUSES
    queued: bool  # accepted, waiting to start (``status`` says running)
    trigger: str
    force: bool
    queued_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    duration_ms: int | None
    items_processed: int
    items_affected: int
    items_total: int | None
    error: str | None

    @property
    def state(self) -> str:
        """What a person is shown: ``queued`` apart from ``running``."""
        return RUN_QUEUED if self.queued else self.status


@dataclass(frozen=True, slots=True)
class Activity:
    """What a run did with one item."""

    id: int
    run_id: str
    media_id: str | None
    media_title: str | None  # None: a row about no item (e.g. a provider that failed)
    action: str
    status: str  # one of ACTIVITY_STATUSES
    message: str
    timestamp: datetime


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    limit: int
    total: int

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.limit) if self.total else 0


_RUNS, _ACTIVITY, _COUNTS = TaskRun.__table__, TaskActivity.__table__, TaskActivityCount.__table__
RUN_COLUMNS = tuple(_RUNS.c[name] for name in (
    "id", "task_id", "status", "trigger", "force", "created_at", "started_at", "completed_at", "duration_ms",
    "items_processed", "items_affected", "items_total", "error",
))
ACTIVITY_COLUMNS = tuple(_ACTIVITY.c[name] for name in (
    "id", "run_id", "media_id", "media_title", "action", "status", "message", "timestamp",
))
_RUN_BY_ID = select(*RUN_COLUMNS).where(_RUNS.c.id == bindparam("run_id"))
_RUN_COUNTS = (  # no row: no such run; one row of NULLs: a run whose writer kept no counts
    select(_COUNTS.c.status, _COUNTS.c.count)
    .select_from(_RUNS.outerjoin(_COUNTS, _COUNTS.c.run_id == _RUNS.c.id))
    .where(_RUNS.c.id == bindparam("run_id"))
)


def _run(row: Row[*tuple[Any, ...]]) -> Run:
    """A row of ``RUN_COLUMNS``, in their order."""
    # Unpacking a row costs less than half of reading its fields by name: whole pages come through here.
    (run_id, task_id, status, trigger, force, created_at, started_at, completed_at, duration_ms,
     items_processed, items_affected, items_total, error) = row
    queued = status == RUN_QUEUED
    return Run(
        run_id, task_id, RUN_RUNNING if queued else status, queued, trigger, force, created_at, started_at,
        completed_at, duration_ms, items_processed, items_affected, items_total, error,
    )


def _activity(row: Row[*tuple[Any, ...]]) -> Activity:
    """A row of ``ACTIVITY_COLUMNS``, in their order."""
    activity_id, run_id, media_id, media_title, action, status, message, timestamp = row
    return Activity(activity_id, run_id, media_id, media_title, action, status, message or "", timestamp)


@dataclass(frozen=True)
class _Listing:
    """One list query as all rows, one page and a count: built once per shape, so SQLAlchemy compiles each once."""

    rows: Select[Any]
    page: Select[Any]
    count: Select[Any]

    @classmethod
    def of(cls, statement: Select[Any]) -> _Listing:
        counted = statement.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
        return cls(statement, statement.offset(bindparam("offset")).limit(bindparam("limit")), counted)

    def read_page(
        self, session: Session, params: dict[str, Any], page: int, limit: int, total: int | None = None
    ) -> tuple[Sequence[Row[Any]], int]:
        """One page of rows and the total (``total`` if known), counted only when the page cannot tell it."""
        offset = (page - 1) * limit
        rows = session.execute(self.page, {**params, "offset": offset, "limit": limit}).all()
        if total is None:
            # A page neither full nor empty is the last one: the rows before it and its own are all.
            total = offset + len(rows) if 0 < len(rows) < limit else session.scalar(self.count, params) or 0
        return rows, total


class HistoryService:
    """A task's runs and a run's activity, for one app."""

    def __init__(self, db: Database, registry: TaskRegistry) -> None:
        self.db = db
        self.registry = registry

    def run(self, run_id: str) -> Run:
        with self.db.read() as session:
            row = session.execute(_RUN_BY_ID, {"run_id": run_id}).first()
        if row is None:
            raise NotFound(f"History entry '{run_id}' not found", "HISTORY_NOT_FOUND")
        return _run(row)

    def runs(self, task_id: str, page: int, limit: int, status: str | None) -> Page[Run]:
        """A task's runs, newest first."""
        self._known(task_id)
        with self.db.read() as session:
            rows, total = _history_listing(status is not None).read_page(
                session, _history_params(task_id, status), page, limit
            )
        return Page([_run(row) for row in rows], page, limit, total)

    def all_runs(self, task_id: str, status: str | None, batch: int = EXPORT_BATCH) -> Iterator[Run]:
        """Every run ``runs`` would page through, newest first, read ``batch`` at a time."""
        self._known(task_id)

        def after(run: Row[Any]) -> ColumnElement[bool]:
            return or_(
                _RUNS.c.created_at < run.created_at, and_(_RUNS.c.created_at == run.created_at, _RUNS.c.id < run.id)
            )
        statement = _history_listing(status is not None).rows
        return map(_run, _keyset(self.db, statement, _history_params(task_id, status), after, batch))

    def activity(
        self, run_id: str, page: int, limit: int, status: str | None, search: str | None = None
    ) -> Page[Activity]:
        """A run's per-item activity, newest first, optionally by status and title."""
        listing = _activity_listing(status is not None, bool(search))
        with self.db.read() as session:
            kept = _kept_counts(session, run_id)
            total = None if search else _kept_total(kept, status)
            rows, total = listing.read_page(session, _activity_params(run_id, status, search), page, limit, total)
        return Page([_activity(row) for row in rows], page, limit, total)

    def all_activity(
        self, run_id: str, status: str | None, search: str | None = None, batch: int = EXPORT_BATCH
    ) -> Iterator[Activity]:
        """Every row ``activity`` would page through, newest first, read ``batch`` at a time."""
        self.run(run_id)
        statement = _activity_listing(status is not None, bool(search)).rows
        params = _activity_params(run_id, status, search)
        return map(_activity, _keyset(self.db, statement, params, lambda row: _ACTIVITY.c.id < row.id, batch))

    def _known(self, task_id: str) -> None:
        if self.registry.get(task_id) is None:
            raise NotFound(f"Task '{task_id}' not found", "TASK_NOT_FOUND")


def _history_params(task_id: str, status: str | None) -> dict[str, Any]:
    if status is None:
        return {"task_id": task_id}
    # A run waiting to start shows as "running", so that filter takes both.
    return {"task_id": task_id, "statuses": (RUN_RUNNING, RUN_QUEUED) if status == RUN_RUNNING else (status,)}


@functools.cache
def _history_listing(by_status: bool) -> _Listing:
    statement = select(*RUN_COLUMNS).where(_RUNS.c.task_id == bindparam("task_id"))
    if by_status:
        statement = statement.where(_RUNS.c.status.in_(bindparam("statuses", expanding=True)))
    return _Listing.of(statement.order_by(_RUNS.c.created_at.desc(), _RUNS.c.id.desc()))


def _activity_params(run_id: str, status: str | None, search: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"run_id": run_id}
    if status is not None:
        params["status"] = status
    if search:
        params["title"] = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return params


@functools.cache
def _activity_listing(by_status: bool, by_title: bool) -> _Listing:
    statement = select(*ACTIVITY_COLUMNS).where(_ACTIVITY.c.run_id == bindparam("run_id"))
    if by_status:
        statement = statement.where(_ACTIVITY.c.status == bindparam("status"))
    if by_title:
        statement = statement.where(_ACTIVITY.c.media_title.ilike(bindparam("title"), escape="\\"))
    return _Listing.of(statement.order_by(_ACTIVITY.c.id.desc()))


def _keyset(
    db: Database, statement: Select[Any], params: dict[str, Any], after: Callable[[Any], ColumnElement[bool]],
    batch: int,
) -> Iterator[Any]:
    """Every row of ``statement`` in its order, ``batch`` rows per short read session.

    ``after(row)`` selects the rows that come after ``row`` in that order. No session stays
    open between batches (a slow reader must not hold a connection or a snapshot) and no
    offset grows (the last batch of 100,000 rows costs what the first did).
    """
    bounded = statement
    while True:
        with db.read() as session:
            rows = session.execute(bounded.limit(batch), params).all()
        yield from rows
        if len(rows) < batch:
            return
        bounded = statement.where(after(rows[-1]))


def _kept_counts(session: Session, run_id: str) -> dict[str, int]:
    """The run's activity counts by status, as its writer kept them ({} if it kept none).

    Raises NotFound when there is no such run: one query answers both.
    """
    rows = session.execute(_RUN_COUNTS, {"run_id": run_id}).all()
    if not rows:
        raise NotFound(f"History entry '{run_id}' not found", "HISTORY_NOT_FOUND")
    return {status: count for status, count in rows if status is not None}


def _kept_total(counts: dict[str, int], status: str | None) -> int | None:
    """The number of rows of ``status`` (or of any) from kept counts; None if none were kept."""
    if not counts:
        return None
    return counts.get(status, 0) if status is not None else sum(counts.values())
