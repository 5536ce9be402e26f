"""The TMDB client against a loopback TMDB: seasons then episodes, the key sent as TMDB takes it
(never in a message or a log line), TMDB's error JSON, a 429's rest kept, and hostile answers."""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from flask import Response

from builders import NOW, FakeClock
from fake_tmdb import V3_KEY, V4_TOKEN, Episode, FakeTmdb
from loopback import serving, silent_server
from webapp.providers import EpisodeInfo, ProviderError
from webapp.providers.tmdb import MetadataSettings, TmdbLimits, TmdbSource

SHOW = 1396
EPISODES = [
    Episode(0, 1, "Good Cop Bad Cop", date(2009, 2, 17)),
    Episode(1, 1, "Pilot", date(2008, 1, 20)), Episode(1, 2, "Cat's in the Bag...", date(2008, 1, 27)),
    Episode(2, 1, "Seven Thirty-Seven", date(2009, 3, 8)), Episode(2, 2, "Grilled", None),
]


@pytest.fixture
def tmdb() -> Iterator[tuple[FakeTmdb, str]]:
    fake = FakeTmdb({SHOW: list(EPISODES)})
    with serving(fake.app()) as url:
        yield fake, f"{url}/3"


def source(url: str, key: str = V3_KEY, clock: FakeClock | None = None, **limits: float) -> TmdbSource:
    return TmdbSource(MetadataSettings(base_url=url, api_key=key), clock=clock or FakeClock(),
                      limits=TmdbLimits(**limits))  # type: ignore[arg-type]


def ours(caplog: pytest.LogCaptureFixture) -> str:
    """Our own log lines (httpx's are silenced by the app's logging set-up, see ``webapp/logs.py``)."""
    return "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("cinephage"))


def failure(tmdb_source: TmdbSource, series: int = SHOW) -> str:
    with pytest.raises(ProviderError) as failed:
        tmdb_source.episodes(series)
    return str(failed.value)


def test_every_season_but_the_specials_is_asked_and_its_episodes_read(tmdb: tuple[FakeTmdb, str]) -> None:
    fake, url = tmdb
    assert source(url + "/").episodes(SHOW) == [
        EpisodeInfo(1, 1, "Pilot", date(2008, 1, 20)), EpisodeInfo(1, 2, "Cat's in the Bag...", date(2008, 1, 27)),
        EpisodeInfo(2, 1, "Seven Thirty-Seven", date(2009, 3, 8)), EpisodeInfo(2, 2, "Grilled", None),
    ]
    assert fake.asked[0] == f"/3/tv/{SHOW}"
    assert sorted(fake.asked[1:]) == [f"/3/tv/{SHOW}/season/1", f"/3/tv/{SHOW}/season/2"]
    assert set(fake.credentials) == {(V3_KEY, None)}  # a v3 key goes in api_key


def test_a_v4_read_access_token_goes_as_a_bearer_token_never_in_the_url(tmdb: tuple[FakeTmdb, str]) -> None:
    fake, url = tmdb
    assert len(source(url, V4_TOKEN).episodes(SHOW)) == 4
    assert set(fake.credentials) == {(None, f"Bearer {V4_TOKEN}")}


def test_the_test_action_says_which_kind_of_key_was_accepted(tmdb: tuple[FakeTmdb, str]) -> None:
    _, url = tmdb
    assert source(url).test() == f"TMDB accepted the v3 API key at {url}"
    assert source(url, V4_TOKEN).test() == f"TMDB accepted the v4 read access token at {url}"
    with pytest.raises(ProviderError, match="refused the API key"):
        source(url, "f" * 32).test()


@pytest.mark.parametrize("key", ["f" * 32, "eyJ.wrong.token"])
def test_a_refused_key_is_tmdbs_status_7_and_the_key_is_in_no_message_or_log(
    tmdb: tuple[FakeTmdb, str], caplog: pytest.LogCaptureFixture, key: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="cinephage")
    message = failure(source(tmdb[1], key))
    assert message == ("TMDB refused the API key (HTTP 401: status 7: Invalid API key: You must be granted a valid "
                       "key.); check the API key in Settings → Metadata")
    assert key not in ours(caplog) and "wrong.token" not in ours(caplog)


def test_an_unknown_series_is_tmdbs_status_34(tmdb: tuple[FakeTmdb, str]) -> None:
    message = failure(source(tmdb[1]), 999)
    assert message.startswith("TMDB has no series 999 (HTTP 404: status 34: The resource you requested could not "
                              "be found.); check the TMDB id")


