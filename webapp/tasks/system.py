"""System tasks: keep the task history to its retention."""
from __future__ import annotations

from datetime import timedelta

from ..engine.context import RunContext
from ..engine.registry import OptionSpec, TaskDefinition, TaskRegistry
from .common import DELETE, NO_RESULTS, SUCCESS
from .history import count_expired_runs, delete_expired_runs

CLEANUP_INTERVAL = 1440
DEFAULT_RETENTION_DAYS = 30
# Runs per write transaction: short enough that other writers never wait long.
CHUNK_RUNS = 500


def history_cleanup(ctx: RunContext) -> None:
    """Deletes finished runs older than the retention, with their activity, a chunk at a time."""
    days = ctx.option("retentionDays", DEFAULT_RETENTION_DAYS)
    before = ctx.now - timedelta(days=days)
    ctx.total = count_expired_runs(ctx.db, before)
    deleted = 0
    while True:
        ctx.check_stop()
        runs, activity = delete_expired_runs(ctx.db, before, CHUNK_RUNS)
        if runs == 0:
            break
        deleted += runs
        ctx.count(processed=runs, affected=runs)
        deleted_rows = f"{_quantity(runs, 'run')} and {_quantity(activity, 'activity row')}"
        ctx.record(None, DELETE, SUCCESS, f"Deleted {deleted_rows} older than {_quantity(days, 'day')}")
    if deleted == 0:
        ctx.record(None, DELETE, NO_RESULTS, f"No finished runs older than {_quantity(days, 'day')}")


def _quantity(number: int, noun: str) -> str:
    """``1 run``, ``3 runs``: the number with its noun, plural unless it is one."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def register(registry: TaskRegistry) -> None:
    registry.add(TaskDefinition(
        id="task_history_cleanup", name="History Cleanup",
        description="Delete task history older than the retention (30 days by default)", type="system",
        default_interval=CLEANUP_INTERVAL, min_interval=60, body=history_cleanup,
        options={"retentionDays": OptionSpec(1, 3650, "Delete history older than this many days (default 30)")},
    ))
