"""One Missing Subtitles run through the engine, beside a bare insert of as many activity rows."""
from __future__ import annotations

import time

from sqlalchemy import delete, func, insert, select

from webapp.clock import now_utc
from webapp.db import Database
from webapp.engine.events import EventBroker
from webapp.engine.runs import request_run
from webapp.engine.scheduler import Engine, EngineSettings
from webapp.models import TaskActivity, TaskRun
from webapp.providers import ProviderSet
from webapp.tasks import build_registry

TASK = "task_missing_subtitles"


def run_missing_subtitles(db: Database) -> None:
    broker = EventBroker(db)
    engine = Engine(db, build_registry(ProviderSet.empty()), broker, EngineSettings(workers=1))
    accepted = request_run(db, TASK, force=True, options={}, now=now_utc())
    engine.tick(now_utc())
    run = _wait_finished(db, accepted.run_id)
    engine.shutdown(timeout=5)
    seconds = run.duration_ms / 1000  # type: ignore[operator]
    with db.read() as session:
        rows = session.scalar(select(func.count()).select_from(TaskActivity).where(TaskActivity.run_id == run.id)) or 0
    print(f"run {run.id}: {run.status}, {run.items_processed} items, {rows} activity rows in {seconds:.2f} s "
          f"= {rows / seconds:,.0f} rows/s")
    baseline = _bare_insert(db, run.id, rows)
    print(f"baseline: bare executemany of {rows} rows in batches of 500 = {baseline:,.0f} rows/s")


def _wait_finished(db: Database, run_id: str) -> TaskRun:
    while True:
        with db.read() as session:
            run = session.get(TaskRun, run_id)
        if run is not None and run.completed_at is not None:
            return run
        time.sleep(0.05)


def _bare_insert(db: Database, run_id: str, count: int) -> float:
    now = now_utc()
    row = {"run_id": run_id, "media_id": "movie_1", "media_title": "Baseline (2020)", "action": "search",
           "status": "skipped", "message": "No subtitle provider configured", "timestamp": now}
    started = time.perf_counter()
    for offset in range(0, count, 500):
        with db.write() as session:
            session.execute(insert(TaskActivity), [row] * min(500, count - offset))
    elapsed = time.perf_counter() - started
    with db.write() as session:
        session.execute(delete(TaskActivity).where(TaskActivity.media_title == "Baseline (2020)"))
    return count / elapsed
