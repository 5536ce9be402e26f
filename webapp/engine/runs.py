"""Run state transitions. Each is one short write transaction on the task's row.

The task row is read ``FOR UPDATE`` (PostgreSQL) inside a ``BEGIN IMMEDIATE``
transaction (SQLite), and a run's status only moves through a conditional UPDATE,
so any number of processes sharing the database agree on which run holds a task.
A partial unique index on ``task_runs(task_id) WHERE status = 'running'`` backs this up.
"""
from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from ..clock import Clock, interval_delta, iso
from ..db import Database
from ..errors import InvalidState, NotFound
from ..models import RUN_CANCELLED, RUN_FAILED, RUN_QUEUED, RUN_RUNNING, TaskRun, TaskSetting
from .events import append_event

FINISH_EVENTS = {"completed": "task:completed", "failed": "task:error", "cancelled": "task:cancelled"}


@dataclass(frozen=True)
class Accepted:
    """The answer to a run request: the run's id and what happened to the request."""

    run_id: str
    message: str
    created: bool


@dataclass(frozen=True)
class ClaimedRun:
    """A run this process now holds and must execute."""

    run_id: str
    task_id: str
    force: bool
    options: dict[str, Any]
    started_at: datetime


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended: its status, its counters and, if it did not complete, why."""

    status: str
    processed: int
    affected: int
    error: str | None = None


def new_run_id() -> str:
    return "exec_" + secrets.token_hex(12)


def locked_task(session: Session, task_id: str) -> TaskSetting:
    setting = session.execute(select(TaskSetting).where(TaskSetting.id == task_id).with_for_update()).scalar_one_or_none()
    if setting is None:
        raise NotFound(f"Task '{task_id}' not found", "TASK_NOT_FOUND")
    return setting


def next_run_after(setting: TaskSetting, start: datetime) -> datetime | None:
    if not setting.enabled:
        return None
    return start + interval_delta(setting.interval, setting.interval_unit)


def request_run(db: Database, task_id: str, *, force: bool, options: dict[str, Any], now: datetime) -> Accepted:
    """Accepts a run by hand: queues one, or answers with the run already under way."""
    with db.write() as session:
        setting = locked_task(session, task_id)
        busy = setting.current_run_id or setting.queued_run_id
        if busy and not force:
            return Accepted(busy, "Task already running", False)
        if busy and setting.queued_run_id is not None:  # forced, but a follow-up is queued already
            return Accepted(setting.queued_run_id, "Task already running", False)
        run = TaskRun(
            id=new_run_id(), task_id=task_id, status=RUN_QUEUED, trigger="manual", force=force,
            options=json.dumps(options) if options else None, created_at=now,
        )
        session.add(run)
        session.flush()
        setting.queued_run_id = run.id
        append_event(session, "task:queued", task_id, now, executionId=run.id, force=force)
        message = "Follow-up run queued after the current one" if busy else "Task queued for execution"
        return Accepted(run.id, message, True)


def claim_queued(db: Database, task_id: str, owner: str, clock: Clock, lease: timedelta) -> ClaimedRun | None:
    """Starts the task's queued run here, if the task is free."""
    with db.write() as session:
        setting = locked_task(session, task_id)
        now = clock()  # read once the row is ours, so start times follow the previous end
        run_id = setting.queued_run_id
        if run_id is None or setting.current_run_id is not None:
            return None
        setting.queued_run_id = None
        return _start(session, setting, run_id, owner, now, lease)


def claim_due(db: Database, task_id: str, owner: str, clock: Clock, lease: timedelta) -> ClaimedRun | None:
    """Starts a scheduled run here if the task is enabled, free and due.

    Runs missed while no process was up are coalesced: one run, then the timer
    restarts from now.
    """
    with db.write() as session:
        setting = locked_task(session, task_id)
        now = clock()
        due = setting.next_run_at is not None and setting.next_run_at <= now
        if not (setting.enabled and due) or setting.current_run_id or setting.queued_run_id:
            return None
        run = TaskRun(id=new_run_id(), task_id=task_id, status=RUN_QUEUED, trigger="scheduled", created_at=now)
        session.add(run)
        session.flush()
        return _start(session, setting, run.id, owner, now, lease)


def _start(session: Session, setting: TaskSetting, run_id: str, owner: str, now: datetime, lease: timedelta) -> ClaimedRun | None:
    moved = cast(CursorResult[Any], session.execute(  # an UPDATE's result: it has a rowcount
        update(TaskRun)
        .where(TaskRun.id == run_id, TaskRun.status == RUN_QUEUED)
        .values(status=RUN_RUNNING, started_at=now, owner=owner, lease_expires_at=now + lease)
    ))
    if moved.rowcount != 1:
        return None
    run = session.get(TaskRun, run_id)
    assert run is not None
    setting.current_run_id = run_id
    setting.last_run_at = now
    setting.next_run_at = next_run_after(setting, now)
    setting.updated_at = now
    append_event(session, "task:started", setting.id, now, executionId=run_id, trigger=run.trigger)
    options = json.loads(run.options) if run.options else {}
    return ClaimedRun(run_id, setting.id, run.force, options, now)


