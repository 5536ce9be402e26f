"""Login throttling: failures slow down further guesses, never lock the owner out.

Failures are counted per (client address, user name). After ``free_attempts`` failures
each further try must wait twice as long as the last (1 s, 2 s, 4 s … up to 5 min), so a
guesser gets a few dozen tries an hour while the owner, coming from another address,
is not slowed at all. A success clears the count. Kept in memory, per process.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

Key = tuple[str, str]


@dataclass
class _Failures:
    count: int
    last: float


class LoginThrottle:
    def __init__(
        self, free_attempts: int = 5, base_delay: float = 1.0, max_delay: float = 300.0,
        max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free_attempts = free_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_keys = max_keys
        self.clock = clock
        self._failures: OrderedDict[Key, _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, key: Key) -> float:
        """Seconds before this key may try again; 0 when it may try now."""
        with self._lock:
            failures = self._failures.get(key)
            if failures is None or failures.count < self.free_attempts:
                return 0.0
            delay = min(self.base_delay * 2 ** (failures.count - self.free_attempts), self.max_delay)
            return max(0.0, failures.last + delay - self.clock())

    def failed(self, key: Key) -> None:
        with self._lock:
            failures = self._failures.pop(key, None) or _Failures(0, 0.0)
            failures.count += 1
            failures.last = self.clock()
            self._failures[key] = failures
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)  # forget the oldest, never block the newest

    def succeeded(self, key: Key) -> None:
        with self._lock:
            self._failures.pop(key, None)
