"""Everything a process does once before it serves: schema, task rows, env-given credentials."""
from __future__ import annotations

import logging

from flask import Flask

from . import migrate
from .auth import api_keys, users
from .clock import now_utc
from .runtime import runtime_of

log = logging.getLogger("cinephage.bootstrap")


def bootstrap(app: Flask) -> None:
    """Upgrades the schema, adds missing task rows, and registers env-given credentials."""
    runtime = runtime_of(app)
    migrate.upgrade(runtime.db, app.config["DATA_DIR"])
    now = now_utc()
    runtime.tasks.ensure_rows(now)
    if app.config["API_KEY"]:
        if api_keys.ensure_key(runtime.db, app.config["API_KEY"], "CINEPHAGE_API_KEY", now):
            log.info("registered the API key from CINEPHAGE_API_KEY")
    if app.config["ADMIN_USER"] and app.config["ADMIN_PASSWORD"]:
        if users.ensure_user(runtime.db, app.config["ADMIN_USER"], app.config["ADMIN_PASSWORD"], now):
            log.info("created user %s from CINEPHAGE_ADMIN_USER", app.config["ADMIN_USER"])
