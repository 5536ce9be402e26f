"""The demo's subtitle source, "Demo Subtitles": an OpenSubtitles-shaped REST API the app serves at
``/demo/opensubtitles/api/v1/``, read by the real OpenSubtitles client.

``seed-demo`` adds the provider with an API key of this app of its own (its only copy is the
provider's ``apiKey``, sent as OpenSubtitles' ``Api-Key`` header) and makes sure English is a
wanted language. The API answers only while the demo provider exists, and only to a live API
key. A search by TMDB id (a movie's, or a series' with season and episode) or by title finds
the demo library's item and offers two English (or asked-for language) subtitles: one named
after the item's media file, one after another release. A download answers a link signed with
the app's secret (OpenSubtitles' links are temporary URLs on another host, fetched without the
key), and the link a small real ``.srt`` naming the item. As with the demo indexer, each server
points the provider at its own address when it starts.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime, time, timedelta, timezone
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, jsonify, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ..auth import api_keys, csrf
from ..clock import now_utc
from ..db import Database, get_db
from ..errors import AppError
from ..models import Episode, MediaFile, Movie, Series
from ..providers.subtitles.languages import is_iso_639_1
from ..providers.subtitles.settings import OPENSUBTITLES, SubtitleProviderSettings
from ..runtime import get_runtime
from ..services.provider_checks import name_key
from ..services.subtitle_providers import SubtitleProviderService
from . import bp
from .common import DEFAULT_ADDRESS, DEMO_PRIORITY, demo_key, local_url

log = logging.getLogger("cinephage.demo")

DEMO_SUBTITLES = "Demo Subtitles"
API_PATH = "/demo/opensubtitles/api/v1"
KEY_SOURCE = "demo-subtitles"
MOVIE, EPISODE = 0, 1
QUOTA = 1000  # downloads a day, as the demo says: never used up
Answer = Response | tuple[Response, int]


def demo_provider(service: SubtitleProviderService) -> SubtitleProviderSettings | None:
    """The demo subtitle provider: the one of that name that reads this app's demo API."""
    for provider in service.providers():
        settings = provider.settings
        if name_key(settings.name) == name_key(DEMO_SUBTITLES) and urlsplit(settings.base_url).path == API_PATH:
            return settings
    return None


def seed_demo_subtitles(service: SubtitleProviderService, now: datetime) -> list[str]:
    """Adds the demo subtitle provider (or a live key for it) and the wanted language ``en``; what it did."""
    done: list[str] = []
    if "en" not in service.languages():
        service.set_languages([*service.languages(), "en"])
        done.append("English made a wanted subtitle language")
    provider = demo_provider(service)
    if provider is not None and provider.id is not None:
        if not api_keys.hash_is_live(service.db, api_keys.digest(provider.api_key)):
            service.update(provider.id, {"api_key": demo_key(service.db, DEMO_SUBTITLES, KEY_SOURCE, now)}, now)
            done.append(f"{DEMO_SUBTITLES} given a new API key (its own was revoked)")
        return done
    settings = SubtitleProviderSettings(DEMO_SUBTITLES, OPENSUBTITLES, base_url=DEFAULT_ADDRESS + API_PATH,
                                        api_key=demo_key(service.db, DEMO_SUBTITLES, KEY_SOURCE, now), priority=DEMO_PRIORITY)
    service.create(settings, now)
    return [*done, f"{DEMO_SUBTITLES} added"]


def point_subtitles_at_server(service: SubtitleProviderService, address: str, now: datetime) -> None:
    """Points the demo subtitle provider (if any) at this server; a failure is logged, the server starts."""
    try:
        provider = demo_provider(service)
        base_url = local_url(address) + API_PATH
        if provider is not None and provider.id is not None and provider.base_url != base_url:
            service.update(provider.id, {"base_url": base_url}, now)
            log.info("%s now reads this server's demo API at %s", DEMO_SUBTITLES, base_url)
    except (AppError, SQLAlchemyError) as error:
        log.warning("%s could not be pointed at this server (%s): %s", DEMO_SUBTITLES, address, error)




# -- the demo API -------------------------------------------------------------------------------


def _served(view: Callable[..., Answer]) -> Callable[..., Answer]:
    """Only while the demo provider exists; only to a live API key in ``Api-Key`` (OpenSubtitles' 403 if not)."""
    @wraps(view)
    def checked(**args: Any) -> Answer:
        if demo_provider(get_runtime().subtitles) is None:
            return _error(404, "Not found: no demo subtitle provider", "NOT_FOUND")
        if api_keys.verify_key(get_db(), request.headers.get("Api-Key", ""), now_utc()) is None:
            return _error(403, "You cannot consume this service (a live API key of this app is needed in Api-Key)",
                          "AUTH_REQUIRED")
        return view(**args)
    return checked


@bp.get(f"{API_PATH.removeprefix('/demo')}/infos/formats")
@_served
def subtitles_formats() -> Answer:
    return jsonify(data={"output_formats": ["srt"]})


