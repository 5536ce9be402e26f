"""Deluge, through its web UI's JSON-RPC (``<url base>/json``).

A session logs in with the web UI's password (``auth.login`` answers ``true`` or ``false``),
makes sure the web UI is connected to a daemon (``web.connected``, else ``web.get_hosts`` and
``web.connect``), then calls the core. The category is a label of Deluge's Label plugin.
"""
from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from ..base import ProviderError, ReleaseRefused, Release
from .connection import ConfiguredClient, own_client
from .finished import FinishedDownload, joined, kind_of
from .payload import MAGNET, Payload, fetch_payload

log = logging.getLogger("cinephage.providers")

NOT_AUTHENTICATED, UNKNOWN_METHOD = 1, 2  # the web UI's error codes
LOCAL_DAEMONS = ("127.0.0.1", "localhost", "::1")
_VALID_LABEL = re.compile(r"[a-z0-9_.-]+\Z")  # what the Label plugin accepts
FINISHED_KEYS = ["name", "progress", "is_finished", "save_path", "label"]


class DelugeCallFailed(ProviderError):
    """Deluge answered a call with an error object; ``code`` is the web UI's error code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class Deluge(ConfiguredClient):
    product = "Deluge"
    default_port = 8112

    def add(self, release: Release, category: str) -> str:
        """Hands the torrent file or magnet over, labelled ``category``; returns the torrent's hash."""
        label = _label(category)
        with self.connection() as http:
            payload = fetch_payload(release, http, self._timeout)
        with self._session() as rpc:
            self._ensure_label(rpc, label)
            torrent_id = _hand_over(rpc, payload)
            rpc.call("label.set_torrent", torrent_id, label)
        log.info("Handed %s to Deluge %s with label %s: %s", release.title, self.name, label, torrent_id)
        return torrent_id

    def finished(self) -> list[FinishedDownload]:
        """The torrents labelled with our categories that are complete (``core.get_torrents_status``)."""
        found = []
        with self._session() as rpc:
            for category in dict.fromkeys((self.settings.movie_category, self.settings.tv_category)):
                statuses = rpc.call("core.get_torrents_status", {"label": _label(category)}, FINISHED_KEYS)
                if not isinstance(statuses, dict):
                    raise ProviderError("Deluge answered core.get_torrents_status with something that is not a list")
                found += [_finished(self, torrent_id, status, category) for torrent_id, status in statuses.items()
                          if isinstance(status, dict) and _is_complete(status)]
        return found

    def test(self) -> str:
        with self._session() as rpc:
            version = self._version(rpc)
            plugins = rpc.call("core.get_enabled_plugins")
        if not isinstance(plugins, list) or "Label" not in plugins:
            raise ProviderError(f"Deluge {version} answered, but its Label plugin is off: enable it "
                                "(Preferences → Plugins) so that downloads get their category")
        return f"Connected to Deluge {version} (Label plugin enabled)"

    @contextmanager
    def _session(self) -> Iterator[DelugeRpc]:
        """A logged-in web UI session connected to a daemon, with an HTTP client of its own for its cookie."""
        with own_client(self._timeout) as http:
            rpc = DelugeRpc(self, http, f"{self.url}/json")
            if rpc.call("auth.login", self.settings.password) is not True:
                raise ProviderError("Deluge refused the password")
            if rpc.call("web.connected") is not True:
                rpc.call("web.connect", _daemon(rpc.call("web.get_hosts")))
            yield rpc

    def _ensure_label(self, rpc: DelugeRpc, label: str) -> None:
        try:
            labels = rpc.call("label.get_labels")
        except DelugeCallFailed as error:
            if error.code != UNKNOWN_METHOD:
                raise
            raise ProviderError("Deluge's Label plugin is off: enable it (Preferences → Plugins) "
                                "so that downloads get their category") from None
        if not isinstance(labels, list) or label not in labels:
            rpc.call("label.add", label)

    def _version(self, rpc: DelugeRpc) -> str:
        try:
            return self.brief(rpc.call("daemon.info"))
        except DelugeCallFailed as error:
            if error.code != UNKNOWN_METHOD:
                raise
            return self.brief(rpc.call("daemon.get_version"))  # some Deluge 2 builds name it so


class DelugeRpc:
    """Calls on one web UI session."""

    def __init__(self, client: Deluge, http: httpx.Client, url: str) -> None:
        self._client = client
        self._http = http
        self._url = url
        self._next_id = 0

    def call(self, method: str, *params: Any) -> Any:
        """The call's ``result``; its ``error`` raises ``DelugeCallFailed``."""
        self._next_id += 1
        body = self._client.post_json(self._http, self._url, credentials="password",
                                      json={"method": method, "params": list(params), "id": self._next_id})
        if not isinstance(body, dict) or not ("result" in body or "error" in body):
            raise ProviderError(f"Deluge answered {method} with something that is not JSON-RPC")
        error = body.get("error")
        if error:
            raise self._failed(method, error)
        return body.get("result")

    def _failed(self, method: str, error: object) -> DelugeCallFailed:
        """``{"message": ..., "code": n}`` as an exception."""
        fields = error if isinstance(error, dict) else {"message": error}
        code = fields.get("code")
        code = code if isinstance(code, int) else 0
        if code == NOT_AUTHENTICATED:
            return DelugeCallFailed("Deluge ended the session (not authenticated): check the password", code)
        said = self._client.brief(fields.get("message") or "no explanation")
        return DelugeCallFailed(f"Deluge refused {method}: {said}", code)


def _hand_over(rpc: DelugeRpc, payload: Payload) -> str:
    """Adds the torrent with Deluge's default options (so not paused); returns its hash."""
    if payload.kind == MAGNET:
        torrent_id = rpc.call("core.add_torrent_magnet", payload.magnet_uri, {})
    else:
        torrent_id = rpc.call("core.add_torrent_file", payload.file_name,
                              base64.b64encode(payload.data).decode("ascii"), {})
    if not isinstance(torrent_id, str) or not torrent_id:
        raise ReleaseRefused("Deluge did not add the torrent (it may already have it)")
    return torrent_id


def _is_complete(status: dict[str, Any]) -> bool:
    return status.get("is_finished") is True or float(status.get("progress") or 0) >= 100


def _finished(client: Deluge, torrent_id: str, status: dict[str, Any], category: str) -> FinishedDownload:
    name = str(status.get("name", ""))
    return FinishedDownload(torrent_id, name, category, joined(str(status.get("save_path", "")), name),
                            kind_of(client.settings, category))


def _daemon(hosts: object) -> str:
    """The id of the daemon to connect the web UI to: a local one first, else the first known."""
    known = [host for host in hosts if isinstance(host, list) and len(host) >= 2] if isinstance(hosts, list) else []
    local = [host for host in known if host[1] in LOCAL_DAEMONS]
    chosen = (local or known)[:1]
    if not chosen:
        raise ProviderError("Deluge's web UI knows no daemon: add one in its Connection Manager")
    return str(chosen[0][0])


def _label(category: str) -> str:
    label = category.strip().lower()
    if not _VALID_LABEL.match(label):
        raise ProviderError(f"Deluge labels take only a-z, 0-9, '_', '-' and '.': "
                            f"the category {category!r} cannot be one")
    return label
