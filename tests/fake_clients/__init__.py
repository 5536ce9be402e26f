"""Fakes of the download clients and of an indexer's download links, as small Flask apps: one module a protocol.

Each answers as the real service does, error forms included (the shapes Sonarr's and Radarr's
clients are written against), and keeps what it was sent so that tests can look at it. Run one
with ``loopback.serving(fake.app)``. A torrent is known to the fakes by its bytes: ``torrent()``
makes one and its real info hash. Each client fake also lists finished downloads as its real
service does (``finished`` entries), for completed-download handling.
"""
from .common import Switch, bencode, json_text, looks_like_nzb, magnet, magnet_hash, nzb, torrent
from .deluge import DelugeError, FakeDeluge
from .indexer import FakeIndexer
from .nzbget import FakeNZBGet
from .qbittorrent import FakeQBittorrent
from .sabnzbd import FakeSABnzbd
from .transmission import FakeTransmission

__all__ = [
    "DelugeError", "FakeDeluge", "FakeIndexer", "FakeNZBGet", "FakeQBittorrent", "FakeSABnzbd", "FakeTransmission",
    "Switch", "bencode", "json_text", "looks_like_nzb", "magnet", "magnet_hash", "nzb", "torrent",
]
