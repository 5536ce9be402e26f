"""A hostile client with a socket: the server holds its ground against each attack it was found
open to (issue 3/7), over real sockets against a real ``serve``.

Idle and half-sent connections are closed, bodies of unauthenticated requests are never read,
a key's revocation ends its streams in every worker, the dashboard's streams have their own
allowance, a gone client frees its stream at once, and a stop with streams open stays short.
"""
from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
import sqlalchemy

from servers import API_KEY, Harness, Server, cli, open_streams, read_until, wait_until

pytestmark = pytest.mark.process

IDLE_SECONDS = "1.5"
PASSWORD = "a long enough password"


def timed_get(server: Server, path: str) -> tuple[int, float]:
    """Status and seconds of one GET with the API key, on a new connection."""
    started = time.monotonic()
    status = requests.get(server.url(path), headers={"x-api-key": API_KEY}, timeout=10).status_code
    return status, time.monotonic() - started


def closed_by_server(conn: socket.socket, timeout: float) -> bool:
    """True once the server closes ``conn`` (whatever it sent before); False if still open."""
    conn.settimeout(timeout)
    try:
        while conn.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


@contextmanager
def connections(server: Server, count: int, first_bytes: bytes = b"") -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            conn = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            if first_bytes:
                conn.sendall(first_bytes)
            opened.append(conn)
        yield opened
    finally:
        for conn in opened:
            conn.close()


# -- 1. thousands of silent connections --------------------------------------------------


def test_silent_connections_neither_stall_others_nor_stay_open(harness: Harness) -> None:
    server = harness.start(harness.env(CINEPHAGE_IDLE_TIMEOUT_SECONDS=IDLE_SECONDS), "silent")
    with connections(server, 2_100) as silent:
        for path in ("/healthz", "/api/tasks", "/login"):
            status, took = timed_get(server, path)
            assert status == 200 and took < 1, (path, status, took)
        assert all(closed_by_server(conn, 10) for conn in silent[:50] + silent[-50:])


