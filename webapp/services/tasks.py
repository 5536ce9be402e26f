"""Tasks as the API and the dashboard see them: listing, running, timers, history."""
from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from ..clock import UNIT_MINUTES, interval_delta, iso
from ..db import Database, insert_for
from ..engine.events import append_event
from ..engine.registry import TaskDefinition, TaskRegistry
from ..engine.runs import Accepted, locked_task, request_cancel, request_run
from ..errors import NotFound, ValidationError
from ..models import RUN_FAILED, RUN_QUEUED, RUN_RUNNING, TaskActivity, TaskActivityCount, TaskRun, TaskSetting

HISTORY_STATUSES = ("running", "completed", "failed", "cancelled")
ACTIVITY_STATUSES = ("success", "grabbed", "no_results", "skipped", "failed", "expired", "deleted")
EXPORT_BATCH = 500  # rows per read of a whole filtered table (print views, CSV)

# Lists read Core rows of these columns, not ORM objects: a page of them costs half as much.
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


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    page: int
    limit: int
    total: int

    def pagination(self) -> dict[str, int]:
        return {"page": self.page, "limit": self.limit, "total": self.total,
                "totalPages": math.ceil(self.total / self.limit) if self.total else 0}


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
    ) -> tuple[Sequence[Row[*tuple[Any, ...]]], int]:
        """One page of rows and the total (``total`` if known), counted only when the page cannot tell it."""
        offset = (page - 1) * limit
        rows = session.execute(self.page, {**params, "offset": offset, "limit": limit}).all()
        if total is None:
            # A page neither full nor empty is the last one: the rows before it and its own are all.
            total = offset + len(rows) if 0 < len(rows) < limit else session.scalar(self.count, params) or 0
        return rows, total


def ensure_task_rows(db: Database, registry: TaskRegistry, now: datetime) -> None:
    """Gives every registered task its settings row, at its defaults, once."""
    with db.write() as session:
        insert = insert_for(session)
        for definition in registry:
            session.execute(
                insert(TaskSetting)
                .values(
                    id=definition.id, enabled=True, interval=definition.default_interval, interval_unit="minutes",
                    next_run_at=now + interval_delta(definition.default_interval, "minutes"), updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["id"])
            )


def task_status(setting: TaskSetting) -> str:
    if setting.current_run_id:
        return "running"
    if setting.queued_run_id:
        return "queued"
    return "error" if setting.last_status == RUN_FAILED else "idle"


def task_view(definition: TaskDefinition, setting: TaskSetting) -> dict[str, Any]:
    """A task as ``GET /api/tasks`` lists it."""
    return {
        "id": definition.id,
        "name": definition.name,
        "description": definition.description,
        "type": definition.type,
        "enabled": setting.enabled,
        "interval": setting.interval,
        "intervalUnit": setting.interval_unit,
        "defaultInterval": definition.default_interval,
        "defaultIntervalUnit": "minutes",
        "minInterval": definition.min_interval,
        "maxInterval": definition.max_interval,
        "lastRunAt": iso(setting.last_run_at),
        "nextRunAt": iso(setting.next_run_at) if setting.enabled else None,
        "status": task_status(setting),
        "currentExecutionId": setting.current_run_id or setting.queued_run_id,
        "supportsCancel": True,
        "supportsHistory": True,
    }


def list_tasks(db: Database, registry: TaskRegistry) -> list[dict[str, Any]]:
    with db.read() as session:
        settings = {row.id: row for row in session.scalars(select(TaskSetting))}
    return [task_view(d, settings[d.id]) for d in registry if d.id in settings]


def get_task(db: Database, registry: TaskRegistry, task_id: str) -> dict[str, Any]:
    definition = definition_of(registry, task_id)
    with db.read() as session:
        setting = session.get(TaskSetting, task_id)
    if setting is None:
        raise NotFound(f"Task '{task_id}' not found", "TASK_NOT_FOUND")
    return task_view(definition, setting)


def definition_of(registry: TaskRegistry, task_id: str) -> TaskDefinition:
    definition = registry.get(task_id)
    if definition is None:
        raise NotFound(f"Task '{task_id}' not found", "TASK_NOT_FOUND")
    return definition


def run_task(
    db: Database, registry: TaskRegistry, task_id: str, *, force: bool, options: dict[str, Any], now: datetime
) -> Accepted:
    """Accepts a run by hand after checking its options against the task's."""
    definition = definition_of(registry, task_id)
    for name, value in options.items():
        spec = definition.options.get(name)
        if spec is None:
            known = ", ".join(sorted(definition.options)) or "none"
            raise ValidationError(f"Unknown option '{name}' for {task_id} (accepted: {known})", "UNKNOWN_OPTION")
        if type(value) is not int or not spec.minimum <= value <= spec.maximum:
            raise ValidationError(
                f"Option '{name}' must be an integer from {spec.minimum} to {spec.maximum}", "INVALID_OPTION"
            )
    return request_run(db, task_id, force=force, options=options, now=now)


def cancel_task(db: Database, registry: TaskRegistry, task_id: str, now: datetime) -> str:
    """Asks the task's run to stop; returns its execution id."""
    definition_of(registry, task_id)
    return request_cancel(db, task_id, now)


def set_enabled(db: Database, registry: TaskRegistry, task_id: str, enabled: bool, now: datetime) -> dict[str, Any]:
    definition = definition_of(registry, task_id)
    with db.write() as session:
        setting = locked_task(session, task_id)
        setting.enabled = enabled
        _retime(setting, now)
        _announce(session, definition, setting, now)
    return task_view(definition, setting)


