"""Deluge's web UI JSON-RPC."""
from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request

from .common import json_text, magnet_hash


@dataclass
class FakeDeluge:
    """Deluge's web UI JSON-RPC: ``auth.login`` → true/false, a daemon to connect, the Label plugin."""

    password: str
    known: dict[bytes, str]
    plugins: list[str] = field(default_factory=lambda: ["Label"])
    labels: list[str] = field(default_factory=lambda: ["movies"])
    connected: bool = False
    hosts: list[list[Any]] | None = None  # the web UI's host list; None: a remote and a local daemon
    malformed: bool = False
    sessions: set[str] = field(default_factory=set)
    calls: list[dict[str, Any]] = field(default_factory=list)
    torrent_labels: dict[str, str] = field(default_factory=dict)
    daemon_id: str = "c1a5b2e0d7f94c4b8f0e2a1d6c3b9e7f"
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)  # torrent id → its status fields

    def listed(self, name: str, label: str, save_path: str, *, progress: float = 100.0) -> str:
        """A torrent as ``core.get_torrents_status`` reports it (progress in percent, the Label plugin's label)."""
        torrent_id = hashlib.sha1(name.encode()).hexdigest()
        self.statuses[torrent_id] = {
            "name": name, "label": label, "save_path": save_path, "progress": progress,
            "is_finished": progress >= 100, "state": "Seeding" if progress >= 100 else "Downloading",
            "total_size": 1_500_000_000, "ratio": 0.3, "hash": torrent_id,
        }
        return torrent_id

    @property
    def app(self) -> Flask:
        app = Flask("fake-deluge")

        @app.post("/json")
        def json_rpc() -> Response:
            if self.malformed:
                return Response("<html>502 Bad Gateway</html>", 200, {"Content-Type": "text/html"})
            call = request.get_json(force=True)
            self.calls.append(call)
            body: dict[str, Any] = {"id": call["id"], "result": None, "error": None}
            if call["method"] == "auth.login":
                ok = call["params"] == [self.password]
                body["result"] = ok
                response = Response(json_text(body), 200, {"Content-Type": "application/x-json"})
                if ok:
                    sid = secrets.token_hex(16)
                    self.sessions.add(sid)
                    response.set_cookie("_session_id", sid, path="/json")
                return response
            if request.cookies.get("_session_id") not in self.sessions:
                body["error"] = {"message": "Not authenticated", "code": 1}
            else:
                try:
                    body["result"] = self.answer(call["method"], call["params"])
                except DelugeError as error:
                    body["error"] = {"message": str(error), "code": error.code}
            return Response(json_text(body), 200, {"Content-Type": "application/x-json"})

        return app

    def answer(self, method: str, params: list[Any]) -> Any:
        if method == "web.connected":
            return self.connected
        if method == "web.get_hosts":
            if self.hosts is not None:
                return self.hosts
            return [["0f1e2d3c4b5a69788796a5b4c3d2e1f0", "192.168.1.20", 58846, "remote"],
                    [self.daemon_id, "127.0.0.1", 58846, "localclient"]]
        if method == "web.connect":
            if params != [self.daemon_id]:
                raise DelugeError("Exception: Bad host id", 4)
            self.connected = True
            return ["core.add_torrent_file", "core.add_torrent_magnet", "daemon.info"]
        if not self.connected or (method.startswith("label.") and "Label" not in self.plugins):
            raise DelugeError("Unknown method", 2)
        if method == "daemon.info":
            return "2.1.1"
        if method == "core.get_torrents_status":
            wanted, keys = params
            return {torrent_id: {key: status[key] for key in keys if key in status}
                    for torrent_id, status in self.statuses.items()
                    if all(status.get(name) == value for name, value in wanted.items())}
        if method == "core.get_enabled_plugins":
            return self.plugins
        if method == "label.get_labels":
            return self.labels
        if method == "label.add":
            if params[0] in self.labels:
                raise DelugeError("Exception: Label already exists", 4)
            self.labels.append(params[0])
            return None
        if method == "core.add_torrent_file":
            found = self.known.get(base64.b64decode(params[1]))
            if not found:
                raise DelugeError("AddTorrentError: Unable to add torrent, decoding filedump failed", 4)
            return found
        if method == "core.add_torrent_magnet":
            return magnet_hash(params[0]) or None
        if method == "label.set_torrent":
            if params[1] not in self.labels:
                raise DelugeError("Exception: Unknown Label", 4)
            self.torrent_labels[params[0]] = params[1]
            return None
        raise DelugeError("Unknown method", 2)


class DelugeError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code

