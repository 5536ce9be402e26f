"""The selection queries: each task's items in one SQL statement.

Movies and episodes follow the same rules, so each statement is built once per
kind of item (a ``_Kind``) and the two halves are joined with UNION ALL. Ranks
come from ``profile_qualities`` (a file of a quality its profile does not list
ranks 0). Every filter is written so that the indexes of ``webapp.models.library``
serve it on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement, ColumnExpressionArgument, FromClause, Integer, Row, Select, String, and_, cast, exists, func, join,
    literal_column, null, or_, select, true, union_all,
)
from sqlalchemy.orm import Session, aliased

from ..models import (
    Episode, ImportQueueEntry, MediaFile, Movie, PendingRelease, ProfileQuality, QualityProfile, Series,
    SubtitleFile, WantedLanguage,
)
from .items import (
    EPISODE, MOVIE, FiledItem, ImportItem, MediaItem, MissingLanguage, PendingItem, SeriesItem, SubtitleNeed,
    WantedItem,
)

BEST_SUBTITLE_SCORE = 100
PENDING = "pending"


@dataclass(frozen=True)
class _Kind:
    """How one kind of media item (movie or episode) is selected and tied to its rows."""

    name: str
    from_: FromClause
    columns: tuple[ColumnElement[Any], ...]
    item_id: Any
    profile_id: Any
    monitored: ColumnElement[bool]
    last_searched_at: Any
    file_owner: Any
    pending_owner: Any
    aired: Callable[[date], ColumnElement[bool]]

    def select(self, *extra: ColumnExpressionArgument[Any]) -> Select[Any]:
        return select(*self.columns, *extra).select_from(self.from_)

    def has_file(self) -> ColumnElement[bool]:
        return exists().where(self.file_owner == self.item_id)


def _no_int(label: str) -> ColumnElement[Any]:
    return cast(null(), Integer).label(label)


MOVIES = _Kind(
    name=MOVIE,
    from_=Movie.__table__,
    columns=(
        literal_column(f"'{MOVIE}'", String).label("kind"), Movie.id.label("id"), Movie.title.label("name"),
        Movie.quality_profile_id.label("profile_id"), Movie.year.label("year"), Movie.tmdb_id.label("tmdb_id"),
        _no_int("series_id"), _no_int("season"), _no_int("episode"),
    ),
    item_id=Movie.id,
    profile_id=Movie.quality_profile_id,
    monitored=Movie.monitored == true(),
    last_searched_at=Movie.last_searched_at,
    file_owner=MediaFile.movie_id,
    pending_owner=PendingRelease.movie_id,
    aired=lambda today: true(),
)

EPISODES = _Kind(
    name=EPISODE,
    from_=join(Episode, Series, Series.id == Episode.series_id),
    columns=(
        literal_column(f"'{EPISODE}'", String).label("kind"), Episode.id.label("id"), Series.title.label("name"),
        Series.quality_profile_id.label("profile_id"), _no_int("year"), Series.tmdb_id.label("tmdb_id"),
        Episode.series_id.label("series_id"), Episode.season_number.label("season"),
        Episode.episode_number.label("episode"),
    ),
    item_id=Episode.id,
    profile_id=Series.quality_profile_id,
    monitored=and_(Episode.monitored == true(), Series.monitored == true()),
    last_searched_at=Episode.last_searched_at,
    file_owner=MediaFile.episode_id,
    pending_owner=PendingRelease.episode_id,
    aired=lambda today: Episode.air_date <= today,
)

KINDS = (MOVIES, EPISODES)


# --- building blocks -------------------------------------------------------------------------

def _not_searched_since(column: Any, searched_before: datetime | None) -> ColumnElement[bool]:
    """The search cooldown; ``searched_before`` None (a forced run) lifts it."""
    if searched_before is None:
        return true()
    return or_(column.is_(None), column < searched_before)


def _best_file_rank(kind: _Kind) -> ColumnElement[Any]:
    """The rank of the item's best file in its profile; NULL when it has no file."""
    ranked = aliased(ProfileQuality)
    return (
        select(func.max(func.coalesce(ranked.rank, 0)))
        .select_from(MediaFile)
        .outerjoin(ranked, and_(ranked.profile_id == kind.profile_id, ranked.quality == MediaFile.quality))
        .where(kind.file_owner == kind.item_id)
        .scalar_subquery()
    )


