"""Fakes of the download clients and of an indexer's download links, as small Flask apps.

Each answers as the real service does, error forms included (the shapes Sonarr's and Radarr's
clients are written against), and keeps what it was sent so that tests can look at it. Run one
with ``loopback.serving(fake.app)``. A torrent is known to the fakes by its bytes: ``torrent()``
makes one and its real info hash.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

Bencodable = int | str | bytes | list[Any] | dict[str, Any]


class Switch:
    """One loopback server kept for many tests, each pointing it at the fake app it needs.

    (Starting and stopping a server for each test costs up to half a second in its shutdown.)
    """

    def __init__(self) -> None:
        self.target: Flask | None = None
        self.url = ""
        self.app = Flask("switch")
        self.app.wsgi_app = self._dispatch  # type: ignore[method-assign]

    def _dispatch(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.target is None:
            return Response("No fake here", 404)(environ, start_response)
        return self.target.wsgi_app(environ, start_response)


def bencode(value: Bencodable) -> bytes:
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(item) for item in value) + b"e"
    return b"d" + b"".join(bencode(key) + bencode(value[key]) for key in sorted(value)) + b"e"


def torrent(name: str) -> tuple[bytes, str]:
    """A single-file torrent and its info hash (SHA-1 of the bencoded info dictionary, in hex)."""
    info = {"length": 734003200, "name": f"{name}.mkv", "piece length": 262144,
            "pieces": hashlib.sha1(name.encode()).digest() * 4}
    data = bencode({"announce": "udp://tracker.example:1337/announce", "created by": "mktorrent 1.1",
                    "creation date": 1717000000, "info": info})
    return data, hashlib.sha1(bencode(info)).hexdigest()


def magnet(info_hash: str, name: str) -> str:
    return f"magnet:?xt=urn:btih:{info_hash}&dn={name}&tr=udp%3A%2F%2Ftracker.example%3A1337%2Fannounce"


def magnet_hash(uri: str) -> str:
    found = re.search(r"xt=urn:btih:([0-9a-fA-F]{40})", uri)
    return found.group(1).lower() if found else ""


def nzb(title: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nzb PUBLIC "-//newzBin//DTD NZB 1.1//EN" "http://www.newzbin.com/DTD/nzb/nzb-1.1.dtd">
<nzb xmlns="http://www.newzbin.com/DTD/2003/nzb">
 <head><meta type="name">{title}</meta></head>
 <file poster="poster@example.com" date="1717000000" subject="{title} [01/01] - &quot;{title}.mkv&quot; yEnc (1/2)">
  <groups><group>alt.binaries.teevee</group></groups>
  <segments>
   <segment bytes="739811" number="1">part1of2.7a3b@news.example</segment>
   <segment bytes="412337" number="2">part2of2.7a3b@news.example</segment>
  </segments>
 </file>
</nzb>
""".encode()


def looks_like_nzb(data: bytes) -> bool:
    return b"<nzb" in data[:1024]


# --- an indexer's download links --------------------------------------------------------------------


