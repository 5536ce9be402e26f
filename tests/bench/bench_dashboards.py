"""Benchmarks of the dashboard's live stream: what 100 open task lists cost the server.

    .venv/bin/python tests/bench/bench_dashboards.py [--database-url URL] [--items 500] [--seconds 10]
        [--dashboards 100] [--events 200] [--rate 20] [--quiet 20] [--refresh 2] [--workers N]

On a ``--items`` demo library, a user logs in and opens ``--dashboards`` ``GET /events/tasks``
streams (the logged-in task list's live rows) on bare sockets with that session's cookie.

1. CPU per task event: ``serve --workers 1`` (all the work in one process); ``--events``
   toggles of History Cleanup's "enabled" through the API (``--rate`` a second), each one
   a row for every open dashboard; the supervisor's and the worker's CPU time
   (utime + stime) from the first toggle until every stream has every row. Baseline in the
   same run: the same toggles with no dashboard open. The row refresh is pushed out of the
   way (an hour), and each case's quiet CPU rate is printed beside it.
2. The row refresh (every row re-sent to every dashboard): ``serve --workers 1`` with
   ``CINEPHAGE_ROW_REFRESH_SECONDS=--refresh``; CPU over ``--quiet`` seconds without events,
   with no dashboard (baseline) and then with the dashboards open: CPU per refresh round.
3. The pages, logged in (the task list, a history, a run of Missing Subtitles, settings):
   wrk ``-t2 -c16`` for ``--seconds`` each on ``serve`` with ``--workers`` (default: one per
   core, as bench_edges.py), with no stream open (baseline), then while 500 API event
   streams are open. ``--parts 3`` runs this part alone.

The servers run this tree's ``webapp`` (``python -m webapp`` in the tree's root), and so do
the commands run in this process (the tree's root goes first on ``sys.path``): a copy of
this file in another checkout measures that checkout.
"""
from __future__ import annotations

import os
import re
import selectors
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

TREE = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(TREE), str(TREE / "tests")]  # this tree's webapp, not the editable install's

from run import bench_arguments, cpu_seconds, wrk  # noqa: E402
from bench_edges import SUBTITLES, one_run  # noqa: E402
from servers import Server, cli, open_streams, read_until, server_env, wait_until  # noqa: E402

TASK = "task_history_cleanup"  # daily: enabling it sets its next run a day ahead, and starts none
USER, PASSWORD = "owner", "correct horse battery staple"
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
ROW = b"\nevent: task-"
TASK_ROW = ROW + TASK.encode() + b"\n"
SETTLE_SECONDS = 1.0  # two event polls (0.5 s, the production default): every event is read by then


class Dashboards:
    """``count`` task-list streams on bare sockets; a thread counts the rows each one receives."""

    def __init__(self, server: Server, cookie: str, count: int) -> None:
        self.conns = [open_dashboard_stream(server, cookie) for _ in range(count)]
        self.rows = [0] * count  # every ``event: task-…`` message
        self.task_rows = [0] * count  # those of TASK
        self._tails = [b""] * count
        for i, conn in enumerate(self.conns):
            head = read_until(conn, b": connected", 20)
            assert head.startswith(b"HTTP/1.1 200") and b": connected" in head, f"a dashboard did not open: {head[:200]!r}"
            self._count(i, head)
        self._selector = selectors.DefaultSelector()
        for i, conn in enumerate(self.conns):
            conn.setblocking(False)
            self._selector.register(conn, selectors.EVENT_READ, i)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._read, name="dashboards", daemon=True)
        self._thread.start()

    def _count(self, i: int, data: bytes) -> None:
        # With the end of the last chunk, for a marker that recv() cut in two; what lies
        # wholly in that end was counted already.
        tail = self._tails[i]
        text = tail + data
        self.rows[i] += text.count(ROW) - tail.count(ROW)
        self.task_rows[i] += text.count(TASK_ROW) - tail.count(TASK_ROW)
        self._tails[i] = text[-(len(TASK_ROW) - 1):]

    def _read(self) -> None:
        while not self._closed.is_set():
            for key, _ in self._selector.select(timeout=0.2):
                try:
                    data = key.fileobj.recv(262144)  # type: ignore[union-attr]
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if data:
                    self._count(key.data, data)
                else:
                    self._selector.unregister(key.fileobj)

    def fewest_task_rows(self) -> int:
        return min(self.task_rows)

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5)
        for conn in self.conns:
            conn.close()
        self._selector.close()