def _cutoff_rank(kind: _Kind) -> ColumnElement[Any]:
    ranked = aliased(ProfileQuality)
    return (
        select(ranked.rank)
        .join(QualityProfile, and_(
            QualityProfile.id == ranked.profile_id, QualityProfile.cutoff_quality == ranked.quality
        ))
        .where(ranked.profile_id == kind.profile_id)
        .scalar_subquery()
    )


def _upgrade_target(kind: _Kind) -> ColumnElement[Any]:
    """The rank a file must reach to leave no upgrade worth its profile's minimum increment.

    That is the top rank less the increment, plus one; NULL when the profile allows no upgrades.
    """
    ranked = aliased(ProfileQuality)
    return (
        select(func.max(ranked.rank - QualityProfile.min_upgrade_increment) + 1)
        .join(QualityProfile, QualityProfile.id == ranked.profile_id)
        .where(ranked.profile_id == kind.profile_id, QualityProfile.upgrades_allowed == true())
        .scalar_subquery()
    )


def _season_size(kind: _Kind, today: date) -> ColumnElement[Any]:
    """How many episodes of the item's season have aired (0 for a movie)."""
    if kind.name == MOVIE:
        return literal_column("0", Integer).label("season_size")
    other = aliased(Episode)
    return (
        select(func.count(other.id))
        .where(
            other.series_id == Episode.series_id, other.season_number == Episode.season_number,
            other.air_date <= today,
        )
        .scalar_subquery()
        .label("season_size")
    )


def _file_columns() -> tuple[ColumnElement[Any], ...]:
    return MediaFile.id.label("file_id"), MediaFile.path.label("file_path")


def _media_item(row: Row[*tuple[Any, ...]]) -> MediaItem:
    return MediaItem(
        kind=row.kind, id=row.id, name=row.name, profile_id=row.profile_id, year=row.year, tmdb_id=row.tmdb_id,
        series_id=row.series_id, season=row.season, episode=row.episode,
    )


def _select_union(
    session: Session,
    parts: Sequence[Select[Any]],
    order: Callable[[Any], Sequence[Any]],
    where: Callable[[Any], Sequence[ColumnElement[bool]]] = lambda c: (),
    limit: int | None = None,
) -> Sequence[Row[*tuple[Any, ...]]]:
    """Runs the parts as one UNION ALL, filtered, ordered and limited on its columns ``c``."""
    union = union_all(*parts).subquery()
    return session.execute(select(union).where(*where(union.c)).order_by(*order(union.c)).limit(limit)).all()


# --- the selections --------------------------------------------------------------------------

def _wanted(kind: _Kind, today: date, searched_before: datetime | None, *where: ColumnElement[bool]) -> Select[Any]:
    return kind.select(_season_size(kind, today), kind.last_searched_at.label("last_searched_at")).where(
        kind.monitored, kind.aired(today), ~kind.has_file(),
        _not_searched_since(kind.last_searched_at, searched_before), *where,
    )


def _wanted_order(c: Any) -> Sequence[Any]:
    # Never-searched items first, so that a ``limit`` works through the whole list over runs.
    return c.last_searched_at.asc().nulls_first(), c.kind, c.series_id, c.season, c.episode, c.id


def missing_items(
    session: Session, *, today: date, searched_before: datetime | None, limit: int | None = None
) -> list[WantedItem]:
    """Monitored movies and aired monitored episodes (of monitored series) that have no file."""
    parts = [_wanted(kind, today, searched_before) for kind in KINDS]
    rows = _select_union(session, parts, _wanted_order, limit=limit)
    return [WantedItem(_media_item(row), row.season_size) for row in rows]


