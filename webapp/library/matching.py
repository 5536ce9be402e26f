"""Which library item a file is: its name read by the release parser, matched to a movie or to episodes.

A movie matches by title (and year, when both say one); an episode by its series' title, season
and episode number. A name that the file does not make clear (an obfuscated ``a1b2c3.mkv``) is
read from the folders it sits in, up to the folder being imported: release folders carry the name.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Episode, MediaFile, Movie, Series, SubtitleFile
from ..releases.parse import UNKNOWN, ParsedRelease, parse_release, title_key
from ..releases.profiles import Profile
from .items import EPISODE, MOVIE, MediaItem
from .profiles import load_profiles


@dataclass(frozen=True)
class LibraryFile:
    """A media file already in the library, with the sidecar subtitles that go with it."""

    id: int
    path: str
    quality: str
    subtitles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    """The items a file holds (one movie, or one or more episodes of one series) and its parsed name."""

    items: tuple[MediaItem, ...]
    parsed: ParsedRelease
    quality: str

    @property
    def is_movie(self) -> bool:
        return self.items[0].kind == MOVIE


@dataclass
class LibraryIndex:
    """The library's movies, series, episodes and files, keyed for matching names: read once per import."""

    profiles: dict[int, Profile]
    movies: dict[str, list[MediaItem]] = field(default_factory=lambda: defaultdict(list))
    series: dict[str, list[tuple[int, str, int]]] = field(default_factory=lambda: defaultdict(list))
    episodes: dict[tuple[int, int, int], MediaItem] = field(default_factory=dict)
    files: dict[tuple[str, int], list[LibraryFile]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def load(cls, session: Session) -> LibraryIndex:
        index = cls(load_profiles(session))
        for id_, title, year, profile_id, tmdb_id in session.execute(
                select(Movie.id, Movie.title, Movie.year, Movie.quality_profile_id, Movie.tmdb_id)):
            movie = MediaItem(MOVIE, id_, title, profile_id, year=year, tmdb_id=tmdb_id)
            for key in {title_key(title), title_key(title, drop_year=True)}:
                index.movies[key].append(movie)
        names: dict[int, tuple[str, int]] = {}
        for id_, title, profile_id in session.execute(select(Series.id, Series.title, Series.quality_profile_id)):
            names[id_] = (title, profile_id)
            for key in {title_key(title), title_key(title, drop_year=True)}:
                index.series[key].append((id_, title, profile_id))
        for id_, series_id, season, number in session.execute(
                select(Episode.id, Episode.series_id, Episode.season_number, Episode.episode_number)):
            title, profile_id = names[series_id]
            index.episodes[(series_id, season, number)] = MediaItem(
                EPISODE, id_, title, profile_id, series_id=series_id, season=season, episode=number)
        index._load_files(session)
        return index

    def _load_files(self, session: Session) -> None:
        subtitles: dict[int, list[str]] = defaultdict(list)
        for file_id, path in session.execute(select(SubtitleFile.media_file_id, SubtitleFile.path)):
            if path:
                subtitles[file_id].append(path)
        for id_, movie_id, episode_id, path, quality in session.execute(
                select(MediaFile.id, MediaFile.movie_id, MediaFile.episode_id, MediaFile.path, MediaFile.quality)):
            owner = (MOVIE, movie_id) if movie_id is not None else (EPISODE, int(episode_id or 0))  # one is set
            self.files[owner].append(LibraryFile(id_, path, quality, tuple(subtitles.get(id_, ()))))

    def files_of(self, item: MediaItem) -> list[LibraryFile]:
        return self.files.get((item.kind, item.id), [])

    def rank(self, item: MediaItem, quality: str) -> int:
        profile = self.profiles.get(item.profile_id)
        return profile.rank(quality) if profile else 0

    def identify(self, path: Path, root: Path, kind: str | None = None) -> Match | str:
        """The items the file at ``path`` holds, or why none: its name first, then its folders' up to ``root``.

        ``kind`` (movie or episode) narrows the search when the download's category says it.
        """
        first_reason = ""
        quality = UNKNOWN
        for name in _names(path, root):
            parsed = parse_release(name)
            quality = quality if quality != UNKNOWN else parsed.quality
            found = self._match(parsed, kind)
            if isinstance(found, Match):
                return Match(found.items, found.parsed, quality if quality != UNKNOWN else found.quality)
            first_reason = first_reason or found
        return first_reason

    def _match(self, parsed: ParsedRelease, kind: str | None) -> Match | str:
        if parsed.seasons or parsed.episodes:
            return self._episodes(parsed) if kind != MOVIE else "an episode, in a movie download"
        return self._movie(parsed) if kind != EPISODE else "not an episode, in a TV download"

    def _movie(self, parsed: ParsedRelease) -> Match | str:
        candidates = {movie.id: movie for key in parsed.title_keys for movie in self.movies.get(key, ())}
        named = f"{parsed.title} ({parsed.year})" if parsed.year else parsed.title
        if parsed.year:
            candidates = {id_: movie for id_, movie in candidates.items() if movie.year in (None, parsed.year)}
        if not candidates:
            return f"no movie {named!r} in the library"
        if len(candidates) > 1:
            return f"{len(candidates)} movies in the library are called {named!r}: the name does not say which"
        return Match(tuple(candidates.values()), parsed, parsed.quality)

    def _episodes(self, parsed: ParsedRelease) -> Match | str:
        series = {id_: (title, profile) for key in parsed.title_keys for id_, title, profile in self.series.get(key, ())}
        if not series:
            return f"no series {parsed.title!r} in the library"
        if len(series) > 1:
            return f"{len(series)} series in the library are called {parsed.title!r}: the name does not say which"
        (series_id, (title, _)), = series.items()
        if parsed.season is None or not parsed.episodes:
            return f"{parsed.name!r} names no single episode of {title}"
        found = [self.episodes.get((series_id, parsed.season, number)) for number in parsed.episodes]
        if None in found:
            numbers = "".join(f"E{number:02d}" for number in parsed.episodes)
            return f"{title} has no episode S{parsed.season:02d}{numbers} in the library"
        return Match(tuple(item for item in found if item is not None), parsed, parsed.quality)


def _names(path: Path, root: Path) -> list[str]:
    """The file's name, then each folder's from the nearest up to ``root`` (included)."""
    names = [path.name]
    folder = path.parent
    while folder != path and (folder == root or root in folder.parents):
        names.append(folder.name)
        if folder == root:
            break
        folder = folder.parent
    return [name for name in names if name]
