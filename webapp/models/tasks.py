"""Task settings, runs (the history), per-item activity and the event log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

RUN_QUEUED = "queued"
RUN_RUNNING = "running"
RUN_COMPLETED = "completed"
RUN_FAILED = "failed"
RUN_CANCELLED = "cancelled"
FINISHED_STATUSES = (RUN_COMPLETED, RUN_FAILED, RUN_CANCELLED)


class TaskSetting(Base):
    """One row per built-in task: its timer and which run holds it.

    ``current_run_id`` and ``queued_run_id`` are claimed with conditional UPDATEs,
    which is what keeps two processes from ever running one task at once.
    """

    __tablename__ = "task_settings"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    interval: Mapped[int] = mapped_column(Integer)
    interval_unit: Mapped[str] = mapped_column(String(8), default="minutes")
    last_run_at: Mapped[datetime | None]
    next_run_at: Mapped[datetime | None]
    last_status: Mapped[str | None] = mapped_column(String(16))
    current_run_id: Mapped[str | None] = mapped_column(String(40))
    queued_run_id: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime]


class TaskRun(Base):
    """One execution of a task: a history entry, from acceptance to its end."""

    __tablename__ = "task_runs"
    __table_args__ = (
        Index("ix_task_runs_task_created", "task_id", "created_at"),
        Index("ix_task_runs_task_status_created", "task_id", "status", "created_at"),
        Index("ix_task_runs_status_lease", "status", "lease_expires_at"),
        Index("ix_task_runs_created", "created_at"),
        # The last line of defence against two runs of one task at once.
        Index(
            "uq_task_runs_one_running",
            "task_id",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64), ForeignKey("task_settings.id"))
    status: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(16))
    force: Mapped[bool] = mapped_column(default=False)
    options: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    items_processed: Mapped[int] = mapped_column(Integer, default=0)
    items_affected: Mapped[int] = mapped_column(Integer, default=0)
    items_total: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]


class TaskActivity(Base):
    """One item a run handled, and what became of it."""

    __tablename__ = "task_activity"
    __table_args__ = (
        Index("ix_task_activity_run_id", "run_id", "id"),
        Index("ix_task_activity_run_status_id", "run_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(40), ForeignKey("task_runs.id", ondelete="CASCADE"))
    media_id: Mapped[str | None] = mapped_column(String(40))
    media_title: Mapped[str | None] = mapped_column(String(500))
    action: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text)
    timestamp: Mapped[datetime]


class TaskActivityCount(Base):
    """How many activity rows a run has per status, kept by the writer of those rows.

    A run may hold millions of rows; counting them for every page would cost more than
    the page itself.
    """

    __tablename__ = "task_activity_counts"

    run_id: Mapped[str] = mapped_column(String(40), ForeignKey("task_runs.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class TaskEvent(Base):
    """The append-only event log every stream of every process reads from."""

    __tablename__ = "task_events"
    __table_args__ = (Index("ix_task_events_created_at", "created_at"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
