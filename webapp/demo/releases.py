"""What the demo indexer offers for a query: made-up scene releases, the same ones every time.

Each query gets the mix a real tracker answers with, so that the decisions have something to
take and something to refuse: the item at WEB-DL 1080p and at other qualities, next to a CAM,
the wrong episode or year, a season pack, a fake far too small, a dead torrent. About one query
in four finds nothing worth taking (only the wrong and the bad), so that a run shows its
rejections and their reasons as well as its grabs. Names, sizes, seeders and ages all follow
from the query (a SHA-1 of it, no randomness); only the ages count back from ``now``.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..library.demo import info_hash, magnet_uri
from ..releases.decide import EPISODE_RUNTIME, MOVIE_RUNTIME
from ..releases.sizes import MEGABYTE, QUALITY_SIZES

MOVIES, MOVIES_SD, MOVIES_HD, MOVIES_UHD = 2000, 2030, 2040, 2045
TV, TV_SD, TV_HD, TV_UHD = 5000, 5030, 5040, 5045
EPISODES_PER_PACK = 8  # as many as a demo season has

# Scene tags of each quality, and the categories a tracker files it under (after 2000 or 5000).
TAGS = {
    "HDTV-720p": ("720p.HDTV.x264", TV_HD),
    "WEBDL-1080p": ("1080p.WEB-DL.DDP5.1.H.264", TV_HD),
    "Bluray-1080p": ("1080p.BluRay.x264", TV_HD),
    "WEBDL-2160p": ("2160p.WEB-DL.DDP5.1.HDR.H.265", TV_UHD),
    "Bluray-2160p": ("2160p.UHD.BluRay.x265", TV_UHD),
    "CAM": ("HDCAM.x264", TV_SD),
    "TELESYNC": ("HDTS.x264", TV_SD),
}
GROUPS = {  # release groups that put out each quality
    "HDTV-720p": ("KILLERS", "SVA", "LOL"), "WEBDL-1080p": ("NTb", "FLUX", "CMRG"),
    "Bluray-1080p": ("SPARKS", "DEMAND", "GECKOS"), "WEBDL-2160p": ("FLUX", "NTb", "HONE"),
    "Bluray-2160p": ("TERMiNAL", "SURCODE", "W4NK3R"), "CAM": ("XYZ", "CMBR"), "TELESYNC": ("XYZ", "PRiME"),
}
FAKE_GROUP = "FAKE"  # the group of the release far too small to be what it says
FAKE_SIZE = 0.08  # of the usual size: below any quality's least


@dataclass(frozen=True)
class DemoQuery:
    """A movie (``season`` None), one episode, or a whole season (``episode`` None)."""

    title: str
    year: int | None = None
    season: int | None = None
    episode: int | None = None

    @property
    def is_movie(self) -> bool:
        return self.season is None


@dataclass(frozen=True)
class DemoRelease:
    """One result of the demo feed, as a Torznab ``<item>`` describes it."""

    title: str
    size_bytes: int
    seeders: int
    leechers: int
    published_at: datetime
    categories: tuple[int, ...]

    @property
    def peers(self) -> int:
        return self.seeders + self.leechers

    @property
    def info_hash(self) -> str:
        return info_hash(self.title)

    @property
    def magnet_uri(self) -> str:
        return magnet_uri(self.title)


@dataclass(frozen=True)
class _Offer:
    """A release before its numbers: its name, the quality its size follows, and what is odd about it."""

    name: str
    quality: str
    size: float = 1.0  # times the quality's usual size for what it holds
    episodes: int = 1  # a season pack holds several
    dead: bool = False  # nobody seeds it


def offers(query: DemoQuery, now: datetime) -> list[DemoRelease]:
    """The releases the demo indexer lists for the query, newest first."""
    roll = _roll(query)
    if query.is_movie:
        made = _movie_offers(query, roll)
    elif query.episode is None:
        made = _pack_offers(query, roll)
    else:
        made = _episode_offers(query, roll)
    released = [_release(query, offer, roll, index, now) for index, offer in enumerate(made)]
    return sorted(released, key=lambda release: release.published_at, reverse=True)


def scarce(query: DemoQuery) -> bool:
    """Whether the query finds nothing worth taking: only wrong, fake, dead or unwatchable releases."""
    return _roll(query) % 4 == 0


def _roll(query: DemoQuery) -> int:
    key = f"{query.title}|{query.year}|{query.season}|{query.episode}".encode()
    return int.from_bytes(hashlib.sha1(key).digest()[:8], "big")


def _movie_offers(query: DemoQuery, roll: int) -> Iterator[_Offer]:
    name = _dotted(query.title) + (f".{query.year}" if query.year else "")
    if not scarce(query):
        yield _offer(name, "WEBDL-1080p", roll)
        if roll % 3:
            yield _offer(name, "Bluray-1080p", roll)
        if roll % 2:
            yield _offer(name, "HDTV-720p", roll)
        if roll % 5 < 3:
            yield _offer(name, "WEBDL-2160p", roll)
        if roll % 7 == 0:
            yield _offer(name, "Bluray-2160p", roll)
    yield _offer(name, "CAM" if roll % 2 else "TELESYNC", roll)
    if query.year:  # a remake, or a namesake of another year
        other = query.year - 1 - roll % 30 if roll % 3 else query.year + 1 + roll % 5
        yield _offer(f"{_dotted(query.title)}.{other}", "WEBDL-1080p", roll)
    yield _offer(name, "WEBDL-1080p", roll, group=FAKE_GROUP, size=FAKE_SIZE)
    yield _offer(name, "HDTV-720p", roll, group="NOGRP", dead=True)


def _episode_offers(query: DemoQuery, roll: int) -> Iterator[_Offer]:
    assert query.season is not None and query.episode is not None  # an episode query has both
    show = _dotted(query.title)
    name = f"{show}.S{query.season:02d}E{query.episode:02d}"
    if not scarce(query):
        yield _offer(name, "WEBDL-1080p", roll)
        yield _offer(name, "HDTV-720p", roll)
        if roll % 3:
            yield _offer(name, "Bluray-1080p", roll)
        if roll % 5 < 2:
            yield _offer(name, "WEBDL-2160p", roll)
    neighbour = query.episode + 1 if query.episode == 1 or roll % 2 else query.episode - 1
    yield _offer(f"{show}.S{query.season:02d}E{neighbour:02d}", "WEBDL-1080p", roll)
    yield _offer(f"{show}.S{query.season:02d}", "WEBDL-1080p", roll, episodes=EPISODES_PER_PACK)
    if roll % 2:
        yield _offer(f"{show}.S{query.season + 1:02d}E{query.episode:02d}", "HDTV-720p", roll)
    yield _offer(name, "WEBDL-1080p", roll, group=FAKE_GROUP, size=FAKE_SIZE)
    yield _offer(name, "HDTV-720p", roll, group="NOGRP", dead=True)


def _pack_offers(query: DemoQuery, roll: int) -> Iterator[_Offer]:
    assert query.season is not None  # a season query has one
    show = _dotted(query.title)
    pack = f"{show}.S{query.season:02d}"
    if not scarce(query):
        yield _offer(pack, "WEBDL-1080p", roll, episodes=EPISODES_PER_PACK)
        yield _offer(pack, "HDTV-720p", roll, episodes=EPISODES_PER_PACK)
        if roll % 3:
            yield _offer(pack, "Bluray-1080p", roll, episodes=EPISODES_PER_PACK)
    yield _offer(f"{pack}.Part.1", "WEBDL-1080p", roll, episodes=EPISODES_PER_PACK // 2)
    yield _offer(f"{pack}E01", "WEBDL-1080p", roll)
    yield _offer(f"{show}.S{query.season + 1:02d}", "WEBDL-1080p", roll, episodes=EPISODES_PER_PACK)
    yield _offer(pack, "WEBDL-1080p", roll, group="NOGRP", dead=True, episodes=EPISODES_PER_PACK)


def _offer(
    name: str, quality: str, roll: int, *, group: str | None = None, size: float = 1.0, episodes: int = 1,
    dead: bool = False,
) -> _Offer:
    tags, _ = TAGS[quality]
    groups = GROUPS[quality]
    return _Offer(f"{name}.{tags}-{group or groups[roll % len(groups)]}", quality, size, episodes, dead)


def _release(query: DemoQuery, offer: _Offer, roll: int, index: int, now: datetime) -> DemoRelease:
    spread = (roll >> (index * 5)) % 32  # 0..31, different for each release of the query
    runtime = MOVIE_RUNTIME if query.is_movie else EPISODE_RUNTIME
    usual = QUALITY_SIZES[offer.quality].preferred if offer.quality in QUALITY_SIZES else 10.0  # a CAM: ~1 GB
    megabytes = usual * runtime * offer.episodes * offer.size * (0.75 + spread / 64)
    seeders = 0 if offer.dead else _seeders(offer.quality, spread)
    _, category = TAGS[offer.quality]
    base = MOVIES if query.is_movie else TV
    return DemoRelease(
        title=offer.name,
        size_bytes=int(megabytes * MEGABYTE) // 1024 * 1024,
        seeders=seeders,
        leechers=(seeders * spread) // 20 + spread % 5,
        published_at=now - timedelta(hours=2 + index * 9 + spread * 3, minutes=(roll >> index) % 60),
        categories=(base, category - TV + base),
    )


def _seeders(quality: str, spread: int) -> int:
    """Popular releases are seeded by hundreds, a CAM by a crowd, a 2160p Blu-ray by a few."""
    most = {"WEBDL-1080p": 900, "HDTV-720p": 300, "Bluray-1080p": 400, "CAM": 1500, "TELESYNC": 800}
    return 3 + most.get(quality, 120) * (spread + 1) // 32


def _dotted(title: str) -> str:
    """``The Office (US)`` as a release names it: ``The.Office.US``."""
    kept = "".join(char for char in title if char.isalnum() or char in " .-&'")
    return ".".join(kept.replace("&", "and").replace("'", "").split())
