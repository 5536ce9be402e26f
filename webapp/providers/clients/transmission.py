"""Transmission, through its RPC with the maintained transmission-rpc client.

The library does the session-id exchange (a 409 answer carries the X-Transmission-Session-Id to
send again). Transmission 4 (RPC 17) takes the category as a label; older ones get it, as Sonarr
does, as a sub-folder of their download folder.
"""
from __future__ import annotations

import logging
import posixpath
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import transmission_rpc

from ..base import ProviderError, Release
from .connection import ConfiguredClient
from .finished import FinishedDownload, joined, kind_of
from .payload import MAGNET, fetch_payload

log = logging.getLogger("cinephage.providers")

LABELS_RPC_VERSION = 17  # Transmission 4.0
FINISHED_FIELDS = ("hashString", "name", "percentDone", "leftUntilDone", "isFinished", "labels", "downloadDir")

# transmission-rpc logs its URL, which holds the username and password, at debug level (its own
# logger is set to ERROR, which any logging configuration may lower), and dumps whole requests at
# error level when an answer does not parse: it gets a logger of its own that never says anything.
# What went wrong reaches people as a ProviderError instead.
_SILENT = logging.Logger("transmission-rpc (silenced)", logging.CRITICAL + 1)


class Transmission(ConfiguredClient):
    product = "Transmission"
    default_port = 9091
    default_url_base = "/transmission/"

    def add(self, release: Release, category: str) -> str:
        """Hands the torrent file or magnet over, labelled ``category``; returns the torrent's hash."""
        with self.connection() as http:
            payload = fetch_payload(release, http, self._timeout)
        torrent = payload.magnet_uri if payload.kind == MAGNET else payload.data
        with self._answers(), self._client() as trc:
            session = trc.get_session()
            if session.rpc_version >= LABELS_RPC_VERSION:
                added = trc.add_torrent(torrent, labels=[category])
            else:
                added = trc.add_torrent(torrent, download_dir=posixpath.join(session.download_dir, category))
            torrent_hash = added.hash_string
        log.info("Handed %s to Transmission %s in category %s: %s", release.title, self.name, category, torrent_hash)
        return torrent_hash

    def finished(self) -> list[FinishedDownload]:
        """The torrents of our categories that are complete (``torrent-get``: percentDone 1 or isFinished).

        The category is a label (RPC 17+), or the last folder of ``downloadDir`` where ``add`` put it there.
        """
        with self._answers(), self._client() as trc:
            torrents = trc.get_torrents(arguments=FINISHED_FIELDS)
            found = []
            for torrent in torrents:
                fields = torrent.fields
                category = _category(self, fields)
                if category is not None and _is_complete(fields):
                    path = joined(str(fields.get("downloadDir", "")), str(fields.get("name", "")))
                    found.append(FinishedDownload(str(fields["hashString"]), str(fields.get("name", "")), category,
                                                  path, kind_of(self.settings, category)))
        return found

    def test(self) -> str:
        with self._answers(), self._client() as trc:
            session = trc.get_session()
            version, rpc_version = self.brief(session.version), self.brief(session.rpc_version)
        return f"Connected to Transmission {version}, RPC {rpc_version}"

    def _client(self) -> transmission_rpc.Client:
        host = self.settings.host
        base = (self.settings.url_base or self.default_url_base).strip("/")
        return transmission_rpc.Client(
            protocol="https" if self.settings.use_ssl else "http",
            host=f"[{host}]" if ":" in host and not host.startswith("[") else host,
            port=self.settings.port or self.default_port,
            path=f"/{base}/rpc" if base else "/rpc",
            username=self.settings.username or None,
            password=self.settings.password or None,
            timeout=self._timeout,
            logger=_SILENT,
        )

    @property
    def _rpc_url(self) -> str:
        return f"{self.url}/rpc"

    @contextmanager
    def _answers(self) -> Iterator[None]:
        """Turns what transmission-rpc raises into a ``ProviderError`` a person can act on."""
        try:
            yield
        except transmission_rpc.TransmissionAuthError as error:
            status = getattr(error.original, "status_code", 401)
            if status == 403:  # Transmission's answer to an address outside its whitelist
                raise ProviderError(f"Transmission refused access (HTTP 403): "
                                    f"{self.brief(getattr(error.original, 'text', ''))}") from None
            raise ProviderError("Transmission refused the username or password") from None
        except transmission_rpc.TransmissionTimeoutError:
            raise self.no_answer(self._rpc_url, timed_out=True) from None
        except transmission_rpc.TransmissionConnectError:
            raise self.no_answer(self._rpc_url, timed_out=False) from None
        except transmission_rpc.TransmissionError as error:
            raise self._refusal(error) from None
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            # transmission-rpc reads the fields it expects without checking that they are there.
            log.debug("Transmission %s: %s", self.name, type(error).__name__)
            raise ProviderError("Transmission answered without the fields its RPC promises") from None

    def _refusal(self, error: transmission_rpc.TransmissionError) -> ProviderError:
        if isinstance(error.response, dict) and "result" in error.response:
            return ProviderError(f"Transmission refused the request: {self.brief(error.response['result'])}")
        if error.raw_response is not None:
            return ProviderError(f"Transmission answered something that is not JSON: {self.brief(error.raw_response)!r}")
        if "too much request" in error.message:  # the library gave up after three 409 answers
            return ProviderError("Transmission kept answering HTTP 409 without a session id that works")
        return ProviderError(f"Transmission did not complete the request: {self.brief(error.message)}")


def _is_complete(fields: Mapping[str, Any]) -> bool:
    if fields.get("isFinished") is True:
        return True
    return float(fields.get("percentDone") or 0) >= 1 and int(fields.get("leftUntilDone") or 0) == 0


def _category(client: Transmission, fields: Mapping[str, Any]) -> str | None:
    """Which of our categories the torrent is in, by label or by the folder ``add`` gave it; None: neither."""
    ours = (client.settings.movie_category, client.settings.tv_category)
    labels = fields.get("labels") or []
    for category in ours:
        if category in labels:
            return category
    folder = posixpath.basename(str(fields.get("downloadDir", "")).replace("\\", "/").rstrip("/"))
    return folder if folder in ours else None
