"""The blocklist: releases that failed or were refused for one movie or episode, never grabbed for it again.

A grab adds to it (``tasks/searching.py``); the API and the releases settings page list it and
take entries off it, which lets the release be grabbed for its item again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..db import Database
from ..errors import NotFound
from ..library.items import EPISODE, MOVIE, MediaItem
from ..models import BlocklistEntry, Episode, Movie, Series


@dataclass(frozen=True)
class BlockedRelease:
    """A release never to be grabbed again for one movie or episode."""

    id: int
    title: str
    media_id: str  # ``movie_12`` or ``episode_34``, as activity rows name items
    media_title: str  # ``Film (2019)`` or ``Show S01E02``, as activity rows title them
    reason: str
    indexer: str | None
    added_at: datetime


class Blocklist:
    """Releases that failed or were refused, by item: a search passes over them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(
        self, title: str, item: MediaItem, reason: str, now: datetime, indexer: str | None = None,
    ) -> BlockedRelease:
        with self.db.write() as session:
            entry = BlocklistEntry(title=title, reason=reason, indexer=indexer, added_at=now, **_owner(item))
            session.add(entry)
            session.flush()
            return _blocked(entry, item.title)

    def list(self, item: MediaItem | None = None, limit: int = 500) -> tuple[BlockedRelease, ...]:
        """The newest ``limit`` entries, of one item or of all, each with its item's title."""
        series = aliased(Series)
        statement = (
            select(BlocklistEntry, Movie.title, Movie.year, series.title, Episode.season_number, Episode.episode_number)
            .outerjoin(Movie, Movie.id == BlocklistEntry.movie_id)
            .outerjoin(Episode, Episode.id == BlocklistEntry.episode_id)
            .outerjoin(series, series.id == Episode.series_id)
            .order_by(BlocklistEntry.added_at.desc(), BlocklistEntry.id.desc())
        )
        if item is not None:
            statement = statement.filter_by(**_owner(item))
        with self.db.read() as session:
            return tuple(
                _blocked(entry, _item_title(movie, year, show, season, episode))
                for entry, movie, year, show, season, episode in session.execute(statement.limit(limit))
            )

    def count(self) -> int:
        with self.db.read() as session:
            return session.scalar(select(func.count()).select_from(BlocklistEntry)) or 0

    def remove(self, entry_id: int) -> BlockedRelease:
        """Lets the release be grabbed for its item again; returns what was removed."""
        with self.db.write() as session:
            entry = session.get(BlocklistEntry, entry_id)
            if entry is None:
                raise NotFound(f"Blocklist entry '{entry_id}' not found", "BLOCKLIST_ENTRY_NOT_FOUND")
            removed = _blocked(entry, "")
            session.delete(entry)
            return removed

    def contains(self, title: str, item: MediaItem) -> bool:
        """Whether this release is blocked for this item."""
        return title in self.titles(item)

    def titles(self, item: MediaItem) -> frozenset[str]:
        """Every blocked release title of the item: one query for a whole page of search results."""
        with self.db.read() as session:
            return frozenset(session.scalars(select(BlocklistEntry.title).filter_by(**_owner(item))))


def _owner(item: MediaItem) -> dict[str, int | None]:
    if item.kind == MOVIE:
        return {"movie_id": item.id, "episode_id": None}
    return {"movie_id": None, "episode_id": item.id}


def _item_title(
    movie: str | None, year: int | None, series: str | None, season: int | None, episode: int | None,
) -> str:
    """As ``MediaItem.title`` says it, from the joined columns."""
    if series is not None and season is not None and episode is not None:
        return MediaItem(EPISODE, 0, series, 0, season=season, episode=episode).title
    return MediaItem(MOVIE, 0, movie or "", 0, year=year).title


def _blocked(entry: BlocklistEntry, media_title: str) -> BlockedRelease:
    media_id = f"movie_{entry.movie_id}" if entry.movie_id is not None else f"episode_{entry.episode_id}"
    return BlockedRelease(entry.id, entry.title, media_id, media_title, entry.reason, entry.indexer, entry.added_at)
