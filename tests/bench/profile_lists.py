"""CPU per request of the history and activity routes, in-process, with a profile of each.

    .venv/bin/python tests/bench/profile_lists.py [--database-url URL] [--items 5000] [--requests 2000] [--top 25]

Builds a demo library of ``--items`` media items in a temporary SQLite file (or in a schema
of its own on the PostgreSQL database ``--database-url`` names), runs Missing Subtitles once,
then drives seven routes through ``app.test_client()``, the API's with an API key:

- ``GET /api/tasks`` (kept per change to any task: the baseline of Flask's own cost),
- ``GET /api/tasks/task_missing_subtitles/history?limit=20``,
- ``GET /api/tasks/history/<run>/activity?limit=50&page=20``,
- ``GET /``, the dashboard's task list, and its history, run and settings pages, as a logged-in user.

It prints the mean CPU milliseconds per request (this thread's CPU time, no profiler
attached), then the top functions of each route by cumulative and by own time under cProfile.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from webapp import create_app
from webapp.auth.users import create_user
from webapp.bootstrap import bootstrap
from webapp.clock import now_utc
from webapp.engine.runs import request_run
from webapp.library.demo import seed_demo
from webapp.models import TaskRun
from webapp.runtime import Runtime, runtime_of

API_KEY = "cinephage_" + "fedcba9876543210" * 4
TASK = "task_missing_subtitles"


@contextmanager
def database(url: str | None, data: Path) -> Iterator[str]:
    """The URL to bench on: a SQLite file in ``data``, or a fresh schema of a PostgreSQL database."""
    if url is None:
        yield f"sqlite:///{data / 'bench.db'}"
        return
    schema = "bench_" + uuid.uuid4().hex[:12]
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        in_schema = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield in_schema.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def ready_app(url: str, data: Path, items: int) -> tuple[Flask, str]:
    """The app on a seeded library after one Missing Subtitles run; returns the run's id."""
    app = create_app({"TESTING": False, "DATABASE_URL": url, "DATA_DIR": data, "API_KEY": API_KEY})
    bootstrap(app)
    runtime = runtime_of(app)
    counts = seed_demo(runtime.db, items, now_utc())
    print("demo library: " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    run_id = run_once(runtime)
    runtime.broker.start()  # as under ``serve``: the task list is cached while no event says otherwise
    return app, run_id


def run_once(runtime: Runtime) -> str:
    accepted = request_run(runtime.db, TASK, force=True, options={}, now=now_utc())
    runtime.engine.tick(now_utc())
    while True:
        with runtime.db.read() as session:
            run = session.get(TaskRun, accepted.run_id)
        if run is not None and run.completed_at is not None:
            break
        time.sleep(0.05)
    runtime.engine.shutdown(timeout=5)
    print(f"run {run.id}: {run.status}, {run.items_processed} items")
    return run.id


def logged_in(app: Flask) -> FlaskClient:
    """A client with a dashboard session (the API routes ignore it: they take the key)."""
    create_user(runtime_of(app).db, "bench", "bench-password-1", now_utc())
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = client.post("/login", data={"username": "bench", "password": "bench-password-1", "csrf_token": token})
    assert answer.status_code in (302, 303), answer.status_code
    return client


def get(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True))


def cpu_ms_per_request(client: FlaskClient, path: str, requests: int) -> float:
    started = time.thread_time()
    for _ in range(requests):
        get(client, path)
    return (time.thread_time() - started) * 1000 / requests


def profile(client: FlaskClient, path: str, requests: int, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        get(client, path)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a PostgreSQL URL; default: a SQLite file in a temporary folder")
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=2000, help="requests per route and measure")
    parser.add_argument("--top", type=int, default=25, help="functions listed per profile ordering")
    parser.add_argument("--no-profile", action="store_true", help="print the CPU figures only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database(args.database_url, Path(tmp)) as url:
        app, run_id = ready_app(url, Path(tmp) / "data", args.items)
        client = logged_in(app)
        client.environ_base["HTTP_X_API_KEY"] = API_KEY
        routes = {
            "tasks (baseline)": "/api/tasks",
            "history": f"/api/tasks/{TASK}/history?limit=20",
            "activity": f"/api/tasks/history/{run_id}/activity?limit=50&page=20",
            "task list page": "/",
            "history page": f"/tasks/{TASK}/history",
            "run page": f"/runs/{run_id}",
            "settings page": "/settings",
        }
        for path in routes.values():
            cpu_ms_per_request(client, path, 50)  # warm up: connections, compiled statements
        print(f"\n## CPU ms per request, mean of {args.requests} ({url.split(':', 1)[0]})")
        for name, path in routes.items():
            print(f"{name:18} {cpu_ms_per_request(client, path, args.requests):6.3f} ms   {path}")
        if not args.no_profile:
            for name, path in routes.items():
                print(f"\n## cProfile: {name}, {args.requests} requests\n")
                print(profile(client, path, args.requests, args.top))
        runtime = runtime_of(app)
        runtime.broker.stop()
        runtime.db.dispose()


if __name__ == "__main__":
    main()
