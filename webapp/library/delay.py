"""The delay: how long a release waits after it was published before it is grabbed, and the releases held.

A delay gives a better release (or one of the preferred protocol) the time to turn up: an
accepted release still within its protocol's delay is kept in ``pending_releases`` instead of
grabbed, and Pending Releases judges it again once its time comes. A release of its profile's
top quality has nothing better to wait for: with ``bypass_if_highest`` it is grabbed at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Insert, Update, exists, insert, select, update
from sqlalchemy.orm import Session

from ..db import Database
from ..models.library import DelaySetting, PendingRelease
from ..providers.base import Release
from ..providers.settings import TORRENT, USENET
from ..releases.profiles import Profile
from .items import MOVIE, MediaItem

SETTINGS_ID = 1
MAX_DELAY_MINUTES = 7 * 1440
TITLE_LENGTH, LINK_LENGTH = 500, 2000  # of the pending_releases columns
PENDING, GRABBED, EXPIRED, FAILED = "pending", "grabbed", "expired", "failed"  # a pending release's status


@dataclass(frozen=True)
class Delay:
    """Minutes a release waits after it was published, by protocol; 0 is no wait."""

    usenet_minutes: int = 0
    torrent_minutes: int = 0
    bypass_if_highest: bool = True

    def __post_init__(self) -> None:
        for name, minutes in (("usenet", self.usenet_minutes), ("torrent", self.torrent_minutes)):
            if not 0 <= minutes <= MAX_DELAY_MINUTES:
                raise ValueError(f"The {name} delay must be 0 to {MAX_DELAY_MINUTES} minutes, not {minutes}")

    def minutes(self, protocol: str) -> int:
        return {USENET: self.usenet_minutes, TORRENT: self.torrent_minutes}.get(protocol, 0)

    def due(self, release: Release, profile: Profile, now: datetime) -> datetime | None:
        """When the release may be grabbed, if that is later than ``now``; None when it may be grabbed now.

        The wait counts from when the indexer says it was published (else from now).
        """
        minutes = self.minutes(release.protocol)
        if not minutes or (self.bypass_if_highest and profile.rank(release.quality) == profile.top_rank):
            return None
        due = (release.published_at or now) + timedelta(minutes=minutes)
        return due if due > now else None


def load_delay(session: Session) -> Delay:
    """The delay as set; no delay when it never was."""
    row = session.get(DelaySetting, SETTINGS_ID)
    if row is None:
        return Delay()
    return Delay(row.usenet_minutes, row.torrent_minutes, row.bypass_if_highest)


def save_delay(db: Database, delay: Delay, now: datetime) -> Delay:
    """Sets the delay (for every later search and the releases it then holds)."""
    with db.write() as session:
        row = session.get(DelaySetting, SETTINGS_ID, with_for_update=True)
        if row is None:
            row = DelaySetting(id=SETTINGS_ID)
            session.add(row)
        row.usenet_minutes, row.torrent_minutes = delay.usenet_minutes, delay.torrent_minutes
        row.bypass_if_highest, row.updated_at = delay.bypass_if_highest, now
    return delay


def _owner(item: MediaItem) -> dict[str, int | None]:
    if item.kind == MOVIE:
        return {"movie_id": item.id, "episode_id": None}
    return {"movie_id": None, "episode_id": item.id}


def _owned_by(item: MediaItem) -> ColumnElement[bool]:
    owner = PendingRelease.movie_id if item.kind == MOVIE else PendingRelease.episode_id
    return owner == item.id


def is_held(session: Session, item: MediaItem, title: str) -> bool:
    """Whether this release is pending for the item already."""
    return bool(session.scalar(select(exists().where(
        _owned_by(item), PendingRelease.title == title, PendingRelease.status == PENDING,
    ))))


def storable(release: Release) -> bool:
    """Whether the release fits a pending row (an outsized title or link is grabbed, never held)."""
    return len(release.title) <= TITLE_LENGTH and len(release.download_url) <= LINK_LENGTH


def hold(item: MediaItem, release: Release, due: datetime, now: datetime, season_pack: bool = False) -> Insert:
    """The statement that keeps the release pending for the item until ``due``."""
    return insert(PendingRelease).values(
        **_owner(item), title=release.title, quality=release.quality, score=release.score, indexer=release.indexer,
        download_url=release.download_url or None, added_at=now, release_at=due, status=PENDING,
        protocol=release.protocol, size_bytes=release.size_bytes, seeders=release.seeders,
        indexer_id=release.indexer_id, magnet_url=release.magnet_url, published_at=release.published_at,
        season_pack=season_pack,
    )


def expire_held(item: MediaItem) -> Update:
    """The statement that expires every release still pending for the item (another one was grabbed)."""
    return update(PendingRelease).where(_owned_by(item), PendingRelease.status == PENDING).values(status=EXPIRED)
