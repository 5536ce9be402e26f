"""What the HTTP providers (indexers, TMDB, OpenSubtitles) share: a rate limit of their own, a deadline
for a whole exchange, answers capped in size as they are read, and a server's Retry-After as a wait.
"""
from __future__ import annotations

import functools
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, timedelta, timezone
from typing import Protocol

import httpx

from .base import ProviderError
from .newznab_xml import http_date, to_int

RETRY_AFTER_DEFAULT = timedelta(minutes=1)  # a 429 that does not say how long
RETRY_AFTER_LONGEST = timedelta(days=1)


class Limits(Protocol):
    """How long a provider is waited for: to connect, for each read, and for a whole exchange."""

    @property
    def connect_seconds(self) -> float: ...

    @property
    def read_seconds(self) -> float: ...

    @property
    def total_seconds(self) -> float: ...


class RateLimiter:
    """At most ``in_flight`` requests at once, their starts at least ``spacing`` seconds apart."""

    def __init__(self, in_flight: int, spacing: float) -> None:
        self._in_flight = in_flight
        self._spacing = spacing
        self._condition = threading.Condition()
        self._running = 0
        self._waiting = 0
        self._next_start = 0.0

    @property
    def waiting(self) -> int:
        """How many requests wait for their turn now."""
        with self._condition:
            return self._waiting

    @contextmanager
    def turn(self, deadline: float) -> Iterator[None]:
        """Holds a slot while the block runs; TimeoutError when none came before ``deadline`` (monotonic)."""
        with self._condition:
            self._waiting += 1
            try:
                self._wait_for_slot(deadline)
            finally:
                self._waiting -= 1
            self._running += 1
        try:
            yield
        finally:
            with self._condition:
                self._running -= 1
                self._condition.notify_all()

    def _wait_for_slot(self, deadline: float) -> None:
        while True:
            now = time.monotonic()
            wait = float("inf") if self._running >= self._in_flight else self._next_start - now
            if wait <= 0:
                self._next_start = now + self._spacing
                return
            if now >= deadline or self._next_start > deadline:  # no turn in time: say so now
                raise TimeoutError
            self._condition.wait(min(wait, deadline - now))


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every request: loading the CA bundle takes a quarter of a second."""
    return httpx.create_ssl_context()

def retry_after(header: str | None, now: datetime) -> timedelta:
    """A Retry-After header (seconds or an HTTP date) as a wait, within a day; a minute when absent."""
    seconds = to_int(header)
    if seconds is not None:
        wait = timedelta(seconds=min(seconds, int(RETRY_AFTER_LONGEST.total_seconds())))
    else:
        when = http_date(header)
        wait = when - now if when is not None else timedelta(0)
    if wait <= timedelta(0):
        return RETRY_AFTER_DEFAULT
    return min(wait, RETRY_AFTER_LONGEST)

def utc_text(moment: datetime) -> str:
    return f"{moment.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC"

def size_text(size: int) -> str:
    mb = 1024 * 1024
    return f"{size / mb:g} MB" if size >= mb else f"{size / 1024:g} KB"


def client_of(http: httpx.Client | None) -> AbstractContextManager[httpx.Client]:
    """The client given, or one for this exchange only."""
    if http is not None:
        return nullcontext(http)
    return httpx.Client(verify=tls_context(), follow_redirects=True, max_redirects=5)


def timeout_until(name: str, deadline: float, limits: Limits) -> httpx.Timeout:
    """The connect and read timeouts that end by ``deadline`` (monotonic); ``ProviderError`` once it passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise ProviderError(f"{name} took longer than {limits.total_seconds:g} s")
    return httpx.Timeout(min(limits.read_seconds, left), connect=min(limits.connect_seconds, left))


def read_capped(response: httpx.Response, name: str, limit: int, deadline: float, limits: Limits) -> bytes:
    """The body, refused beyond ``limit`` bytes (decompressed) or past the deadline."""
    declared = to_int(response.headers.get("content-length"))
    if declared is not None and declared > limit:
        raise ProviderError(f"{name} sent an answer larger than {size_text(limit)}; refused")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            raise ProviderError(f"{name} sent an answer larger than {size_text(limit)}; refused")
        if time.monotonic() > deadline:
            raise ProviderError(f"{name} took longer than {limits.total_seconds:g} s to send its answer")
    return bytes(body)


@contextmanager
def exchange_errors(name: str, limits: Limits, hint: str) -> Iterator[None]:
    """What can go wrong in one bounded exchange (no turn in time, no connection, no answer) as a
    ``ProviderError`` a person can act on; ``hint`` says what to check when the server is not reached.

    A library's message is kept only where it holds no URL (a connection error names the host).
    """
    try:
        yield
    except TimeoutError:
        raise ProviderError(f"{name} is busy with other requests: no turn within {limits.total_seconds:g} s") from None
    except httpx.ConnectTimeout:
        raise ProviderError(f"{name} did not accept a connection within {limits.connect_seconds:g} s; {hint}") from None
    except httpx.TimeoutException:
        raise ProviderError(f"{name} did not answer within {limits.read_seconds:g} s") from None
    except httpx.ConnectError as error:
        raise ProviderError(f"{name} could not be reached ({error}); {hint}") from None
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise ProviderError(f"{name}: the request failed ({type(error).__name__}: {error})") from None