def test_slow_headers_and_idle_keep_alive_are_closed(harness: Harness) -> None:
    server = harness.start(harness.env(CINEPHAGE_IDLE_TIMEOUT_SECONDS=IDLE_SECONDS), "slow-head", "--workers", "1")
    with connections(server, 1, b"GET /healthz HTTP/1.1\r\nHost: x\r\n") as (half_head,):
        started = time.monotonic()
        assert closed_by_server(half_head, 10)
        assert time.monotonic() - started < 4
    with connections(server, 1, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") as (kept,):
        assert b"200 OK" in read_until(kept, b"\r\n\r\n", 5)
        assert closed_by_server(kept, 10)  # after its answer, an idle keep-alive is closed too


# -- 2. a held write lock stalls nobody ------------------------------------------------------


def test_a_held_sqlite_write_lock_delays_no_request(harness: Harness) -> None:
    if not harness.database_url.startswith("sqlite"):
        pytest.skip("SQLite's database-wide write lock")
    env = harness.env()
    fresh_key = cli(env, "api-key", "create", "never-used").strip()  # its first use records last_used_at
    server = harness.start(env, "locked", "--workers", "1")
    holder = sqlalchemy.create_engine(harness.database_url, connect_args={"timeout": 0})
    try:
        with holder.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # another process's writer, holding the lock
            started = time.monotonic()
            answer = requests.get(server.url("/api/tasks"), headers={"x-api-key": fresh_key}, timeout=15)
            assert answer.status_code == 200 and time.monotonic() - started < 1, answer.text[:200]
            status, took = timed_get(server, "/healthz")
            assert status == 200 and took < 1
            conn.exec_driver_sql("ROLLBACK")
    finally:
        holder.dispose()


# -- 3. bodies of unauthenticated requests are never read ---------------------------------


@pytest.mark.parametrize(("head", "refusal"), [
    (b"PUT /api/tasks/task_history_cleanup/interval HTTP/1.1\r\nContent-Type: application/json\r\n", b" 401 "),
    (b"POST /tasks/task_history_cleanup/interval HTTP/1.1\r\n"  # a dashboard form: to the login page
     b"Content-Type: application/x-www-form-urlencoded\r\n", b" 302 "),
    (b"POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n", b" 413 "),
], ids=["api", "page", "login"])
def test_unauthenticated_bodies_are_refused_unread_and_memory_returns(
    harness: Harness, head: bytes, refusal: bytes,
) -> None:
    server = harness.start(harness.env(), "bodies", "--workers", "1")
    before = server.workers_rss_mb()
    with connections(server, 300) as slow:
        for conn in slow:
            # 1 MB of a 1 MiB body, then a pause: the last 48 KiB never come.
            send_until_refused(conn, head + b"Host: x\r\nContent-Length: 1048576\r\n\r\n" + b"a" * 1_000_000)
        during = server.workers_rss_mb()
        for conn in slow:
            answer = read_or_reset(conn)
            assert answer == b"" or refusal in answer.split(b"\r\n", 1)[0], answer[:80]
        assert all(closed_by_server(conn, 5) for conn in slow)
        status, took = timed_get(server, "/healthz")
        assert status == 200 and took < 1
    assert during - before < 60, f"worker memory grew {before:.0f} -> {during:.0f} MB"
    assert server.task("task_history_cleanup")["interval"] == 1440  # nothing changed


def send_until_refused(conn: socket.socket, data: bytes) -> None:
    """Sends ``data``; a server that answers and closes before the end is what we want."""
    try:
        conn.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass


def read_or_reset(conn: socket.socket) -> bytes:
    """The answer's head, or b"" when the server reset the connection on the unread body."""
    try:
        return read_until(conn, b"\r\n\r\n", 10)
    except ConnectionResetError:
        return b""


# -- 6. a revoked key's streams end, in every worker ---------------------------------------


def test_revoking_a_key_ends_its_streams_in_every_worker(harness: Harness) -> None:
    env = harness.env()
    key = cli(env, "api-key", "create", "revoked-soon").strip()
    server = harness.start(env, "revoke", "--workers", "2")
    streams = open_streams(server, 8, key)  # spread over both workers
    try:
        cli(env, "api-key", "revoke", key[:18])  # another process revokes
        revoked = time.monotonic()
        assert all(closed_by_server(conn, 8) for conn in streams)
        assert time.monotonic() - revoked < 5
        assert server.get("/api/tasks", headers={"x-api-key": key}).status_code == 401
    finally:
        for conn in streams:
            conn.close()


def test_logging_out_everywhere_ends_the_dashboards_streams(harness: Harness) -> None:
    env = harness.env()
    cli(env, "create-user", "owner", "--password-stdin", input=f"{PASSWORD}\n")
    server = harness.start(env, "logout", "--workers", "2")
    browsers = [logged_in(server) for _ in range(2)]
    streams = [browser.get(server.url("/events/tasks"), stream=True, timeout=10) for browser in browsers * 3]
    try:
        assert all(stream.status_code == 200 for stream in streams)
        page = browsers[0].get(server.url("/settings")).text
        browsers[0].post(server.url("/logout"), data={"csrf_token": csrf_token(page)})  # the token of every browser
        logged_out = time.monotonic()
        for stream in streams:
            for _ in stream.iter_content(chunk_size=None):
                assert time.monotonic() - logged_out < 6, "a dashboard stream outlived the logout"
        assert time.monotonic() - logged_out < 5
    finally:
        for stream in streams:
            stream.close()


def logged_in(server: Server) -> requests.Session:
    """A browser-like session logged in to the dashboard as the owner."""
    browser = requests.Session()
    token = csrf_token(browser.get(server.url("/login")).text)
    answer = browser.post(server.url("/login"), data={"username": "owner", "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 200 and answer.url.endswith("/"), answer.url
    return browser


def csrf_token(page: str) -> str:
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


# -- 9. streams share fairly ---------------------------------------------------------------


def test_api_streams_cannot_use_up_the_dashboards_and_a_gone_client_frees_its_slot(harness: Harness) -> None:
    env = harness.env(CINEPHAGE_MAX_STREAMS="20", CINEPHAGE_MAX_PAGE_STREAMS="2")
    server = harness.start(env, "fair", "--workers", "1")
    cli(env, "create-user", "owner", "--password-stdin", input=f"{PASSWORD}\n")
    page = logged_in(server)
    api_streams = open_streams(server, 20)
    try:
        assert server.get("/api/tasks/stream", stream=True).status_code == 503
        dashboard = page.get(server.url("/events/tasks"), stream=True, timeout=10)
        assert dashboard.status_code == 200, "the dashboard has an allowance of its own"
        dashboard.close()

        api_streams.pop().close()
        left = time.monotonic()
        wait_until(lambda: server.get("/api/tasks/stream", stream=True).status_code == 200, 5, "the freed slot")
        assert time.monotonic() - left < 2.5
    finally:
        for conn in api_streams:
            conn.close()


# -- a stop with streams open ----------------------------------------------------------------


def test_sigterm_with_streams_open_stops_within_10_seconds(harness: Harness) -> None:
    server = harness.start(harness.env(), "stop", "--workers", "2")
    streams = open_streams(server, 40)
    try:
        stopping = time.monotonic()
        server.signal(signal.SIGTERM)
        assert server.wait(12) == 0, server.log()[-2000:]
        assert time.monotonic() - stopping < 10
        assert "refused to gracefully stop" not in server.log()  # each worker ended its streams itself
        assert all(closed_by_server(conn, 1) for conn in streams)
    finally:
        for conn in streams:
            conn.close()
