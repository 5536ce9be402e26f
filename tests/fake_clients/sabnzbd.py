"""SABnzbd's API."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from .common import looks_like_nzb


@dataclass
class FakeSABnzbd:
    """SABnzbd's API: parameters from query or body, ``{"status": false, "error": ...}`` with HTTP 200."""

    api_key: str
    categories: list[str] = field(default_factory=lambda: ["*", "movies", "tv", "audio", "software"])
    echo_key: bool = False
    refuse_nzbs: bool = False
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    def listed(self, name: str, category: str, storage: str, *, status: str = "Completed") -> str:
        """A job as ``mode=history`` lists it: ``storage`` is the folder it was unpacked to."""
        nzo_id = f"SABnzbd_nzo_{len(self.history):06x}"
        self.history.append({
            "id": len(self.history) + 1, "nzo_id": nzo_id, "name": name, "nzb_name": f"{name}.nzb",
            "category": category, "pp": "D", "script": "None", "status": status,
            "storage": storage if status == "Completed" else "", "path": f"/downloads/incomplete/{name}",
            "bytes": 1_500_000_000, "size": "1.4 GB", "completed": 1717003600, "download_time": 312,
            "fail_message": "" if status != "Failed" else "Unpacking failed, archive requires a password",
            "url": "", "stage_log": [],
        })
        return nzo_id

    @property
    def app(self) -> Flask:
        app = Flask("fake-sabnzbd")

        @app.route("/sabnzbd/api", methods=["GET", "POST"])
        def api() -> Response:
            upload = request.files.get("name") or request.files.get("nzbfile")
            self.requests.append({"query": dict(request.args), "form": dict(request.form),
                                  "file": (upload.filename, upload.read(), upload.mimetype) if upload else None})
            if self.status != 200:
                return Response("<html><body>Service Unavailable</body></html>", self.status)
            mode = request.values.get("mode", "")
            if mode == "version":
                return jsonify({"version": "4.3.2"})
            key = request.values.get("apikey")
            if not key:
                return jsonify({"status": False, "error": "API Key Required"})
            if key != self.api_key:
                said = f"API Key Incorrect: {key}" if self.echo_key else "API Key Incorrect"
                return jsonify({"status": False, "error": said})
            if mode == "get_config":
                return jsonify({"config": {"categories": [
                    {"name": name, "order": i, "pp": "", "script": "Default", "dir": "" if name == "*" else name,
                     "newzbin": "", "priority": -100} for i, name in enumerate(self.categories)]}})
            if mode == "history":
                category = request.values.get("category")
                slots = [slot for slot in self.history if category in (None, "*", slot["category"])]
                return jsonify({"history": {"noofslots": len(slots), "total_size": "1.4 G", "month_size": "1.4 G",
                                            "week_size": "1.4 G", "day_size": "1.4 G", "slots": slots}})
            if mode == "addfile":
                if self.refuse_nzbs or not upload or not looks_like_nzb(self.requests[-1]["file"][1]):
                    return jsonify({"status": False, "nzo_ids": []})
                return jsonify({"status": True, "nzo_ids": ["SABnzbd_nzo_kyt1f0"]})
            return jsonify({"status": False, "error": "not implemented"})

        return app
