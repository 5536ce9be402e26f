"""An indexer's download links, and the ways they go wrong."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, Response, request

from .common import nzb


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
