"""A deterministic demo library that gives every task something to do.

Item ``n`` always gets the same title, case and rows, whatever ``items`` is, so a
second run adds nothing and a larger ``items`` adds only what is missing. Rows are
keyed by TMDB ids and unique constraints; tables without one (files, pending
releases, the import queue) by their owner. Every write is one short transaction
over a chunk of rows, so seeding is safe while a server runs.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import ColumnElement, UniqueConstraint, insert, or_, select
from sqlalchemy.orm import Session

from ..clock import now_utc
from ..db import Database
from ..models import (
    Episode, ImportQueueEntry, MediaFile, Movie, PendingRelease, ProfileQuality, QualityProfile, Series,
    SubtitleFile, WantedLanguage,
)
from .demo_files import media_path, subtitle_path, write_placeholders
from .demo_names import episode_title, movie_title, release_name, series_title
from .items import EPISODE, MOVIE
from .writes import insert_new

Row = dict[str, Any]
Key = tuple[Any, ...]  # (MOVIE, tmdb id) or (EPISODE, series tmdb id, season, number)

MOVIE_TMDB_BASE = 90_000_000
SERIES_TMDB_BASE = 95_000_000
SEASONS, EPISODES_PER_SEASON = 3, 8
CHUNK = 2000

PROFILES = (  # name, qualities from lowest to highest, cutoff
    ("HD-1080p", ("SDTV", "HDTV-720p", "WEBDL-1080p", "Bluray-1080p"), "WEBDL-1080p"),
    ("Ultra-HD", ("WEBDL-1080p", "Bluray-1080p", "WEBDL-2160p", "Bluray-2160p"), "WEBDL-2160p"),
)
LANGUAGES = (("en", 60), ("fr", 70))
GIGABYTE = 1_000_000_000

# What each demo item is there to show; item n has case n % 10.
CASES = (
    "missing", "searched_recently", "unmonitored", "below_cutoff", "at_cutoff", "complete", "lacks_french",
    "weak_subtitles", "pending", "imported",
)
# The cases whose item has a file, and the subtitles (language: score) that file has.
FILE_SUBTITLES = {
    "below_cutoff": {"en": 100, "fr": 100}, "at_cutoff": {"en": 100, "fr": 100},
    "complete": {"en": 100, "fr": 100}, "lacks_french": {"en": 100}, "weak_subtitles": {"en": 72, "fr": 64},
    "imported": {},
}


@dataclass(frozen=True)
class _Planned:
    """One demo media item; its ``key`` finds its row again."""

    key: Key
    title: str
    case: str
    profile: str
    number: int

    @property
    def has_file(self) -> bool:
        return self.case in FILE_SUBTITLES


def seed_demo(db: Database, items: int = 500, now: datetime | None = None,
              library_root: Path | None = None) -> dict[str, int]:
    """Adds the demo library of about ``items`` movies and episodes; returns the rows added per table.

    With ``library_root``, its media files (and their subtitles) are placeholder files there.
    """
    now = now or now_utc()
    movies, episodes = items * 2 // 5, items - items * 2 // 5
    series = -(-episodes // (SEASONS * EPISODES_PER_SEASON))
    profiles_added, profile_ids = _seed_profiles(db)
    counts = {"quality_profiles": profiles_added}
    counts["movies"] = _add_absent(db, Movie, list(_movie_rows(movies, profile_ids, now)), ("tmdb_id",))
    counts["series"] = _add_absent(db, Series, list(_series_rows(series, profile_ids, now)), ("tmdb_id",))
    episode_rows = list(_episode_rows(episodes, _series_ids(db, series), now))
    counts["episodes"] = _add_absent(db, Episode, episode_rows, ("series_id", "season_number", "episode_number"))
    planned = list(_planned_movies(movies)) + list(_planned_episodes(episodes, now.date()))
    item_ids = _item_ids(db, movies, series)
    owners = ("movie_id", "episode_id")
    files = list(_file_rows(planned, item_ids, now, library_root))
    counts["media_files"] = _add_absent(db, MediaFile, files, owners, owners)
    file_ids = _file_ids(db, movies, series)
    subtitles = list(_subtitle_rows(planned, file_ids, now, library_root))
    counts["subtitle_files"] = _add_absent(db, SubtitleFile, subtitles, ("media_file_id", "language"))
    if library_root is not None:
        counts["placeholder_files"] = write_placeholders(library_root, files, subtitles)
    pending = list(_pending_rows(planned, item_ids, now))
    counts["pending_releases"] = _add_absent(db, PendingRelease, pending, (*owners, "title"), owners)
    imports = list(_import_rows(planned, file_ids, now))
    counts["import_queue"] = _add_absent(db, ImportQueueEntry, imports, ("media_file_id",))
    return counts


# --- writing ---------------------------------------------------------------------------------

def _chunks(rows: Sequence[Row]) -> Iterator[Sequence[Row]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def _add_absent(
    db: Database, model: type[Any], rows: Sequence[Row], key: Sequence[str], owners: Sequence[str] | None = None
) -> int:
    """Inserts the rows whose ``key`` matches no row yet; returns how many.

    Present keys are looked up by the ``owners`` columns (the key's first by default),
    a chunk at a time. Tables with a unique key also skip, rather than fail on, a row
    another writer added meanwhile.
    """
    added = 0
    for chunk in _chunks(rows):
        with db.write() as session:
            present = _present_keys(session, model, key, owners or key[:1], chunk)
            fresh = [row for row in chunk if tuple(row[name] for name in key) not in present]
            if fresh and _is_unique(model, key):
                insert_new(session, model, fresh, key)
            elif fresh:
                session.execute(insert(model.__table__), fresh)
            added += len(fresh)
    return added


def _present_keys(
    session: Session, model: type[Any], key: Sequence[str], owners: Sequence[str], chunk: Sequence[Row]
) -> set[tuple[Any, ...]]:
    owned = (getattr(model, name).in_({row[name] for row in chunk if row[name] is not None}) for name in owners)
    rows = session.execute(select(*(getattr(model, name) for name in key)).where(or_(*owned)))
    return {tuple(row) for row in rows}


def _is_unique(model: type[Any], key: Sequence[str]) -> bool:
    table = model.__table__
    keys = [set(unique.columns.keys()) for unique in table.constraints if isinstance(unique, UniqueConstraint)]
    keys += [{column.name} for column in table.columns if column.unique]
    return set(key) in keys


def _seed_profiles(db: Database) -> tuple[int, dict[str, int]]:
    """The two quality profiles and the wanted languages; returns profiles added and every profile's id."""
    profiles = [
        {"name": name, "cutoff_quality": cutoff, "upgrades_allowed": True, "min_upgrade_increment": 1}
        for name, _, cutoff in PROFILES
    ]
    added = _add_absent(db, QualityProfile, profiles, ("name",))
    with db.read() as session:
        ids = dict(session.execute(select(QualityProfile.name, QualityProfile.id)).all())
    ranked = [
        {"profile_id": ids[name], "quality": quality, "rank": rank}
        for name, qualities, _ in PROFILES for rank, quality in enumerate(qualities, start=1)
    ]
    _add_absent(db, ProfileQuality, ranked, ("profile_id", "quality"))
    languages = [{"language": language, "min_score": score} for language, score in LANGUAGES]
    _add_absent(db, WantedLanguage, languages, ("language",))
    return added, ids


# --- reading ids back ------------------------------------------------------------------------

def _series_ids(db: Database, count: int) -> dict[int | None, int]:  # tmdb_id is a nullable column
    with db.read() as session:
        return dict(session.execute(select(Series.tmdb_id, Series.id).where(_demo_series(count))).all())


def _demo_movies(count: int) -> ColumnElement[bool]:
    return Movie.tmdb_id.between(MOVIE_TMDB_BASE, MOVIE_TMDB_BASE + count)


def _demo_series(count: int) -> ColumnElement[bool]:
    return Series.tmdb_id.between(SERIES_TMDB_BASE, SERIES_TMDB_BASE + count)


def _item_ids(db: Database, movies: int, series: int) -> dict[Key, int]:
    """The id of every demo movie and episode, by its key."""
    with db.read() as session:
        found: dict[Key, int] = {
            (MOVIE, tmdb): id_
            for tmdb, id_ in session.execute(select(Movie.tmdb_id, Movie.id).where(_demo_movies(movies)))
        }
        rows = session.execute(
            select(Series.tmdb_id, Episode.season_number, Episode.episode_number, Episode.id)
            .join(Series, Series.id == Episode.series_id).where(_demo_series(series))
        )
        found.update({(EPISODE, tmdb, season, number): id_ for tmdb, season, number, id_ in rows})
    return found


def _file_ids(db: Database, movies: int, series: int) -> dict[Key, int]:
    """The first file of every demo item that has one, by the item's key."""
    with db.read() as session:
        movie_files = session.execute(
            select(Movie.tmdb_id, MediaFile.id).join(MediaFile, MediaFile.movie_id == Movie.id)
            .where(_demo_movies(movies)).order_by(MediaFile.id.desc())
        )
        found: dict[Key, int] = {(MOVIE, tmdb): file_id for tmdb, file_id in movie_files}
        episode_files = session.execute(
            select(Series.tmdb_id, Episode.season_number, Episode.episode_number, MediaFile.id)
            .join(Series, Series.id == Episode.series_id).join(MediaFile, MediaFile.episode_id == Episode.id)
            .where(_demo_series(series)).order_by(MediaFile.id.desc())
        )
        found.update({(EPISODE, tmdb, season, number): file_id for tmdb, season, number, file_id in episode_files})
    return found


# --- the plan --------------------------------------------------------------------------------

def _profile_of(n: int) -> str:
    return PROFILES[1][0] if n % 3 == 2 else PROFILES[0][0]


def _movie_year(n: int) -> int:
    return 1975 + (n * 37) % 50


def _planned_movies(count: int) -> Iterator[_Planned]:
    for n in range(count):
        title = f"{movie_title(n)} ({_movie_year(n)})"
        yield _Planned((MOVIE, MOVIE_TMDB_BASE + n), title, CASES[n % len(CASES)], _profile_of(n), n)


def _episode_slots(count: int) -> Iterator[tuple[int, int, int, int]]:
    """(episode index, series index, season, number) of each demo episode."""
    per_series = SEASONS * EPISODES_PER_SEASON
    for n in range(count):
        series, rest = divmod(n, per_series)
        yield n, series, rest // EPISODES_PER_SEASON + 1, rest % EPISODES_PER_SEASON + 1


def _air_date(today: date, season: int, number: int) -> date:
    # Weekly episodes; the sixth of the last season airs today, the last two are still to come.
    return today + timedelta(weeks=(season - SEASONS) * 26 + number - 6)


def _episode_case(n: int, series: int, season: int, number: int, today: date) -> str:
    aired = _air_date(today, season, number)
    if aired > today:
        return "unaired"
    if aired == today:
        return "missing"  # aired today: New Episodes searches it
    if series % 5 == 1 and season == 1:
        return "missing"  # most of a season: a season pack is searched first
    return CASES[n % len(CASES)]


def _planned_episodes(count: int, today: date) -> Iterator[_Planned]:
    for n, series, season, number in _episode_slots(count):
        key = (EPISODE, SERIES_TMDB_BASE + series, season, number)
        title = f"{series_title(series)} S{season:02d}E{number:02d}"
        yield _Planned(key, title, _episode_case(n, series, season, number, today), _profile_of(series), n)


def _movie_rows(count: int, profile_ids: dict[str, int], now: datetime) -> Iterator[Row]:
    for planned in _planned_movies(count):
        n = planned.number
        yield {
            "tmdb_id": planned.key[1], "title": movie_title(n), "year": _movie_year(n),
            "monitored": planned.case != "unmonitored", "quality_profile_id": profile_ids[planned.profile],
            "added_at": now - timedelta(days=30 + n % 400), "last_searched_at": _last_searched(planned, now),
        }


def _series_rows(count: int, profile_ids: dict[str, int], now: datetime) -> Iterator[Row]:
    for n in range(count):
        yield {
            "tmdb_id": SERIES_TMDB_BASE + n, "title": series_title(n), "monitored": n % 7 != 6,
            "quality_profile_id": profile_ids[_profile_of(n)], "added_at": now - timedelta(days=400 + n % 200),
            "last_refreshed_at": None,
        }


def _episode_rows(count: int, series_ids: dict[int | None, int], now: datetime) -> Iterator[Row]:
    today = now.date()
    for planned in _planned_episodes(count, today):
        _, series_tmdb, season, number = planned.key
        yield {
            "series_id": series_ids[series_tmdb], "season_number": season, "episode_number": number,
            "title": episode_title(series_tmdb - SERIES_TMDB_BASE, season, number),
            "air_date": _air_date(today, season, number),
            "monitored": planned.case != "unmonitored", "added_at": now - timedelta(days=400),
            "last_searched_at": _last_searched(planned, now),
        }


def _last_searched(planned: _Planned, now: datetime) -> datetime | None:
    return now - timedelta(hours=1) if planned.case == "searched_recently" else None


def _qualities(planned: _Planned) -> tuple[tuple[str, ...], str]:
    return next((qualities, cutoff) for name, qualities, cutoff in PROFILES if name == planned.profile)


def _file_quality(planned: _Planned) -> str:
    qualities, cutoff = _qualities(planned)
    if planned.case == "below_cutoff":
        return qualities[qualities.index(cutoff) - 1]
    return cutoff if planned.case == "at_cutoff" else qualities[-1]


def _owner(planned: _Planned, item_ids: dict[Key, int]) -> dict[str, int | None]:
    item_id = item_ids[planned.key]
    if planned.key[0] == MOVIE:
        return {"movie_id": item_id, "episode_id": None}
    return {"movie_id": None, "episode_id": item_id}


def _media_path(item: _Planned, root: Path | None) -> str:
    return media_path(root, item.key[0], item.title, item.key[2] if item.key[0] == EPISODE else None,
                      _file_quality(item))


def _file_rows(planned: Iterable[_Planned], item_ids: dict[Key, int], now: datetime,
               root: Path | None = None) -> Iterator[Row]:
    for item in planned:
        if not item.has_file:
            continue
        quality = _file_quality(item)
        age = timedelta(minutes=10) if item.case == "imported" else timedelta(days=20 + item.number % 300)
        yield {
            **_owner(item, item_ids), "path": _media_path(item, root), "quality": quality,
            "size_bytes": GIGABYTE + (item.number % 40) * 100_000_000, "imported_at": now - age,
            "subtitles_searched_at": None,
        }


def _subtitle_rows(planned: Iterable[_Planned], file_ids: dict[Key, int], now: datetime,
                   root: Path | None = None) -> Iterator[Row]:
    for item in planned:
        for language, score in FILE_SUBTITLES.get(item.case, {}).items():
            path = subtitle_path(_media_path(item, root), language) if root else f"/media/demo/{item.title}.{language}.srt"
            yield {
                "media_file_id": file_ids[item.key], "language": language, "score": score, "provider": "demo",
                "path": path, "downloaded_at": now - timedelta(days=10),
            }


def _pending_rows(planned: Iterable[_Planned], item_ids: dict[Key, int], now: datetime) -> Iterator[Row]:
    """Two held releases for each "pending" item (one due, one not); one no longer needed for each "imported"."""
    for item in planned:
        qualities, cutoff = _qualities(item)
        if item.case == "pending":
            yield _pending_row(item, item_ids, cutoff, 80, now - timedelta(minutes=30))
            yield _pending_row(item, item_ids, qualities[qualities.index(cutoff) - 1], 60, now + timedelta(hours=6))
        elif item.case == "imported":
            yield _pending_row(item, item_ids, qualities[-1], 90, now + timedelta(hours=3))


def _pending_row(item: _Planned, item_ids: dict[Key, int], quality: str, score: int, release_at: datetime) -> Row:
    """A release held back as the demo indexer offered it: a magnet URI, which a grab needs no network for."""
    title = release_name(item.title, quality, item.number)
    return {
        **_owner(item, item_ids), "title": title, "quality": quality, "score": score, "indexer": "Demo Indexer",
        "download_url": None, "magnet_url": magnet_uri(title), "seeders": 20 + item.number % 180,
        "added_at": release_at - timedelta(hours=12), "published_at": release_at - timedelta(hours=12),
        "release_at": release_at, "status": "pending",
    }


def info_hash(title: str) -> str:
    """A demo release's BitTorrent info hash (40 hex digits), the same for the same title."""
    return hashlib.sha1(title.encode()).hexdigest()


def magnet_uri(title: str) -> str:
    """A demo release's magnet URI: ``magnet:?xt=urn:btih:<hash>&dn=<title>``."""
    return f"magnet:?xt=urn:btih:{info_hash(title)}&dn={quote(title, safe='')}"


def _import_rows(planned: Iterable[_Planned], file_ids: dict[Key, int], now: datetime) -> Iterator[Row]:
    for item in planned:
        if item.case == "imported":
            yield {"media_file_id": file_ids[item.key], "queued_at": now - timedelta(minutes=10), "processed_at": None}
