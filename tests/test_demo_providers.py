"""The offline demo: the app's own Torznab feed for the demo indexer, ``seed-demo``'s providers,
and a served demo whose whole loop runs: search, decide, grab, finished download, import,
subtitles, and the Demo inbox told."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from builders import HD, NOW
from servers import API_KEY, Harness, Server, cli, server_env, wait_until
from webapp.auth import api_keys
from webapp.db import Database
from webapp.demo.common import local_url
from webapp.demo.providers import (
    DEMO_CLIENT, DEMO_INDEXER, demo_indexer, point_at_server, seed_demo_providers,
)
from webapp.demo.releases import DemoQuery, offers, scarce
from webapp.library import seed_demo
from webapp.library.demo import MOVIE_TMDB_BASE, SERIES_TMDB_BASE, info_hash, magnet_uri
from webapp.releases.profiles import Profile
from webapp.models import ApiKey, DemoNotification, DownloadClientSetting, IndexerSetting, Movie, Series
from webapp.providers import Release, SearchQuery
from webapp.providers.clients.payload import MAGNET, fetch_payload
from webapp.providers.newznab import NewznabIndexer
from webapp.providers.newznab_xml import ErrorReply, parse_caps, parse_xml, raise_error_reply
from webapp.providers.settings import IndexerSettings, MemoryHealth
from webapp.releases import Wanted, decide
from webapp.runtime import Runtime

FEED = "/demo/torznab/api"
PROFILE = Profile(1, "HD-1080p", {quality: rank for rank, quality in enumerate(HD, start=1)}, "WEBDL-1080p", True, 1)


@dataclass
class Demo:
    runtime: Runtime
    client: FlaskClient
    indexer: IndexerSettings
    http: httpx.Client  # our own provider clients' HTTP, answered by the app in this process

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, query_string={"apikey": self.indexer.api_key, **params})

    def torznab(self) -> NewznabIndexer:
        return NewznabIndexer(self.indexer, MemoryHealth(), self.http)


@pytest.fixture
def demo(app: Flask, runtime: Runtime, client: FlaskClient, tmp_path: Path) -> Iterator[Demo]:
    """A small demo library with the demo providers, as ``seed-demo`` leaves them."""
    seed_demo(runtime.db, 30, NOW)
    seed_demo_providers(runtime.providers, tmp_path / "data", NOW)
    indexer = demo_indexer(runtime.providers)
    assert indexer is not None
    with httpx.Client(transport=httpx.WSGITransport(app=app)) as http:
        yield Demo(runtime, client, indexer, http)


def titles_of(db: Any, model: Any, tmdb_id: int) -> Any:
    with db.read() as session:
        return session.execute(select(model).where(model.tmdb_id == tmdb_id)).scalar_one()


# -- the feed ---------------------------------------------------------------------------------


def test_without_a_demo_indexer_there_is_no_feed(client: FlaskClient) -> None:
    assert client.get(FEED, query_string={"t": "caps", "apikey": API_KEY}).status_code == 404
    title = "Some.Movie.2019.1080p.WEB-DL.DDP5.1.H.264-NTb"
    link = f"/demo/torznab/download/{info_hash(title)}"
    assert client.get(link, query_string={"apikey": API_KEY, "file": title}).status_code == 404


@pytest.mark.parametrize("params", [{}, {"apikey": ""}, {"apikey": "cinephage_" + "f" * 64}, {"apikey": "x\x00y"}])
def test_the_feed_refuses_anything_but_a_live_api_key_as_torznab_does(demo: Demo, params: dict[str, str]) -> None:
    for path in (FEED, f"/demo/torznab/download/{info_hash('A.Title')}"):
        response = demo.client.get(path, query_string={"t": "caps", "file": "A.Title", **params})
        assert response.status_code == 401 and response.mimetype == "application/xml"  # no redirect to the login
        with pytest.raises(ErrorReply) as refused:
            raise_error_reply(parse_xml(response.data, "Demo"), "Demo")
        assert (refused.value.code, refused.value.description) == (100, "Invalid API Key")


def test_any_live_key_of_the_app_opens_the_feed_and_a_revoked_one_no_longer(demo: Demo) -> None:
    assert demo.client.get(FEED, query_string={"t": "caps", "apikey": API_KEY}).status_code == 200
    key = api_keys.create_key(demo.runtime.db, "prowlarr", NOW)
    assert demo.client.get(FEED, query_string={"t": "caps", "apikey": key}).status_code == 200
    api_keys.revoke_key(demo.runtime.db, key[:18], NOW)
    assert demo.client.get(FEED, query_string={"t": "caps", "apikey": key}).status_code == 401


def test_caps_offer_id_searches_in_movie_and_tv_categories(demo: Demo) -> None:
    response = demo.get(FEED, t="caps")
    assert response.status_code == 200
    caps = parse_caps(parse_xml(response.data, "Demo"), "Demo")
    assert caps.supports("tv-search", "q", "season", "ep", "tmdbid")
    assert caps.supports("movie-search", "q", "tmdbid") and caps.supports("search", "q")
    assert {2000, 2040, 2045, 5000, 5040, 5045} <= set(caps.categories) and caps.max_limit == 100


@pytest.mark.parametrize(("function", "params", "code"), [
    ("tvsearch", {"season": "one"}, 201), ("movie", {"tmdbid": "-3"}, 201), ("music", {}, 202), ("", {}, 202),
])
def test_a_bad_request_is_a_torznab_error(demo: Demo, function: str, params: dict[str, str], code: int) -> None:
    response = demo.get(FEED, t=function, **params)
    assert response.status_code == 400
    with pytest.raises(ErrorReply) as refused:
        raise_error_reply(parse_xml(response.data, "Demo"), "Demo")
    assert refused.value.code == code


def test_a_movie_is_found_by_its_tmdb_id_with_a_realistic_mix(demo: Demo) -> None:
    movie = titles_of(demo.runtime.db, Movie, MOVIE_TMDB_BASE + 2)
    query = SearchQuery.movie(movie.title, movie.year, movie.tmdb_id)
    releases = demo.torznab().search(query)  # our Torznab client: caps, then t=movie&tmdbid=...
    name = movie.title.replace(" ", ".")
    assert releases and all(release.title.startswith(name) for release in releases)
    for release in releases:
        assert release.protocol == "torrent" and release.indexer == DEMO_INDEXER and release.size_bytes
        assert release.seeders is not None and release.peers is not None and release.peers >= release.seeders
        assert release.info_hash == info_hash(release.title) and release.magnet_url == magnet_uri(release.title)
        assert release.published_at is not None
        assert release.download_url.startswith("http://127.0.0.1:3000/demo/torznab/download/")
        assert set(release.categories) & {2000} and not set(release.categories) & {5000}
    again = demo.torznab().search(query)  # the same every time (their ages aside, which count back from now)
    assert [(r.title, r.size_bytes, r.seeders, r.peers) for r in again] == [
        (r.title, r.size_bytes, r.seeders, r.peers) for r in releases]
    decisions = decide(Wanted(query, PROFILE), releases)
    reasons = {rejection.reasons[0] for rejection in decisions.rejected}
    assert reasons >= {"wrong year", "too small", "too few seeders"} and reasons & {"CAM", "TELESYNC"}


def test_episodes_and_season_packs_are_found_by_id_or_title(demo: Demo) -> None:
    series = titles_of(demo.runtime.db, Series, SERIES_TMDB_BASE)
    indexer = demo.torznab()
    episode = indexer.search(SearchQuery.for_episode(series.title, 2, 3, series.tmdb_id))
    assert any(".S02E03." in release.title for release in episode)
    assert any(".S02E02." in release.title or ".S02E04." in release.title for release in episode)  # wrong episode
    assert all(set(release.categories) & {5000} for release in episode)
    pack = indexer.search(SearchQuery.season_pack(series.title, 2, series.tmdb_id))
    assert any(".S02." in release.title for release in pack) and any(".S02E01." in release.title for release in pack)
    by_title = demo.get(FEED, t="search", q=f"{series.title} S02E03")
    unknown = demo.get(FEED, t="tvsearch", tmdbid="1", season="1", ep="1")
    assert by_title.status_code == 200 and b"S02E03" in by_title.data
    assert unknown.status_code == 200 and b"<item>" not in unknown.data


def test_a_download_link_redirects_to_the_magnet_uri_that_a_blackhole_keeps(demo: Demo) -> None:
    movie = titles_of(demo.runtime.db, Movie, MOVIE_TMDB_BASE)
    release = demo.torznab().search(SearchQuery.movie(movie.title, movie.year, movie.tmdb_id))[0]
    link = urlsplit(release.download_url)
    response = demo.client.get(f"{link.path}?{link.query}")
    assert response.status_code == 302 and response.headers["Location"] == magnet_uri(release.title)
    assert parse_qs(link.query)["apikey"] == [demo.indexer.api_key]
    payload = fetch_payload(release, demo.http)  # what a grab hands a download client
    assert payload.kind == MAGNET and payload.magnet_uri == magnet_uri(release.title)
    assert payload.magnet_uri.startswith(f"magnet:?xt=urn:btih:{info_hash(release.title)}&dn=")
    forged = demo.get(link.path, file="Another.Title.2019.1080p.WEB-DL.x264-NTb")
    assert forged.status_code == 404


def test_about_one_query_in_four_finds_nothing_worth_taking() -> None:
    movies = [DemoQuery(f"The Silent Harbor{roman}", 1990 + year) for roman in ("", " II") for year in range(20)]
    accepted = Counter()
    for query in movies:
        releases = [Release(o.title, "Unknown", "Demo", "http://demo", size_bytes=o.size_bytes, seeders=o.seeders)
                    for o in offers(query, NOW)]
        decisions = decide(Wanted(SearchQuery.movie(query.title, query.year, None), PROFILE), releases)
        assert bool(decisions.accepted) is not scarce(query), query
        accepted[bool(decisions.accepted)] += 1
    assert 0.1 < accepted[False] / len(movies) < 0.4


# -- seed-demo --------------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path, migrated_url: str) -> dict[str, str]:
    return server_env(tmp_path / "data", migrated_url)


def providers_state(db_url: str) -> tuple[list[tuple[Any, ...]], ...]:
    database = Database(db_url)
    try:
        with database.read() as session:
            indexers = [tuple(row) for row in session.execute(select(
                IndexerSetting.name, IndexerSetting.implementation, IndexerSetting.base_url, IndexerSetting.api_key,
                IndexerSetting.categories, IndexerSetting.priority, IndexerSetting.updated_at))]
            clients = [tuple(row) for row in session.execute(select(
                DownloadClientSetting.name, DownloadClientSetting.implementation, DownloadClientSetting.torrent_folder,
                DownloadClientSetting.nzb_folder, DownloadClientSetting.updated_at))]
            keys = [tuple(row) for row in session.execute(select(
                ApiKey.name, ApiKey.source, ApiKey.key_hash, ApiKey.revoked_at).order_by(ApiKey.id))]
    finally:
        database.dispose()
    return indexers, clients, keys


def test_seed_demo_sets_up_the_demo_providers_once(env: dict[str, str], migrated_url: str, tmp_path: Path) -> None:
    output = cli(env, "seed-demo", "--items", "20")
    assert "demo providers: Demo Indexer added; Demo Blackhole added" in output
    indexers, clients, keys = providers_state(migrated_url)
    [(name, implementation, base_url, key, categories, priority, _)] = indexers
    assert (name, implementation, priority) == (DEMO_INDEXER, "torznab", 1)
    assert base_url == "http://127.0.0.1:3000/demo/torznab/"
    assert set(categories) == {2000, 5000} and key not in output
    assert (DEMO_INDEXER, "demo", api_keys.digest(key), None) in keys
    folder = (tmp_path / "data" / "demo" / "blackhole").resolve()
    assert clients[0][:4] == (DEMO_CLIENT, "blackhole", str(folder / "torrents"), str(folder / "nzbs"))
    assert (folder / "torrents").is_dir() and (folder / "nzbs").is_dir()

    again = cli(env, "seed-demo", "--items", "20")
    assert "demo providers: already set up" in again
    assert providers_state(migrated_url) == (indexers, clients, keys)


def test_a_revoked_demo_key_is_replaced(env: dict[str, str], migrated_url: str) -> None:
    cli(env, "seed-demo", "--items", "10")
    [(*_, old_key, _, _, _)] = providers_state(migrated_url)[0]
    cli(env, "api-key", "revoke", old_key[:18])
    assert "given a new API key" in cli(env, "seed-demo", "--items", "10")
    [(*_, new_key, _, _, _)] = providers_state(migrated_url)[0]
    live = [key for name, source, key, revoked in providers_state(migrated_url)[2] if source == "demo" and not revoked]
    assert new_key != old_key and live == [api_keys.digest(new_key)]


def test_seed_demo_without_providers_seeds_the_library_only(env: dict[str, str], migrated_url: str) -> None:
    output = cli(env, "seed-demo", "--items", "20", "--no-providers")
    assert output.startswith("demo library: ") and "demo providers" not in output
    indexers, clients, keys = providers_state(migrated_url)
    assert indexers == clients == [] and all(source != "demo" for _, source, _, _ in keys)


@pytest.mark.parametrize(("address", "reached"), [
    ("http://127.0.0.1:4567", "http://127.0.0.1:4567"), ("http://0.0.0.0:3000", "http://127.0.0.1:3000"),
    ("http://:::8080", "http://[::1]:8080"), ("http://192.168.1.5:80", "http://192.168.1.5:80"),
    ("http://fd00::5:3000", "http://[fd00::5]:3000"),
])
def test_a_server_is_reached_on_its_own_address_or_on_loopback(address: str, reached: str) -> None:
    assert local_url(address) == reached


def test_a_starting_server_points_the_demo_indexer_at_itself_only(runtime: Runtime, tmp_path: Path) -> None:
    service = runtime.providers
    seed_demo_providers(service, tmp_path, NOW)
    point_at_server(service, "http://0.0.0.0:4567", NOW)
    indexer = demo_indexer(service)
    assert indexer is not None and indexer.base_url == "http://127.0.0.1:4567/demo/torznab/"
    point_at_server(service, "http://fe80::1%eth0:4568", NOW)  # no base URL there: the server starts all the same
    assert demo_indexer(service) == indexer
    assert indexer.id is not None
    service.update_indexer(indexer.id, {"base_url": "http://prowlarr:9696/1/"}, NOW)  # no longer the demo feed
    point_at_server(service, "http://127.0.0.1:5000", NOW)
    assert demo_indexer(service) is None
    assert service.indexer(indexer.id).settings.base_url == "http://prowlarr:9696/1/"


# -- a served demo ----------------------------------------------------------------------------


def run_to_the_end(server: Server, task_id: str) -> list[dict[str, Any]]:
    """Runs the task (forced, as the Run button does on a searched item) and returns its activity."""
    response = server.post(f"/api/tasks/{task_id}/run", json={"force": True})
    assert response.status_code == 200, response.text
    run_id = response.json()["executionId"]
    assert server.wait_run(run_id, ("completed", "failed"), timeout=60)["status"] == "completed"
    body = server.get(f"/api/tasks/history/{run_id}/activity", params={"limit": 100}).json()
    return list(body["activity"])


@pytest.mark.process
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # about the demo, not the database: ~11 s is enough
def test_a_served_demo_runs_the_whole_loop_from_search_to_subtitles_and_the_inbox(harness: Harness, tmp_path: Path) -> None:
    env = harness.env(CINEPHAGE_DOWNLOADS_POLL_SECONDS="0.5")  # finished downloads looked for twice a second
    cli(env, "seed-demo", "--items", "30")
    server = harness.start(env, "demo")
    folder = tmp_path / "data" / "demo" / "blackhole" / "torrents"

    held = run_to_the_end(server, "task_pending_releases")
    assert any(row["status"] == "grabbed" and "after its delay" in row["message"] for row in held), held
    assert any(row["action"] == "expire" and ": the file already meets the cutoff" in row["message"] for row in held)

    missing = run_to_the_end(server, "task_missing_episodes")
    grabbed = [row["message"] for row in missing if row["status"] == "grabbed"]
    rejected = [row["message"] for row in missing if row["status"] == "no_results"]
    assert grabbed and all(" from Demo Indexer → Demo Blackhole; " in message for message in grabbed), missing
    assert any(" accepted: " in message for message in rejected), missing  # "4 results, 0 accepted: 1 CAM, ..."

    better = run_to_the_end(server, "task_cutoff_unmet")
    assert {row["status"] for row in better} >= {"grabbed", "no_results"}, better
    assert any("not an upgrade" in row["message"] for row in better), better

    magnets = {path.stem: path.read_text() for path in folder.glob("*.magnet")}
    # Completed-download handling turns the demo's grabs into finished downloads (and imports them) a round
    # at a time: a grab is a magnet still waiting, or a download made of it.
    finished = [path for path in (folder.parent / "downloads").iterdir() if not path.name.startswith(".")]
    assert len(magnets) + len(finished) >= len(grabbed)
    assert all(uri == magnet_uri(title) for title, uri in magnets.items())
    assert all(API_KEY not in row["message"] for row in held + missing + better)
    assert f"{DEMO_INDEXER} now reads this server's demo feed at http://127.0.0.1:{server.port}/" in server.log()

    # The rest of the loop: each finished download imported into the library, Subtitle Search on Import
    # started by it, a subtitle from Demo Subtitles written beside the imported file, and the Demo inbox told.
    library = tmp_path / "data" / "library"
    subtitles = wait_until(lambda: [path for path in library.rglob("*.en.srt")
                                    if path.with_name(path.name.removesuffix(".en.srt") + ".mkv").stat().st_nlink > 1],
                           30, "a subtitle beside an imported (hard-linked) file")
    runs = server.get("/api/tasks/task_subtitle_search_on_import/history").json()["history"]
    rows = [row for run in runs for row in server.get(f"/api/tasks/history/{run['id']}/activity").json()["activity"]]
    assert any("Demo Subtitles) → " in row["message"] and str(library) in row["message"] for row in rows), rows
    database = Database(harness.database_url)
    try:
        inbox = wait_until(lambda: told(database), 30, "the Demo inbox told of both")
    finally:
        database.dispose()
    assert subtitles and inbox


def told(database: Database) -> list[str] | None:
    """The Demo inbox's titles once it holds an import and a subtitle downloaded."""
    with database.read() as session:
        titles = list(session.scalars(select(DemoNotification.title)))
    kinds = {title.split(" ")[0] for title in titles}
    return titles if {"Imported", "Subtitle"} <= kinds else None
