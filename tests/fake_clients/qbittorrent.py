"""qBittorrent's Web API v2."""
from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from .common import magnet_hash


@dataclass
class FakeQBittorrent:
    """qBittorrent's Web API v2: cookie session, 403 without it, ``Ok.``/``Fails.`` (or JSON from 2.14)."""

    username: str
    password: str
    known: dict[bytes, str]  # torrent bytes → info hash
    app_version: str = "v4.6.5"
    api_version: str = "2.9.3"
    banned: bool = False
    refuse_with: str = ""  # "fails" or "415": what a refused add answers
    listed_after: int = 1  # torrents/info calls before an added torrent shows (its add is asynchronous)
    logins: list[dict[str, str]] = field(default_factory=list)
    adds: list[dict[str, Any]] = field(default_factory=list)
    torrents: list[dict[str, Any]] = field(default_factory=list)
    info_calls: int = 0
    sessions: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def app(self) -> Flask:
        app = Flask("fake-qbittorrent")

        @app.post("/api/v2/auth/login")
        def login() -> Response:
            self.logins.append(dict(request.form))
            if self.banned:
                return Response("Your IP address has been banned after too many failed authentication attempts.", 403)
            if (request.form.get("username"), request.form.get("password")) != (self.username, self.password):
                return Response("Fails.", 200, {"Content-Type": "text/plain; charset=UTF-8"})
            sid = secrets.token_urlsafe(24)
            self.sessions.add(sid)
            response = Response("Ok.", 200, {"Content-Type": "text/plain; charset=UTF-8"})
            response.set_cookie("SID", sid, httponly=True, samesite="Strict")
            return response

        @app.before_request
        def authenticated() -> Response | None:
            if request.url_rule is None:
                return None  # an unknown path: 404, as qBittorrent answers it
            if request.path != "/api/v2/auth/login" and request.cookies.get("SID") not in self.sessions:
                return Response("Forbidden", 403)
            return None

        @app.get("/api/v2/app/version")
        def version() -> str:
            return self.app_version

        @app.get("/api/v2/app/webapiVersion")
        def web_api_version() -> str:
            return self.api_version

        @app.post("/api/v2/torrents/add")
        def add() -> Response:
            files = {f.filename: f.read() for f in request.files.values()}
            form = dict(request.form)
            self.adds.append({"form": form, "files": files})
            hashes = [magnet_hash(url) for url in form.get("urls", "").split("\n") if url]
            hashes += [self.known.get(data, "") for data in files.values()]
            if self.refuse_with == "415" or not all(hashes):
                return Response("Torrent file is not valid.", 415)
            if self.refuse_with == "fails":
                return Response("Fails.", 200)
            with self.lock:
                for torrent_hash in hashes:
                    self.torrents.append({
                        "hash": torrent_hash, "name": form.get("rename") or torrent_hash[:8],
                        "category": form.get("category", ""), "tags": form.get("tags", "").replace(",", ", "),
                        "state": "metaDL" if form.get("urls") else "downloading", "progress": 0,
                        "added_on": 1717000000, "save_path": "/downloads/", "visible_after": self.info_calls + self.listed_after,
                    })
            if tuple(int(p) for p in self.api_version.split(".")) >= (2, 14):
                return jsonify({"success_count": len(hashes), "failure_count": 0, "pending_count": 0,
                                "added_torrent_ids": hashes})
            return Response("Ok.", 200)

        @app.route("/api/v2/torrents/info", methods=["GET", "POST"])
        def info() -> Response:
            with self.lock:
                self.info_calls += 1
                tag, category = request.values.get("tag"), request.values.get("category")
                shown = [t for t in self.torrents if t["visible_after"] < self.info_calls
                         and (tag is None or tag in t["tags"].split(", "))
                         and (category is None or t["category"] == category)]
                return jsonify([{k: v for k, v in t.items() if k != "visible_after"} for t in shown])

        @app.post("/api/v2/torrents/deleteTags")
        def delete_tags() -> Response:
            gone = set(request.form.get("tags", "").split(","))
            with self.lock:
                for t in self.torrents:
                    t["tags"] = ", ".join(tag for tag in t["tags"].split(", ") if tag and tag not in gone)
            return Response("", 200)

        return app

    def listed(self, name: str, category: str, save_path: str, *, progress: float = 1.0, state: str = "stalledUP",
               content_path: str | None = None, size: int = 1_500_000_000) -> str:
        """A torrent as ``torrents/info`` lists it (Web API 2.9: ``content_path`` is the file or folder itself)."""
        torrent_hash = hashlib.sha1(name.encode()).hexdigest()
        with self.lock:
            self.torrents.append({
                "hash": torrent_hash, "infohash_v1": torrent_hash, "name": name, "category": category, "tags": "",
                "state": state, "progress": progress, "size": size, "amount_left": int(size * (1 - progress)),
                "save_path": save_path, "content_path": content_path or f"{save_path.rstrip('/')}/{name}",
                "added_on": 1717000000, "completion_on": 1717003600 if progress >= 1 else -1, "ratio": 0.42,
                "num_seeds": 12, "dlspeed": 0, "upspeed": 10240, "eta": 8640000, "visible_after": -1,
            })
        return torrent_hash
