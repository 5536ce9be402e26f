"""The production server: Granian's WSGI interface, worker processes that each hold an app.

``serve`` upgrades the database, then becomes Granian's supervisor. Each worker process
builds its own app with its own scheduler and event reader; the workers coordinate through
the database exactly as several ``serve`` processes do. Granian parses HTTP in Rust and
calls the app on a pool of threads sized for every request and every open event stream
(:func:`thread_budget`), so a stream never takes a thread that a request needs.

Connection hygiene is Granian's: a connection that sends no complete request head within
``IDLE_TIMEOUT_SECONDS`` (an idle keep-alive, a slow header) is closed; bodies are read
lazily by the app, after authentication, and never before their size is checked.

Stopping: Granian's graceful stop waits for every open response, and an event stream
never ends on its own. So a worker that gets SIGTERM or SIGINT (the supervisor passes its
own on) stops its scheduler (runs are cancelled and recorded) and ends its streams, while
Granian's own stop closes the listener and waits for those responses to finish. A worker
dies with the supervisor (the kernel sends it SIGKILL), so a killed ``serve`` never leaves
one behind: its runs are then ended "interrupted" by a survivor or at the next start, as
after a power cut.
"""
from __future__ import annotations

import ctypes
import gc
import logging
import os
import signal
import socket
import threading
import time
from functools import partial
from typing import Any

from flask import Flask
from granian import Granian
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings

from . import create_app
from .clock import now_utc
from .demo.notifications import point_inbox_at_server
from .demo.common import local_url
from .demo.providers import point_at_server
from .runtime import runtime_of

log = logging.getLogger("cinephage.server")
SHUTDOWN_BUDGET_SECONDS = 7.0  # the runs' share of the 10 s a stop may take
WORKER_KILL_SECONDS = 9
# A worker Granian has not ended this long after its stop signal ends itself, before the kill.
STOP_GRACE_SECONDS = 7.0
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
THREAD_IDLE_SECONDS = 5  # an idle thread ends, and hands its memory back, this soon (Granian's minimum)
CONNECTIONS_PER_WORKER = 8192  # open connections a worker holds; more wait in the backlog
BACKLOG = 4096
MAX_HEAD_BYTES = 64 * 1024  # request line and headers
PR_SET_PDEATHSIG = 1
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
LARGE_ALLOCATION = 128 * 1024


def thread_budget(config: dict[str, Any]) -> int:
    """Threads one worker may run the app on: every request thread plus every stream's."""
    threads: int = config["SERVER_THREADS"] + config["MAX_STREAMS"] + config["MAX_PAGE_STREAMS"]
    return threads


def default_workers() -> int:
    """One worker per core this process may run on."""
    return len(os.sched_getaffinity(0))


def run(app: Flask, host: str, port: int, workers: int) -> None:
    """Serves until SIGTERM or SIGINT; ``port`` 0 picks a free port."""
    port = port or _free_port(host)
    runtime_of(app).db.dispose()  # each worker opens its own connections
    idle_ms = int(app.config["IDLE_TIMEOUT_SECONDS"] * 1000)
    server = Granian(
        "webapp.server:load_worker", address=host, port=port, interface=Interfaces.WSGI, workers=workers,
        blocking_threads=thread_budget(app.config), blocking_threads_idle_timeout=THREAD_IDLE_SECONDS,
        backpressure=CONNECTIONS_PER_WORKER, backlog=BACKLOG,
        http=HTTPModes.http1, http1_settings=HTTP1Settings(header_read_timeout=idle_ms, max_buffer_size=MAX_HEAD_BYTES),
        workers_kill_timeout=WORKER_KILL_SECONDS, respawn_failed_workers=True, log_access=False,
    )
    server.serve(target_loader=partial(load_worker, address=f"http://{host}:{port}", supervisor=os.getpid()))


