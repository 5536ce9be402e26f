"""Queries on the task history itself: the previous run, and deleting old runs."""
from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, func, select

from ..db import Database
from ..models import FINISHED_STATUSES, TaskActivity, TaskRun


def previous_run_started(db: Database, task_id: str, run_id: str) -> datetime | None:
    """When the task's run before ``run_id`` started, if it ever ran."""
    with db.read() as session:
        return session.execute(
            select(func.coalesce(TaskRun.started_at, TaskRun.created_at))
            .where(TaskRun.task_id == task_id, TaskRun.id != run_id, TaskRun.status.in_(FINISHED_STATUSES))
            .order_by(TaskRun.created_at.desc())
            .limit(1)
        ).scalar_one_or_none()


def _expired(before: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    # Only finished runs: a running or queued run is never history, however old.
    return TaskRun.status.in_(FINISHED_STATUSES), TaskRun.created_at < before


def count_expired_runs(db: Database, before: datetime) -> int:
    with db.read() as session:
        return session.execute(select(func.count()).select_from(TaskRun).where(*_expired(before))).scalar_one()


def delete_expired_runs(db: Database, before: datetime, chunk: int) -> tuple[int, int]:
    """Deletes up to ``chunk`` finished runs created before ``before``, activity first.

    Returns how many runs and activity rows went.
    """
    with db.write() as session:
        run_ids = session.execute(
            select(TaskRun.id).where(*_expired(before)).order_by(TaskRun.created_at).limit(chunk)
        ).scalars().all()
        if not run_ids:
            return 0, 0
        deleted = delete(TaskActivity).where(TaskActivity.run_id.in_(run_ids))
        activity = cast(CursorResult[Any], session.execute(deleted)).rowcount  # a DELETE's result: it has a rowcount
        session.execute(delete(TaskRun).where(TaskRun.id.in_(run_ids)))
        return len(run_ids), activity
