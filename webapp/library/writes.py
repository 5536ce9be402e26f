"""Changes the tasks make to the library, as statements committed in short transactions."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Delete, Executable, Insert, Result, Update, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..db import Database
from ..models import Episode, ImportQueueEntry, MediaFile, Movie, PendingRelease, Series, SubtitleFile
from ..providers import EpisodeInfo
from .items import MOVIE, MediaItem

BATCH_SIZE = 200


class WriteBatch:
    """Library writes gathered while a run goes, committed a batch per short transaction.

    Used as a context manager: what was done before the run stopped is still written.
    The statements of one ``add`` always commit together.
    """

    def __init__(self, db: Database, size: int = BATCH_SIZE) -> None:
        self._db = db
        self._size = size
        self._pending: list[tuple[Executable, ...]] = []

    def add(self, *statements: Executable) -> None:
        self._pending.append(statements)
        if len(self._pending) >= self._size:
            self.flush()

    def flush(self) -> None:
        groups, self._pending = self._pending, []
        if not groups:
            return
        with self._db.write() as session:
            for group in groups:
                for statement in group:
                    session.execute(statement)

    def __enter__(self) -> WriteBatch:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.flush()


def mark_searched(item: MediaItem, now: datetime) -> Update:
    """Starts the item's search cooldown."""
    model = Movie if item.kind == MOVIE else Episode
    return update(model).where(model.id == item.id).values(last_searched_at=now)


def mark_subtitles_searched(file_id: int, now: datetime) -> Update:
    return update(MediaFile).where(MediaFile.id == file_id).values(subtitles_searched_at=now)


def replace_subtitle(
    file_id: int, language: str, score: int, provider: str, path: str, now: datetime
) -> tuple[Delete, Insert]:
    """Statements that make this the file's one subtitle in ``language`` (add them together)."""
    remove = delete(SubtitleFile).where(SubtitleFile.media_file_id == file_id, SubtitleFile.language == language)
    add = insert(SubtitleFile).values(
        media_file_id=file_id, language=language, score=score, provider=provider, path=path, downloaded_at=now
    )
    return remove, add


def mark_processed(entry_id: int, now: datetime) -> Update:
    return update(ImportQueueEntry).where(ImportQueueEntry.id == entry_id).values(processed_at=now)


def set_release_status(release_id: int, status: str) -> Update:
    return update(PendingRelease).where(PendingRelease.id == release_id).values(status=status)


def mark_refreshed(series_id: int, now: datetime) -> Update:
    return update(Series).where(Series.id == series_id).values(last_refreshed_at=now)


def insert_new(
    session: Session, model: type[Any], rows: Sequence[dict[str, Any]], keys: Iterable[str],
    returning: Sequence[Any] = (),
) -> Result[Any]:
    """INSERT ... ON CONFLICT (keys) DO NOTHING on SQLite or PostgreSQL; ``returning`` names columns of the new rows."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model.__table__).on_conflict_do_nothing(index_elements=list(keys))
    if returning:
        statement = statement.returning(*returning)
    return session.execute(statement, list(rows))


@dataclass(frozen=True)
class StoredEpisodes:
    """What a refresh from the metadata source changed: the episodes added, those given another air date."""

    added: list[EpisodeInfo]
    redated: list[EpisodeInfo]


def store_episodes(db: Database, series_id: int, episodes: Sequence[EpisodeInfo], now: datetime) -> StoredEpisodes:
    """Inserts, monitored, the episodes the series lacks, takes the source's air date where it gives another
    (an episode announced without a date gets one: only then is it ever searched), and notes the refresh."""
    by_key = {(info.season, info.number): info for info in episodes}
    with db.write() as session:
        added = set(_insert_episodes(session, series_id, list(by_key.values()), now))
        redated = _redate_episodes(session, series_id, {key: info for key, info in by_key.items() if key not in added})
        session.execute(mark_refreshed(series_id, now))
    return StoredEpisodes([by_key[key] for key in sorted(added)], redated)


def _redate_episodes(
    session: Session, series_id: int, known: dict[tuple[int, int], EpisodeInfo]
) -> list[EpisodeInfo]:
    """Moves the stored episodes whose air date the source gives differently; a date it no longer gives is kept."""
    stored = session.execute(
        select(Episode.id, Episode.season_number, Episode.episode_number, Episode.air_date)
        .where(Episode.series_id == series_id)
    ).all()
    moved = [
        (row.id, info) for row in stored
        if (info := known.get((row.season_number, row.episode_number))) is not None
        and info.air_date is not None and info.air_date != row.air_date
    ]
    if moved:
        session.execute(update(Episode), [{"id": episode_id, "air_date": info.air_date} for episode_id, info in moved])
    return sorted((info for _, info in moved), key=lambda info: (info.season, info.number))


def _insert_episodes(
    session: Session, series_id: int, episodes: list[EpisodeInfo], now: datetime
) -> list[tuple[int, int]]:
    if not episodes:
        return []
    rows = [
        {"series_id": series_id, "season_number": info.season, "episode_number": info.number, "title": info.title,
         "air_date": info.air_date, "monitored": True, "added_at": now}
        for info in episodes
    ]
    result = insert_new(
        session, Episode, rows, ("series_id", "season_number", "episode_number"),
        returning=(Episode.season_number, Episode.episode_number),
    )
    return [(row.season_number, row.episode_number) for row in result]
