"""Serves the Flask (WSGI) app through Granian's RSGI interface, on one event loop.

Granian parses HTTP in Rust; Python only sees ready requests. Where a request runs:

- **On the loop**, for views marked :func:`on_event_loop`: cheap reads answered from memory
  (the task list). One thread runs them back to back, with no hand-off and no contention
  for the GIL, which is what keeps their tail latency low under load.
- **On the request pool** (``SERVER_THREADS`` threads), for everything else: any view may
  wait on the database (a write waits for SQLite's lock) and must not stall the loop.
- **On a body thread**, for a streamed body (an event stream, a CSV export): each ``next()``
  may wait for the next event, so it runs on a thread of its own and never holds a pool
  thread. Event streams are capped by ``MAX_STREAMS``, so these threads are too.
"""
from __future__ import annotations

import asyncio
import contextvars
import functools
import io
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from flask import Flask, request
from granian.rsgi import ProtocolClosed
from werkzeug.exceptions import HTTPException

log = logging.getLogger("cinephage.server")
View = TypeVar("View", bound=Callable[..., Any])
STREAMED = "cinephage.streamed"  # environ key: the response body is a generator
_DONE = object()
DRAIN_LIMIT = 16 * 1024 * 1024  # bytes of an oversized body read only to answer it cleanly


def on_event_loop(view: View) -> View:
    """Marks a view as safe to run on the event loop: it answers from memory, without waiting."""
    view.on_event_loop = True  # type: ignore[attr-defined]
    return view


def mark_streamed(response: Any) -> Any:
    """``after_request`` hook: tells the bridge to send this response's body as it is produced."""
    if response.is_streamed:
        request.environ[STREAMED] = True
    return response


class Started:
    """The WSGI ``start_response`` callable, keeping what the app passed to it."""

    __slots__ = ("status", "headers")

    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[str, str]] = []

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        self.status = int(status.split(" ", 1)[0])
        self.headers = headers


class RsgiBridge:
    """An RSGI application running the WSGI ``app``."""

    def __init__(self, app: Flask, *, threads: int, body_threads: int, max_body: int) -> None:
        self.app = app
        self.max_body = max_body
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="http")
        self.body_pool = ThreadPoolExecutor(body_threads, thread_name_prefix="http-body")
        self.base_environ = {
            "SCRIPT_NAME": "", "SERVER_SOFTWARE": "cinephage", "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        self._loop_path = functools.lru_cache(maxsize=4096)(self._view_on_loop)
        app.after_request(mark_streamed)

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        if scope.proto != "http":
            return  # no websockets: Granian closes the connection
        environ = self._environ(scope, *await self._read_body(scope, proto))
        if self._on_loop(environ):
            started, chunks = self._call(environ)
            proto.response_bytes(started.status, started.headers, b"".join(chunks))
            return
        loop = asyncio.get_running_loop()
        # One context for the whole response: a streamed body (``stream_with_context``)
        # needs the request context its view pushed, whichever thread runs each ``next()``.
        context = contextvars.copy_context()
        started, chunks = await loop.run_in_executor(self.pool, context.run, self._call, environ)
        if environ.get(STREAMED):
            await self._stream(loop, proto, started, chunks, context)
        else:
            proto.response_bytes(started.status, started.headers, b"".join(chunks))

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.body_pool.shutdown(wait=False, cancel_futures=True)

    # -- the request --------------------------------------------------------------------

    async def _read_body(self, scope: Any, proto: Any) -> tuple[bytes, int]:
        """The body and its length; past ``max_body`` only the length, so that Flask answers 413.

        An oversized body is still read (and dropped), up to ``DRAIN_LIMIT``: a client sends
        its whole body before it reads the answer, and a connection closed on unread data is
        reset, which loses the 413 on its way.
        """
        declared = scope.headers.get("content-length")
        if declared is None and "transfer-encoding" not in scope.headers:
            return b"", 0
        parts, size = [], 0
        async for chunk in proto:
            size += len(chunk)
            if size <= self.max_body:
                parts.append(chunk)
            elif size > DRAIN_LIMIT:
                break
        if size > self.max_body:
            return b"", max(size, int(declared) if declared and declared.isdigit() else 0)
        return b"".join(parts), size

    def _environ(self, scope: Any, body: bytes, length: int) -> dict[str, Any]:
        host, _, port = scope.server.rpartition(":")
        client, _, _ = scope.client.rpartition(":")
        environ = self.base_environ | {
            "REQUEST_METHOD": scope.method,
            "PATH_INFO": scope.path.encode().decode("latin-1"),  # Granian decoded it; WSGI wants bytes as latin-1
            "QUERY_STRING": scope.query_string,
            "SERVER_NAME": host, "SERVER_PORT": port, "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
            "REMOTE_ADDR": client.strip("[]"),
            "wsgi.url_scheme": scope.scheme,
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(length) if length else "",
        }
        for name, value in scope.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ[key] = value
            elif key != "CONTENT_LENGTH":
                key = "HTTP_" + key
                if key in environ:  # a repeated header; HTTP/2 may split cookies into several
                    value = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
                environ[key] = value
        return environ

    def _on_loop(self, environ: dict[str, Any]) -> bool:
        return environ["REQUEST_METHOD"] == "GET" and self._loop_path(environ["PATH_INFO"])

    def _view_on_loop(self, path: str) -> bool:
        """Whether ``GET path`` reaches a view marked :func:`on_event_loop` (cached per path)."""
        try:
            endpoint, _ = self.app.url_map.bind("localhost").match(path, "GET")
        except HTTPException:
            return False
        return getattr(self.app.view_functions.get(endpoint), "on_event_loop", False)

    def _call(self, environ: dict[str, Any]) -> tuple[Started, Iterable[bytes]]:
        """Runs the app; a buffered body is read here, a streamed one is left to :meth:`_stream`."""
        started = Started()
        chunks = self.app(environ, started)
        if environ.get(STREAMED):
            return started, chunks
        try:
            return started, list(chunks)
        finally:
            _close(chunks)

    # -- a streamed body ----------------------------------------------------------------

    async def _stream(
        self, loop: asyncio.AbstractEventLoop, proto: Any, started: Started, chunks: Iterable[bytes],
        context: contextvars.Context,
    ) -> None:
        """Sends each chunk as the body produces it, until it ends or the client leaves."""
        iterator = iter(chunks)
        transport = proto.response_stream(started.status, started.headers)
        gone = asyncio.ensure_future(proto.client_disconnect())
        try:
            while not gone.done():
                chunk = await loop.run_in_executor(self.body_pool, context.run, next, iterator, _DONE)
                if chunk is _DONE:
                    break
                if chunk:
                    await transport.send_bytes(chunk)
        except ProtocolClosed:
            pass  # the client left between two chunks
        except Exception:
            log.exception("a streamed response failed midway")
        finally:
            gone.cancel()
            await loop.run_in_executor(self.body_pool, context.run, _close, chunks)


def _close(chunks: Iterable[bytes] | Iterator[bytes]) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        close()
