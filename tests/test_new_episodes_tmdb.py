"""New Episodes for real: TMDB over loopback HTTP (set through the metadata service), a Torznab indexer,
a blackhole folder; new episodes recorded, the aired one grabbed, and what TMDB's failures leave behind."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Response
from sqlalchemy import select

from builders import NOW, TODAY, Library, activity, column, complete, start
from fake_newznab import API_KEY, FakeIndexer, fake_app
from fake_tmdb import V3_KEY, Episode, FakeTmdb
from loopback import serving
from webapp.engine.context import RunContext
from webapp.models import Episode as EpisodeRow
from webapp.models import Series
from webapp.providers.settings import ClientSettings, IndexerSettings
from webapp.runtime import Runtime

TORRENT = (b"d8:announce31:http://tracker.example/announce4:infod6:lengthi1e4:name4:file"
           b"12:piece lengthi16384e6:pieces20:" + bytes(20) + b"ee")
GRABBED = "Show.Name.S01E02.720p.HDTV.x264-GRP"  # the fake Prowlarr's TV release
SHOW = 1396


@dataclass
class Setup:
    runtime: Runtime
    tmdb: FakeTmdb
    indexer: FakeIndexer
    folder: Path
    show: int


@pytest.fixture
def setup(runtime: Runtime, tmp_path: Path) -> Iterator[Setup]:
    """"Show Name" (TMDB 1396) has S01E01; TMDB knows S01E02 (aired yesterday) and S01E03 (next week) too."""
    lib = Library(runtime.db)
    profile = lib.profile()
    show = lib.series("Show Name", profile, tmdb_id=SHOW)
    lib.file("WEBDL-1080p", episode=lib.episode(show, 1, 1, TODAY - timedelta(days=60)))
    lib.series("Home Videos", profile)  # no TMDB id
    tmdb = FakeTmdb({SHOW: [
        Episode(0, 1, "Behind the Scenes", TODAY - timedelta(days=3)),
        Episode(1, 1, "Pilot", TODAY - timedelta(days=60)), Episode(1, 2, "Second", TODAY - timedelta(days=1)),
        Episode(1, 3, "Third", TODAY + timedelta(days=6)),
    ]})
    indexer = FakeIndexer("prowlarr")
    feeds = fake_app({"prowlarr": indexer})
    feeds.add_url_rule("/12/download", "download",
                       lambda: Response(TORRENT, content_type="application/x-bittorrent"))
    folder = tmp_path / "torrents"
    folder.mkdir()
    with serving(tmdb.app()) as tmdb_url, serving(feeds) as feed_url:
        runtime.metadata.update({"base_url": f"{tmdb_url}/3", "api_key": V3_KEY}, NOW)
        runtime.providers.create_indexer(IndexerSettings("Prowlarr", "torznab", f"{feed_url}/prowlarr/", API_KEY), NOW)
        runtime.providers.create_client(ClientSettings("Blackhole", "blackhole", torrent_folder=str(folder)), NOW)
        yield Setup(runtime, tmdb, indexer, folder, show)


def run_new_episodes(runtime: Runtime, minutes_later: int = 0) -> RunContext:
    """A New Episodes run as the app registered it: the providers built from the stored settings."""
    ctx = start(runtime.db, "task_new_episodes", force=True, now=NOW + timedelta(minutes=minutes_later))
    return complete(ctx, runtime.registry)


def episodes(setup: Setup) -> list[tuple[int, int, str, object, bool]]:
    with setup.runtime.db.read() as session:
        rows = session.execute(select(
            EpisodeRow.season_number, EpisodeRow.episode_number, EpisodeRow.title, EpisodeRow.air_date,
            EpisodeRow.monitored,
        ).where(EpisodeRow.series_id == setup.show).order_by(EpisodeRow.season_number, EpisodeRow.episode_number))
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_new_episodes_are_recorded_and_the_aired_one_grabbed(setup: Setup) -> None:
    ctx = run_new_episodes(setup.runtime)
    rows = activity(ctx)
    assert rows[:2] == [
        ("Show Name", "detect", "success", "Found 2 new episodes: S01E02, S01E03"),
        ("Home Videos", "detect", "skipped", "No TMDB id: TMDB cannot be asked for this series' episodes"),
    ]
    (title, action, status, message), = rows[2:]
    assert (title, action, status) == ("Show Name S01E02", "grab", "grabbed")
    assert message is not None and message.startswith(f"Grabbed {GRABBED} (HDTV-720p, 7 seeders) from Prowlarr → Blackhole")
    assert (setup.folder / f"{GRABBED}.torrent").read_bytes() == TORRENT
    assert episodes(setup) == [
        (1, 1, "E1", TODAY - timedelta(days=60), True), (1, 2, "Second", TODAY - timedelta(days=1), True),
        (1, 3, "Third", TODAY + timedelta(days=6), True),  # announced: recorded, not searched yet
    ]
    search = setup.indexer.searches[-1]
    assert (search["t"], search["season"], search["ep"]) == ("tvsearch", "1", "2")
    assert column(setup.runtime.db, Series.last_refreshed_at, setup.show) == NOW
    assert (ctx.processed, ctx.affected) == (3, 2)
    assert all(V3_KEY not in (row[3] or "") for row in rows)


def test_a_moved_air_date_is_taken_and_said(setup: Setup) -> None:
    run_new_episodes(setup.runtime)
    setup.tmdb.series[SHOW][3] = Episode(1, 3, "Third", TODAY + timedelta(days=13))  # postponed a week
    ctx = run_new_episodes(setup.runtime, minutes_later=60)
    assert activity(ctx)[0] == ("Show Name", "detect", "success", "No new episodes; new air date for S01E03")
    assert episodes(setup)[2][3] == TODAY + timedelta(days=13)


def test_a_refused_key_fails_each_series_with_a_message_to_act_on_and_the_run_goes_on(setup: Setup) -> None:
    setup.runtime.metadata.update({"api_key": "f" * 32}, NOW)
    ctx = run_new_episodes(setup.runtime)
    assert activity(ctx)[:2] == [
        ("Show Name", "detect", "failed", "TMDB refused the API key (HTTP 401: status 7: Invalid API key: You must "
                                          "be granted a valid key.); check the API key in Settings → Metadata"),
        ("Home Videos", "detect", "skipped", "No TMDB id: TMDB cannot be asked for this series' episodes"),
    ]
    assert len(episodes(setup)) == 1 and column(setup.runtime.db, Series.last_refreshed_at, setup.show) is None


def test_a_429_rests_tmdb_across_runs_while_its_settings_stay(setup: Setup) -> None:
    """The run's providers are built afresh from the settings, but the TMDB object is kept: its rest too."""
    setup.tmdb.answer = lambda: Response(json.dumps({"status_code": 25, "status_message": "Too many requests."}),
                                         429, {"Retry-After": "3600"}, mimetype="application/json")
    first = activity(run_new_episodes(setup.runtime))[0]
    assert first[2] == "failed" and first[3] is not None and "asked to slow down" in first[3]
    setup.tmdb.answer = None
    asked = len(setup.tmdb.asked)
    second = activity(run_new_episodes(setup.runtime, minutes_later=15))[0]
    assert second[2] == "failed" and second[3] is not None and second[3].startswith("TMDB is resting until ")
    assert len(setup.tmdb.asked) == asked
    setup.runtime.metadata.update({"base_url": setup.runtime.metadata.get().base_url + "/"}, NOW)  # changed: a new one
    third = activity(run_new_episodes(setup.runtime, minutes_later=30))[0]
    assert third[:3] == ("Show Name", "detect", "success")


def test_without_a_key_no_metadata_source_is_built(setup: Setup) -> None:
    setup.runtime.metadata.update({"api_key": ""}, NOW)
    assert activity(run_new_episodes(setup.runtime))[0] == ("Show Name", "detect", "skipped",
                                                            "No metadata source configured")
    assert setup.tmdb.asked == []


def test_tmdb_is_asked_with_the_key_only_where_tmdb_takes_it(setup: Setup) -> None:
    run_new_episodes(setup.runtime)
    assert setup.tmdb.asked[0] == f"/3/tv/{SHOW}" and set(setup.tmdb.credentials) == {(V3_KEY, None)}
    assert f"/3/tv/{SHOW}/season/0" not in setup.tmdb.asked  # specials are not asked for
    assert all(request_path.startswith("/3/tv/") for request_path in setup.tmdb.asked)