@dataclass
class FakeIndexer:
    """Download links: ``/torrent/<name>``, ``/nzb/<name>``, and the ways they go wrong."""

    torrents: dict[str, bytes] = field(default_factory=dict)
    magnets: dict[str, str] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    @property
    def app(self) -> Flask:
        app = Flask("fake-indexer")

        @app.get("/torrent/<name>")
        def torrent_file(name: str) -> Response:
            self.hits.append(request.full_path)
            if name in self.magnets:  # Prowlarr's and Jackett's way with a magnet-only result
                return Response("", 302, {"Location": self.magnets[name]})
            if name not in self.torrents:
                return Response("Not found", 404)
            return Response(self.torrents[name], 200, {"Content-Type": "application/x-bittorrent"})

        @app.get("/hop/<name>")
        def hop(name: str) -> Response:
            return Response("", 301, {"Location": f"/torrent/{name}?apikey={request.args.get('apikey', '')}"})

        @app.get("/nzb/<name>")
        def nzb_file(name: str) -> Response:
            self.hits.append(request.full_path)
            return Response(nzb(name), 200, {"Content-Type": "application/x-nzb"})

        @app.get("/nzb-error")
        def nzb_error() -> Response:  # Newznab's errors come with HTTP 200
            return Response('<?xml version="1.0" encoding="UTF-8"?>\n'
                            '<error code="429" description="Request limit reached"/>', 200,
                            {"Content-Type": "application/xml"})

        @app.get("/echo-key")
        def echo_key() -> Response:  # a hostile one, quoting the link back
            return Response(f'<error code="100" description="Bad key {request.args.get("apikey")}"/>', 200,
                            {"Content-Type": "application/xml"})

        @app.get("/login-page")
        def login_page() -> Response:
            return Response("<html><body><form>Log in to download</form></body></html>", 200,
                            {"Content-Type": "text/html; charset=utf-8"})

        @app.get("/declared-huge")
        def declared_huge() -> Response:
            # A body given as an iterable keeps the length it declares.
            return Response(iter([b"d4:info" + b"x" * 100]), 200, {"Content-Length": str(50 * 1024 * 1024)})

        @app.get("/endless")
        def endless() -> Response:  # chunked, no length: counted as it comes
            return Response((b"d4:info" + b"x" * 65536 for _ in range(400)), 200,
                            {"Content-Type": "application/x-bittorrent"})

        @app.get("/loop")
        def loop() -> Response:
            return Response("", 302, {"Location": "/loop"})

        @app.get("/broken")
        def broken() -> Response:
            return Response("Internal Server Error", 500)

        return app


# --- qBittorrent ---------------------------------------------------------------------------------------


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
                tag = request.values.get("tag")
                shown = [t for t in self.torrents if t["visible_after"] < self.info_calls
                         and (tag is None or tag in t["tags"].split(", "))]
                return jsonify([{k: v for k, v in t.items() if k != "visible_after"} for t in shown])

        @app.post("/api/v2/torrents/deleteTags")
        def delete_tags() -> Response:
            gone = set(request.form.get("tags", "").split(","))
            with self.lock:
                for t in self.torrents:
                    t["tags"] = ", ".join(tag for tag in t["tags"].split(", ") if tag and tag not in gone)
            return Response("", 200)

        return app


# --- Transmission -------------------------------------------------------------------------------------


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
        return {"result": "method name not recognized", "arguments": {}}


# --- Deluge ---------------------------------------------------------------------------------------------


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


def json_text(body: Any) -> str:
    return json.dumps(body)


# --- SABnzbd --------------------------------------------------------------------------------------------


@dataclass
class FakeSABnzbd:
    """SABnzbd's API: parameters from query or body, ``{"status": false, "error": ...}`` with HTTP 200."""

    api_key: str
    categories: list[str] = field(default_factory=lambda: ["*", "movies", "tv", "audio", "software"])
    echo_key: bool = False
    refuse_nzbs: bool = False
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)

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
            if mode == "addfile":
                if self.refuse_nzbs or not upload or not looks_like_nzb(self.requests[-1]["file"][1]):
                    return jsonify({"status": False, "nzo_ids": []})
                return jsonify({"status": True, "nzo_ids": ["SABnzbd_nzo_kyt1f0"]})
            return jsonify({"status": False, "error": "not implemented"})

        return app


# --- NZBGet ---------------------------------------------------------------------------------------------


@dataclass
class FakeNZBGet:
    """NZBGet's JSON-RPC: basic auth (401 otherwise), ``append`` → NZBID or 0, JSONRPCError objects."""

    username: str
    password: str
    unknown: set[str] = field(default_factory=set)  # methods answered as if this NZBGet had none such
    refuse_nzbs: bool = False
    calls: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 17

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
            if call["method"] == "append":
                content = base64.b64decode(call["params"][1])
                taken = looks_like_nzb(content) and not self.refuse_nzbs
                return jsonify({"version": "1.1", "result": self.next_id if taken else 0})
            return jsonify({"version": "1.1", "error": {"name": "JSONRPCError", "code": 1,
                                                        "message": "Invalid procedure"}})

        return app
