"""The demo's past: finished runs of more than 30 days ago, which History Cleanup then deletes.

A fresh demo has no history older than the retention, so History Cleanup would find nothing to
do; these runs, each with the activity its task would have left, give it its real case.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, insert, select

from ..db import Database
from ..engine.context import append_activity
from ..engine.runs import new_run_id
from ..models import RUN_COMPLETED, RUN_FAILED, TaskRun

RETENTION_DAYS = 30  # History Cleanup's default
# (task, days ago, status, error, activity rows: (title, action, status, message))
OLD_RUNS: tuple[tuple[str, int, str, str | None, tuple[tuple[str | None, str, str, str], ...]], ...] = (
    ("task_missing_episodes", 62, RUN_COMPLETED, None, (
        ("Iron Tide (2022)", "grab", "grabbed", "Grabbed Iron.Tide.2022.1080p.BluRay.x264-GECKOS (Bluray-1080p) "
                                                "from Demo Indexer → Demo Blackhole; 8 results, 3 accepted"),
        ("Paper Island (2012)", "search", "no_results", "Searched 1 indexer for Paper Island (2012): "
                                                        "4 results, 0 accepted: 2 CAM, 2 wrong year"),
    )),
    ("task_missing_subtitles", 47, RUN_COMPLETED, None, (
        ("Iron Tide (2022)", "download_subtitle", "success", "Downloaded en subtitle (score 92, Demo Subtitles)"),
    )),
    ("task_new_episodes", 40, RUN_FAILED, "Interrupted: the process running it stopped (lease expired)", ()),
)


def seed_old_runs(db: Database, now: datetime) -> int:
    """Adds the old runs unless some run is older than the retention already; how many were added."""
    cutoff = now - timedelta(days=RETENTION_DAYS)
    with db.write() as session:
        if session.scalar(select(exists().where(TaskRun.created_at < cutoff))):
            return 0
        for task_id, days, status, error, rows in OLD_RUNS:
            started = now - timedelta(days=days, minutes=days)
            run_id = new_run_id()
            affected = sum(1 for _, _, row_status, _ in rows if row_status in ("grabbed", "success"))
            session.execute(insert(TaskRun).values(
                id=run_id, task_id=task_id, status=status, trigger="scheduled", force=False, created_at=started,
                started_at=started, completed_at=started + timedelta(seconds=42), duration_ms=42_000,
                items_processed=len(rows), items_affected=affected, items_total=len(rows), error=error,
            ))
            if rows:
                append_activity(session, run_id, [
                    {"run_id": run_id, "media_id": None, "media_title": title, "action": action, "status": state,
                     "message": message, "timestamp": started + timedelta(seconds=index)}
                    for index, (title, action, state, message) in enumerate(rows)
                ])
    return len(OLD_RUNS)