def set_interval(
    db: Database, registry: TaskRegistry, task_id: str, interval: int, unit: str, now: datetime
) -> dict[str, Any]:
    """Stores the interval as given and moves the timer: ``(lastRunAt or now) + interval``."""
    definition = definition_of(registry, task_id)
    minutes = interval * UNIT_MINUTES[unit]
    if minutes < definition.min_interval:
        raise ValidationError(
            f"Interval is below this task's minimum of {definition.min_interval} minutes", "INTERVAL_TOO_SHORT"
        )
    if minutes > definition.max_interval:
        raise ValidationError(
            f"Interval is above the maximum of {definition.max_interval} minutes (365 days)", "INTERVAL_TOO_LONG"
        )
    with db.write() as session:
        setting = locked_task(session, task_id)
        setting.interval, setting.interval_unit = interval, unit
        _retime(setting, now)
        _announce(session, definition, setting, now)
    return task_view(definition, setting)


def _retime(setting: TaskSetting, now: datetime) -> None:
    start = setting.last_run_at or now
    setting.next_run_at = start + interval_delta(setting.interval, setting.interval_unit) if setting.enabled else None
    setting.updated_at = now


def _announce(session: Session, definition: TaskDefinition, setting: TaskSetting, now: datetime) -> None:
    view = task_view(definition, setting)
    append_event(
        session, "task:updated", setting.id, now,
        enabled=view["enabled"], interval=view["interval"], intervalUnit=view["intervalUnit"],
        nextRunAt=view["nextRunAt"], status=view["status"],
    )


def run_view(run: Row[*tuple[Any, ...]]) -> dict[str, Any]:
    """A run (a row of ``RUN_COLUMNS``, in their order) as a history entry."""
    # Unpacking a row costs less than half of reading its fields by name: whole pages come through here.
    (run_id, task_id, status, trigger, force, created_at, started_at, completed_at, duration_ms,
     items_processed, items_affected, items_total, error) = run
    return {
        "id": run_id,
        "taskId": task_id,
        "startedAt": iso(started_at),
        "completedAt": iso(completed_at),
        "duration": duration_ms,
        # decisions.md keeps history to four statuses: a run waiting to start is "running".
        "status": RUN_RUNNING if status == RUN_QUEUED else status,
        "queued": status == RUN_QUEUED,
        "itemsProcessed": items_processed,
        "itemsAffected": items_affected,
        "itemsTotal": items_total,
        "error": error,
        "trigger": trigger,
        "force": force,
        "queuedAt": iso(created_at),
    }


def history(db: Database, registry: TaskRegistry, task_id: str, page: int, limit: int, status: str | None) -> Page:
    """A task's runs, newest first."""
    definition_of(registry, task_id)
    listing = _history_listing(status is not None)
    with db.read() as session:
        runs, total = listing.read_page(session, _history_params(task_id, status), page, limit)
    return Page([run_view(run) for run in runs], page, limit, total)


def all_history(
    db: Database, registry: TaskRegistry, task_id: str, status: str | None, batch: int = EXPORT_BATCH
) -> Iterator[dict[str, Any]]:
    """Every run ``history`` would page through, newest first, read ``batch`` at a time."""
    definition_of(registry, task_id)

    def after(run: Row[*tuple[Any, ...]]) -> ColumnElement[bool]:
        return or_(_RUNS.c.created_at < run.created_at, and_(_RUNS.c.created_at == run.created_at, _RUNS.c.id < run.id))
    rows = _keyset(db, _history_listing(status is not None).rows, _history_params(task_id, status), after, batch)
    return (run_view(run) for run in rows)


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


def get_run(db: Database, history_id: str) -> dict[str, Any]:
    with db.read() as session:
        run = session.execute(_RUN_BY_ID, {"run_id": history_id}).first()
    if run is None:
        raise NotFound(f"History entry '{history_id}' not found", "HISTORY_NOT_FOUND")
    return run_view(run)


def activity_view(row: Row[*tuple[Any, ...]]) -> dict[str, Any]:
    """An activity row (of ``ACTIVITY_COLUMNS``, in their order) as the API shows it."""
    activity_id, run_id, media_id, media_title, action, status, message, timestamp = row  # see run_view
    return {
        "id": str(activity_id),
        "historyId": run_id,
        "mediaId": media_id,
        "mediaTitle": media_title,
        "action": action,
        "status": status,
        "message": message or "",
        "timestamp": iso(timestamp),
    }


def activity(
    db: Database, history_id: str, page: int, limit: int, status: str | None, search: str | None = None
) -> Page:
    """A run's per-item activity, newest first, optionally by status and title."""
    listing = _activity_listing(status is not None, bool(search))
    with db.read() as session:
        kept = _kept_counts(session, history_id)
        total = None if search else _kept_total(kept, status)
        rows, total = listing.read_page(session, _activity_params(history_id, status, search), page, limit, total)
    return Page([activity_view(row) for row in rows], page, limit, total)


def all_activity(
    db: Database, history_id: str, status: str | None, search: str | None = None, batch: int = EXPORT_BATCH
) -> Iterator[dict[str, Any]]:
    """Every row ``activity`` would page through, newest first, read ``batch`` at a time."""
    get_run(db, history_id)
    statement = _activity_listing(status is not None, bool(search)).rows
    params = _activity_params(history_id, status, search)
    return (activity_view(row) for row in _keyset(db, statement, params, lambda row: _ACTIVITY.c.id < row.id, batch))


def _activity_params(history_id: str, status: str | None, search: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"run_id": history_id}
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

