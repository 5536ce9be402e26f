"""Completed-download handling end to end: a client (a loopback fake) reports finished downloads whose files
are on disk; each of our categories is imported once, even when two handlers race; a client down loses nothing."""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from fake_clients import FakeQBittorrent, FakeSABnzbd, Switch
from imports import files_of, history, small_library, video
from loopback import serving
from webapp.clock import now_utc
from webapp.db import Database
from webapp.models import CompletedDownload
from webapp.providers.settings import ClientSettings
from webapp.runtime import Runtime
from webapp.services.completed import (
    FAILED, IMPORTED, UNMATCHED, WAITING, CompletedDownloads, CompletedDownloadWatcher,
)
from webapp.services.library import LibraryService

USER, PASSWORD, API_KEY = "cinephage", "s3cret-Pa55word", "0123456789abcdef0123456789abcdef"
MOVIE = "The.Matrix.1999.1080p.BluRay.x264-SiNNERS"
EPISODE = "Breaking.Bad.S01E02.720p.HDTV.x264-CTU"


@pytest.fixture(scope="module")
def port() -> Iterator[Switch]:
    switch = Switch()
    with serving(switch.app) as switch.url:
        yield switch


@pytest.fixture
def ids(runtime: Runtime, tmp_path: Path) -> dict[str, int]:
    runtime.library.set_root(str(tmp_path / "library"), now_utc())
    return small_library(runtime.db)


def add_client(runtime: Runtime, port: Switch, implementation: str = "qbittorrent", **extra: str) -> ClientSettings:
    host, number = port.url.removeprefix("http://").split(":")
    return runtime.providers.create_client(ClientSettings(
        f"My {implementation}", implementation, host=host, port=int(number), username=USER, password=PASSWORD,
        api_key=API_KEY, **extra), now_utc())  # type: ignore[arg-type]


def claims(db: Database) -> list[tuple[str, str, int]]:
    with db.read() as session:
        return [(row.name, row.status, row.attempts) for row in
                session.scalars(select(CompletedDownload).order_by(CompletedDownload.id))]


def test_a_finished_download_of_our_category_is_imported_once(
        runtime: Runtime, ids: dict[str, int], port: Switch, tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    film = video(downloads / MOVIE / f"{MOVIE}.mkv")
    video(downloads / "Some.Concert.2019.1080p" / "concert.mkv")
    fake = FakeQBittorrent(USER, PASSWORD, {})
    movie_hash = fake.listed(MOVIE, "movies", str(downloads), content_path=str(downloads / MOVIE))
    fake.listed("Some.Concert.2019.1080p", "music", str(downloads))  # not our category: never asked for
    port.target = fake.app
    settings = add_client(runtime, port)
    handler = CompletedDownloads(runtime.db, runtime.library)

    [handled] = handler.handle(now_utc())
    assert (handled.download.download_id, handled.status) == (movie_hash, IMPORTED)
    assert handler.handle(now_utc()) == []  # the next round: already imported

    [row] = files_of(runtime.db, movie=ids["matrix"])
    assert Path(row.path).samefile(film) and film.exists()  # hard-linked: the torrent keeps seeding
    [record] = history(runtime.db)
    assert (record.client, record.client_id, record.download_id, record.mode) == (
        settings.name, settings.id, movie_hash, "hardlink")
    assert claims(runtime.db) == [(MOVIE, IMPORTED, 1)]  # the concert, in another category, is not ours


def test_two_handlers_racing_import_a_download_once(
        runtime: Runtime, ids: dict[str, int], port: Switch, tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    video(downloads / f"{EPISODE}.mkv")
    fake = FakeSABnzbd(API_KEY)
    fake.listed(EPISODE, "tv", str(downloads / f"{EPISODE}.mkv"))
    port.target = fake.app
    add_client(runtime, port, "sabnzbd", url_base="/sabnzbd")
    other = Database(runtime.db.url)  # another process's connections
    try:
        handlers = [CompletedDownloads(runtime.db, runtime.library),
                    CompletedDownloads(other, LibraryService(other, runtime.library.data_dir))]
        results: list[list[object]] = [[], []]
        barrier = threading.Barrier(2)

        def race(n: int) -> None:
            barrier.wait()
            results[n] = list(handlers[n].handle(now_utc()))

        threads = [threading.Thread(target=race, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        other.dispose()
    assert sorted(len(result) for result in results) == [0, 1]
    assert len(files_of(runtime.db, episode=ids["bad_s01e02"])) == 1 and len(history(runtime.db)) == 1
    assert not (downloads / f"{EPISODE}.mkv").exists()  # a usenet download is moved


def test_a_client_that_is_down_is_logged_and_its_download_imported_when_it_is_back(
        runtime: Runtime, ids: dict[str, int], port: Switch, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    video(tmp_path / "downloads" / MOVIE / f"{MOVIE}.mkv")
    fake = FakeQBittorrent(USER, PASSWORD, {}, banned=True)
    fake.listed(MOVIE, "movies", str(tmp_path / "downloads"))
    port.target = fake.app
    add_client(runtime, port)
    handler = CompletedDownloads(runtime.db, runtime.library)
    with caplog.at_level(logging.WARNING, logger="cinephage.imports"):
        assert handler.handle(now_utc()) == []
    assert "could not be asked for its finished downloads" in caplog.text and "HTTP 403" in caplog.text
    assert PASSWORD not in caplog.text
    fake.banned = False
    assert [handled.status for handled in handler.handle(now_utc())] == [IMPORTED]


def test_a_download_still_being_written_waits_and_an_unmatched_one_is_left_alone(
        runtime: Runtime, ids: dict[str, int], port: Switch, tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    fresh = video(downloads / EPISODE / f"{EPISODE}.mkv", age=0)
    stranger = video(downloads / "Unknown.Film.2015.1080p.BluRay.x264-GRP" / "unknown.film.2015.1080p.mkv")
    fake = FakeQBittorrent(USER, PASSWORD, {})
    fake.listed(EPISODE, "tv", str(downloads))
    fake.listed("Unknown.Film.2015.1080p.BluRay.x264-GRP", "movies", str(downloads))
    fake.listed("Gone.2016.1080p.BluRay.x264-GRP", "movies", "/nowhere/on/this/machine")
    port.target = fake.app
    add_client(runtime, port)
    handler = CompletedDownloads(runtime.db, runtime.library)

    assert sorted(handled.status for handled in handler.handle(now_utc())) == [FAILED, UNMATCHED, WAITING]
    assert stranger.exists() and fresh.exists() and history(runtime.db) == []
    video(fresh, age=60)  # the client finished writing it
    assert sorted(handled.status for handled in handler.handle(now_utc())) == [FAILED, IMPORTED]  # the waiting one
    assert sorted(claims(runtime.db)) == [
        (EPISODE, IMPORTED, 2), ("Gone.2016.1080p.BluRay.x264-GRP", FAILED, 2),
        ("Unknown.Film.2015.1080p.BluRay.x264-GRP", UNMATCHED, 1)]


def test_the_watcher_runs_rounds_on_its_own_thread_until_stopped(runtime: Runtime) -> None:
    rounds = threading.Event()

    class Counting(CompletedDownloads):
        def handle(self, now):  # type: ignore[no-untyped-def]
            rounds.set()
            return []

    watcher = CompletedDownloadWatcher(Counting(runtime.db, runtime.library), interval=0.05, first_round=0.01)
    watcher.start()
    try:
        assert rounds.wait(5)
    finally:
        watcher.stop()
    assert not watcher._thread.is_alive()  # type: ignore[union-attr]
