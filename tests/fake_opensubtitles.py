"""A fake OpenSubtitles.com REST API (``/api/v1``): a Flask app answering as the real one does.

Payloads follow the documented shapes (and what the service sends besides): ``POST /login``
with ``user`` and ``token``; ``GET /subtitles`` with ``total_count``, ``data[].attributes``
(``release``, ``language``, ``moviehash_match``, ``feature_details``, ``files[].file_id``);
``POST /download`` with ``link``, ``remaining``, ``reset_time_utc``, and 406 with its JSON once
the quota is used up; 401 for a wrong key or token, 429 with ``Retry-After``. Requests are
recorded, so tests can say what was asked. ``answer`` replaces every answer, for hostile cases.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

API_KEY = "Xq3t7bQm2rT8vYk1PzW4nL6cHd9sFg0a"
USERNAME, PASSWORD = "cinephile", "s3cret-pass"
RESET = "2026-12-03T00:00:00.000Z"


@dataclass
class Subtitle:
    """One subtitle the fake offers: for a movie (``tmdb_id``) or an episode (``parent_tmdb_id``)."""

    file_id: int
    release: str
    language: str = "en"
    tmdb_id: int | None = None
    parent_tmdb_id: int | None = None
    title: str = ""
    year: int | None = None
    season: int | None = None
    episode: int | None = None
    moviehash: str | None = None
    body: bytes = b"1\n00:00:01,000 --> 00:00:04,000\nHello.\n"


@dataclass
class FakeOpenSubtitles:
    subtitles: list[Subtitle] = field(default_factory=list)
    remaining: int = 100
    reset_time_utc: str = RESET
    delay: float = 0.0
    answer: Callable[[], Response | tuple[Any, int]] | None = None
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    logins: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def app(self) -> Flask:
        app = Flask("fake_opensubtitles")

        @app.before_request
        def _record() -> Response | tuple[Any, int] | None:
            with self._lock:
                self.requests.append((request.method, request.path, dict(request.args)))
            if self.delay:
                time.sleep(self.delay)
            if self.answer is not None and not request.path.startswith("/files/"):
                return self.answer()
            if request.path.startswith("/api/v1/") and request.headers.get("Api-Key") != API_KEY:
                return jsonify(message="You cannot consume this service", status=403), 403
            if not request.headers.get("User-Agent"):
                return jsonify(message="Missing User-Agent", status=400), 400
            return None

        @app.post("/api/v1/login")
        def login() -> Any:
            body = request.get_json(silent=True) or {}
            if (body.get("username"), body.get("password")) != (USERNAME, PASSWORD):
                return jsonify(message="Invalid username/password", status=401), 401
            self.logins += 1
            token = f"eyJhbGciOiJIUzI1NiJ9.token{self.logins}"
            self.tokens.add(token)
            return jsonify(user={"allowed_translations": 1, "allowed_downloads": 20, "level": "Sub leecher",
                                 "user_id": 66, "ext_installed": False, "vip": False},
                           base_url="api.opensubtitles.com", token=token, status=200)

        @app.get("/api/v1/infos/formats")
        def formats() -> Any:
            return jsonify(data={"output_formats": ["ass", "dfxp", "mpl", "qt", "sami", "smi", "srt", "ssa", "sub",
                                                    "txt", "vtt"]})

        @app.get("/api/v1/subtitles")
        def search() -> Any:
            found = [s for s in self.subtitles if self._fits(s, request.args)]
            return jsonify(total_pages=1, total_count=len(found), per_page=60, page=1,
                           data=[self._item(s, request.args) for s in found])

        @app.post("/api/v1/download")
        def download() -> Any:
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if token and token not in self.tokens:
                return jsonify(message="token expired", status=401), 401
            if self.remaining <= 0:
                return jsonify(requests=21, remaining=-1, message=(
                    "You have downloaded your allowed 20 subtitles for 24h.Your quota will be renewed in 07 hours "
                    "and 27 minutes "), reset_time="07 hours and 27 minutes",
                    reset_time_utc=self.reset_time_utc), 406
            body = request.get_json(silent=True) or {}
            match = next((s for s in self.subtitles if s.file_id == body.get("file_id")), None)
            if match is None:
                return jsonify(message="Invalid file_id", status=400), 400
            self.remaining -= 1
            return jsonify(link=f"{request.host_url}files/{match.file_id}/{match.release}.srt",
                           file_name=f"{match.release}.srt", requests=20 - self.remaining,
                           remaining=self.remaining, message="Your quota will be renewed in 23 hours and 52 minutes",
                           reset_time="23 hours and 52 minutes", reset_time_utc=self.reset_time_utc)

        @app.get("/files/<int:file_id>/<path:name>")
        def file(file_id: int, name: str) -> Any:
            match = next(s for s in self.subtitles if s.file_id == file_id)
            return Response(match.body, mimetype="application/x-subrip")

        return app

    @staticmethod
    def _fits(subtitle: Subtitle, args: Any) -> bool:
        if args.get("languages") and subtitle.language not in args["languages"].split(","):
            return False
        if args.get("moviehash") and subtitle.moviehash == args["moviehash"]:
            return True
        if args.get("tmdb_id"):
            return str(subtitle.tmdb_id) == args["tmdb_id"]
        if args.get("parent_tmdb_id"):
            return (str(subtitle.parent_tmdb_id) == args["parent_tmdb_id"]
                    and str(subtitle.season) == args.get("season_number")
                    and str(subtitle.episode) == args.get("episode_number"))
        return bool(args.get("query")) and args["query"] in subtitle.title.lower()

    @staticmethod
    def _item(subtitle: Subtitle, args: Any) -> dict[str, Any]:
        episode = subtitle.parent_tmdb_id is not None
        details: dict[str, Any] = {
            "feature_id": 1000 + subtitle.file_id, "feature_type": "Episode" if episode else "Movie",
            "year": subtitle.year, "title": subtitle.title, "movie_name": subtitle.title, "imdb_id": 1234567,
            "tmdb_id": None if episode else subtitle.tmdb_id,
        }
        if episode:
            details.update(season_number=subtitle.season, episode_number=subtitle.episode, parent_imdb_id=7654321,
                           parent_title=subtitle.title, parent_tmdb_id=subtitle.parent_tmdb_id,
                           parent_feature_id=9000, title=f"Episode {subtitle.episode}")
        return {
            "id": str(subtitle.file_id), "type": "subtitle",
            "attributes": {
                "subtitle_id": str(subtitle.file_id), "language": subtitle.language, "download_count": 4127,
                "new_download_count": 55, "hearing_impaired": False, "hd": True, "fps": 23.976, "votes": 2,
                "ratings": 8.0, "from_trusted": True, "foreign_parts_only": False, "upload_date": "2021-05-04T14:24:09Z",
                "ai_translated": False, "machine_translated": False, "release": subtitle.release, "comments": "",
                "legacy_subtitle_id": 8757316, "uploader": {"uploader_id": 47823, "name": "scene", "rank": "trusted"},
                "feature_details": details, "url": f"https://www.opensubtitles.com/en/subtitles/legacy/{subtitle.file_id}",
                "related_links": [], "files": [{"file_id": subtitle.file_id, "cd_number": 1,
                                                "file_name": f"{subtitle.release}.srt"}],
                "moviehash_match": bool(args.get("moviehash")) and subtitle.moviehash == args.get("moviehash"),
            },
        }
