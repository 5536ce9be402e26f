"""The offline demo's metadata: the app's own TMDB-shaped API (answering only while the setting points at
it, only to a live key), ``seed-demo`` setting it up, and New Episodes detecting and grabbing through it."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from builders import NOW, TODAY, activity, finish, start
from servers import API_KEY
from webapp.auth import api_keys
from webapp.demo.metadata import TMDB_PATH, point_metadata_at_server, seed_demo_metadata
from webapp.demo.providers import demo_indexer, seed_demo_providers
from webapp.demo.releases import DemoQuery, scarce
from webapp.library import seed_demo
from webapp.library.demo import SERIES_TMDB_BASE
from webapp.library.demo_names import series_title
from webapp.providers import EpisodeInfo, ProviderError, ProviderSet
from webapp.providers.clients import build_client
from webapp.providers.newznab import IndexerLimits, NewznabIndexer
from webapp.providers.settings import MemoryHealth
from webapp.providers.tmdb import TmdbSource
from webapp.runtime import Runtime

FIRST = SERIES_TMDB_BASE  # the demo's first series
SERIES = 4  # in the demo library of the end-to-end test


@dataclass
class Demo:
    runtime: Runtime
    client: FlaskClient
    http: httpx.Client  # our provider clients' HTTP, answered by the app in this process

    def tmdb(self) -> TmdbSource:
        return TmdbSource(self.runtime.metadata.get(), self.http)


@pytest.fixture
def demo(app: Flask, runtime: Runtime, client: FlaskClient, tmp_path: Path) -> Iterator[Demo]:
    """A small demo library (one series) with the demo providers, as ``seed-demo`` leaves them."""
    seed_demo(runtime.db, 40, NOW)
    seed_demo_providers(runtime.providers, tmp_path / "data", NOW)
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://127.0.0.1:3000") as http:
        yield Demo(runtime, client, http)


def test_seed_demo_sets_the_demo_tmdb_with_a_key_of_its_own_once(demo: Demo) -> None:
    settings = demo.runtime.metadata.get()
    assert settings.base_url == f"http://127.0.0.1:3000{TMDB_PATH}" and settings.api_key.startswith("cinephage_")
    assert api_keys.hash_is_live(demo.runtime.db, api_keys.digest(settings.api_key))
    assert seed_demo_metadata(demo.runtime.metadata, NOW) == []  # idempotent
    api_keys.revoke_key(demo.runtime.db, settings.api_key[:18], NOW)
    assert seed_demo_metadata(demo.runtime.metadata, NOW) == ["Demo Metadata given a new API key (its own was revoked)"]
    assert demo.runtime.metadata.get().api_key != settings.api_key


def test_seed_demo_leaves_an_owners_own_tmdb_alone(runtime: Runtime) -> None:
    runtime.metadata.update({"api_key": "0123456789abcdef0123456789abcdef"}, NOW)
    done = seed_demo_metadata(runtime.metadata, NOW)
    assert done == ["Demo Metadata not set up: the metadata source is set to https://api.themoviedb.org/3 already"]
    assert runtime.metadata.get().api_key == "0123456789abcdef0123456789abcdef"


def test_each_server_points_the_demo_metadata_at_itself(demo: Demo) -> None:
    point_metadata_at_server(demo.runtime.metadata, "http://0.0.0.0:8123", NOW)
    assert demo.runtime.metadata.get().base_url == f"http://127.0.0.1:8123{TMDB_PATH}"


def test_a_demo_series_lists_its_episodes_and_two_of_a_new_season(demo: Demo) -> None:
    found = demo.tmdb().episodes(FIRST)
    assert len(found) == 26 and found[:1] == [EpisodeInfo(1, 1, "Pilot", found[0].air_date)]
    new_season = [episode for episode in found if episode.season == 4]
    assert [(e.number, e.air_date) for e in new_season] == [(1, TODAY - timedelta(days=1)), (2, TODAY + timedelta(weeks=1))]
    assert demo.tmdb().test() == f"TMDB accepted the v4 read access token at http://127.0.0.1:3000{TMDB_PATH}"


def test_the_demo_tmdb_takes_only_a_live_key_and_answers_as_tmdb_does(demo: Demo) -> None:
    for path in ("/authentication", f"/tv/{FIRST}", f"/tv/{FIRST}/season/1"):
        url = f"{TMDB_PATH}{path}"
        for headers, query in (({}, {}), ({"Authorization": "Bearer cinephage_" + "f" * 64}, {}),
                               ({}, {"api_key": "x"})):
            refused = demo.client.get(url, headers=headers, query_string=query)
            assert refused.status_code == 401 and refused.get_json()["status_code"] == 7  # JSON, no login redirect
        assert demo.client.get(url, headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 200
        assert demo.client.get(url, query_string={"api_key": API_KEY}).status_code == 200


def test_an_unknown_series_is_tmdbs_404_and_without_the_demo_setting_nothing_is_served(demo: Demo) -> None:
    with pytest.raises(ProviderError, match=r"has no series 123 \(HTTP 404: status 34"):
        demo.tmdb().episodes(123)
    demo.runtime.metadata.update({"base_url": "https://api.themoviedb.org/3"}, NOW)
    response = demo.client.get(f"{TMDB_PATH}/authentication", headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 404 and response.get_json()["status_code"] == 34


def test_new_episodes_in_the_demo_detects_the_new_season_and_grabs_what_aired(demo: Demo) -> None:
    seed_demo(demo.runtime.db, 160, NOW)  # four series
    indexer = demo_indexer(demo.runtime.providers)
    assert indexer is not None
    client = build_client(demo.runtime.providers.clients()[0])
    feed = NewznabIndexer(indexer, MemoryHealth(), demo.http, limits=IndexerLimits(spacing_seconds=0))  # no need to spare it
    providers = ProviderSet(indexers=[feed], download_clients=[client],
                            metadata=demo.tmdb())
    ctx = finish(start(demo.runtime.db, "task_new_episodes", now=NOW + timedelta(minutes=5)), providers)
    rows = activity(ctx)
    detected = [row for row in rows if row[1] == "detect"]
    assert detected == [(series_title(n), "detect", "success", "Found 2 new episodes: S04E01, S04E02") for n in range(SERIES)]
    outcomes = {row[0]: row[2] for row in rows if row[1] != "detect"}
    for n in range(SERIES):  # yesterday's episode searched; grabbed unless the demo feed has nothing good for it
        wanted = "no_results" if scarce(DemoQuery(series_title(n), season=4, episode=1)) else "grabbed"
        assert outcomes[f"{series_title(n)} S04E01"] == wanted
    assert outcomes[f"{series_title(3)} S04E01"] == "grabbed"  # the one the demo feed has good releases for
    assert not any("S04E02" in (row[0] or "") for row in rows if row[1] != "detect")  # next week's: not searched
    again = finish(start(demo.runtime.db, "task_new_episodes", now=NOW + timedelta(hours=1)), providers)
    assert [row[2:] for row in activity(again) if row[1] == "detect"] == [("no_results", "No new episodes")] * SERIES
