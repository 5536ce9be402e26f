"""The production server: Granian in front, one worker process with the app and the scheduler.

``serve`` upgrades the database, then becomes Granian's supervisor. The worker it starts
builds the app, runs the scheduler and answers HTTP through :mod:`webapp.bridge`.

Stopping: Granian's own graceful stop waits for every open response, and an event stream
never ends on its own. So the worker takes SIGTERM itself (the supervisor passes its
SIGTERM on): it stops the scheduler (runs are cancelled and recorded), ends the streams,
then hands over to Granian's stop with SIGINT. The worker dies with the supervisor (the
kernel sends it SIGKILL), so a killed ``serve`` never leaves a worker behind: its runs are
then ended "interrupted" by a survivor or at the next start, as after a power cut.
"""
from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import os
import signal
import socket
import threading
import time
from functools import partial

from flask import Flask
from granian import Granian
from granian.constants import Interfaces

from . import create_app
from .bridge import RsgiBridge
from .runtime import runtime_of

log = logging.getLogger("cinephage.server")
SHUTDOWN_BUDGET_SECONDS = 7.0  # the runs' share of the 10 s a stop may take
WORKER_KILL_SECONDS = 9
PR_SET_PDEATHSIG = 1


def run(app: Flask, host: str, port: int) -> None:
    """Serves until SIGTERM or SIGINT; ``port`` 0 picks a free port."""
    port = port or _free_port(host)
    runtime_of(app).db.dispose()  # the worker opens its own connections
    server = Granian(
        "webapp.server:ServerApp", address=host, port=port, interface=Interfaces.RSGI, workers=1,
        backlog=2048, workers_kill_timeout=WORKER_KILL_SECONDS, respawn_failed_workers=False,
        log_access=False,
    )
    server.serve(target_loader=partial(_load_worker_app, host=host, port=port, supervisor=os.getpid()))


def _load_worker_app(_target: str, *, host: str, port: int, supervisor: int) -> ServerApp:
    return ServerApp(host, port, supervisor)


def _free_port(host: str) -> int:
    """A port free right now: Granian's workers bind by address, so 0 must become a number."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class ServerApp:
    """The worker's RSGI application: the bridge to Flask, plus start and stop of the scheduler."""

    def __init__(self, host: str, port: int, supervisor: int) -> None:
        self.app = create_app()
        self.runtime = runtime_of(self.app)
        self.address = f"http://{host}:{port}"
        self.supervisor = supervisor
        config = self.app.config
        self.bridge = RsgiBridge(
            self.app, threads=config["SERVER_THREADS"], body_threads=config["MAX_STREAMS"] + 4,
            max_body=config["MAX_CONTENT_LENGTH"],
        )
        self.__rsgi__ = self.bridge.__rsgi__

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        _die_with(self.supervisor)
        loop.add_signal_handler(signal.SIGTERM, self._stop)
        gc.collect()
        gc.freeze()  # start-up objects (app, models, SQLAlchemy) never need collecting again
        self.runtime.engine.start()
        log.info("serving on %s (worker pid %s)", self.address, os.getpid())

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.bridge.close()

    def _stop(self) -> None:
        """SIGTERM: wind down off the loop (streams keep being served meanwhile), then stop."""
        threading.Thread(target=self._wind_down, name="shutdown").start()

    def _wind_down(self) -> None:
        started = time.monotonic()
        log.info("stopping: no new runs; cancelling this process's runs")
        self.runtime.engine.shutdown(timeout=SHUTDOWN_BUDGET_SECONDS - 1)
        self.runtime.broker.stop()  # every event stream ends
        log.info("stopped runs and streams in %.1f s", time.monotonic() - started)
        os.kill(os.getpid(), signal.SIGINT)  # Granian's own stop, now that no response is open


def _die_with(supervisor: int) -> None:
    """Asks Linux for a SIGKILL when the supervisor dies; dies at once if it already has."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        log.warning("cannot follow the supervisor (prctl errno %s)", ctypes.get_errno())
    if os.getppid() != supervisor:
        os.kill(os.getpid(), signal.SIGKILL)