def open_dashboard_stream(server: Server, cookie: str) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    conn.sendall(
        f"GET /events/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    return conn


@contextmanager
def dashboards_open(server: Server, cookie: str, count: int) -> Iterator[Dashboards | None]:
    if count == 0:
        yield None
        return
    dashboards = Dashboards(server, cookie, count)
    try:
        yield dashboards
    finally:
        dashboards.close()


def log_in(server: Server) -> str:
    """A logged-in session's Cookie header (USER, made by ``create-user``)."""
    with requests.Session() as browser:
        page = browser.get(server.url("/login"), timeout=10).text
        token = CSRF_TOKEN.search(page)
        assert token, "no csrf_token field on /login"
        form = {"username": USER, "password": PASSWORD, "csrf_token": token.group(1)}
        answer = browser.post(server.url("/login"), data=form, timeout=10)
        assert answer.status_code == 200 and answer.url == server.url("/"), f"login failed: {answer.status_code} {answer.url}"
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.cookies)


def server_cpu(server: Server) -> float:
    """CPU seconds (user + system) of the supervisor and its workers so far."""
    assert server.process is not None
    return sum(map(cpu_seconds, (server.process.pid, *server.worker_pids())))


def cpu_over(server: Server, seconds: float) -> float:
    """CPU seconds the server uses in the next ``seconds``."""
    before = server_cpu(server)
    time.sleep(seconds)
    return server_cpu(server) - before


def toggles(server: Server, count: int, rate: float) -> None:
    """``count`` API toggles of TASK's "enabled", ``rate`` a second, ending enabled (count is even)."""
    started = time.monotonic()
    for i in range(count):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        server.put(f"/api/tasks/{TASK}/enabled", json={"enabled": i % 2 == 1}).raise_for_status()


def burst(server: Server, dashboards: Dashboards | None, events: int, rate: float) -> tuple[float, float]:
    """CPU seconds and wall seconds from the first toggle until every dashboard has every row."""
    expected = dashboards.fewest_task_rows() + events if dashboards else 0
    started, before = time.monotonic(), server_cpu(server)
    toggles(server, events, rate)
    settled = time.monotonic() + SETTLE_SECONDS
    if dashboards:
        wait_until(lambda: dashboards.fewest_task_rows() >= expected, max(60, 2 * events),
                   f"every dashboard to get {events} rows")
    time.sleep(max(0.0, settled - time.monotonic()))  # the baseline too waits for its events to be read
    return server_cpu(server) - before, time.monotonic() - started


def bench_events(server: Server, cookie: str, count: int, events: int, rate: float) -> None:
    print(f"\n## CPU per task event (serve --workers 1): {events} toggles at {rate:g}/s, supervisor + worker")
    toggles(server, 20, rate)  # warm-up: templates, caches, connections
    per_event = {}
    for dashboards_count in (0, count):
        with dashboards_open(server, cookie, dashboards_count) as dashboards:
            time.sleep(2)  # the streams' first wake-ups
            quiet = cpu_over(server, 5) / 5
            cpu, wall = burst(server, dashboards, events, rate)
        per_event[dashboards_count] = cpu / events
        print(f"{dashboards_count:4} dashboards   {cpu * 1000:7.0f} ms CPU in {wall:5.1f} s   "
              f"{cpu / events * 1000:7.2f} ms/event   (quiet: {quiet * 1000:5.0f} ms CPU/s)")
    extra = per_event[count] - per_event[0]
    print(f"each event costs {extra * 1000:.2f} ms more with {count} dashboards open: "
          f"{extra / count * 1e6:.0f} µs per dashboard per event")


def bench_refresh(server: Server, cookie: str, count: int, seconds: float, refresh: float) -> None:
    print(f"\n## Row refresh every {refresh:g} s (serve --workers 1): CPU over {seconds:g} s without events")
    tasks = len(server.get("/api/tasks").json()["tasks"])
    used, rounds = {}, 0.0
    for dashboards_count in (0, count):
        with dashboards_open(server, cookie, dashboards_count) as dashboards:
            time.sleep(2)
            rows_before = sum(dashboards.rows) if dashboards else 0
            used[dashboards_count] = cpu_over(server, seconds)
            if dashboards:  # rounds as the dashboards saw them: a round's rows may straddle the window's ends
                rounds = (sum(dashboards.rows) - rows_before) / (tasks * count)
        print(f"{dashboards_count:4} dashboards   {used[dashboards_count] * 1000:7.0f} ms CPU"
              + (f"   ({rounds:.1f} rounds of {tasks} rows received per dashboard)" if dashboards_count else ""))
    print(f"each refresh round to {count} dashboards: {(used[count] - used[0]) / rounds * 1000:.1f} ms CPU")


