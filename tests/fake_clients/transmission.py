"""Transmission's RPC."""
from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from .common import magnet_hash


@dataclass
class FakeTransmission:
    """Transmission's RPC: basic auth, the 409 session-id exchange, ``result`` other than "success" on failure."""

    username: str
    password: str
    known: dict[bytes, str]
    rpc_version: int = 17
    version: str = "4.0.5 (a6fe2a64aa)"
    malformed: bool = False
    session_id: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    conflicts: int = 0
    calls: list[dict[str, Any]] = field(default_factory=list)
    auth_seen: list[str] = field(default_factory=list)
    torrents: list[dict[str, Any]] = field(default_factory=list)

    @property
    def app(self) -> Flask:
        app = Flask("fake-transmission")

        @app.post("/transmission/rpc")
        def rpc() -> Response:
            auth = request.authorization
            self.auth_seen.append(auth.username if auth else "")
            if not auth or (auth.username, auth.password) != (self.username, self.password):
                return Response("<h1>401: Unauthorized</h1>Unauthorized User", 401,
                                {"WWW-Authenticate": 'Basic realm="Transmission"'})
            if request.headers.get("X-Transmission-Session-Id") != self.session_id:
                self.conflicts += 1
                return Response(
                    "<h1>409: Conflict</h1><p>Your request had an invalid session-id header.</p>"
                    f"<p><code>X-Transmission-Session-Id: {self.session_id}</code></p>",
                    409, {"X-Transmission-Session-Id": self.session_id})
            if self.malformed:
                return Response('{"arguments": {"version": ', 200, {"Content-Type": "application/json"})
            call = request.get_json(force=True)
            self.calls.append(call)
            return jsonify(self.answer(call["method"], call.get("arguments", {})))

        return app

    def answer(self, method: str, arguments: dict[str, Any]) -> dict[str, Any]:
        if method == "session-get":
            return {"result": "success", "arguments": {
                "version": self.version, "rpc-version": self.rpc_version, "rpc-version-minimum": 14,
                "rpc-version-semver": "5.3.0", "download-dir": "/downloads/complete", "peer-port": 51413,
                "start-added-torrents": True, "incomplete-dir-enabled": False}}
        if method == "torrent-add":
            if "metainfo" in arguments:
                torrent_hash = self.known.get(base64.b64decode(arguments["metainfo"]), "")
            else:
                torrent_hash = magnet_hash(arguments.get("filename", ""))
            if not torrent_hash:
                return {"result": "invalid or corrupt torrent file", "arguments": {}}
            return {"result": "success", "arguments": {
                "torrent-added": {"hashString": torrent_hash, "id": len(self.calls), "name": "Some.Show.S01E01"}}}
        if method == "torrent-get":
            fields = arguments.get("fields", [])
            return {"result": "success", "arguments": {
                "torrents": [{name: t[name] for name in fields if name in t} for t in self.torrents]}}
        return {"result": "method name not recognized", "arguments": {}}

    def listed(self, name: str, download_dir: str, *, labels: list[str] | None = None, percent_done: float = 1.0,
               size: int = 1_500_000_000) -> str:
        """A torrent as ``torrent-get`` answers it (status 6: seeding; 4: downloading)."""
        torrent_hash = hashlib.sha1(name.encode()).hexdigest()
        done = percent_done >= 1
        self.torrents.append({
            "id": len(self.torrents) + 1, "hashString": torrent_hash, "name": name, "downloadDir": download_dir,
            "labels": labels or [], "percentDone": percent_done, "leftUntilDone": 0 if done else int(size / 2),
            "isFinished": False, "status": 6 if done else 4, "totalSize": size, "sizeWhenDone": size,
            "doneDate": 1717003600 if done else 0, "error": 0, "errorString": "",
        })
        return torrent_hash
