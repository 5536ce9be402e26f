"""Tasks as every face sees them (API, pages, streams): listing, running, timers.

``TaskService`` is the one way in. It returns ``Task`` values, never wire formats,
and announces its own changes: the event log hears of them in the same transaction,
and this process's engine and event reader are woken at once.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import UNIT_MINUTES, interval_delta, iso
from ..db import Database, insert_for
from ..engine.events import EventBroker, append_event
from ..engine.registry import TaskDefinition, TaskRegistry
from ..engine.runs import Accepted, locked_task, next_run_after, request_cancel, request_run
from ..engine.scheduler import Engine
from ..errors import NotFound, ValidationError
from ..models import RUN_FAILED, TaskEvent, TaskSetting

T = TypeVar("T")
_LOG_HEAD = select(func.max(TaskEvent.id))
TASK_STATUSES = ("idle", "queued", "running", "error")


@dataclass(frozen=True)
class Task:
    """A registered task with its stored settings and state."""

    id: str
    name: str
    description: str
    type: str
    enabled: bool
    interval: int
    interval_unit: str
    default_interval: int  # minutes, like the bounds
    min_interval: int
    max_interval: int
    last_run_at: datetime | None
    next_run_at: datetime | None  # None while disabled
    status: str  # one of TASK_STATUSES
    run_id: str | None  # the run under way, else the one waiting to start

    @property
    def busy(self) -> bool:
        """A run is under way or waiting to start: the task can be cancelled, not started."""
        return self.status in ("running", "queued")


def task_status(setting: TaskSetting) -> str:
    if setting.current_run_id:
        return "running"
    if setting.queued_run_id:
        return "queued"
    return "error" if setting.last_status == RUN_FAILED else "idle"


def _task(definition: TaskDefinition, setting: TaskSetting) -> Task:
    return Task(
        id=definition.id, name=definition.name, description=definition.description, type=definition.type,
        enabled=setting.enabled, interval=setting.interval, interval_unit=setting.interval_unit,
        default_interval=definition.default_interval, min_interval=definition.min_interval,
        max_interval=definition.max_interval, last_run_at=setting.last_run_at,
        next_run_at=setting.next_run_at if setting.enabled else None, status=task_status(setting),
        run_id=setting.current_run_id or setting.queued_run_id,
    )


class TaskService:
    """The registry's tasks, their timers and their runs, for one app."""

    def __init__(self, db: Database, registry: TaskRegistry, broker: EventBroker, engine: Engine) -> None:
        self.db = db
        self.registry = registry
        self.broker = broker
        self.engine = engine
        self._building = threading.Lock()
        self._cache: dict[str, tuple[tuple[int, int], Any]] = {}

    # -- reading ----------------------------------------------------------------

    def definition(self, task_id: str) -> TaskDefinition:
        """The task's definition; NotFound for a task this version does not know."""
        definition = self.registry.get(task_id)
        if definition is None:
            raise NotFound(f"Task '{task_id}' not found", "TASK_NOT_FOUND")
        return definition

    def get(self, task_id: str) -> Task:
        self.definition(task_id)
        for task in self.list():
            if task.id == task_id:
                return task
        raise NotFound(f"Task '{task_id}' not found", "TASK_NOT_FOUND")

    def list(self) -> tuple[Task, ...]:
        """Every task, in the registry's order."""
        return self.derived("tasks", lambda tasks: tasks)

    def derived(self, name: str, build: Callable[[tuple[Task, ...]], T], stamp: int = 0) -> T:
        """``build(every task)``, kept while no task changes and ``stamp`` stays the same.

        Every change to a task or its runs appends an event in its own transaction, so the
        log's last id tells whether anything changed, here or in any other process: one
        primary-key lookup instead of reading the tasks. ``stamp`` is the caller's own reason
        to build again (rendered rows say "in 4 minutes", which time alone makes untrue).
        """
        key = (self.version(), stamp)
        kept = self._cache.get(name)
        if kept is not None and kept[0] == key:
            return cast(T, kept[1])
        with self._building:  # one build per change: the callers that missed with it wait and share
            kept = self._cache.get(name)
            if kept is not None and kept[0] == key:
                return cast(T, kept[1])
            with self.db.read() as session:
                tasks = self._read_all(session)
            value = build(tasks)
            self._cache[name] = (key, value)
        return value

    def version(self) -> int:
        """The event log's last id: it changes with every change to any task or run, in any process."""
        with self.db.engine.connect() as connection:  # Core, not a Session: this runs on every request
            return connection.scalar(_LOG_HEAD) or 0

    def _read_all(self, session: Session) -> tuple[Task, ...]:
        settings = {row.id: row for row in session.scalars(select(TaskSetting))}
        return tuple(_task(d, settings[d.id]) for d in self.registry if d.id in settings)

    # -- changing ---------------------------------------------------------------

    def ensure_rows(self, now: datetime) -> None:
        """Gives every registered task its settings row, at its defaults, once."""
        with self.db.write() as session:
            insert = insert_for(session)
            for definition in self.registry:
                session.execute(
                    insert(TaskSetting)
                    .values(
                        id=definition.id, enabled=True, interval=definition.default_interval, interval_unit="minutes",
                        next_run_at=now + interval_delta(definition.default_interval, "minutes"), updated_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["id"])
                )

    def run(self, task_id: str, *, force: bool, options: dict[str, Any], now: datetime) -> Accepted:
        """Accepts a run by hand after checking its options against the task's."""
        definition = self.definition(task_id)
        for name, value in options.items():
            spec = definition.options.get(name)
            if spec is None:
                known = ", ".join(sorted(definition.options)) or "none"
                raise ValidationError(f"Unknown option '{name}' for {task_id} (accepted: {known})", "UNKNOWN_OPTION")
            if type(value) is not int or not spec.minimum <= value <= spec.maximum:
                raise ValidationError(
                    f"Option '{name}' must be an integer from {spec.minimum} to {spec.maximum}", "INVALID_OPTION"
                )
        accepted = request_run(self.db, task_id, force=force, options=options, now=now)
        self._changed()
        return accepted

    def cancel(self, task_id: str, now: datetime) -> str:
        """Asks the task's run to stop; returns the run's id."""
        self.definition(task_id)
        run_id = request_cancel(self.db, task_id, now)
        self.engine.cancel_local(run_id)  # a run of this process stops now; others read the flag
        self._changed()
        return run_id

    def set_enabled(self, task_id: str, enabled: bool, now: datetime) -> Task:
        definition = self.definition(task_id)
        with self.db.write() as session:
            setting = locked_task(session, task_id)
            setting.enabled = enabled
            task = self._reschedule(session, definition, setting, now)
        self._changed()
        return task

    def set_interval(self, task_id: str, interval: int, unit: str, now: datetime) -> Task:
        """Stores the interval as given and moves the timer: ``(last run or now) + interval``."""
        definition = self.definition(task_id)
        minutes = interval * UNIT_MINUTES[unit]
        if minutes < definition.min_interval:
            raise ValidationError(
                f"Interval is below this task's minimum of {definition.min_interval} minutes", "INTERVAL_TOO_SHORT"
            )
        if minutes > definition.max_interval:
            raise ValidationError(
                f"Interval is above the maximum of {definition.max_interval} minutes (365 days)", "INTERVAL_TOO_LONG"
            )
        with self.db.write() as session:
            setting = locked_task(session, task_id)
            setting.interval, setting.interval_unit = interval, unit
            task = self._reschedule(session, definition, setting, now)
        self._changed()
        return task

    @staticmethod
    def _reschedule(session: Session, definition: TaskDefinition, setting: TaskSetting, now: datetime) -> Task:
        """Moves the timer after a settings change and logs ``task:updated``; returns the task as it now is."""
        setting.next_run_at = next_run_after(setting, setting.last_run_at or now)
        setting.updated_at = now
        task = _task(definition, setting)
        append_event(
            session, "task:updated", task.id, now, enabled=task.enabled, interval=task.interval,
            intervalUnit=task.interval_unit, nextRunAt=iso(task.next_run_at), status=task.status,
        )
        return task

    def _changed(self) -> None:
        """Wakes this process's event reader (streams hear of it) and scheduler (timers moved)."""
        self.broker.notify()
        self.engine.wake()

