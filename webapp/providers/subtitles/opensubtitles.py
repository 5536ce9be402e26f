"""OpenSubtitles.com through its REST API (``/login``, ``/subtitles``, ``/download``), with httpx.

subliminal has an OpenSubtitles.com provider, but its server address is a class constant, it
speaks ``requests`` and brings fifteen packages (click, dogpile.cache, stevedore, knowit...);
the API is small and documented, so this is a thin client of it. The shapes handled are the
documented ones: a search answers ``data[].attributes`` with ``files[].file_id``, a download
``link``, ``remaining`` and ``reset_time_utc``; 406 on a download is the quota used up (no
download is asked for again before its reset), 429 asks to wait (``Retry-After`` is honoured).
The token from ``/login`` is kept and renewed on a 401. The API key and password go in
headers and bodies only, never in a URL or a message.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx

from ...clock import now_utc
from ..base import Offer, ProviderError, Scorer, SubtitleRequest, SubtitleResult
from ..clients.connection import brief, connection
from ..bounded import retry_after, utc_text
from .hashing import opensubtitles_hash
from .names import release_name
from .settings import QuotaState, QuotaStore, SubtitleProviderSettings

log = logging.getLogger("cinephage.providers")

PRODUCT = "OpenSubtitles"
USER_AGENT = "Cinephage Tasks v0.1.0"
TIMEOUT = 10.0  # seconds per connection or read: a provider test must end within 15 s
JSON_LIMIT = 4 * 1024 * 1024
SUBTITLE_LIMIT = 8 * 1024 * 1024  # a subtitle file is tens of KB; anything this big is not one
QUOTA_USED_UP, SLOW_DOWN = 406, 429


class OpenSubtitles:
    """One configured OpenSubtitles.com account; kept from run to run, so its token carries over."""

    def __init__(self, settings: SubtitleProviderSettings, quota: QuotaStore, scorer: Scorer,
                 http: httpx.Client | None = None, clock: Callable[[], datetime] = now_utc,
                 timeout: float = TIMEOUT) -> None:
        self.settings = settings
        self._score = scorer
        self.name = settings.name
        self.minimum_score = settings.minimum_score
        self._quota = quota
        self._http = http
        self._clock = clock
        self._timeout = timeout
        self._token: str | None = None
        self._lock = threading.Lock()

    @property
    def _root(self) -> str:
        return self.settings.base_url.rstrip("/")

    # -- the provider protocol ----------------------------------------------------

    def search(self, request: SubtitleRequest) -> list[SubtitleResult]:
        """Every single-file subtitle in the request's language, scored against the file."""
        self._refuse_while_resting()
        file_hash = opensubtitles_hash(request.file_path)
        params = search_params(request, file_hash)
        answer = self._call("GET", "/subtitles", params=params)
        return [result for item in _list(answer, "data", "a search") for result in self._results(item, request)]

    def download(self, result: SubtitleResult) -> bytes:
        """Asks for the file's link (one download of the quota), then fetches the subtitle from it."""
        self._refuse_while_resting()
        answer = self._call("POST", "/download", json={"file_id": int(result.reference), "sub_format": "srt"},
                            logged_in=True)
        if not isinstance(answer, dict) or not isinstance(answer.get("link"), str):
            raise ProviderError(f"{PRODUCT} answered a download without a 'link': {brief(answer)!r}")
        self._note_remaining(answer)
        return self._fetch(answer["link"])

    def test(self) -> str:
        """Logs in when a username is set (the key and the account both tried), else asks for the formats."""
        if self.settings.username:
            user = self._login()
            allowed = user.get("allowed_downloads") if isinstance(user, dict) else None
            level = f", {user['level']}" if isinstance(user, dict) and isinstance(user.get("level"), str) else ""
            return f"{PRODUCT} logged in {self.settings.username!r} ({allowed} downloads a day{level})"
        self._call("GET", "/infos/formats")
        return f"{PRODUCT} accepted the API key (no username: downloads count against the key's anonymous quota)"

    # -- results ------------------------------------------------------------------

    def _results(self, item: Any, request: SubtitleRequest) -> list[SubtitleResult]:
        attributes = item.get("attributes") if isinstance(item, dict) else None
        if not isinstance(attributes, dict):
            return []
        files = attributes.get("files")
        # A subtitle in several files (one per CD) fits no single video file.
        if not isinstance(files, list) or len(files) != 1 or not isinstance(files[0], dict):
            return []
        file_id = files[0].get("file_id")
        if type(file_id) is not int:
            return []
        release = _text(attributes.get("release")) or release_name(_text(files[0].get("file_name")) or "")
        offer = _offer(attributes, release or None)
        language = (_text(attributes.get("language")) or "").lower()
        return [SubtitleResult(self.name, language, self._score(request, offer), str(file_id), release or None, "srt")]

    # -- the exchanges ------------------------------------------------------------

    def _call(self, method: str, path: str, *, logged_in: bool = False, **request: Any) -> Any:
        """One API call; a 401 with a token renews it once. Returns the JSON answer."""
        token = self._token_for_call() if logged_in else None
        response = self._send(method, path, token, **request)
        if response.status_code == 401 and token is not None:
            log.info("%s %r: token refused, logging in again", PRODUCT, self.name)
            response = self._send(method, path, self._token_for_call(renew=True), **request)
        return self._json_of(response, path)

    def _token_for_call(self, renew: bool = False) -> str | None:
        """The session token when a username is set (logging in when there is none yet)."""
        if not self.settings.username:
            return None
        with self._lock:
            if renew:
                self._token = None
            if self._token is None:
                self._token = str(self._login_answer()["token"])
            return self._token

    def _login(self) -> Any:
        """A fresh login; the user's details it answered."""
        with self._lock:
            self._token = None
            answer = self._login_answer()
            self._token = answer["token"]
            return answer.get("user")

    def _login_answer(self) -> dict[str, Any]:
        body = {"username": self.settings.username, "password": self.settings.password}
        response = self._send("POST", "/login", None, json=body)
        if response.status_code in (400, 401):
            raise ProviderError(f"{PRODUCT} refused the username or password (HTTP {response.status_code})")
        answer = self._json_of(response, "/login")
        if not isinstance(answer, dict) or not isinstance(answer.get("token"), str) or not answer["token"]:
            raise ProviderError(f"{PRODUCT} answered a login without a token: {self._brief(answer)!r}")
        return answer

    def _send(self, method: str, path: str, token: str | None, **request: Any) -> httpx.Response:
        headers = {"Api-Key": self.settings.api_key, "User-Agent": USER_AGENT, "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = self._root + path
        try:
            with self._connection() as http, http.stream(method, url, headers=headers, timeout=self._timeout,
                                                         **request) as response:
                body = _read(response, JSON_LIMIT, url)
                return httpx.Response(response.status_code, headers=response.headers, content=body)
        except httpx.TimeoutException:
            raise ProviderError(f"{PRODUCT} at {url} did not answer within {self._timeout:g} s") from None
        except httpx.TransportError:
            raise ProviderError(f"Could not connect to {PRODUCT} at {url}") from None
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise ProviderError(f"{PRODUCT} at {url} answered something unreadable ({type(error).__name__})") from None

    def _json_of(self, response: httpx.Response, path: str) -> Any:
        status = response.status_code
        if status == QUOTA_USED_UP and path == "/download":
            raise self._quota_used_up(response)
        if status == SLOW_DOWN:
            raise self._rest(retry_after(response.headers.get("retry-after"), self._clock()),
                             f"{PRODUCT} asked to slow down (HTTP 429)")
        if status in (401, 403):
            raise ProviderError(f"{PRODUCT} refused the API key (HTTP {status} on {path}): "
                                f"{self._brief(_message(response))}")
        if status >= 400:
            raise ProviderError(f"{PRODUCT} answered HTTP {status} on {path}: "
                                f"{self._brief(_message(response)) or response.reason_phrase}")
        try:
            return response.json()
        except ValueError:
            raise ProviderError(f"{PRODUCT} answered something that is not JSON on {path}: "
                                f"{self._brief(response.text)!r}") from None

    def _fetch(self, link: str) -> bytes:
        """The subtitle file from its link (another host: no key or token is sent there)."""
        try:
            with self._connection() as http, http.stream("GET", link, headers={"User-Agent": USER_AGENT},
                                                         timeout=self._timeout, follow_redirects=True) as response:
                if response.status_code >= 400:
                    raise ProviderError(f"{PRODUCT}'s download link answered HTTP {response.status_code}")
                return _read(response, SUBTITLE_LIMIT, "the download link")
        except httpx.TimeoutException:
            raise ProviderError(f"{PRODUCT}'s download link did not answer within {self._timeout:g} s") from None
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise ProviderError(f"{PRODUCT}'s download link could not be read ({type(error).__name__})") from None

    def _connection(self) -> AbstractContextManager[httpx.Client]:
        return connection(self._http, self._timeout)

    # -- quota and rests ------------------------------------------------------------

    def _refuse_while_resting(self) -> None:
        state = self._quota.load(self.settings.id)
        if state.resting_until is not None and state.resting_until > self._clock():
            raise ProviderError(f"{state.reason}; not asked again until {utc_text(state.resting_until)}")

    def _note_remaining(self, answer: Mapping[str, Any]) -> None:
        remaining = answer.get("remaining")
        resets_at = _utc(answer.get("reset_time_utc"))
        state = QuotaState(remaining if type(remaining) is int else None, resets_at)
        if type(remaining) is int and remaining <= 0 and resets_at is not None:
            state = replace(state, resting_until=resets_at, reason=f"{PRODUCT} download quota used up (0 left)")
        self._quota.save(self.settings.id, state)

    def _quota_used_up(self, response: httpx.Response) -> ProviderError:
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        answer = answer if isinstance(answer, dict) else {}
        now = self._clock()
        resets_at = _utc(answer.get("reset_time_utc"))
        until = resets_at if resets_at is not None and resets_at > now else now + timedelta(hours=1)
        said = self._brief(answer.get("message") or "")
        reason = f"{PRODUCT} download quota used up" + (f" ({said})" if said else "")
        self._quota.save(self.settings.id, QuotaState(0, resets_at, until, reason))
        return ProviderError(f"{reason}; not asked again until {utc_text(until)}")

    def _rest(self, wait: timedelta, reason: str) -> ProviderError:
        until = self._clock() + wait
        kept = self._quota.load(self.settings.id)
        self._quota.save(self.settings.id, replace(kept, resting_until=until, reason=reason))
        return ProviderError(f"{reason}; not asked again until {utc_text(until)}")

    def _brief(self, text: object) -> str:
        return brief(text, self.settings.api_key, self.settings.password, self._token or "")


def search_params(request: SubtitleRequest, file_hash: str | None) -> dict[str, str]:
    """The search's parameters, sorted and in lower case as the API asks (else it redirects).

    By TMDB id where the library has one (the series' with season and episode for an
    episode), else by title (with the year of a movie); the file's hash whenever there is one.
    """
    params = {"languages": request.language.lower()}
    if file_hash:
        params["moviehash"] = file_hash
    if request.episode is not None:
        params.update(season_number=str(request.season), episode_number=str(request.episode))
        if request.tmdb_id is not None:
            params["parent_tmdb_id"] = str(request.tmdb_id)
        else:
            params["query"] = request.title.lower()
    elif request.tmdb_id is not None:
        params["tmdb_id"] = str(request.tmdb_id)
    else:
        params["query"] = request.title.lower()
        if request.year is not None:
            params["year"] = str(request.year)
    return dict(sorted(params.items()))


def _offer(attributes: Mapping[str, Any], release: str | None) -> Offer:
    details = attributes.get("feature_details")
    details = details if isinstance(details, dict) else {}
    episode_of_series = details.get("parent_tmdb_id") is not None or details.get("episode_number") is not None
    return Offer(
        release=release,
        hash_match=attributes.get("moviehash_match") is True,
        tmdb_id=_int(details.get("parent_tmdb_id") if episode_of_series else details.get("tmdb_id")),
        title=_text(details.get("parent_title") if episode_of_series else details.get("title")),
        year=None if episode_of_series else _int(details.get("year")),
        season=_int(details.get("season_number")),
        episode=_int(details.get("episode_number")),
    )


def _read(response: httpx.Response, limit: int, where: str) -> bytes:
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            raise ProviderError(f"{PRODUCT} at {where} answered more than {limit // (1024 * 1024)} MB")
    return bytes(body)


def _message(response: httpx.Response) -> str:
    """The ``message`` (or ``errors``) of an error answer, else its text."""
    try:
        answer = response.json()
    except ValueError:
        return response.text
    if isinstance(answer, dict):
        said = answer.get("message") or answer.get("errors")
        if said:
            return "; ".join(map(str, said)) if isinstance(said, list) else str(said)
    return response.text


def _list(answer: Any, key: str, what: str) -> list[Any]:
    value = answer.get(key) if isinstance(answer, dict) else None
    if not isinstance(value, list):
        raise ProviderError(f"{PRODUCT} answered {what} without a '{key}' list: {brief(answer)!r}")
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _utc(value: Any) -> datetime | None:
    """``2022-04-08T13:03:16.000Z`` as an aware datetime; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
