"""The demo's metadata source, "Demo Metadata": a TMDB-shaped API the app serves at ``/demo/tmdb/3/``.

``seed-demo`` points the metadata setting at it with an API key of its own (its only copy is the
setting's ``apiKey``), which the real TMDB client sends as a v4 bearer token. It answers only
while the metadata setting points at it, and only to a live API key of this app (as TMDB does:
``Authorization: Bearer`` or ``api_key``), with TMDB's shapes and error JSON. For each series of
the demo library it lists the episodes the library has, and two it does not: the first episode
of a new season, aired the day before the library was seeded, and the second, a week after. So
New Episodes, in the demo, detects two episodes and searches the one that aired. As with the
demo indexer, each server points the setting at its own address when it starts.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Response, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..auth import api_keys
from ..clock import now_utc
from ..db import Database, get_db
from ..errors import AppError
from ..library.demo import SEASONS, SERIES_TMDB_BASE
from ..library.demo_names import episode_title
from ..models import Episode, Series
from ..providers.base import EpisodeInfo
from ..providers.tmdb import TMDB, MetadataSettings
from ..runtime import get_runtime
from ..services.metadata import MetadataService
from . import bp
from .common import DEFAULT_ADDRESS, demo_key, local_url

log = logging.getLogger("cinephage.demo")

DEMO_METADATA = "Demo Metadata"
TMDB_PATH = "/demo/tmdb/3"
KEY_SOURCE = "demo-metadata"  # its API key's source, as ``api-key list`` shows it
NEW_SEASON = SEASONS + 1
INVALID_KEY = {"status_code": 7, "status_message": "Invalid API key: You must be granted a valid key.",
               "success": False}
NOT_FOUND = {"success": False, "status_code": 34, "status_message": "The resource you requested could not be found."}
Answer = Response | tuple[Response, int]


def is_demo(settings: MetadataSettings) -> bool:
    """Whether the metadata setting reads this app's demo TMDB."""
    return urlsplit(settings.base_url).path.rstrip("/") == TMDB_PATH


def seed_demo_metadata(service: MetadataService, now: datetime) -> list[str]:
    """Points the metadata setting at the demo TMDB, unless another source is configured; what it did."""
    settings = service.get()
    if settings.configured and not is_demo(settings):
        return [f"{DEMO_METADATA} not set up: the metadata source is set to {settings.base_url} already"]
    if is_demo(settings) and api_keys.hash_is_live(service.db, api_keys.digest(settings.api_key)):
        return []
    renewed = is_demo(settings) and settings.configured
    changes = {"implementation": TMDB, "api_key": demo_key(service.db, DEMO_METADATA, KEY_SOURCE, now)}
    if not is_demo(settings):
        changes["base_url"] = DEFAULT_ADDRESS + TMDB_PATH
    service.update(changes, now)
    return [f"{DEMO_METADATA} given a new API key (its own was revoked)" if renewed else f"{DEMO_METADATA} set up"]


def point_metadata_at_server(service: MetadataService, address: str, now: datetime) -> None:
    """Points the demo metadata (if set) at this server's ``address``; a failure is logged, the server starts."""
    try:
        settings = service.get()
        base_url = local_url(address) + TMDB_PATH
        if is_demo(settings) and settings.base_url != base_url:
            service.update({"base_url": base_url}, now)
            log.info("%s now reads this server's demo TMDB at %s", DEMO_METADATA, base_url)
    except (AppError, SQLAlchemyError) as error:
        log.warning("%s could not be pointed at this server (%s): %s", DEMO_METADATA, address, error)




# -- the demo TMDB ----------------------------------------------------------------------------


def _tmdb(view: Callable[..., Answer]) -> Callable[..., Answer]:
    """Served only while the setting reads the demo TMDB, and only to a live API key (TMDB's status 7 if not)."""
    @wraps(view)
    def checked(**args: Any) -> Answer:
        if not is_demo(get_runtime().metadata.get()):
            return jsonify(NOT_FOUND), 404
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else request.args.get("api_key", "")
        if api_keys.verify_key(get_db(), key, now_utc()) is None:
            return jsonify(INVALID_KEY), 401
        return view(**args)
    return checked


