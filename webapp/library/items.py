"""The small, frozen values the selection queries return.

Every value a task handles answers ``media_id`` and ``title``, which is what the
run context writes into an activity row.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MOVIE = "movie"
EPISODE = "episode"


@dataclass(frozen=True)
class MediaItem:
    """A movie, or an episode of a series (``name`` is then the series' title)."""

    kind: str
    id: int
    name: str
    profile_id: int
    year: int | None = None
    tmdb_id: int | None = None
    series_id: int | None = None
    season: int | None = None
    episode: int | None = None

    @property
    def media_id(self) -> str:
        return f"{self.kind}_{self.id}"

    @property
    def title(self) -> str:
        """``Movie Title (2019)`` or ``Series Title S01E02``."""
        if self.kind == EPISODE:
            return f"{self.name} S{self.season:02d}E{self.episode:02d}"
        return f"{self.name} ({self.year})" if self.year else self.name


class _AboutItem:
    """Names the media item a selected value is about, for its activity row."""

    item: MediaItem

    @property
    def media_id(self) -> str:
        return self.item.media_id

    @property
    def title(self) -> str:
        return self.item.title


@dataclass(frozen=True)
class WantedItem(_AboutItem):
    """An item with no file; ``season_size`` counts the aired episodes of its season (0 for a movie)."""

    item: MediaItem
    season_size: int = 0


@dataclass(frozen=True)
class FiledItem(_AboutItem):
    """An item with a file: the rank of its best file and the rank it is measured against."""

    item: MediaItem
    file_rank: int
    target_rank: int


@dataclass(frozen=True)
class PendingItem(_AboutItem):
    """A release held back for an item; ``satisfied`` when the item no longer needs it.

    ``file_rank`` is the rank of the item's best file (0: none); the rest is what a decision
    needs to judge the release again (see ``PendingRelease``).
    """

    item: MediaItem
    release_id: int
    release_title: str
    quality: str
    score: int
    indexer: str | None
    download_url: str | None
    release_at: datetime
    satisfied: bool
    file_rank: int = 0
    protocol: str = "torrent"
    size_bytes: int | None = None
    seeders: int | None = None
    indexer_id: int | None = None
    magnet_url: str | None = None
    published_at: datetime | None = None
    season_pack: bool = False


@dataclass(frozen=True)
class MissingLanguage:
    """A wanted language a file has no subtitle in, and the score a subtitle in it must reach.

    Not the ``WantedLanguage`` row (the user's list of languages): this is one gap in one file.
    """

    language: str
    min_score: int


@dataclass(frozen=True)
class SubtitleNeed(_AboutItem):
    """One language one media file should get a (better) subtitle in."""

    item: MediaItem
    file_id: int
    file_path: str
    language: str
    min_score: int
    current_score: int | None = None


@dataclass(frozen=True)
class ImportItem(_AboutItem):
    """An import-queue entry and the wanted languages its file still lacks."""

    item: MediaItem
    entry_id: int
    file_id: int
    file_path: str
    missing: tuple[MissingLanguage, ...]

    def need(self, missing: MissingLanguage) -> SubtitleNeed:
        return SubtitleNeed(self.item, self.file_id, self.file_path, missing.language, missing.min_score)


@dataclass(frozen=True)
class SeriesItem:
    """A series whose episode list is refreshed from the metadata source (``tmdb_id`` None: it cannot be)."""

    id: int
    name: str
    tmdb_id: int | None
    last_refreshed_at: datetime | None

    @property
    def media_id(self) -> str:
        return f"series_{self.id}"

    @property
    def title(self) -> str:
        return self.name
