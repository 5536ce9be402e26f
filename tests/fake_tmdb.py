"""A fake TMDB API v3: a Flask app answering ``/3/tv/{id}``, ``/3/tv/{id}/season/{n}`` and
``/3/authentication`` with the shapes TMDB sends (every field a real answer carries, crew and
guest stars included), its error JSON (status 7 for a bad key, 34 for an unknown id, 25 for a
429), and a v3 key in ``api_key`` or a v4 token as ``Authorization: Bearer``.
``FakeTmdb.answer`` replaces every answer, for the hostile cases.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Flask, Response, jsonify, request

V3_KEY = "0123456789abcdef0123456789abcdef"
V4_TOKEN = ("eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiIwMTIzNDU2Nzg5YWJjZGVmIiwic3ViIjoiNjU0MzIxIiwic2NvcGVzIjpbImFwaV9y"
            "ZWFkIl0sInZlcnNpb24iOjF9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg")
INVALID_KEY = {"status_code": 7, "status_message": "Invalid API key: You must be granted a valid key.",
               "success": False}
NOT_FOUND = {"success": False, "status_code": 34, "status_message": "The resource you requested could not be found."}


@dataclass(frozen=True)
class Episode:
    season: int
    number: int
    name: str
    air_date: date | None


@dataclass
class FakeTmdb:
    """Series by TMDB id, each a list of episodes; what was asked, in order."""

    series: dict[int, list[Episode]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    credentials: list[tuple[str | None, str | None]] = field(default_factory=list)  # (api_key, Authorization)
    answer: Callable[[], Response | None] | None = None  # replaces every answer when it returns one
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Flask:
        app = Flask("fake_tmdb")
        app.add_url_rule("/3/authentication", "authentication", self._authentication)
        app.add_url_rule("/3/tv/<int:series_id>", "show", self._show)
        app.add_url_rule("/3/tv/<int:series_id>/season/<int:number>", "season", self._season)
        app.before_request(self._note_and_check)
        return app

    def _note_and_check(self) -> Response | tuple[Response, int] | None:
        with self.lock:
            self.asked.append(request.path)
            self.credentials.append((request.args.get("api_key"), request.headers.get("Authorization")))
        if self.answer is not None:
            replaced = self.answer()
            if replaced is not None:
                return replaced
        if request.args.get("api_key") != V3_KEY and request.headers.get("Authorization") != f"Bearer {V4_TOKEN}":
            return jsonify(INVALID_KEY), 401
        return None

    def _authentication(self) -> Response:
        return jsonify(success=True, status_code=1, status_message="Success.")

    def _show(self, series_id: int) -> Response | tuple[Response, int]:
        if series_id not in self.series:
            return jsonify(NOT_FOUND), 404
        return jsonify(show_payload(series_id, self.series[series_id]))

    def _season(self, series_id: int, number: int) -> Response | tuple[Response, int]:
        episodes = [e for e in self.series.get(series_id, []) if e.season == number]
        if not episodes:
            return jsonify(NOT_FOUND), 404
        return jsonify(season_payload(series_id, number, episodes))


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def show_payload(series_id: int, episodes: list[Episode]) -> dict[str, Any]:
    """``/tv/{id}`` as TMDB answers it (Breaking Bad's shape), its seasons from ``episodes``."""
    numbers = sorted({e.season for e in episodes})
    return {
        "adult": False, "backdrop_path": "/tsRy63Mu5cu8etL1X7ZLyf7UP1M.jpg",
        "created_by": [{"id": 66633, "credit_id": "52542286760ee31328001a7b", "name": "Vince Gilligan",
                        "original_name": "Vince Gilligan", "gender": 2, "profile_path": "/z3E0DhBg1V1PZVEtS9vfFPzOWYB.jpg"}],
        "episode_run_time": [45], "first_air_date": _day(min((e.air_date for e in episodes if e.air_date), default=None)),
        "genres": [{"id": 18, "name": "Drama"}, {"id": 80, "name": "Crime"}], "homepage": "https://www.amc.com/",
        "id": series_id, "in_production": True, "languages": ["en"], "last_air_date": "2024-06-19",
        "last_episode_to_air": None, "name": "Show Name", "next_episode_to_air": None,
        "networks": [{"id": 174, "logo_path": "/alqLicR1ZMHMaZGP3xRQxn9sq7p.png", "name": "AMC", "origin_country": "US"}],
        "number_of_episodes": len(episodes), "number_of_seasons": len([n for n in numbers if n > 0]),
        "origin_country": ["US"], "original_language": "en", "original_name": "Show Name",
        "overview": "A chemistry teacher diagnosed with inoperable lung cancer turns to manufacturing and selling "
                    "methamphetamine with a former student in order to secure his family's future.",
        "popularity": 288.474, "poster_path": "/ztkUQFLlC19CCMYHW9o1zWhJRNq.jpg", "production_companies": [],
        "production_countries": [{"iso_3166_1": "US", "name": "United States of America"}],
        "seasons": [
            {"air_date": _day(min((e.air_date for e in episodes if e.season == n and e.air_date), default=None)),
             "episode_count": len([e for e in episodes if e.season == n]), "id": 3572 + n,
             "name": "Specials" if n == 0 else f"Season {n}", "overview": "", "poster_path": None,
             "season_number": n, "vote_average": 8.2}
            for n in numbers
        ],
        "spoken_languages": [{"english_name": "English", "iso_639_1": "en", "name": "English"}],
        "status": "Returning Series", "tagline": "Change the equation.", "type": "Scripted",
        "vote_average": 8.9, "vote_count": 13924,
    }


def season_payload(series_id: int, number: int, episodes: list[Episode]) -> dict[str, Any]:
    """``/tv/{id}/season/{n}`` as TMDB answers it."""
    return {
        "_id": "5256c89f19c2956ff6046d47", "air_date": _day(episodes[0].air_date), "name": f"Season {number}",
        "overview": "", "id": 3572 + number, "poster_path": "/1BP4xYv9ZG4ZVHkL7ocOziBbSYH.jpg",
        "season_number": number, "vote_average": 8.3,
        "episodes": [
            {"air_date": _day(e.air_date), "episode_number": e.number, "episode_type": "standard",
             "id": 62085 + e.number, "name": e.name, "overview": "Walter White, a struggling chemistry teacher...",
             "production_code": "", "runtime": 58, "season_number": number, "show_id": series_id,
             "still_path": "/ydlY3iPfeOAvu8gVqrxPoMvzNCn.jpg", "vote_average": 8.1, "vote_count": 187,
             "crew": [{"job": "Director", "department": "Directing", "credit_id": "52542275760ee313280006ce",
                       "adult": False, "gender": 2, "id": 66633, "known_for_department": "Writing",
                       "name": "Vince Gilligan", "original_name": "Vince Gilligan", "popularity": 5.1,
                       "profile_path": None}],
             "guest_stars": [{"character": "Jack Welker", "credit_id": "5254226c760ee31328000d44", "order": 500,
                              "adult": False, "gender": 2, "id": 92495, "known_for_department": "Acting",
                              "name": "John Doe", "original_name": "John Doe", "popularity": 3.2,
                              "profile_path": None}]}
            for e in episodes
        ],
    }
