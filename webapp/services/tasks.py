"""Tasks as the API and the dashboard see them: listing, running, timers, history."""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
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


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    page: int
    limit: int
    total: int

    def pagination(self) -> dict[str, int]:
        return {"page": self.page, "limit": self.limit, "total": self.total,
                "totalPages": math.ceil(self.total / self.limit) if self.total else 0}


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


def _announce(session, definition: TaskDefinition, setting: TaskSetting, now: datetime) -> None:  # type: ignore[no-untyped-def]
    view = task_view(definition, setting)
    append_event(
        session, "task:updated", setting.id, now,
        enabled=view["enabled"], interval=view["interval"], intervalUnit=view["intervalUnit"],
        nextRunAt=view["nextRunAt"], status=view["status"],
    )


def run_view(run: TaskRun) -> dict[str, Any]:
    """A run as a history entry."""
    return {
        "id": run.id,
        "taskId": run.task_id,
        "startedAt": iso(run.started_at),
        "completedAt": iso(run.completed_at),
        "duration": run.duration_ms,
        # decisions.md keeps history to four statuses: a run waiting to start is "running".
        "status": RUN_RUNNING if run.status == RUN_QUEUED else run.status,
        "queued": run.status == RUN_QUEUED,
        "itemsProcessed": run.items_processed,
        "itemsAffected": run.items_affected,
        "itemsTotal": run.items_total,
        "error": run.error,
        "trigger": run.trigger,
        "force": run.force,
        "queuedAt": iso(run.created_at),
    }


def history(db: Database, registry: TaskRegistry, task_id: str, page: int, limit: int, status: str | None) -> Page:
    """A task's runs, newest first."""
    definition_of(registry, task_id)
    where = _history_filter(task_id, status)
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(TaskRun).where(*where)) or 0
        runs = session.scalars(_history_select(where).offset((page - 1) * limit).limit(limit)).all()
    return Page([run_view(run) for run in runs], page, limit, total)


def all_history(
    db: Database, registry: TaskRegistry, task_id: str, status: str | None, batch: int = EXPORT_BATCH
) -> Iterator[dict[str, Any]]:
    """Every run ``history`` would page through, newest first, read ``batch`` at a time."""
    definition_of(registry, task_id)

    def after(run: TaskRun) -> ColumnElement[bool]:
        return or_(TaskRun.created_at < run.created_at, and_(TaskRun.created_at == run.created_at, TaskRun.id < run.id))
    return (run_view(run) for run in _keyset(db, _history_select(_history_filter(task_id, status)), after, batch))


def _history_filter(task_id: str, status: str | None) -> list[ColumnElement[bool]]:
    where = [TaskRun.task_id == task_id]
    if status == RUN_RUNNING:
        where.append(TaskRun.status.in_((RUN_RUNNING, RUN_QUEUED)))
    elif status is not None:
        where.append(TaskRun.status == status)
    return where


def _history_select(where: list[ColumnElement[bool]]) -> Select[tuple[TaskRun]]:
    return select(TaskRun).where(*where).order_by(TaskRun.created_at.desc(), TaskRun.id.desc())


def get_run(db: Database, history_id: str) -> dict[str, Any]:
    with db.read() as session:
        run = session.get(TaskRun, history_id)
    if run is None:
        raise NotFound(f"History entry '{history_id}' not found", "HISTORY_NOT_FOUND")
    return run_view(run)


def activity_view(row: TaskActivity) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "historyId": row.run_id,
        "mediaId": row.media_id,
        "mediaTitle": row.media_title,
        "action": row.action,
        "status": row.status,
        "message": row.message or "",
        "timestamp": iso(row.timestamp),
    }


def activity(
    db: Database, history_id: str, page: int, limit: int, status: str | None, search: str | None = None
) -> Page:
    """A run's per-item activity, newest first, optionally by status and title."""
    get_run(db, history_id)
    where = _activity_filter(history_id, status, search)
    with db.read() as session:
        total = _kept_count(session, history_id, status) if not search else None
        if total is None:
            total = session.scalar(select(func.count()).select_from(TaskActivity).where(*where)) or 0
        rows = session.scalars(_activity_select(where).offset((page - 1) * limit).limit(limit)).all()
    return Page([activity_view(row) for row in rows], page, limit, total)


def all_activity(
    db: Database, history_id: str, status: str | None, search: str | None = None, batch: int = EXPORT_BATCH
) -> Iterator[dict[str, Any]]:
    """Every row ``activity`` would page through, newest first, read ``batch`` at a time."""
    get_run(db, history_id)
    select_all = _activity_select(_activity_filter(history_id, status, search))
    return (activity_view(row) for row in _keyset(db, select_all, lambda row: TaskActivity.id < row.id, batch))


def _activity_filter(history_id: str, status: str | None, search: str | None) -> list[ColumnElement[bool]]:
    where = [TaskActivity.run_id == history_id]
    if status is not None:
        where.append(TaskActivity.status == status)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(TaskActivity.media_title.ilike(pattern, escape="\\"))
    return where


def _activity_select(where: list[ColumnElement[bool]]) -> Select[tuple[TaskActivity]]:
    return select(TaskActivity).where(*where).order_by(TaskActivity.id.desc())


def _keyset(db: Database, statement: Select[Any], after: Callable[[Any], ColumnElement[bool]], batch: int) -> Iterator[Any]:
    """Every row of ``statement`` in its order, ``batch`` rows per short read session.

    ``after(row)`` selects the rows that come after ``row`` in that order. No session stays
    open between batches (a slow reader must not hold a connection or a snapshot) and no
    offset grows (the last batch of 100,000 rows costs what the first did).
    """
    bounded = statement
    while True:
        with db.read() as session:
            rows = session.scalars(bounded.limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        bounded = statement.where(after(rows[-1]))


def _kept_count(session: Session, run_id: str, status: str | None) -> int | None:
    """The run's activity count from the counters its writer keeps; None if it kept none."""
    counts = dict(session.execute(
        select(TaskActivityCount.status, TaskActivityCount.count).where(TaskActivityCount.run_id == run_id)
    ).all())
    if not counts:
        return None
    return counts.get(status, 0) if status is not None else sum(counts.values())
