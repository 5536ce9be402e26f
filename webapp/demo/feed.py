"""What a search of the demo feed is about, and the demo releases it finds.

A Torznab client asks by id (``tmdbid``, looked up in the library), by title (``q``), or for
nothing in particular (the newest releases, for which the newest movies of the library stand).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..db import Database
from ..models import Movie, Series
from .releases import DemoQuery, DemoRelease, offers

SEARCH, TV_SEARCH, MOVIE_SEARCH = "search", "tvsearch", "movie"
FUNCTIONS = (SEARCH, TV_SEARCH, MOVIE_SEARCH)
PAGE_SIZE = 100  # what the caps announce as the most a page holds
TITLE_LENGTH = 200  # of a title searched for; the rest of a longer ``q`` is left out
RECENT_MOVIES = 3

EPISODE_CODE = re.compile(r"^(?P<title>.+?)\s+S(?P<season>\d{1,4})(?:\s*E(?P<episode>\d{1,4}))?$", re.IGNORECASE)
TRAILING_YEAR = re.compile(r"^(?P<title>.+?)\s+\(?(?P<year>(?:19|20)\d{2})\)?$")


@dataclass(frozen=True)
class FeedSearch:
    """One search request to the demo feed, its parameters read (``function`` is Torznab's ``t``)."""

    function: str
    q: str = ""
    tmdb_id: int | None = None
    season: int | None = None
    episode: int | None = None
    limit: int = PAGE_SIZE
    offset: int = 0


def search(db: Database, request: FeedSearch, now: datetime) -> list[DemoRelease]:
    """The page of demo releases the request finds."""
    found = [release for query in queries(db, request) for release in offers(query, now)]
    return found[request.offset:request.offset + request.limit]


def queries(db: Database, request: FeedSearch) -> list[DemoQuery]:
    """What the request looks for: the item its id names, or its title; the newest movies when neither."""
    if request.tmdb_id is not None and request.function != SEARCH:
        found = _by_tmdb_id(db, request)
        return [found] if found is not None else []
    title = " ".join(request.q.split())[:TITLE_LENGTH]
    if not any(char.isalnum() for char in title):
        return _recent(db) if not title else []
    if request.function == TV_SEARCH and request.season is not None:
        return [DemoQuery(title, season=request.season, episode=request.episode)]
    return [_from_text(title, tv=request.function == TV_SEARCH)]


def _by_tmdb_id(db: Database, request: FeedSearch) -> DemoQuery | None:
    with db.read() as session:
        if request.function == MOVIE_SEARCH:
            movie = session.execute(select(Movie.title, Movie.year).where(Movie.tmdb_id == request.tmdb_id)).first()
            return DemoQuery(movie.title, movie.year) if movie is not None else None
        series = session.scalar(select(Series.title).where(Series.tmdb_id == request.tmdb_id))
    if series is None:
        return None
    season = request.season or 1  # a whole series is asked for by its first season
    return DemoQuery(series, season=season, episode=request.episode if request.season else None)


def _from_text(text: str, tv: bool) -> DemoQuery:
    """``Show S01E02`` or ``Show S01``, ``Film 2019`` or ``Film``; a TV search without a code is for season 1."""
    code = EPISODE_CODE.match(text)
    if code is not None:
        episode = int(code.group("episode")) if code.group("episode") else None
        return DemoQuery(code.group("title"), season=int(code.group("season")), episode=episode)
    if tv:
        return DemoQuery(text, season=1)
    year = TRAILING_YEAR.match(text)
    return DemoQuery(year.group("title"), int(year.group("year"))) if year is not None else DemoQuery(text)


def _recent(db: Database) -> list[DemoQuery]:
    with db.read() as session:
        newest = session.execute(
            select(Movie.title, Movie.year).order_by(Movie.added_at.desc(), Movie.id.desc()).limit(RECENT_MOVIES)
        ).all()
    return [DemoQuery(title, year) for title, year in newest]
