"""How a configured indexer or download client is set up, and how an indexer's failures are kept.

Plain values: the settings service stores and validates them, the provider clients read them.
Secrets travel in these values and nowhere else: they are never logged, never in a message.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from threading import Lock
from typing import Protocol

TORZNAB, NEWZNAB = "torznab", "newznab"
INDEXER_IMPLEMENTATIONS = (TORZNAB, NEWZNAB)
TORRENT_CLIENTS = ("qbittorrent", "transmission", "deluge")
USENET_CLIENTS = ("sabnzbd", "nzbget")
BLACKHOLE = "blackhole"
CLIENT_IMPLEMENTATIONS = (*TORRENT_CLIENTS, *USENET_CLIENTS, BLACKHOLE)
TORRENT, USENET = "torrent", "usenet"

MOVIE_CATEGORIES = (2000,)
TV_CATEGORIES = (5000,)


@dataclass(frozen=True)
class IndexerSettings:
    """A Torznab or Newznab feed; ``base_url`` is its API root (requests go to ``<base_url>api?t=...``)."""

    name: str
    implementation: str
    base_url: str
    api_key: str = field(default="", repr=False)
    categories: tuple[int, ...] = (*MOVIE_CATEGORIES, *TV_CATEGORIES)
    enabled: bool = True
    priority: int = 25
    minimum_seeders: int = 1
    id: int | None = None

    @property
    def protocol(self) -> str:
        return TORRENT if self.implementation == TORZNAB else USENET


@dataclass(frozen=True)
class ClientSettings:
    """A download client; ``blackhole`` uses the folders only, every other one the connection."""

    name: str
    implementation: str
    host: str = "localhost"
    port: int = 0
    use_ssl: bool = False
    url_base: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    api_key: str = field(default="", repr=False)
    movie_category: str = "movies"
    tv_category: str = "tv"
    torrent_folder: str = ""
    nzb_folder: str = ""
    download_folder: str = ""
    enabled: bool = True
    priority: int = 25
    id: int | None = None

    @property
    def protocols(self) -> tuple[str, ...]:
        """The protocols it takes releases of: a blackhole takes both."""
        if self.implementation in TORRENT_CLIENTS:
            return (TORRENT,)
        if self.implementation in USENET_CLIENTS:
            return (USENET,)
        return (TORRENT, USENET)


# After the n-th failure in a row an indexer rests this long (the last step repeats).
BACKOFF_STEPS = (
    timedelta(0), timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1),
    timedelta(hours=3), timedelta(hours=6), timedelta(hours=12), timedelta(hours=24),
)


def backoff(failures: int) -> timedelta:
    """How long an indexer rests after ``failures`` failures in a row (none after the first)."""
    if failures <= 0:
        return timedelta(0)
    return BACKOFF_STEPS[min(failures, len(BACKOFF_STEPS)) - 1]


@dataclass(frozen=True)
class HealthState:
    """An indexer's health as people see it."""

    failures: int = 0
    blocked_until: datetime | None = None
    last_error: str | None = None
    last_success_at: datetime | None = None


class IndexerHealth(Protocol):
    """Where an indexer's failures in a row are kept, so that one failing indexer is rested."""

    def state(self, indexer_id: int) -> HealthState: ...

    def failed(self, indexer_id: int, message: str, now: datetime, rest: timedelta | None = None) -> None:
        """One more failure in a row; ``rest``: how long the indexer asked to be left alone (a 429's Retry-After)."""
        ...

    def succeeded(self, indexer_id: int, now: datetime) -> None: ...


class MemoryHealth:
    """Health kept in this process only: for tests and one-off provider tests."""

    def __init__(self) -> None:
        self._states: dict[int, HealthState] = {}
        self._lock = Lock()

    def state(self, indexer_id: int) -> HealthState:
        with self._lock:
            return self._states.get(indexer_id, HealthState())

    def failed(self, indexer_id: int, message: str, now: datetime, rest: timedelta | None = None) -> None:
        with self._lock:
            old = self._states.get(indexer_id, HealthState())
            failures = old.failures + 1
            until = now + max(backoff(failures), rest or timedelta(0))
            self._states[indexer_id] = HealthState(failures, until, message, old.last_success_at)

    def succeeded(self, indexer_id: int, now: datetime) -> None:
        with self._lock:
            self._states[indexer_id] = HealthState(last_success_at=now)