def finish_run(db: Database, run_id: str, outcome: RunOutcome, clock: Clock) -> bool:
    """Records a run's end and frees its task; False if it had already been ended."""
    with db.write() as session:
        run = session.get(TaskRun, run_id)
        if run is None:
            return False
        setting = locked_task(session, run.task_id)
        return _finish(session, setting, run, outcome, clock())


def _finish(session: Session, setting: TaskSetting, run: TaskRun, outcome: RunOutcome, now: datetime) -> bool:
    start = run.started_at or run.created_at
    duration = max(0, int((now - start).total_seconds() * 1000))
    ended = cast(CursorResult[Any], session.execute(  # an UPDATE's result: it has a rowcount
        update(TaskRun)
        .where(TaskRun.id == run.id, TaskRun.status.in_((RUN_RUNNING, RUN_QUEUED)))
        .values(
            status=outcome.status, completed_at=now, duration_ms=duration, error=outcome.error,
            items_processed=outcome.processed, items_affected=outcome.affected, lease_expires_at=None,
        )
    ))
    if ended.rowcount != 1:
        return False
    if setting.current_run_id == run.id:
        setting.current_run_id = None
    if setting.queued_run_id == run.id:
        setting.queued_run_id = None
    setting.last_status = outcome.status
    setting.updated_at = now
    fields: dict[str, Any] = {
        "executionId": run.id, "status": outcome.status, "itemsProcessed": outcome.processed,
        "itemsAffected": outcome.affected, "duration": duration, "nextRunAt": iso(setting.next_run_at),
    }
    if outcome.error is not None:
        fields["error"] = outcome.error
    append_event(session, FINISH_EVENTS[outcome.status], setting.id, now, **fields)
    return True


def request_cancel(db: Database, task_id: str, now: datetime, reason: str | None = None) -> str:
    """Asks the task's run to stop (and drops its queued follow-up); returns the run's id."""
    with db.write() as session:
        setting = locked_task(session, task_id)
        if setting.current_run_id is None and setting.queued_run_id is None:
            raise InvalidState(f"Task '{task_id}' is not running", "TASK_NOT_RUNNING")
        queued_id = setting.queued_run_id
        if queued_id is not None:
            queued = session.get(TaskRun, queued_id)
            if queued is not None:
                _finish(session, setting, queued, RunOutcome(RUN_CANCELLED, 0, 0, reason), now)
            setting.queued_run_id = None
        if setting.current_run_id is None:
            assert queued_id is not None  # one of the two was set (checked above)
            return queued_id
        session.execute(
            update(TaskRun)
            .where(TaskRun.id == setting.current_run_id, TaskRun.cancel_requested_at.is_(None))
            .values(cancel_requested_at=now, cancel_reason=reason)
        )
        # Every process's event reader sees this and stops the run if it holds it.
        append_event(session, "task:cancelling", task_id, now, executionId=setting.current_run_id)
        return setting.current_run_id


def cancel_state(db: Database, run_id: str) -> tuple[str, datetime | None, str | None]:
    """The run's status, when a cancel was asked for, and why (None for a user's cancel)."""
    with db.read() as session:
        row = session.execute(
            select(TaskRun.status, TaskRun.cancel_requested_at, TaskRun.cancel_reason).where(TaskRun.id == run_id)
        ).one()
        return row.status, row.cancel_requested_at, row.cancel_reason


def extend_leases(db: Database, run_ids: list[str], now: datetime, lease: timedelta) -> None:
    if not run_ids:
        return
    with db.write() as session:
        session.execute(
            update(TaskRun)
            .where(TaskRun.id.in_(run_ids), TaskRun.status == RUN_RUNNING)
            .values(lease_expires_at=now + lease)
        )


def interrupted_runs(db: Database, now: datetime, is_dead_owner: Callable[[str | None], bool]) -> list[str]:
    """Running runs whose lease ran out or whose owner is known dead."""
    with db.read() as session:
        rows = session.execute(
            select(TaskRun.id, TaskRun.owner, TaskRun.lease_expires_at).where(TaskRun.status == RUN_RUNNING)
        ).all()
    return [
        row.id for row in rows
        if (row.lease_expires_at is not None and row.lease_expires_at < now) or is_dead_owner(row.owner)
    ]


def end_interrupted(db: Database, run_id: str, clock: Clock, error: str) -> bool:
    """Ends a run whose process died: ``failed``, with an error saying so."""
    with db.write() as session:
        run = session.get(TaskRun, run_id)
        if run is None or run.status != RUN_RUNNING:
            return False
        setting = locked_task(session, run.task_id)
        outcome = RunOutcome(RUN_FAILED, run.items_processed, run.items_affected, error)
        return _finish(session, setting, run, outcome, clock())