def newly_aired_episodes(
    session: Session, *, today: date, since: datetime, searched_before: datetime | None, limit: int | None = None
) -> list[WantedItem]:
    """Wanted episodes that aired, or were added, since ``since``."""
    recent = or_(Episode.air_date >= since.date(), Episode.added_at >= since)
    rows = _select_union(session, [_wanted(EPISODES, today, searched_before, recent)], _wanted_order, limit=limit)
    return [WantedItem(_media_item(row), row.season_size) for row in rows]


def _filed(kind: _Kind, target: ColumnElement[Any], searched_before: datetime | None) -> Select[Any]:
    return kind.select(
        _best_file_rank(kind).label("file_rank"), target.label("target_rank"),
        kind.last_searched_at.label("last_searched_at"),
    ).where(kind.monitored, _not_searched_since(kind.last_searched_at, searched_before))


def _below_target(
    session: Session, target: Callable[[_Kind], ColumnElement[Any]], searched_before: datetime | None, limit: int | None
) -> list[FiledItem]:
    rows = _select_union(
        session,
        [_filed(kind, target(kind), searched_before) for kind in KINDS],
        _wanted_order,
        where=lambda c: (c.file_rank < c.target_rank,),
        limit=limit,
    )
    return [FiledItem(_media_item(row), row.file_rank, row.target_rank) for row in rows]


def cutoff_unmet_items(
    session: Session, *, searched_before: datetime | None, limit: int | None = None
) -> list[FiledItem]:
    """Monitored items whose best file ranks below their profile's cutoff."""
    return _below_target(session, _cutoff_rank, searched_before, limit)


def upgradable_items(
    session: Session, *, searched_before: datetime | None, limit: int | None = None
) -> list[FiledItem]:
    """Monitored items whose profile allows upgrades and lists a quality its minimum increment above the best file."""
    return _below_target(session, _upgrade_target, searched_before, limit)


def pending_releases(session: Session, *, now: datetime, limit: int | None = None) -> list[PendingItem]:
    """Pending releases that are due or no longer needed, best score first."""
    parts = [
        kind.select(
            PendingRelease.id.label("release_id"), PendingRelease.title.label("release_title"),
            PendingRelease.quality.label("quality"), PendingRelease.score.label("score"),
            PendingRelease.indexer.label("indexer"), PendingRelease.download_url.label("download_url"),
            PendingRelease.release_at.label("release_at"), PendingRelease.protocol.label("protocol"),
            PendingRelease.size_bytes.label("size_bytes"), PendingRelease.seeders.label("seeders"),
            PendingRelease.indexer_id.label("indexer_id"), PendingRelease.magnet_url.label("magnet_url"),
            PendingRelease.published_at.label("published_at"), PendingRelease.season_pack.label("season_pack"),
            _best_file_rank(kind).label("file_rank"), _cutoff_rank(kind).label("cutoff_rank"),
        )
        .join(PendingRelease, kind.pending_owner == kind.item_id)
        .where(PendingRelease.status == PENDING)
        for kind in KINDS
    ]
    rows = _select_union(
        session, parts,
        order=lambda c: (c.score.desc(), c.release_at, c.release_id),
        where=lambda c: (or_(c.release_at <= now, c.file_rank >= c.cutoff_rank),),
        limit=limit,
    )
    return [_pending_item(row) for row in rows]


def _pending_item(row: Row[*tuple[Any, ...]]) -> PendingItem:
    satisfied = row.file_rank is not None and row.cutoff_rank is not None and row.file_rank >= row.cutoff_rank
    return PendingItem(
        _media_item(row), row.release_id, row.release_title, row.quality, row.score, row.indexer, row.download_url,
        row.release_at, satisfied, row.file_rank or 0, row.protocol, row.size_bytes, row.seeders, row.indexer_id,
        row.magnet_url, row.published_at, bool(row.season_pack),
    )


def _lacks_subtitle() -> ColumnElement[bool]:
    return ~exists().where(
        SubtitleFile.media_file_id == MediaFile.id, SubtitleFile.language == WantedLanguage.language
    )


