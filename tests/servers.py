"""Real ``serve`` processes on free ports, for process-level tests and benchmarks; the other
commands run in this process (``cli``), or as a process where that is the point (``cli_process``)."""
from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from click.testing import CliRunner
from flask import Flask

from webapp import cli as webapp_cli
from webapp.errors import AppError
from webapp.runtime import runtime_of

ROOT = Path(__file__).resolve().parent.parent
OWN_VARIABLES = ("CINEPHAGE_", "DATABASE_URL")  # what configures the app
API_KEY = "cinephage_" + "0123456789abcdef" * 4
SERVING = re.compile(r"serving on http://[^:]+:(\d+) \(worker pid (\d+)\)")


def server_env(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_VARIABLES)}
    env.update({
        "CINEPHAGE_DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "CINEPHAGE_API_KEY": API_KEY,
        "CINEPHAGE_EVENT_POLL_SECONDS": "0.1", "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Polls ``predicate`` until it returns something true, and returns that; fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def cli(env: dict[str, str], *args: str, input: str | None = None) -> str:
    """Runs the command ``webapp ARGS`` in this process with ``env``'s settings; returns its standard output.

    Like ``python -m webapp``, a domain error fails the command with ``error: MESSAGE``.
    """
    settings: dict[str, str | None] = {name: None for name in os.environ if name.startswith(OWN_VARIABLES)}
    settings.update({name: value for name, value in env.items() if name.startswith(OWN_VARIABLES)})
    with apps_closed_after():
        done = CliRunner().invoke(webapp_cli.cli, args, input=input, env=settings)
    if isinstance(done.exception, AppError):
        raise RuntimeError(f"webapp {' '.join(args)} failed: error: {done.exception.message}")
    if done.exit_code != 0:
        raise RuntimeError(f"webapp {' '.join(args)} failed ({done.exit_code}): {done.output[-2000:]}") from done.exception
    return done.stdout


@contextmanager
def apps_closed_after() -> Iterator[None]:
    """The apps commands make in this block are closed at its end, with the log handlers they added."""
    made: list[Flask] = []
    create = webapp_cli.create_app
    logger = logging.getLogger("cinephage")
    handlers, level = list(logger.handlers), logger.level

    def create_app() -> Flask:
        made.append(create())
        return made[-1]

    webapp_cli.create_app = create_app  # type: ignore[assignment]
    try:
        yield
    finally:
        webapp_cli.create_app = create
        for app in made:
            runtime_of(app).broker.stop()
            runtime_of(app).db.dispose()
        for handler in logger.handlers[len(handlers):]:
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(level)


def cli_process(env: dict[str, str], *args: str, input: str | None = None,
                timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Runs ``python -m webapp ARGS`` as a process to completion."""
    return subprocess.run([sys.executable, "-m", "webapp", *args], env=env, cwd=ROOT, input=input,
                          capture_output=True, text=True, timeout=timeout)


@dataclass
class Server:
    """One ``python -m webapp serve`` process on a port the OS picked."""

    env: dict[str, str]
    log_path: Path
    args: tuple[str, ...] = ()  # more ``serve`` options, e.g. ("--workers", "1")
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    session: requests.Session = field(default_factory=requests.Session)

    def start(self, timeout: float = 30) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "webapp", "serve", "--port", "0", *self.args], env=self.env, cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        self.session.headers["x-api-key"] = API_KEY
        try:
            wait_until(self._ready, timeout, "serve to answer /healthz")
        except AssertionError as error:
            raise RuntimeError(f"{error}:\n{self.log()[-3000:]}") from None
        return self

    def _ready(self) -> bool:
        """Whether every worker serves and the server answers; fails at once if it exited.

        A stop signal that reaches a worker still starting waits for Granian's kill, so a
        test must not begin (and perhaps stop the server) before every worker is up.
        """
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"serve exited with {self.process.returncode}:\n{self.log()[-3000:]}")
        found = SERVING.findall(self.log())
        if len({pid for _, pid in found}) < self.workers:
            return False
        self.port = int(found[-1][0])
        try:
            return requests.get(self.url("/healthz"), timeout=2).status_code == 200
        except requests.RequestException:
            return False

    @property
    def workers(self) -> int:
        """How many worker processes this ``serve`` starts: ``--workers``, or one per core."""
        if "--workers" in self.args:
            return int(self.args[self.args.index("--workers") + 1])
        return len(os.sched_getaffinity(0))

    def worker_pids(self) -> list[int]:
        """The worker processes ``serve`` supervises."""
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def workers_rss_mb(self) -> float:
        """Resident memory of all workers, in MB."""
        total_kb = 0
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            total_kb += int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
        return total_kb / 1024

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        return self.session.get(self.url(path), timeout=10, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        return self.session.post(self.url(path), timeout=10, **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        return self.session.put(self.url(path), timeout=10, **kwargs)

    def task(self, task_id: str) -> dict:  # type: ignore[type-arg]
        return next(t for t in self.get("/api/tasks").json()["tasks"] if t["id"] == task_id)

    def history_entry(self, run_id: str) -> dict:  # type: ignore[type-arg]
        return self.get(f"/api/tasks/history/{run_id}").json()["history"]

    def wait_run(self, run_id: str, statuses: tuple[str, ...], timeout: float = 30) -> dict:  # type: ignore[type-arg]
        """The run's history entry, once its status is one of ``statuses``."""
        seen: list[str] = []

        def entry_in_status() -> dict | None:  # type: ignore[type-arg]
            entry = self.history_entry(run_id)
            seen.append(entry["status"])
            return entry if entry["status"] in statuses else None

        try:
            return wait_until(entry_in_status, timeout, f"run {run_id} to be {statuses}")
        except AssertionError as error:
            raise AssertionError(f"{error}: it stayed {seen[-1]}") from None

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers; safe to call twice."""
        self.session.close()
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def open_raw_stream(server: Server, key: str = API_KEY, path: str = "/api/tasks/stream") -> socket.socket:
    """An SSE request on a bare socket: hundreds of these cost a test almost nothing."""
    conn = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    conn.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {key}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    return conn


def open_streams(server: Server, count: int, key: str = API_KEY) -> list[socket.socket]:
    """``count`` event streams, each one open (its ``retry:`` line read)."""
    streams = [open_raw_stream(server, key) for _ in range(count)]
    for conn in streams:
        assert b"retry:" in read_until(conn, b"retry:", 20), "a stream did not open"
    return streams


def read_until(conn: socket.socket, marker: bytes, timeout: float) -> bytes:
    """What the connection sends until ``marker`` arrives or it closes (b"" ends it)."""
    conn.settimeout(timeout)
    data = b""
    while marker not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


@dataclass
class SseEvent:
    id: int | None
    type: str
    data: dict  # type: ignore[type-arg]


class EventStream:
    """Reads ``/api/tasks/stream`` on a thread and keeps every event and comment."""

    def __init__(self, server: Server, last_event_id: int | None = None) -> None:
        headers = {"x-api-key": API_KEY, "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.response = requests.get(server.url("/api/tasks/stream"), headers=headers, stream=True, timeout=30)
        self.response.raise_for_status()
        self.events: list[SseEvent] = []
        self.comments: list[str] = []
        self.retry: int | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        fields: dict[str, str] = {}
        try:
            for raw in self.response.iter_lines(decode_unicode=True):
                self._line(raw, fields)
        except (requests.RequestException, AttributeError, ValueError):
            return  # closed by close() or by the server

    def _line(self, line: str, fields: dict[str, str]) -> None:
        if line == "":
            if "event" in fields or "data" in fields:
                event = SseEvent(int(fields["id"]) if "id" in fields else None, fields.get("event", "message"),
                                 json.loads(fields.get("data", "{}")))
                with self._lock:
                    self.events.append(event)
            fields.clear()
        elif line.startswith(":"):
            with self._lock:
                self.comments.append(line[1:].strip())
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "retry":
                self.retry = int(value)
            else:
                fields[name] = value

    def wait_for(self, predicate, timeout: float = 15) -> SseEvent:  # type: ignore[no-untyped-def]
        """The first event ``predicate`` accepts, once it has arrived."""
        try:
            return wait_until(lambda: next(filter(predicate, self.snapshot()), None), timeout, "a matching event", 0.02)
        except AssertionError as error:
            raise AssertionError(f"{error} in {[(e.type, e.data) for e in self.snapshot()]}") from None

    def snapshot(self) -> list[SseEvent]:
        with self._lock:
            return list(self.events)

    def of_run(self, run_id: str) -> Iterator[SseEvent]:
        return (e for e in self.snapshot() if e.data.get("executionId") == run_id)

    def close(self) -> None:
        self.response.close()


def one_worker_unless_said(args: tuple[str, ...]) -> tuple[str, ...]:
    return args if "--workers" in args else (*args, "--workers", "1")


@dataclass
class Harness:
    """Starts servers and streams for one test and stops all of them at its end."""

    tmp_path: Path
    database_url: str
    servers: list[Server] = field(default_factory=list)
    streams: list[EventStream] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        return server_env(self.tmp_path / "data", self.database_url, **extra)

    def seed(self) -> None:
        cli(self.env(), "seed-demo", "--items", "300")

    def start(self, env: dict[str, str], name: str, *args: str) -> Server:
        """A started ``serve``: one worker unless ``args`` ask for more (a test of several workers does).

        Each worker is a process that imports the app: two seconds of a core here.
        """
        server = Server(env, self.tmp_path / f"{name}-{len(self.servers)}.log", one_worker_unless_said(args))
        self.servers.append(server)  # before start(): a failed start is still stopped
        return server.start()

    def start_together(self, env: dict[str, str], names: tuple[str, ...], *args: str) -> list[Server]:
        args = one_worker_unless_said(args)
        servers = [
            Server(env, self.tmp_path / f"{name}-{len(self.servers) + i}.log", args) for i, name in enumerate(names)
        ]
        self.servers.extend(servers)
        with ThreadPoolExecutor(len(servers)) as pool:
            return list(pool.map(lambda server: server.start(), servers))

    def stream(self, server: Server, last_event_id: int | None = None) -> EventStream:
        stream = EventStream(server, last_event_id)
        self.streams.append(stream)
        return stream

    def close(self) -> list[str]:
        """Stops everything; returns the servers still alive (none, unless one refused to stop)."""
        # Servers first: a stopping server ends its streams, whereas closing a stream from
        # this side blocks until the server next writes to it.
        for server in self.servers:
            server.stop()
        for stream in self.streams:
            stream.close()
        return [f"pid {s.process.pid}" for s in self.servers if s.process is not None and s.process.poll() is None]