def load_worker(_target: str, *, address: str, supervisor: int) -> Flask:
    """Runs in each worker process: builds the app and starts its scheduler."""
    _die_with(supervisor)
    # Blocked in this thread before any other exists, so in every thread: one thread takes them.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    _hand_back_large_allocations()
    app = create_app()
    point_at_server(runtime_of(app).providers, address, now_utc())  # the demo indexer reads this server's feed
    notifications = runtime_of(app).notifications
    notifications.public_url = app.config["PUBLIC_URL"] or local_url(address)  # links to a failed run's page
    point_inbox_at_server(notifications, address, now_utc())  # the demo notification target posts here
    threading.Thread(target=_take_signals, args=(app,), name="signals", daemon=True).start()
    gc.collect()
    gc.freeze()  # start-up objects (app, models, SQLAlchemy) never need collecting again
    runtime_of(app).engine.start()
    log.info("serving on %s (worker pid %s)", address, os.getpid())
    return app


def _take_signals(app: Flask) -> None:
    """Waits for SIGTERM or SIGINT, winds the worker down, and hands the signal to Granian.

    Granian's worker waits for its stop signal on the main thread, in a lock wait that a
    signal delivered to any other of its many threads does not interrupt, so a stop could
    go unnoticed until the supervisor's kill. Blocked everywhere and waited for here, a
    signal always arrives.
    """
    winding_down: threading.Thread | None = None
    while True:
        signum = signal.sigwait(STOP_SIGNALS)
        if winding_down is None:
            winding_down = threading.Thread(target=_wind_down, args=(app,), name="shutdown")
            winding_down.start()  # not a daemon: the worker's exit waits for the runs to be recorded
            ends = threading.Timer(STOP_GRACE_SECONDS, _end_if_granian_did_not, args=(winding_down,))
            ends.daemon = True
            ends.start()
        granian_stop = signal.getsignal(signum)
        if not callable(granian_stop):  # stopped before Granian served anything
            winding_down.join()
            os._exit(0)
        granian_stop(signum, None)


def _end_if_granian_did_not(winding_down: threading.Thread) -> None:
    """Ends a worker that Granian's stop left running, once its runs are recorded (or just before the kill).

    Seen a few times in a hundred stops that come within a second of the worker's start:
    the runs and streams ended at once, but Granian's worker went on until the supervisor
    killed it at ``WORKER_KILL_SECONDS``, as if it never had the signal.
    """
    winding_down.join(WORKER_KILL_SECONDS - STOP_GRACE_SECONDS - 0.5)  # then out, before the kill
    log.warning("Granian had not ended this worker %.0f s after its stop signal: ending it", STOP_GRACE_SECONDS)
    logging.shutdown()
    os._exit(0)


def _wind_down(app: Flask) -> None:
    """Ends the streams and, alongside, cancels and records this process's runs.

    Alongside, not after: Granian's stop waits for every open answer, streams included,
    and must not wait for the engine's shutdown (under load, one stop waited for the kill at 9 s).
    """
    runtime = runtime_of(app)
    started = time.monotonic()
    log.info("stopping: streams end, no new runs, this process's runs are cancelled")
    streams = threading.Thread(target=runtime.broker.stop, name="streams-stop")
    streams.start()
    runtime.engine.shutdown(timeout=SHUTDOWN_BUDGET_SECONDS - 1)
    streams.join()
    log.info("stopped streams and runs in %.1f s", time.monotonic() - started)


def _free_port(host: str) -> int:
    """A port free right now: Granian's workers bind by address, so 0 must become a number."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _hand_back_large_allocations() -> None:
    """Large blocks (request bodies) straight from and back to the OS, not kept in malloc's heap.

    glibc raises its mmap threshold after a large block is freed, after which such blocks
    stay in the heap: memory taken by a burst of big bodies would then never come back.
    """
    libc = ctypes.CDLL(None)
    libc.mallopt(M_MMAP_THRESHOLD, LARGE_ALLOCATION)
    libc.mallopt(M_TRIM_THRESHOLD, LARGE_ALLOCATION)


def _die_with(supervisor: int) -> None:
    """Asks Linux for a SIGKILL when the supervisor dies; dies at once if it already has."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        log.warning("cannot follow the supervisor (prctl errno %s)", ctypes.get_errno())
    if os.getppid() != supervisor:
        os.kill(os.getpid(), signal.SIGKILL)
