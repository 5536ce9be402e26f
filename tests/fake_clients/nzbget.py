"""NZBGet's JSON-RPC."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from .common import looks_like_nzb


@dataclass
class FakeNZBGet:
    """NZBGet's JSON-RPC: basic auth (401 otherwise), ``append`` → NZBID or 0, JSONRPCError objects."""

    username: str
    password: str
    unknown: set[str] = field(default_factory=set)  # methods answered as if this NZBGet had none such
    refuse_nzbs: bool = False
    calls: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 17
    history: list[dict[str, Any]] = field(default_factory=list)

    def listed(self, name: str, category: str, dest_dir: str, *, status: str = "SUCCESS/UNPACK",
               kind: str = "NZB") -> int:
        """An entry as ``history`` answers it: ``DestDir`` where it was unpacked, ``FinalDir`` empty unless moved."""
        nzb_id = 100 + len(self.history)
        self.history.append({
            "NZBID": nzb_id, "ID": nzb_id, "Kind": kind, "Name": name, "NZBName": name, "NZBFilename": f"{name}.nzb",
            "Category": category, "Status": status, "DestDir": dest_dir, "FinalDir": "", "FileSizeMB": 1430,
            "FileSizeLo": 1_500_000_000 % 2**32, "FileSizeHi": 0, "HistoryTime": 1717003600, "ParStatus": "SUCCESS",
            "UnpackStatus": "SUCCESS", "MoveStatus": "SUCCESS", "DeleteStatus": "NONE", "MarkStatus": "NONE",
            "Health": 1000, "DupeKey": "", "DupeScore": 0, "DupeMode": "SCORE", "Parameters": [],
        })
        return nzb_id

    @property
    def app(self) -> Flask:
        app = Flask("fake-nzbget")

        @app.post("/jsonrpc")
        def json_rpc() -> Response:
            auth = request.authorization
            if not auth or (auth.username, auth.password) != (self.username, self.password):
                return Response("", 401, {"WWW-Authenticate": 'Basic realm="NZBGet"'})
            call = request.get_json(force=True)
            self.calls.append(call)
            if call["method"] in self.unknown:
                return jsonify({"version": "1.1", "error": {"name": "JSONRPCError", "code": 1,
                                                            "message": "Invalid procedure"}})
            if call["method"] == "version":
                return jsonify({"version": "1.1", "result": "21.1"})
            if call["method"] == "history":
                return jsonify({"version": "1.1", "result": self.history})
            if call["method"] == "append":
                content = base64.b64decode(call["params"][1])
                taken = looks_like_nzb(content) and not self.refuse_nzbs
                return jsonify({"version": "1.1", "result": self.next_id if taken else 0})
            return jsonify({"version": "1.1", "error": {"name": "JSONRPCError", "code": 1,
                                                        "message": "Invalid procedure"}})

        return app
