"""Logging to stderr and to a rotating file in the data dir; one logger per component."""
from __future__ import annotations

import logging
import logging.handlers

from flask import Flask

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
# Loggers of provider libraries that write request URLs, where indexers take their API key, at INFO
# or DEBUG: kept at WARNING whatever logging the host sets up.
QUIET_LIBRARIES = ("httpx", "httpcore", "urllib3", "qbittorrentapi", "transmission_rpc")


def init_app(app: Flask) -> None:
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    root = logging.getLogger("cinephage")
    if root.handlers or app.testing:
        return
    root.setLevel(logging.INFO)
    stream = logging.StreamHandler()
    stream.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(stream)
    log_dir = app.config["DATA_DIR"] / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    rotating = logging.handlers.RotatingFileHandler(log_dir / "cinephage.log", maxBytes=5_000_000, backupCount=5)
    rotating.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(rotating)
