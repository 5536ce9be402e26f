"""qBittorrent, through its Web API v2 with the maintained qbittorrent-api client.

Web API 2.14 and later answer an add with the ids of the torrents added. Before that the answer
is ``Ok.`` alone: the torrent is added with a tag of its own, found by that tag, and the tag
deleted again, so that the id is the one qBittorrent reports rather than one computed here.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import qbittorrentapi
import requests
from qbittorrentapi.torrents import TorrentsAddedMetadata  # not re-exported by the package

from ..base import ProviderError, ReleaseRefused, Release
from .connection import ConfiguredClient
from .finished import FinishedDownload, joined, kind_of
from .payload import MAGNET, Payload, fetch_payload

log = logging.getLogger("cinephage.providers")

IDS_IN_ADD_ANSWER = (2, 14)  # the first Web API version whose torrents/add names what it added
POLL_INTERVAL = 0.05  # seconds between looks for a tagged torrent
# The states of a torrent whose every wanted piece is there (seeding, or stopped or queued after it).
COMPLETED_STATES = frozenset({"uploading", "stalledUP", "pausedUP", "stoppedUP", "queuedUP", "forcedUP", "checkingUP"})


class QBittorrent(ConfiguredClient):
    product = "qBittorrent"
    default_port = 8080

    def add(self, release: Release, category: str) -> str:
        """Hands the torrent file or magnet over in ``category``; returns the torrent's hash."""
        with self.connection() as http:
            payload = fetch_payload(release, http, self._timeout)
        with self._answers():
            qbt = self._logged_in()
            tagged = _version(qbt.app_web_api_version()) < IDS_IN_ADD_ANSWER
            tag = f"cinephage-{uuid.uuid4().hex[:12]}" if tagged else None
            answer = _hand_over(qbt, payload, category, tag)
            if isinstance(answer, str) and answer.strip() == "Fails.":
                raise ReleaseRefused("qBittorrent refused the torrent (it answered “Fails.”: "
                                    "the torrent may be invalid or already in its list)")
            torrent_hash = self._find_tagged(qbt, tag) if tag else _added_id(answer)
        log.info("Handed %s to qBittorrent %s in category %s: %s", release.title, self.name, category, torrent_hash)
        return torrent_hash

    def finished(self) -> list[FinishedDownload]:
        """The torrents of our categories that are complete (``torrents/info?category=``, progress 1)."""
        found = []
        with self._answers():
            qbt = self._logged_in()
            for category in dict.fromkeys((self.settings.movie_category, self.settings.tv_category)):
                found += [_finished(self, torrent, category) for torrent in qbt.torrents_info(category=category)
                          if _is_complete(torrent)]
        return found

    def test(self) -> str:
        with self._answers():
            qbt = self._logged_in()
            app, api = self.brief(qbt.app_version()), self.brief(qbt.app_web_api_version())
        return f"Connected to qBittorrent {app} (Web API {api})"

    def _logged_in(self) -> qbittorrentapi.Client:
        qbt = qbittorrentapi.Client(
            host=self.url,
            username=self.settings.username,
            password=self.settings.password,
            FORCE_SCHEME_FROM_HOST=True,  # the scheme is the setting's, not guessed by trying both
            REQUESTS_ARGS={"timeout": self._timeout},
            HTTPADAPTER_ARGS={"max_retries": 0},  # the library already tries each call twice
        )
        qbt.auth_log_in()
        return qbt

    def _find_tagged(self, qbt: qbittorrentapi.Client, tag: str) -> str:
        """The hash of the torrent carrying ``tag``, once qBittorrent lists it; the tag is deleted."""
        deadline = time.monotonic() + self._timeout
        while (torrent_hash := _tagged_hash(qbt, tag)) is None and time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL)
        qbt.torrents_delete_tags(tags=tag)
        if torrent_hash is None:
            raise ProviderError(f"qBittorrent accepted the torrent but did not list it within {self._timeout:g} s")
        return torrent_hash

    @contextmanager
    def _answers(self) -> Iterator[None]:
        """Turns what qbittorrent-api raises into a ``ProviderError`` a person can act on."""
        try:
            yield
        except qbittorrentapi.LoginFailed:
            raise ProviderError("qBittorrent refused the username or password") from None
        except qbittorrentapi.HTTPError as error:
            raise self._http_error(error) from None
        except qbittorrentapi.APIConnectionError as error:
            timed_out = isinstance(error.__context__, requests.exceptions.Timeout)
            raise self.no_answer(self.url, timed_out=timed_out) from None
        except qbittorrentapi.APIError as error:
            log.debug("qBittorrent %s: %s", self.name, type(error).__name__)
            raise ProviderError("qBittorrent answered something unreadable") from None

    def _http_error(self, error: qbittorrentapi.HTTPError) -> ProviderError:
        status = error.response.status_code if error.response is not None else 0
        said = self.brief(error) or "no explanation"
        if isinstance(error, qbittorrentapi.HTTP403Error):
            # qBittorrent answers 403 to a banned address (after failed logins) and to a lost session.
            return ProviderError(f"qBittorrent refused access (HTTP 403): {said}")
        if isinstance(error, (qbittorrentapi.HTTP409Error, qbittorrentapi.HTTP415Error, qbittorrentapi.HTTP400Error)):
            return ProviderError(f"qBittorrent refused the torrent (HTTP {status}): {said}")
        if isinstance(error, qbittorrentapi.HTTP404Error):
            return ProviderError(f"qBittorrent answered HTTP 404 at {self.url}: is the URL base right?")
        return ProviderError(f"qBittorrent answered HTTP {status}: {said}")