def missing_subtitles(
    session: Session, *, searched_before: datetime | None, limit: int | None = None
) -> list[SubtitleNeed]:
    """One row per media file and wanted language it has no subtitle in."""
    parts = [
        kind.select(*_file_columns(), WantedLanguage.language, WantedLanguage.min_score)
        .join(MediaFile, kind.file_owner == kind.item_id)
        .join(WantedLanguage, true())
        .where(_lacks_subtitle(), _not_searched_since(MediaFile.subtitles_searched_at, searched_before))
        for kind in KINDS
    ]
    rows = _select_union(session, parts, order=lambda c: (c.file_id, c.language), limit=limit)
    return [SubtitleNeed(_media_item(row), row.file_id, row.file_path, row.language, row.min_score) for row in rows]


def upgradable_subtitles(
    session: Session, *, searched_before: datetime | None, limit: int | None = None
) -> list[SubtitleNeed]:
    """Subtitles in a wanted language that score below the best score."""
    parts = [
        kind.select(
            *_file_columns(), SubtitleFile.language.label("language"), WantedLanguage.min_score,
            SubtitleFile.score.label("current_score"),
        )
        .join(MediaFile, kind.file_owner == kind.item_id)
        .join(SubtitleFile, SubtitleFile.media_file_id == MediaFile.id)
        .join(WantedLanguage, WantedLanguage.language == SubtitleFile.language)
        .where(
            SubtitleFile.score < BEST_SUBTITLE_SCORE,
            _not_searched_since(MediaFile.subtitles_searched_at, searched_before),
        )
        for kind in KINDS
    ]
    rows = _select_union(session, parts, order=lambda c: (c.current_score, c.file_id, c.language), limit=limit)
    return [
        SubtitleNeed(_media_item(row), row.file_id, row.file_path, row.language, row.min_score, row.current_score)
        for row in rows
    ]


def import_queue(session: Session, *, limit: int | None = None) -> list[ImportItem]:
    """Unprocessed import-queue entries, oldest first, each with the wanted languages its file lacks."""
    entries = (
        select(ImportQueueEntry.id, ImportQueueEntry.media_file_id, ImportQueueEntry.queued_at)
        .where(ImportQueueEntry.processed_at.is_(None))
        .order_by(ImportQueueEntry.queued_at, ImportQueueEntry.id)
        .limit(limit)
        .subquery()
    )
    parts = [
        kind.select(
            entries.c.id.label("entry_id"), entries.c.queued_at, *_file_columns(),
            WantedLanguage.language, WantedLanguage.min_score,
        )
        .join(MediaFile, kind.file_owner == kind.item_id)
        .join(entries, entries.c.media_file_id == MediaFile.id)
        .outerjoin(WantedLanguage, _lacks_subtitle())
        for kind in KINDS
    ]
    rows = _select_union(session, parts, order=lambda c: (c.queued_at, c.entry_id, c.language))
    return _group_imports(rows)


def _group_imports(rows: Sequence[Row[*tuple[Any, ...]]]) -> list[ImportItem]:
    grouped: dict[int, tuple[Row[*tuple[Any, ...]], list[MissingLanguage]]] = {}
    for row in rows:
        _, missing = grouped.setdefault(row.entry_id, (row, []))
        if row.language is not None:
            missing.append(MissingLanguage(row.language, row.min_score))
    return [
        ImportItem(_media_item(row), row.entry_id, row.file_id, row.file_path, tuple(missing))
        for row, missing in grouped.values()
    ]


def series_to_refresh(session: Session, *, limit: int | None = None) -> list[SeriesItem]:
    """Monitored series, least recently refreshed first; those without a TMDB id (which the metadata
    source cannot be asked about, and a run says so) after every other."""
    rows = session.execute(
        select(Series.id, Series.title, Series.tmdb_id, Series.last_refreshed_at)
        .where(Series.monitored == true())
        .order_by(Series.tmdb_id.is_(None), Series.last_refreshed_at.asc().nulls_first(), Series.id)
        .limit(limit)
    ).all()
    return [SeriesItem(row.id, row.title, row.tmdb_id, row.last_refreshed_at) for row in rows]
