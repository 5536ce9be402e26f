"""Releases grabbed and not yet imported: an item whose file is on its way is not searched again.

A grab is followed until completed-download handling imports the client's download of its id.
One that never arrives (the client lost it, a category that is not ours, a blackhole no client
watches) is waited for ``WAIT`` at most: the item is then searched again as before.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, insert, or_, select, update
from sqlalchemy.orm import Session

from ..db import Database
from ..models import Grab
from ..providers.base import Release
from .items import EPISODE, MOVIE, MediaItem

WAIT = timedelta(days=2)
DOWNLOADING, IMPORTED = "downloading", "imported"
TITLE_LENGTH, ID_LENGTH = 500, 500


@dataclass(frozen=True)
class Awaited:
    """The grab an item waits for."""

    title: str
    client: str
    grabbed_at: datetime

    @property
    def until(self) -> datetime:
        """When the item is searched again if the download has not been imported by then."""
        return self.grabbed_at + WAIT


def record_grab(
    db: Database, item: MediaItem, release: Release, client: str, client_id: int | None, download_id: str | None,
    now: datetime, *, season_pack: bool = False,
) -> None:
    """Keeps the grab at once, in its own transaction: a grab is never forgotten by a run that stops after it."""
    owner = _season(item) if season_pack else _item(item)
    with db.write() as session:
        session.execute(insert(Grab).values(
            **owner, title=release.title[:TITLE_LENGTH], quality=release.quality, indexer=release.indexer,
            client=client, client_id=client_id, download_id=(download_id or None) and download_id[:ID_LENGTH],
            status=DOWNLOADING, grabbed_at=now,
        ))


def awaited(session: Session, item: MediaItem, now: datetime, *, season_pack: bool = False) -> Awaited | None:
    """The newest grab the item (or, for a pack, its season) still waits for, if any."""
    row = session.execute(
        select(Grab.title, Grab.client, Grab.grabbed_at)
        .where(_for(item, season_pack), Grab.status == DOWNLOADING, Grab.grabbed_at > now - WAIT)
        .order_by(Grab.grabbed_at.desc()).limit(1)
    ).first()
    return None if row is None else Awaited(*row)


def settle(session: Session, client_id: int, download_id: str, name: str, now: datetime) -> None:
    """The client's download was imported: its grabs wait for nothing now.

    A grab is known by the client's id of the download, or (a blackhole's, whose id is the grab
    file it wrote) by the release's name, which the finished download bears.
    """
    session.execute(
        update(Grab).where(
            Grab.client_id == client_id, Grab.status == DOWNLOADING,
            or_(Grab.download_id == download_id[:ID_LENGTH], Grab.title == name[:TITLE_LENGTH]),
        ).values(status=IMPORTED, settled_at=now)
    )


def _item(item: MediaItem) -> dict[str, int | None]:
    if item.kind == MOVIE:
        return {"movie_id": item.id}
    return {"episode_id": item.id}


def _season(item: MediaItem) -> dict[str, int | None]:
    return {"series_id": item.series_id, "season_number": item.season}


def _for(item: MediaItem, season_pack: bool) -> ColumnElement[bool]:
    """The grabs that bring the item's file: its own, or its season's pack (an episode's)."""
    pack = and_(Grab.series_id == item.series_id, Grab.season_number == item.season)
    if season_pack:
        return pack
    if item.kind == EPISODE:
        return or_(Grab.episode_id == item.id, pack)
    return Grab.movie_id == item.id
