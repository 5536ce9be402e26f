"""Benchmarks of issue 1/4, printed as figures with a baseline measured in the same run.

    .venv/bin/python tests/bench/run.py [--database-url URL] [--items 50000] [--seconds 10]

1. ``GET /api/tasks`` at 16 concurrent keep-alive clients on ``serve`` (wrk), beside
   ``GET /healthz`` on the same server: p50/p99 latency and requests/s.
2. One Missing Subtitles run over a library of ``--items`` media files: activity rows/s,
   beside a bare ``executemany`` of the same number of rows into the same table.
3. A due run's start after its ``nextRunAt``, and an idle server's CPU use over 20 s.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from servers import API_KEY, Server, cli, server_env  # noqa: E402

from webapp.clock import now_utc  # noqa: E402
from webapp.db import Database  # noqa: E402
from webapp.models import TaskRun, TaskSetting  # noqa: E402

WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: int, headers: dict[str, str]) -> dict[str, float]:
    args = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    latency = {f"p{p}": float(v) * UNIT_MS[u] for p, v, u in WRK_LATENCY.findall(out)}
    return {**latency, "rps": float(WRK_RATE.search(out).group(1))}  # type: ignore[union-attr]


def bench_http(server: Server, seconds: int) -> None:
    print(f"\n## GET /api/tasks vs GET /healthz, 16 keep-alive clients, {seconds} s each")
    server.get("/api/tasks").raise_for_status()
    health = wrk(server.url("/healthz"), seconds, {})
    tasks = wrk(server.url("/api/tasks"), seconds, {"x-api-key": API_KEY})
    for name, figures in (("/healthz (baseline)", health), ("/api/tasks", tasks)):
        print(f"{name:22} p50 {figures['p50']:6.2f} ms   p99 {figures['p99']:6.2f} ms   {figures['rps']:8.0f} req/s")
    print(f"/api/tasks throughput = {tasks['rps'] / health['rps']:.0%} of /healthz")


def bench_due_start(server: Server, db: Database) -> None:
    print("\n## Due run start after nextRunAt (task_pending_releases, 5 trials)")
    lags = []
    for _ in range(5):
        task = "task_pending_releases"
        with db.write() as session:  # pretend the last run was 5 min minus 2 s ago
            setting = session.get(TaskSetting, task)
            assert setting is not None
            setting.last_run_at = now_utc() - timedelta(minutes=5) + timedelta(seconds=2)
        body = server.put(f"/api/tasks/{task}/interval", json={"interval": 5, "unit": "minutes"}).json()
        due = body["nextRunAt"]
        run = wait_for_run_after(db, task, due)
        lag = (run.started_at - _parse(due)).total_seconds()  # type: ignore[operator]
        lags.append(lag)
        server.wait_run(run.id, ("completed", "failed", "cancelled"))
    print("start lag: " + ", ".join(f"{lag * 1000:.0f} ms" for lag in lags) + f"   (max {max(lags) * 1000:.0f} ms)")


def _parse(text: str):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def wait_for_run_after(db: Database, task_id: str, due: str) -> TaskRun:
    from sqlalchemy import select

    moment = _parse(due)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with db.read() as session:
            run = session.scalar(
                select(TaskRun).where(TaskRun.task_id == task_id, TaskRun.started_at >= moment - timedelta(seconds=1))
            )
        if run is not None:
            return run
        time.sleep(0.02)
    raise RuntimeError("the due run did not start within 30 s")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks of 1/100 s


def bench_idle(server: Server, seconds: int = 30) -> None:
    print(f"\n## Idle server CPU over {seconds} s (after 5 s of warm-up)")
    assert server.process is not None
    pids = (server.process.pid, *server.worker_pids())
    time.sleep(5)
    before = sum(map(cpu_seconds, pids))
    time.sleep(seconds)
    used = sum(map(cpu_seconds, pids)) - before
    print(f"idle CPU: {used / seconds:.2%} of one core ({used:.2f} s CPU in {seconds} s)")


def bench_activity(env: dict[str, str], db: Database, items: int) -> None:
    from bench_activity import run_missing_subtitles  # noqa: PLC0415

    print(f"\n## Missing Subtitles over a library of {items} media items")
    cli(env, "seed-demo", "--items", str(items))
    run_missing_subtitles(db)


def bench_arguments(description: str | None, items: int) -> argparse.ArgumentParser:
    """The options every server benchmark takes; exits at once when ``wrk`` is missing."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--items", type=int, default=items)
    parser.add_argument("--seconds", type=int, default=10)
    return parser


def main() -> None:
    args = bench_arguments(__doc__, items=50_000).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        url = args.database_url or f"sqlite:///{data / 'bench.db'}"
        env = server_env(data, url, CINEPHAGE_EVENT_POLL_SECONDS="0.5")  # production default
        cli(env, "db", "upgrade")
        db = Database(url)
        server = Server(env, data / "serve.log").start()
        try:
            bench_idle(server)
            bench_http(server, args.seconds)
            bench_due_start(server, db)
        finally:
            server.stop()
        bench_activity(env, db, args.items)
        db.dispose()


if __name__ == "__main__":
    main()
