"""Benchmarks of issue 3/7: the server under open streams, idle connections and slow bodies.

    .venv/bin/python tests/bench/bench_edges.py [--database-url URL] [--items 5000] [--seconds 10]

Against a real ``serve`` (default workers: one per core) on a ``--items`` demo library after one
Missing Subtitles run, wrk ``-t2 -c16`` (keep-alive, on the same cores as the server) on four
routes: first with no stream open (the baseline), then while 500 event streams are open. Then
``/healthz`` latency while 3,000 idle connections are held, and the workers' memory before,
during and after 300 clients each send 1 MB of a 1 MiB body and pause.
"""
from __future__ import annotations

import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run import bench_arguments, wrk  # noqa: E402
from servers import API_KEY, Server, cli, open_streams, server_env  # noqa: E402

SUBTITLES = "task_missing_subtitles"


def routes(run_id: str) -> list[tuple[str, str]]:
    return [
        ("/healthz", "/healthz"),
        ("GET /api/tasks", "/api/tasks"),
        ("history?limit=20", f"/api/tasks/{SUBTITLES}/history?limit=20"),
        ("activity?limit=50&page=20", f"/api/tasks/history/{run_id}/activity?limit=50&page=20"),
    ]


def one_run(server: Server) -> str:
    run_id: str = server.post(f"/api/tasks/{SUBTITLES}/run", json={}).json()["executionId"]
    entry = server.wait_run(run_id, ("completed", "failed", "cancelled"), timeout=600)
    print(f"Missing Subtitles: {entry['status']}, {entry['itemsProcessed']} items")
    return run_id


def bench_routes(server: Server, run_id: str, seconds: int, label: str) -> None:
    print(f"\n## wrk -t2 -c16, {seconds} s a route, {label}")
    for name, path in routes(run_id):
        figures = wrk(server.url(path), seconds, {"x-api-key": API_KEY})
        print(f"{name:28} {figures['rps']:7.0f} req/s   p50 {figures['p50']:6.1f} ms   p99 {figures['p99']:6.1f} ms")


@contextmanager
def streams_open(server: Server, count: int) -> Iterator[None]:
    streams = open_streams(server, count)
    try:
        yield
    finally:
        for conn in streams:
            conn.close()


@contextmanager
def idle_connections(server: Server, count: int) -> Iterator[None]:
    held = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(count)]
    try:
        yield
    finally:
        for conn in held:
            conn.close()


def healthz_latency(server: Server, count: int = 200) -> str:
    took = []
    with requests.Session() as session:
        for _ in range(count):
            started = time.perf_counter()
            session.get(server.url("/healthz"), timeout=10).raise_for_status()
            took.append((time.perf_counter() - started) * 1000)
    took.sort()
    return (f"p50 {statistics.median(took):.1f} ms   p99 {took[int(count * 0.99) - 1]:.1f} ms   "
            f"max {took[-1]:.1f} ms ({count} sequential GETs)")


def bench_idle_connections(server: Server) -> None:
    print("\n## /healthz while 3,000 idle connections are held")
    print(f"none held:   {healthz_latency(server)}")
    with idle_connections(server, 3_000):
        print(f"3,000 held:  {healthz_latency(server)}")


def slow_bodies(server: Server, count: int, key: str | None) -> list[socket.socket]:
    head = (f"PUT /api/tasks/{SUBTITLES}/interval HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + (f"x-api-key: {key}\r\n" if key else "") + "Content-Length: 1048576\r\n\r\n").encode()
    opened = []
    for _ in range(count):
        conn = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        try:
            conn.sendall(head + b" " * 1_000_000)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the end of the body: what an unauthenticated sender should get
        opened.append(conn)
    return opened


def bench_slow_bodies(server: Server) -> None:
    print("\n## Worker memory (MB, all workers): 300 clients send 1 MB of a 1 MiB body, then pause")
    for label, key in (("no credential", None), ("valid API key", API_KEY)):
        before = server.workers_rss_mb()
        conns = slow_bodies(server, 300, key)
        time.sleep(2)  # a benchmark, not a test: let the server take in what it will
        during = server.workers_rss_mb()
        started = time.perf_counter()
        requests.get(server.url("/healthz"), timeout=30).raise_for_status()
        health_ms = (time.perf_counter() - started) * 1000
        for conn in conns:
            conn.close()
        time.sleep(10)  # idle threads end after 5 s, and hand back what they held
        after = server.workers_rss_mb()
        print(f"{label:14} before {before:6.0f}   during {during:6.0f}   10 s after {after:6.0f}   "
              f"/healthz during: {health_ms:.0f} ms")


def main() -> None:
    parser = bench_arguments(__doc__, items=5_000)
    parser.add_argument("--streams", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        url = args.database_url or f"sqlite:///{data / 'bench.db'}"
        env = server_env(data, url, CINEPHAGE_EVENT_POLL_SECONDS="0.5")  # production defaults
        cli(env, "seed-demo", "--items", str(args.items))
        server = Server(env, data / "serve.log").start()
        try:
            print(f"serve: {len(server.worker_pids())} workers")
            run_id = one_run(server)
            bench_routes(server, run_id, args.seconds, "no stream open (baseline)")
            with streams_open(server, args.streams):
                bench_routes(server, run_id, args.seconds, f"while {args.streams} event streams are open")
            bench_idle_connections(server)
            bench_slow_bodies(server)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
