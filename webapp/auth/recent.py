"""Credentials verified lately, so a busy client costs no query per request."""
from __future__ import annotations

import threading
import time
from typing import Generic, TypeVar

V = TypeVar("V")
MAX_KEPT = 1000


class Recent(Generic[V]):
    """What each credential verified in the last ``ttl`` seconds stands for (a key, a user).

    A revocation made in this process clears it at once; one made by another process (the
    server's other workers included) takes effect within ``ttl`` seconds.
    """

    def __init__(self, ttl: float = 1.0) -> None:
        self.ttl = ttl
        self._kept: dict[str, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, credential: str) -> V | None:
        kept = self._kept.get(credential)
        return kept[1] if kept is not None and kept[0] > time.monotonic() else None

    def put(self, credential: str, value: V) -> None:
        with self._lock:
            if len(self._kept) > MAX_KEPT:
                self._kept.clear()
            self._kept[credential] = (time.monotonic() + self.ttl, value)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