def test_a_429_rests_the_source_for_its_retry_after_then_it_is_asked_again(tmdb: tuple[FakeTmdb, str]) -> None:
    fake, url = tmdb
    clock = FakeClock()
    slow_down = {"status_code": 25, "status_message": "Your request count (41) is over the allowed limit of (40).",
                 "success": False}
    fake.answer = lambda: Response(json.dumps(slow_down), 429, {"Retry-After": "30"}, mimetype="application/json")
    tmdb_source = source(url, clock=clock)
    first = failure(tmdb_source)
    assert first == ("TMDB asked to slow down (HTTP 429: status 25: Your request count (41) is over the allowed "
                     "limit of (40).); resting until 2024-06-20 10:00:30 UTC")
    fake.answer = None
    asked = len(fake.asked)
    assert failure(tmdb_source, 2) == f"TMDB is resting until 2024-06-20 10:00:30 UTC: {first}"
    assert len(fake.asked) == asked  # not asked while it rests
    clock.advance(seconds=31)
    assert len(tmdb_source.episodes(SHOW)) == 4


@pytest.mark.parametrize(("status", "body", "expected"), [
    (503, b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
     f"TMDB had a server error asking for series {SHOW} (HTTP 503); try again later"),
    (500, json.dumps({"status_code": 11, "status_message": "Internal error: Something went wrong, contact TMDb.",
                      "success": False}).encode(),
     f"TMDB had a server error asking for series {SHOW} (HTTP 500: status 11: Internal error: Something went "
     "wrong, contact TMDb.); try again later"),
    (200, b'{"id": 1396, "seasons": [', f"TMDB sent an answer for series {SHOW} that is not JSON; is the base URL "
     "TMDB's API?"),
    (200, b"[1, 2, 3]", f"TMDB sent an answer for series {SHOW} that is not a JSON object"),
    (200, b'{"id": 1396, "name": "Breaking Bad"}', f"TMDB sent an unexpected answer for series {SHOW} (no list "
     "of seasons)"),
    (200, b"\xff\xfe{}", f"TMDB sent an answer for series {SHOW} that is not JSON; is the base URL TMDB's API?"),
])
def test_a_server_error_or_a_malformed_answer_is_a_clear_error(
    tmdb: tuple[FakeTmdb, str], status: int, body: bytes, expected: str
) -> None:
    fake, url = tmdb
    fake.answer = lambda: Response(body, status, mimetype="application/json")
    assert failure(source(url)) == expected


def test_odd_entries_of_a_season_are_passed_over_and_titles_tidied(tmdb: tuple[FakeTmdb, str]) -> None:
    fake, url = tmdb
    fake.series[7] = [Episode(1, 1, "A\x00  Title\n", date(2024, 6, 1))]
    season = {"episodes": [
        {"episode_number": 1, "name": "A\x00  Title\n", "air_date": "2024-06-01"},
        {"episode_number": "2", "name": "String number"}, {"episode_number": True}, {"episode_number": -1},
        {"episode_number": 3, "name": None, "air_date": ""}, {"episode_number": 4, "name": "x" * 600,
                                                              "air_date": "2024-13-45"}, "junk",
    ]}

    def answer() -> Response | None:
        from flask import request
        return Response(json.dumps(season), mimetype="application/json") if "/season/" in request.path else None

    fake.answer = answer
    found = source(url).episodes(7)
    assert found == [EpisodeInfo(1, 1, "A Title", date(2024, 6, 1)), EpisodeInfo(1, 3, "Episode 3", None),
                     EpisodeInfo(1, 4, "x" * 500, None)]


def test_an_oversized_answer_is_refused(tmdb: tuple[FakeTmdb, str]) -> None:
    fake, url = tmdb
    fake.answer = lambda: Response(b'{"pad": "' + b"x" * 70_000 + b'"}', mimetype="application/json")
    assert failure(source(url, max_bytes=64 * 1024)) == "TMDB sent an answer larger than 64 KB; refused"


def test_a_silent_server_is_given_up_on_in_its_read_timeout() -> None:
    with silent_server() as url:
        assert failure(source(url, read_seconds=0.2, total_seconds=2)) == "TMDB did not answer within 0.2 s"


def test_an_unreachable_base_url_says_so_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cinephage")
    with silent_server() as url:
        closed = url  # the port is free again once the server is gone
    message = failure(source(closed))
    assert message.startswith("TMDB could not be reached (") and message.endswith("is the base URL right?")
    assert V3_KEY not in message and V3_KEY not in ours(caplog)


def test_a_rest_asked_for_outlasts_a_run_while_the_settings_stay(tmdb: tuple[FakeTmdb, str]) -> None:
    """The same object across runs keeps the rest (``ConfiguredProviders`` keeps it while its settings stay)."""
    fake, url = tmdb
    clock = FakeClock()
    fake.answer = lambda: Response("{}", 429, {"Retry-After": "120"}, mimetype="application/json")
    kept = source(url, clock=clock)
    failure(kept)
    fake.answer = None
    clock.advance(seconds=60)
    assert kept.resting() == f"TMDB is resting until {(NOW + timedelta(seconds=120)):%Y-%m-%d %H:%M:%S} UTC: " \
        f"TMDB asked to slow down (HTTP 429); resting until {(NOW + timedelta(seconds=120)):%Y-%m-%d %H:%M:%S} UTC"
