"""What every demo provider shares: where this server is reached, their priority, and their own API keys.

A demo provider reads what this very server serves under ``/demo/``, with an API key of its own
(named after it, with a ``source`` that ``api-key list`` shows). Each ``serve`` worker points the
demo providers at the address it listens on when it starts.
"""
from __future__ import annotations

from datetime import datetime

from ..auth import api_keys
from ..db import Database

DEFAULT_ADDRESS = "http://127.0.0.1:3000"  # ``serve``'s default; the server corrects it when it starts
DEMO_PRIORITY = 1


def local_url(address: str) -> str:
    """How this host reaches a server listening on ``address``: a wildcard address is reached on loopback."""
    scheme, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def demo_key(db: Database, name: str, source: str, now: datetime) -> str:
    """A fresh API key for a demo provider; the earlier ones of its ``source``, which it no longer holds, are revoked."""
    revoke_demo_keys(db, source, now)
    return api_keys.create_key(db, name, now, source=source, unique_name=False)


def revoke_demo_keys(db: Database, source: str, now: datetime) -> None:
    for key in api_keys.list_keys(db):
        if key.source == source and key.revoked_at is None:
            api_keys.revoke_key_id(db, key.id, now)
