"""List queries of the Tasks API at scale: 100,000 runs of one task and 2,000,000 activity rows in one run.

    .venv/bin/python tests/bench/bench_scale.py [--database-url URL]

Prints the time of each service call behind a list route (mean of 5, after one warm-up).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from webapp import create_app
from webapp.clock import now_utc
from webapp.db import Database
from webapp.engine.context import append_activity
from webapp.migrate import upgrade
from webapp.models import TaskRun
from webapp.runtime import runtime_of

RUNS, ROWS, TASK, BIG_RUN = 100_000, 2_000_000, "task_upgrade", "exec_00000000"


def fill(db: Database) -> None:
    now = now_utc()
    runs = [
        {"id": f"exec_{i:08d}", "task_id": TASK, "status": "completed", "trigger": "scheduled",
         "created_at": now - timedelta(minutes=i), "started_at": now - timedelta(minutes=i),
         "completed_at": now - timedelta(minutes=i) + timedelta(seconds=5), "duration_ms": 5000}
        for i in range(RUNS)
    ]
    with db.write() as session:
        session.execute(insert(TaskRun), runs)
    for offset in range(0, ROWS, 50_000):
        rows = [
            {"run_id": BIG_RUN, "media_id": f"movie_{offset + i}", "media_title": f"Movie {offset + i} (2020)",
             "action": "search", "status": "success" if i % 3 == 0 else "skipped", "message": "", "timestamp": now}
            for i in range(50_000)
        ]
        with db.write() as session:
            append_activity(session, BIG_RUN, rows)


def timed(label: str, call: Callable[[], object]) -> None:
    call()
    started = time.perf_counter()
    for _ in range(5):
        call()
    print(f"{label:48} {(time.perf_counter() - started) / 5 * 1000:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'scale.db'}"
        runtime = runtime_of(create_app({"DATABASE_URL": url, "DATA_DIR": Path(tmp)}))
        upgrade(runtime.db, Path(tmp))
        runtime.tasks.ensure_rows(now_utc())
        fill(runtime.db)
        runs, activity = runtime.history.runs, runtime.history.activity
        timed("history, page 1 of 100k runs", lambda: runs(TASK, 1, 20, None))
        timed("history, page 5,000 of 100k runs", lambda: runs(TASK, 5000, 20, None))
        timed("history, status=failed (none)", lambda: runs(TASK, 1, 20, "failed"))
        timed("activity, page 1 of 2M rows", lambda: activity(BIG_RUN, 1, 50, None))
        timed("activity, status=success, page 1", lambda: activity(BIG_RUN, 1, 50, "success"))
        timed("activity, page 40,000 of 2M rows", lambda: activity(BIG_RUN, 40000, 50, None))
        timed("activity, search 'Movie 1999'", lambda: activity(BIG_RUN, 1, 50, None, "Movie 1999"))
        runtime.db.dispose()


if __name__ == "__main__":
    main()