def bench_pages(server: Server, cookie: str, seconds: int) -> None:
    run_id = one_run(server)
    pages = {
        "task list": "/", "history": f"/tasks/{SUBTITLES}/history", "run": f"/runs/{run_id}", "settings": "/settings",
    }
    for path in pages.values():
        page = requests.get(server.url(path), headers={"Cookie": cookie}, allow_redirects=False, timeout=10)
        assert page.status_code == 200 and "<h1>" in page.text, f"GET {path}: {page.status_code}"
        wrk(server.url(path), 2, {"Cookie": cookie})  # warm-up: every worker's templates and caches
    for label, streams in (("no stream open (baseline)", 0), ("500 API event streams open", 500)):
        print(f"\n## The pages (logged in), wrk -t2 -c16, {seconds} s a page, {len(server.worker_pids())} workers, {label}")
        opened = open_streams(server, streams) if streams else []
        try:
            for name, path in pages.items():
                figures = wrk(server.url(path), seconds, {"Cookie": cookie})
                print(f"{name:12} {figures['rps']:7.0f} req/s   p50 {figures['p50']:6.1f} ms   "
                      f"p99 {figures['p99']:6.1f} ms   {path}")
        finally:
            for conn in opened:
                conn.close()


def load() -> str:
    """The machine's load: other work on its cores moves wall-clock figures, and CPU figures less."""
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


@contextmanager
def serving(env: dict[str, str], log: Path, *args: str) -> Iterator[tuple[Server, str]]:
    """A started server and a logged-in session's cookie on it."""
    server = Server(env, log, args).start()
    try:
        assert not any(task["status"] == "running" for task in server.get("/api/tasks").json()["tasks"])
        yield server, log_in(server)
    finally:
        server.stop()


def main() -> None:
    parser = bench_arguments(__doc__, items=500)
    parser.add_argument("--dashboards", type=int, default=100)
    parser.add_argument("--events", type=int, default=200, help="task events in a burst (even)")
    parser.add_argument("--rate", type=float, default=20.0, help="task events a second")
    parser.add_argument("--quiet", type=float, default=20.0, help="seconds of CPU measured for the refresh")
    parser.add_argument("--refresh", type=float, default=2.0, help="CINEPHAGE_ROW_REFRESH_SECONDS of part 2")
    parser.add_argument("--workers", type=int, help="serve's workers for the pages (default: one per core)")
    parser.add_argument("--parts", default="123", help="which parts to run, e.g. 3 for the pages alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        url = args.database_url or f"sqlite:///{data / 'bench.db'}"
        env = server_env(data, url, CINEPHAGE_EVENT_POLL_SECONDS="0.5",  # production default
                         CINEPHAGE_MAX_PAGE_STREAMS=str(max(200, 2 * args.dashboards)))
        cli(env, "seed-demo", "--items", str(args.items))
        cli(env, "create-user", USER, "--password-stdin", input=PASSWORD + "\n")
        import webapp  # noqa: PLC0415  (after the commands, which ran it here)
        print(f"webapp: {Path(webapp.__file__).parent}   database: {url.split(':', 1)[0]}   {load()}")
        one_worker = ("--workers", "1")
        if "1" in args.parts:
            with serving({**env, "CINEPHAGE_ROW_REFRESH_SECONDS": "3600"}, data / "events.log", *one_worker) as (
                server, cookie,
            ):
                bench_events(server, cookie, args.dashboards, args.events // 2 * 2, args.rate)
        if "2" in args.parts:
            with serving({**env, "CINEPHAGE_ROW_REFRESH_SECONDS": str(args.refresh)}, data / "refresh.log",
                         *one_worker) as (server, cookie):
                bench_refresh(server, cookie, args.dashboards, args.quiet, args.refresh)
        if "3" in args.parts:
            workers = ("--workers", str(args.workers)) if args.workers else ()
            with serving(env, data / "pages.log", *workers) as (server, cookie):
                bench_pages(server, cookie, args.seconds)
    print(f"\nat the end: {load()}")


if __name__ == "__main__":
    main()
