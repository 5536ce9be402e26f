"""Torznab and Newznab indexers: caps read now and then, searches sent with only the parameters each takes.

Every call goes through the indexer's own rate limit (requests in flight, spacing of starts) and
hard limits (timeouts, answer size, total time). A failure is recorded in the indexer's health,
which rests it for a while; it surfaces as a ``ProviderError`` naming the indexer, never the
URL with its API key.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote
from xml.etree.ElementTree import Element

import httpx

from ..clock import Clock, now_utc
from .base import ProviderError, Release, SearchQuery
from .bounded import (
    RateLimiter, client_of, exchange_errors, read_capped, retry_after, timeout_until, utc_text,
)
from .newznab_xml import (
    MOVIE_SEARCH, SEARCH, TV_SEARCH, Caps, ErrorReply, parse_caps, parse_feed, parse_xml, raise_error_reply,
)
from .settings import HealthState, IndexerHealth, IndexerSettings

log = logging.getLogger("cinephage.providers")

CAPS_KEPT = timedelta(minutes=15)
TEST_SECONDS = 14.0  # a provider test never takes more than 15 s
ERROR_BODY_BYTES = 64 * 1024
PAGE_SIZE = 100
MOVIE_CATEGORIES = range(2000, 3000)
TV_CATEGORIES = range(5000, 6000)

# The ids a query can carry, by the Newznab parameter that takes them; each is sent only when the
# caps list it for the mode. A new id is one line here, e.g. ("imdbid", lambda query: query.imdb_id).
ID_PARAMS: tuple[tuple[str, Callable[[SearchQuery], object]], ...] = (
    ("tmdbid", lambda query: query.tmdb_id),
)


@dataclass(frozen=True)
class IndexerLimits:
    """How hard one indexer is driven, and how long it is waited for."""

    connect_seconds: float = 5.0
    read_seconds: float = 10.0
    total_seconds: float = 30.0  # one search, its caps and its turn in the queue included
    max_bytes: int = 5 * 1024 * 1024
    in_flight: int = 2
    spacing_seconds: float = 0.5  # between the starts of two requests


class IndexerError(ProviderError):
    """An indexer's failure; ``retry_after`` when it asked to be left alone that long (HTTP 429)."""

    def __init__(self, message: str, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NewznabIndexer:
    """One configured Torznab or Newznab feed (Prowlarr, Jackett, nZEDb, NZBHydra2...).

    Build it once per configured indexer and keep it: its caps, its rate limit and the rest a
    server asked for (Retry-After) live in the instance.
    """

    def __init__(self, settings: IndexerSettings, health: IndexerHealth, http: httpx.Client | None = None,
                 *, clock: Clock = now_utc, limits: IndexerLimits = IndexerLimits()) -> None:
        self.name = settings.name
        self.settings = settings
        self.health = health
        self.limits = limits
        self.url = api_url(settings.base_url)
        self._http = http
        self._clock = clock
        self._limiter = RateLimiter(limits.in_flight, limits.spacing_seconds)
        self._lock = threading.Lock()
        self._caps: tuple[Caps, datetime] | None = None  # with when it goes stale
        self._asked_to_wait_until: datetime | None = None

    @property
    def limiter(self) -> RateLimiter:
        return self._limiter

    def search(self, query: SearchQuery) -> list[Release]:
        """Releases for the query, from the categories configured for its kind (none: no request).

        Every release the feed lists is returned: too few seeders is the decision's to judge.
        """
        why_not = self.resting()
        if why_not is not None:
            raise ProviderError(why_not)
        categories = categories_for(self.settings.categories, query)
        if not categories:
            log.info("%s: no %s categories configured, not searched", self.name, "movie" if query.is_movie else "TV")
            return []
        deadline = time.monotonic() + self.limits.total_seconds
        try:
            params = search_params(self._current_caps(deadline), query, categories)
            releases = parse_feed(self._call(params, deadline), self.settings)
        except ProviderError as error:
            raise self._failed(error) from None
        if self.settings.id is not None:
            self.health.succeeded(self.settings.id, self._clock())
        log.info("%s: %d releases for %s (t=%s)", self.name, len(releases), describe(query), params["t"])
        return releases

    def caps(self) -> Caps:
        """What the indexer can do, asked again after ``CAPS_KEPT``."""
        try:
            return self._current_caps(time.monotonic() + self.limits.total_seconds)
        except ProviderError as error:
            raise ProviderError(self._hide_key(str(error))) from None

    def test(self) -> str:
        """Asks for the caps and a small search (health untouched); a message for people, or ProviderError."""
        deadline = time.monotonic() + min(TEST_SECONDS, self.limits.total_seconds)
        try:
            caps = self._fresh_caps(deadline)
            found = parse_feed(self._call({"t": SEARCH, "extended": "1", "limit": "10"}, deadline), self.settings)
        except ProviderError as error:
            message = self._hide_key(str(error))
            log.info("Test of %s failed: %s", self.name, message)
            raise ProviderError(message) from None
        modes = ", ".join(mode for mode in (SEARCH, TV_SEARCH, MOVIE_SEARCH) if mode in caps.modes)
        return (f"{self.name} answered: {len(caps.modes)} search modes ({modes}), {len(caps.categories)} categories; "
                f"a search for recent releases found {len(found)}")

    def resting(self) -> str | None:
        """Why the indexer is not asked now (resting after failures, or asked to wait), or None."""
        now = self._clock()
        state = self.health.state(self.settings.id) if self.settings.id is not None else HealthState()
        with self._lock:
            rests = [until for until in (state.blocked_until, self._asked_to_wait_until) if until and until > now]
        if not rests:
            return None
        failures = max(state.failures, 1)
        last = f"; last error: {state.last_error}" if state.last_error else ""
        return (f"{self.name} is resting until {utc_text(max(rests))} after {failures} "
                f"failure{'s' if failures > 1 else ''} in a row{last}")

    def _current_caps(self, deadline: float) -> Caps:
        with self._lock:
            kept = self._caps
        if kept is not None and self._clock() < kept[1]:
            return kept[0]
        return self._fresh_caps(deadline)

    def _fresh_caps(self, deadline: float) -> Caps:
        caps = parse_caps(self._call({"t": "caps"}, deadline), self.name)
        with self._lock:
            self._caps = (caps, self._clock() + CAPS_KEPT)
        return caps

    def _call(self, params: dict[str, str], deadline: float) -> Element:
        """One API request in the indexer's turn: the parsed answer, or ProviderError."""
        sent = {**params, "apikey": self.settings.api_key} if self.settings.api_key else params
        log.debug("%s: asking %s", self.name, params)
        with exchange_errors(self.name, self.limits, "is it running and is the base URL right?"), \
                self._limiter.turn(deadline), client_of(self._http) as client:
            timeout = timeout_until(self.name, deadline, self.limits)
            with client.stream("GET", self.url, params=sent, timeout=timeout) as response:
                if response.status_code >= 400:
                    raise self._status_error(response, deadline)
                body = read_capped(response, self.name, self.limits.max_bytes, deadline, self.limits)
                content_type = response.headers.get("content-type", "")
        root = parse_xml(body, self.name, content_type)
        raise_error_reply(root, self.name)
        return root

    def _status_error(self, response: httpx.Response, deadline: float) -> IndexerError:
        """An HTTP error status as a message, with the ``<error>`` description the body may hold."""
        status = response.status_code
        said = self._error_description(response, deadline)
        detail = f"HTTP {status}: {said}" if said else f"HTTP {status}"
        if status in (401, 403):
            return IndexerError(f"{self.name} rejected the API key ({detail}); check the key in the indexer's settings")
        if status == 429:
            now = self._clock()
            wait = retry_after(response.headers.get("retry-after"), now)
            return IndexerError(f"{self.name} asked to slow down ({detail}); resting until {utc_text(now + wait)}", wait)
        if status == 404:
            return IndexerError(f"{self.name} has no API at this base URL ({detail}); check the base URL")
        if status >= 500:
            return IndexerError(f"{self.name} had a server error ({detail}); try again later")
        return IndexerError(f"{self.name} refused the request ({detail})")

    def _error_description(self, response: httpx.Response, deadline: float) -> str | None:
        """The description of an ``<error>`` body, when the body is one."""
        try:
            raise_error_reply(parse_xml(read_capped(response, self.name, ERROR_BODY_BYTES, deadline, self.limits), self.name), self.name)
        except ErrorReply as reply:
            return reply.description
        except (ProviderError, httpx.HTTPError):
            return None
        return None

    def _failed(self, error: ProviderError) -> IndexerError:
        """Records the failure (health, the rest asked for, the log); the error to raise, the key hidden."""
        message = self._hide_key(str(error))
        wait = error.retry_after if isinstance(error, IndexerError) else None
        now = self._clock()
        if wait is not None:
            with self._lock:
                self._asked_to_wait_until = max(now + wait, self._asked_to_wait_until or now)
        if self.settings.id is not None:
            self.health.failed(self.settings.id, message, now, wait)
        log.warning("%s", message)
        return IndexerError(message, wait)

    def _hide_key(self, text: str) -> str:
        key = self.settings.api_key
        for form in {key, quote(key, safe="")} if key else ():
            text = text.replace(form, "***")
        return text


def api_url(base_url: str) -> str:
    """The API endpoint: ``<base_url>api``, or the base URL itself when it ends in ``/api``."""
    root = base_url.strip().rstrip("/")
    return root if root.endswith("/api") else f"{root}/api"


def categories_for(configured: Sequence[int], query: SearchQuery) -> list[int]:
    """The configured categories of the query's kind: 2000-range for movies, 5000-range for TV."""
    wanted = MOVIE_CATEGORIES if query.is_movie else TV_CATEGORIES
    return [category for category in configured if category in wanted]


def search_params(caps: Caps, query: SearchQuery, categories: Sequence[int]) -> dict[str, str]:
    """The request for one query: ids and season/episode where the caps take them, else a title query."""
    params = {"cat": ",".join(map(str, categories)), "extended": "1"}
    if caps.max_limit:
        params["limit"] = str(min(caps.max_limit, PAGE_SIZE))
    return params | (movie_params(caps, query) if query.is_movie else tv_params(caps, query))


def movie_params(caps: Caps, query: SearchQuery) -> dict[str, str]:
    ids = id_params(caps, MOVIE_SEARCH, query)
    if ids:
        return {"t": "movie", **ids}
    title = f"{query.title} {query.year}" if query.year else query.title
    return {"t": "movie" if caps.supports(MOVIE_SEARCH, "q") else "search", "q": title}


def tv_params(caps: Caps, query: SearchQuery) -> dict[str, str]:
    numbers = {"season": str(query.season)}
    if query.episode is not None:
        numbers["ep"] = str(query.episode)
    if caps.supports(TV_SEARCH, *numbers):
        ids = id_params(caps, TV_SEARCH, query)
        if ids:
            return {"t": "tvsearch", **ids, **numbers}
        if caps.supports(TV_SEARCH, "q"):
            return {"t": "tvsearch", "q": query.title, **numbers}
    return {"t": "tvsearch" if caps.supports(TV_SEARCH, "q") else "search", "q": f"{query.title} {episode_code(query)}"}


def id_params(caps: Caps, mode: str, query: SearchQuery) -> dict[str, str]:
    """The query's ids that the mode takes."""
    ids = ((name, read(query)) for name, read in ID_PARAMS)
    return {name: str(value) for name, value in ids if value is not None and caps.supports(mode, name)}


def episode_code(query: SearchQuery) -> str:
    """``S01E02`` for an episode, ``S01`` for a season."""
    return f"S{query.season or 0:02d}" + (f"E{query.episode:02d}" if query.episode is not None else "")


def describe(query: SearchQuery) -> str:
    """The query for people: ``Title (2020)``, ``Title S01E02``."""
    if query.is_movie:
        return f"{query.title} ({query.year})" if query.year else query.title
    return f"{query.title} {episode_code(query)}"