@bp.get(f"{API_PATH.removeprefix('/demo')}/subtitles")
@_served
def subtitles_search() -> Answer:
    language = request.args.get("languages", "en").split(",")[0]
    if not is_iso_639_1(language):
        return _error(400, f"Invalid language {language[:10]!r}", "INVALID_FIELD")
    found = _item(get_db(), request.args)
    items = [] if found is None else [_result(found, variant, language) for variant in (0, 1)]
    return jsonify(total_pages=1, total_count=len(items), per_page=60, page=1, data=items)


@bp.post(f"{API_PATH.removeprefix('/demo')}/download")
@_served
def subtitles_download() -> Answer:
    body = request.get_json(silent=True)
    file_id = body.get("file_id") if isinstance(body, dict) else None
    if type(file_id) is not int or file_id < 0:
        return _error(400, "Invalid file_id", "INVALID_FIELD")
    token = _signer().dumps(file_id)
    tomorrow = datetime.combine(now_utc().date() + timedelta(days=1), time(), timezone.utc)
    return jsonify(link=url_for("demo.subtitles_file", token=token, _external=True), file_name=f"{file_id}.srt",
                   requests=1, remaining=QUOTA - 1, message="Demo quota: never used up",
                   reset_time="24 hours", reset_time_utc=tomorrow.strftime("%Y-%m-%dT%H:%M:%S.000Z"))


@bp.get("/opensubtitles/files/<token>.srt")
def subtitles_file(token: str) -> Answer:
    """The subtitle behind a download link: the link's signature is its credential, as a temporary URL's is."""
    try:
        file_id = int(_signer().loads(token))
    except (BadSignature, ValueError):
        return Response("Not found", 404, mimetype="text/plain")
    title = _title_of(get_db(), file_id)
    if title is None:
        return Response("Not found", 404, mimetype="text/plain")
    text = (f"1\n00:00:01,000 --> 00:00:04,000\n{title}\n\n"
            f"2\n00:00:05,000 --> 00:00:09,000\n(Demo subtitle, made by Cinephage for the offline demo)\n")
    return Response(text.encode(), mimetype="application/x-subrip")


for _view in (subtitles_download,):
    csrf.exempt(_view)  # an API called with its key, as /api is


def _error(status: int, message: str, code: str) -> tuple[Response, int]:
    """OpenSubtitles' error JSON (``message``, ``status``), in the app's error shape too."""
    return jsonify(success=False, error=message, code=code, message=message, status=status), status


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt="demo-subtitles")


def _item(db: Database, args: Any) -> tuple[int, int, str, str | None] | None:
    """(kind, id, title for people, media file path) of the library item the search names."""
    with db.read() as session:
        if args.get("parent_tmdb_id") or (args.get("query") and args.get("episode_number")):
            series = Series.tmdb_id == _int(args.get("parent_tmdb_id")) if args.get("parent_tmdb_id") else (
                func.lower(Series.title) == args["query"].lower())
            row = session.execute(
                select(Episode.id, Series.title, Episode.season_number, Episode.episode_number, MediaFile.path)
                .join(Series, Series.id == Episode.series_id).outerjoin(MediaFile, MediaFile.episode_id == Episode.id)
                .where(series, Episode.season_number == _int(args.get("season_number")),
                       Episode.episode_number == _int(args.get("episode_number"))).limit(1)).first()
            return None if row is None else (EPISODE, row[0], f"{row[1]} S{row[2]:02d}E{row[3]:02d}", row[4])
        movie = Movie.tmdb_id == _int(args.get("tmdb_id")) if args.get("tmdb_id") else (
            func.lower(Movie.title) == str(args.get("query", "")).lower())
        found = session.execute(select(Movie.id, Movie.title, Movie.year, MediaFile.path)
                                .outerjoin(MediaFile, MediaFile.movie_id == Movie.id).where(movie).limit(1)).first()
        return None if found is None else (MOVIE, found[0], f"{found[1]} ({found[2]})", found[3])


def _result(found: tuple[int, int, str, str | None], variant: int, language: str) -> dict[str, Any]:
    kind, item_id, title, path = found
    file_id = (item_id * 2 + kind) * 2 + variant
    own = os.path.splitext(os.path.basename(path))[0] if path else title
    release = own if variant == 0 else f"{title.replace(' ', '.')}.720p.HDTV.x264-DEMO"
    return {
        "id": str(file_id), "type": "subtitle",
        "attributes": {
            "subtitle_id": str(file_id), "language": language, "download_count": 100 - variant * 40,
            "hearing_impaired": False, "hd": True, "fps": 23.976, "from_trusted": True, "ai_translated": False,
            "machine_translated": False, "release": release, "comments": "Made for the offline demo",
            "feature_details": {"title": title}, "moviehash_match": False,
            "files": [{"file_id": file_id, "cd_number": 1, "file_name": f"{release}.srt"}],
        },
    }


def _title_of(db: Database, file_id: int) -> str | None:
    item_id, kind = divmod(file_id // 2, 2)
    with db.read() as session:
        if kind == EPISODE:
            row = session.execute(select(Series.title, Episode.season_number, Episode.episode_number)
                                  .join(Series, Series.id == Episode.series_id).where(Episode.id == item_id)).first()
            return None if row is None else f"{row[0]} S{row[1]:02d}E{row[2]:02d}"
        movie = session.execute(select(Movie.title, Movie.year).where(Movie.id == item_id)).first()
        return None if movie is None else f"{movie[0]} ({movie[1]})"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
