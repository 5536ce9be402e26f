"""TMDB as the metadata source: a series' seasons (``/tv/{id}``), then each season's episodes
(``/tv/{id}/season/{n}``), with their numbers, names and air dates.

Every request goes through the source's own rate limit (requests in flight, spacing of starts)
and hard limits (timeouts, answer size, total time per series). A 429 rests the source for its
``Retry-After``; the object is kept from run to run while its settings stay the same, so the
rest carries over. TMDB's error JSON (``{"status_code": 7, "status_message": ...}``) becomes a
``ProviderError`` a person can act on. The key (a v3 API key in ``api_key``, else a v4 read
access token as ``Authorization: Bearer``) is never in a message or a log line.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from ..clock import Clock, now_utc
from .base import EpisodeInfo, ProviderError
from .bounded import (
    RateLimiter, client_of, exchange_errors, read_capped, retry_after, timeout_until, utc_text,
)

log = logging.getLogger("cinephage.providers")

TMDB = "tmdb"
METADATA_IMPLEMENTATIONS = (TMDB,)
DEFAULT_BASE_URL = "https://api.themoviedb.org/3"
V3_KEY = re.compile(r"[0-9a-fA-F]{32}")  # a v3 API key; anything else is sent as a v4 bearer token
SPECIALS = 0  # TMDB's season of specials: left out, as Sonarr leaves them unmonitored
MAX_NUMBER = 100_000  # of a season or an episode: beyond it the answer is not believed
TITLE_LENGTH = 500  # of the episodes.title column
ERROR_BODY_BYTES = 64 * 1024
SETTINGS_HINT = "check the API key in Settings → Metadata"


@dataclass(frozen=True)
class MetadataSettings:
    """The metadata source as set; ``api_key`` empty means none is configured (TMDB answers no one without)."""

    implementation: str = TMDB
    base_url: str = DEFAULT_BASE_URL
    api_key: str = field(default="", repr=False)

    @property
    def configured(self) -> bool:
        return bool(self.api_key)


@dataclass(frozen=True)
class TmdbLimits:
    """How hard TMDB is driven (it allows about 50 requests a second), and how long it is waited for."""

    connect_seconds: float = 5.0
    read_seconds: float = 10.0
    total_seconds: float = 60.0  # one series, every season of it
    max_bytes: int = 4 * 1024 * 1024  # a long season with its crew and guest stars is a few hundred KB
    in_flight: int = 4
    spacing_seconds: float = 0.025


class TmdbError(ProviderError):
    """A failure of TMDB's; ``retry_after`` when it asked to be left alone that long (HTTP 429)."""

    def __init__(self, message: str, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TmdbSource:
    """TMDB's API v3, or a mirror or proxy of it at ``base_url``. Build it once and keep it."""

    name = "TMDB"

    def __init__(self, settings: MetadataSettings, http: httpx.Client | None = None, *, clock: Clock = now_utc,
                 limits: TmdbLimits = TmdbLimits()) -> None:
        self.settings = settings
        self.limits = limits
        self.root = settings.base_url.strip().rstrip("/")
        self._http = http
        self._clock = clock
        self._limiter = RateLimiter(limits.in_flight, limits.spacing_seconds)
        self._lock = threading.Lock()
        self._resting: tuple[datetime, str] | None = None  # until when, and what TMDB said

    def episodes(self, series_tmdb_id: int) -> list[EpisodeInfo]:
        """Every episode of every season but the specials, in season and episode order."""
        why_not = self.resting()
        if why_not is not None:
            raise ProviderError(why_not)
        deadline = time.monotonic() + self.limits.total_seconds
        series = f"series {series_tmdb_id}"
        show = self._get(f"tv/{series_tmdb_id}", series, deadline)
        numbers = season_numbers(show, self.name, series)
        if not numbers:
            return []
        with ThreadPoolExecutor(min(self.limits.in_flight, len(numbers)), thread_name_prefix="tmdb") as pool:
            pages = list(pool.map(
                lambda number: self._get(f"tv/{series_tmdb_id}/season/{number}", f"season {number} of {series}",
                                         deadline),
                numbers,
            ))
        found = [episode for number, page in zip(numbers, pages) for episode in season_episodes(page, number)]
        log.info("%s: %d episodes in %d seasons of %s", self.name, len(found), len(numbers), series)
        return sorted(found, key=lambda episode: (episode.season, episode.number))

    def test(self) -> str:
        """Asks TMDB whether it takes the key (``/authentication``); a message for people, or ProviderError."""
        deadline = time.monotonic() + min(14.0, self.limits.total_seconds)
        answer = self._get("authentication", "the API key check", deadline)
        if answer.get("success") is not True:
            raise ProviderError(f"{self.name} did not accept the API key ({tmdb_status(answer) or 'no reason given'})")
        kind = "v3 API key" if V3_KEY.fullmatch(self.settings.api_key) else "v4 read access token"
        return f"{self.name} accepted the {kind} at {self.root}"

    def resting(self) -> str | None:
        """Why TMDB is not asked now (it asked to slow down), or None."""
        with self._lock:
            resting = self._resting
        if resting is None or resting[0] <= self._clock():
            return None
        return f"{self.name} is resting until {utc_text(resting[0])}: {resting[1]}"

    # -- one request ------------------------------------------------------------------------

    def _get(self, path: str, what: str, deadline: float) -> dict[str, Any]:
        """One GET in TMDB's turn: the JSON object it answered, or ProviderError with the key hidden."""
        try:
            return self._fetch(path, what, deadline)
        except TmdbError as error:
            if error.retry_after is not None:
                self._rest(error.retry_after, str(error))
            message = self._hide_key(str(error))
        except ProviderError as error:
            message = self._hide_key(str(error))
        log.warning("%s", message)
        raise ProviderError(message) from None

    def _fetch(self, path: str, what: str, deadline: float) -> dict[str, Any]:
        params, headers = self._credentials()
        with exchange_errors(self.name, self.limits, "is the base URL right?"), \
                self._limiter.turn(deadline), client_of(self._http) as client:
            log.debug("%s: asking for %s", self.name, path)
            timeout = timeout_until(self.name, deadline, self.limits)
            with client.stream("GET", f"{self.root}/{path}", params=params, timeout=timeout,
                               headers={"Accept": "application/json", **headers}) as response:
                if response.status_code >= 400:
                    raise self._status_error(response, what, deadline)
                body = read_capped(response, self.name, self.limits.max_bytes, deadline, self.limits)
        return json_object(body, self.name, what)

    def _credentials(self) -> tuple[dict[str, str], dict[str, str]]:
        """The query and the headers that carry the key: ``api_key`` for a v3 key, a bearer token otherwise."""
        key = self.settings.api_key
        if not key:
            return {}, {}
        if V3_KEY.fullmatch(key):
            return {"api_key": key}, {}
        return {}, {"Authorization": f"Bearer {key}"}

    def _status_error(self, response: httpx.Response, what: str, deadline: float) -> TmdbError:
        """An HTTP error status as a message, with what TMDB's error JSON says."""
        status = response.status_code
        try:
            said = tmdb_status(json.loads(read_capped(response, self.name, ERROR_BODY_BYTES, deadline, self.limits)))
        except (ProviderError, httpx.HTTPError, ValueError):
            said = None
        detail = f"HTTP {status}: {said}" if said else f"HTTP {status}"
        if status == 401:
            return TmdbError(f"{self.name} refused the API key ({detail}); {SETTINGS_HINT}")
        if status == 429:
            now = self._clock()
            wait = retry_after(response.headers.get("retry-after"), now)
            return TmdbError(f"{self.name} asked to slow down ({detail}); resting until {utc_text(now + wait)}", wait)
        if status == 404:
            return TmdbError(f"{self.name} has no {what} ({detail}); check the TMDB id, and that the base URL "
                             f"is TMDB's API root such as {DEFAULT_BASE_URL}")
        if status >= 500:
            return TmdbError(f"{self.name} had a server error asking for {what} ({detail}); try again later")
        return TmdbError(f"{self.name} refused the request for {what} ({detail})")

    def _rest(self, wait: timedelta, message: str) -> None:
        until = self._clock() + wait
        with self._lock:
            if self._resting is None or self._resting[0] < until:
                self._resting = (until, self._hide_key(message))

    def _hide_key(self, text: str) -> str:
        key = self.settings.api_key
        for form in {key, quote(key, safe="")} if key else ():
            text = text.replace(form, "***")
        return text


# -- TMDB's JSON ------------------------------------------------------------------------------


def json_object(body: bytes, name: str, what: str) -> dict[str, Any]:
    try:
        answer = json.loads(body)
    except ValueError:  # UnicodeDecodeError included
        raise ProviderError(f"{name} sent an answer for {what} that is not JSON; is the base URL TMDB's API?") from None
    if not isinstance(answer, dict):
        raise ProviderError(f"{name} sent an answer for {what} that is not a JSON object")
    return answer


def tmdb_status(answer: object) -> str | None:
    """What TMDB's error JSON says: ``status 7: Invalid API key: ...``; None when it is not one."""
    if not isinstance(answer, dict):
        return None
    message, code = answer.get("status_message"), answer.get("status_code")
    if not isinstance(message, str) or not message:
        return None
    text = " ".join(message.split())[:300]
    return f"status {code}: {text}" if type(code) is int else text


def season_numbers(show: dict[str, Any], name: str, what: str) -> list[int]:
    """The numbers of the seasons ``/tv/{id}`` lists, specials left out."""
    seasons = show.get("seasons")
    if not isinstance(seasons, list):
        raise ProviderError(f"{name} sent an unexpected answer for {what} (no list of seasons)")
    numbers = {season.get("season_number") for season in seasons if isinstance(season, dict)}
    return sorted(n for n in numbers if type(n) is int and SPECIALS < n <= MAX_NUMBER)


def season_episodes(page: dict[str, Any], season: int) -> list[EpisodeInfo]:
    """The episodes of one ``/tv/{id}/season/{n}`` answer; an entry without a number is passed over."""
    episodes = page.get("episodes")
    if not isinstance(episodes, list):
        return []
    found = []
    for entry in episodes:
        number = entry.get("episode_number") if isinstance(entry, dict) else None
        if type(number) is not int or not 0 < number <= MAX_NUMBER:
            continue
        found.append(EpisodeInfo(season, number, _title(entry.get("name"), number), _air_date(entry.get("air_date"))))
    return found


def _title(name: object, number: int) -> str:
    text = " ".join(name.replace("\x00", "").split()) if isinstance(name, str) else ""
    return text[:TITLE_LENGTH] or f"Episode {number}"


def _air_date(value: object) -> date | None:
    """``2024-06-20``; None for null, ``""`` (not announced yet) or anything else."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
    except ValueError:
        return None
