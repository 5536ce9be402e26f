"""What the fakes share: the switch that points one loopback server at a fake, torrents, magnets and NZBs."""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from flask import Flask, Response

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


def json_text(body: Any) -> str:
    return json.dumps(body)