@bp.get("/tmdb/3/authentication")
@_tmdb
def tmdb_authentication() -> Answer:
    return jsonify(success=True, status_code=1, status_message="Success.")


@bp.get("/tmdb/3/tv/<int:series_id>")
@_tmdb
def tmdb_series(series_id: int) -> Answer:
    found = _demo_series(get_db(), series_id)
    if found is None:
        return jsonify(NOT_FOUND), 404
    title, episodes = found
    seasons = sorted({episode.season for episode in episodes})
    aired = [episode.air_date for episode in episodes if episode.air_date]
    return jsonify({
        "id": series_id, "name": title, "original_name": title, "original_language": "en", "type": "Scripted",
        "status": "Returning Series", "in_production": True, "first_air_date": _day(min(aired, default=None)),
        "number_of_seasons": len(seasons), "number_of_episodes": len(episodes), "genres": [{"id": 18, "name": "Drama"}],
        "overview": f"{title}: a made-up series of the offline demo.", "poster_path": None, "backdrop_path": None,
        "seasons": [
            {"id": series_id * 100 + number, "season_number": number, "name": f"Season {number}", "overview": "",
             "episode_count": sum(1 for e in episodes if e.season == number), "poster_path": None,
             "air_date": _day(min((e.air_date for e in episodes if e.season == number and e.air_date), default=None))}
            for number in seasons
        ],
    })


@bp.get("/tmdb/3/tv/<int:series_id>/season/<int:number>")
@_tmdb
def tmdb_season(series_id: int, number: int) -> Answer:
    found = _demo_series(get_db(), series_id)
    episodes = [episode for episode in found[1] if episode.season == number] if found else []
    if not episodes:
        return jsonify(NOT_FOUND), 404
    return jsonify({
        "_id": f"demo{series_id}s{number}", "id": series_id * 100 + number, "season_number": number,
        "name": f"Season {number}", "overview": "", "poster_path": None, "air_date": _day(episodes[0].air_date),
        "episodes": [
            {"id": series_id * 10_000 + number * 100 + e.number, "show_id": series_id, "season_number": number,
             "episode_number": e.number, "name": e.title, "air_date": _day(e.air_date), "episode_type": "standard",
             "overview": "", "runtime": 45, "still_path": None, "vote_average": 0.0, "vote_count": 0,
             "crew": [], "guest_stars": []}
            for e in episodes
        ],
    })


def _demo_series(db: Database, series_id: int) -> tuple[str, list[EpisodeInfo]] | None:
    """A demo series' title and episodes: the library's, and the two of its new season; None if it is not one."""
    if series_id < SERIES_TMDB_BASE:
        return None
    with db.read() as session:
        series = session.execute(select(Series.id, Series.title).where(Series.tmdb_id == series_id)).first()
        if series is None:
            return None
        rows = session.execute(
            select(Episode.season_number, Episode.episode_number, Episode.title, Episode.air_date)
            .where(Episode.series_id == series.id, Episode.season_number > 0)
        ).all()
    listed = {(row.season_number, row.episode_number): EpisodeInfo(*row) for row in rows}
    seeded_on = _seeded_on(listed) or now_utc().date()
    n = series_id - SERIES_TMDB_BASE
    for number, aired in ((1, seeded_on - timedelta(days=1)), (2, seeded_on + timedelta(weeks=1))):
        listed.setdefault((NEW_SEASON, number), EpisodeInfo(NEW_SEASON, number, episode_title(n, NEW_SEASON, number), aired))
    return series.title, [listed[key] for key in sorted(listed)]


def _seeded_on(listed: dict[tuple[int, int], EpisodeInfo]) -> date | None:
    """The day the demo library was seeded: its last season's sixth episode aired that day (``library/demo.py``)."""
    sixth = listed.get((SEASONS, 6))
    return sixth.air_date if sixth is not None else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None