def _is_complete(torrent: Mapping[str, Any]) -> bool:
    return float(torrent.get("progress") or 0) >= 1 or torrent.get("state") in COMPLETED_STATES


def _finished(client: QBittorrent, torrent: Mapping[str, Any], category: str) -> FinishedDownload:
    """``content_path`` (Web API 2.6.1+) is the file or folder itself; before it, the save path and the name."""
    name = str(torrent.get("name", ""))
    path = str(torrent.get("content_path") or joined(str(torrent.get("save_path", "")), name))
    return FinishedDownload(str(torrent["hash"]), name, category, path, kind_of(client.settings, category))


def _hand_over(qbt: qbittorrentapi.Client, payload: Payload, category: str,
               tag: str | None) -> str | TorrentsAddedMetadata:
    """Adds the torrent, started (no paused flag is sent: qBittorrent's own default applies)."""
    if payload.kind == MAGNET:
        return qbt.torrents_add(urls=payload.magnet_uri, category=category, tags=tag)
    return qbt.torrents_add(torrent_files={payload.file_name: payload.data}, category=category, tags=tag)


def _tagged_hash(qbt: qbittorrentapi.Client, tag: str) -> str | None:
    # Web APIs before 2.8.3 ignore the tag filter: the tags are checked here too.
    for torrent in qbt.torrents_info(tag=tag):
        if tag in str(torrent.get("tags", "")).split(", "):
            return str(torrent["hash"])
    return None


def _added_id(answer: str | TorrentsAddedMetadata) -> str:
    """The id a Web API 2.14+ answer names, or the refusal it reports."""
    if isinstance(answer, str):
        raise ReleaseRefused(f"qBittorrent refused the torrent: {answer.strip() or 'no answer'}")
    ids = answer.get("added_torrent_ids") or []
    if not ids:
        raise ReleaseRefused(f"qBittorrent refused the torrent ({answer.get('failure_count', 0)} failed, "
                            f"{answer.get('pending_count', 0)} pending)")
    return str(ids[0])


def _version(text: str) -> tuple[int, ...]:
    """``"2.9.3"`` → ``(2, 9, 3)``; what does not parse counts as oldest."""
    try:
        return tuple(int(part) for part in text.strip().lstrip("v").split("."))
    except ValueError:
        return (0,)
