"""The production server: Waitress, with the scheduler, and a graceful stop on SIGTERM.

Waitress parks idle keep-alive connections in its event loop and runs requests on a
thread pool. An event stream holds one pool thread for its whole life, so the pool is
sized for ``MAX_STREAMS`` open streams plus ``SERVER_THREADS`` for everything else.
"""
from __future__ import annotations

import gc
import logging
import signal
import threading
import time

from flask import Flask
from waitress.server import create_server


log = logging.getLogger("cinephage.server")
SHUTDOWN_BUDGET_SECONDS = 8.0


def run(app: Flask, host: str, port: int) -> None:
    """Serves until SIGTERM or SIGINT, then stops runs, streams and the server within 10 s."""
    runtime = app.extensions["cinephage.runtime"]
    config = app.config
    server = create_server(
        app, host=host, port=port, ident="cinephage",
        threads=config["SERVER_THREADS"] + config["MAX_STREAMS"],
        connection_limit=config["MAX_STREAMS"] + 1000, channel_timeout=300, cleanup_interval=30,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())  # handlers only set a flag
    gc.collect()
    gc.freeze()  # start-up objects (app, models, SQLAlchemy) never need collecting again
    runtime.engine.start()
    thread = threading.Thread(target=server.run, name="http", daemon=True)
    thread.start()
    log.info("serving on http://%s:%s", host, server.effective_port)
    while not stop.wait(1.0):
        pass
    _shutdown(runtime, server)


def _shutdown(runtime, server) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    log.info("stopping: no new runs; cancelling this process's runs")
    runtime.engine.shutdown(timeout=SHUTDOWN_BUDGET_SECONDS - 2)
    runtime.broker.stop()
    server.close()
    server.task_dispatcher.shutdown(timeout=1)
    log.info("stopped in %.1f s", time.monotonic() - started)

