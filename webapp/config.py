"""Configuration from the environment (operations.md) and the data dir."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from .db import default_url


def data_dir(instance_path: str) -> Path:
    """``CINEPHAGE_DATA_DIR``, or the app's ``instance/`` folder."""
    return Path(os.environ.get("CINEPHAGE_DATA_DIR") or instance_path).resolve()


def secret_key(directory: Path) -> str:
    """``CINEPHAGE_SECRET_KEY``, or a key generated once and kept (0600) in the data dir."""
    configured = os.environ.get("CINEPHAGE_SECRET_KEY")
    if configured:
        return configured
    path = directory / "secret_key"
    if not path.exists():
        # Written aside, then linked into place: a process starting at the same moment
        # either finds no file or a whole one, never an empty one.
        draft = directory / f".secret_key.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def load(instance_path: str) -> dict[str, Any]:
    """The settings every app starts from; ``create_app``'s test_config overrides them."""
    directory = data_dir(instance_path)
    directory.mkdir(parents=True, exist_ok=True)
    return {
        "DATA_DIR": directory,
        "DATABASE_URL": os.environ.get("DATABASE_URL") or default_url(directory),
        "SECRET_KEY": secret_key(directory),
        "API_KEY": os.environ.get("CINEPHAGE_API_KEY") or None,
        "ADMIN_USER": os.environ.get("CINEPHAGE_ADMIN_USER") or None,
        "ADMIN_PASSWORD": os.environ.get("CINEPHAGE_ADMIN_PASSWORD") or None,
        # Proxies in front that set X-Forwarded-For/-Proto/-Host (0: trust no such header).
        "TRUSTED_PROXIES": int(os.environ.get("CINEPHAGE_TRUSTED_PROXIES", "0")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),  # Flask-Login's default is a year
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "ENGINE_WORKERS": int(os.environ.get("CINEPHAGE_WORKERS", "4")),
        # Where people reach this server, for the links in notifications (default: ``serve``'s own address).
        "PUBLIC_URL": os.environ.get("CINEPHAGE_PUBLIC_URL", "").strip().rstrip("/") or None,
        "ITEM_DELAY_SECONDS": int(os.environ.get("CINEPHAGE_ITEM_DELAY_MS", "0")) / 1000,
        # Whole seconds: lease renewal and reaping run on ``schedule``, which counts in ints.
        "HEARTBEAT_SECONDS": int(os.environ.get("CINEPHAGE_HEARTBEAT_SECONDS", "5")),
        "LEASE_SECONDS": float(os.environ.get("CINEPHAGE_LEASE_SECONDS", "30")),
        "REAP_SECONDS": int(os.environ.get("CINEPHAGE_REAP_SECONDS", "10")),
        "EVENT_POLL_SECONDS": float(os.environ.get("CINEPHAGE_EVENT_POLL_SECONDS", "0.5")),
        # How often a process asks the download clients for their finished downloads.
        "DOWNLOADS_POLL_SECONDS": float(os.environ.get("CINEPHAGE_DOWNLOADS_POLL_SECONDS", "60")),
        "STREAM_KEEPALIVE_SECONDS": float(os.environ.get("CINEPHAGE_STREAM_KEEPALIVE_SECONDS", "15")),
        "STREAM_RETRY_MS": 3000,
        # The task list's stream re-sends every row this often, so "in 4 minutes" stays true.
        "ROW_REFRESH_SECONDS": max(1.0, float(os.environ.get("CINEPHAGE_ROW_REFRESH_SECONDS", "60"))),
        "MAX_STREAMS": int(os.environ.get("CINEPHAGE_MAX_STREAMS", "500")),
        # The dashboard's own streams have an allowance of their own: API clients cannot use it up.
        "MAX_PAGE_STREAMS": int(os.environ.get("CINEPHAGE_MAX_PAGE_STREAMS", "100")),
        # A connection that sends no whole request head for this long (idle keep-alive, slow headers) is closed.
        "IDLE_TIMEOUT_SECONDS": float(os.environ.get("CINEPHAGE_IDLE_TIMEOUT_SECONDS", "10")),
        "SERVER_THREADS": int(os.environ.get("CINEPHAGE_SERVER_THREADS", "16")),
    }
