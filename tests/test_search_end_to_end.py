"""Missing Episodes for real: providers stored through the settings service, a Torznab indexer over
loopback HTTP, a blackhole folder, and the activity that says what happened."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Response, request
from sqlalchemy import select

from builders import NOW, TODAY, Library, activity, column, complete, start
from fake_newznab import API_KEY, FakeIndexer, Item, fake_app
from loopback import serving
from webapp.engine.context import RunContext
from webapp.library.delay import Delay, save_delay
from webapp.library.preferences import GROUP, IGNORED, save_preferences
from webapp.models import Episode, PendingRelease
from webapp.providers.settings import ClientSettings, IndexerSettings
from webapp.runtime import Runtime

# A bencoded torrent (a dictionary with an "info" key), as a tracker serves one.
TORRENT = (b"d8:announce31:http://tracker.example/announce4:infod6:lengthi1e4:name4:file"
           b"12:piece lengthi16384e6:pieces20:" + bytes(20) + b"ee")
WEB = "Show.Name.S01E02.1080p.WEB-DL.DDP5.1.H.264-NTb"
ITEMS = (
    Item("Show.Name.S01E02.720p.HDTV.x264-GRP", 1_288_490_189, (5000, 5040), seeders=7),
    Item(WEB, 2_500_000_000, (5000, 5040), seeders=120, pub_date="Thu, 20 Jun 2024 09:50:00 +0000"),
    Item("Show.Name.S01E03.1080p.WEB-DL.DDP5.1.H.264-NTb", 2_400_000_000, (5000, 5040), seeders=80),
    Item("Show.Name.S01E02.HDCAM.x264-XYZ", 700_000_000, (5000,), seeders=300),
)
WRONG_KEY = "0123456789abcdef0123456789abcdef"


class ShowIndexer(FakeIndexer):
    """A Prowlarr that lists four releases for any search."""

    def feed(self, items: Iterable[Item]) -> str:
        return super().feed(ITEMS)


@dataclass
class Setup:
    runtime: Runtime
    indexer: ShowIndexer
    folder: Path
    unused_folder: Path
    downloads: list[str]
    episode: int


@pytest.fixture
def setup(runtime: Runtime, tmp_path: Path) -> Iterator[Setup]:
    """"Show Name" S01E02 wanted; Demo Indexer answering, Broken Indexer refusing our key; a blackhole."""
    fakes = {"prowlarr": ShowIndexer("prowlarr"), "jackett": FakeIndexer("jackett")}
    downloads: list[str] = []
    app = fake_app(fakes)

    def download() -> Response:
        assert request.args["apikey"] == API_KEY
        downloads.append(request.args["file"])
        return Response(TORRENT, content_type="application/x-bittorrent")

    app.add_url_rule("/12/download", "download", download)
    lib = Library(runtime.db)
    episode = lib.episode(lib.series("Show Name", lib.profile()), 1, 2, TODAY - timedelta(days=1))
    folder, unused = tmp_path / "torrents", tmp_path / "unused"
    folder.mkdir()
    unused.mkdir()
    with serving(app) as url:
        service = runtime.providers
        service.create_indexer(IndexerSettings("Demo Indexer", "torznab", f"{url}/prowlarr/", API_KEY), NOW)
        service.create_indexer(IndexerSettings("Broken Indexer", "torznab", f"{url}/jackett/", WRONG_KEY), NOW)
        service.create_client(ClientSettings("Blackhole", "blackhole", torrent_folder=str(folder)), NOW)
        service.create_client(
            ClientSettings("Switched Off", "blackhole", torrent_folder=str(unused), enabled=False, priority=1), NOW,
        )
        yield Setup(runtime, fakes["prowlarr"], folder, unused, downloads, episode)


def run_task(runtime: Runtime, task_id: str, minutes_later: int = 0) -> RunContext:
    """Runs the task's body as the app registered it: providers read from the stored settings."""
    ctx = start(runtime.db, task_id, force=True, now=NOW + timedelta(minutes=minutes_later))
    return complete(ctx, runtime.registry)


def test_missing_episodes_finds_decides_and_grabs_into_the_blackhole(setup: Setup) -> None:
    ctx = run_task(setup.runtime, "task_missing_episodes")
    rows = activity(ctx)
    assert len(rows) == 1
    title, action, status, message = rows[0]
    assert (title, action, status) == ("Show Name S01E02", "grab", "grabbed")
    assert message is not None
    grabbed, failed = message.split("; Broken Indexer failed: ")
    assert grabbed == (f"Grabbed {WEB} (WEBDL-1080p, 120 seeders) from Demo Indexer → Blackhole; 4 results, 2 accepted; "
                       "rejected: 1 wrong episode, 1 CAM")
    assert "rejected the API key" in failed
    assert API_KEY not in message and WRONG_KEY not in message
    assert (setup.folder / f"{WEB}.torrent").read_bytes() == TORRENT
    assert list(setup.unused_folder.iterdir()) == []
    assert setup.downloads == [WEB]
    search = setup.indexer.searches[-1]
    assert (search["t"], search["q"], search["season"], search["ep"]) == ("tvsearch", "Show Name", "1", "2")
    assert column(setup.runtime.db, Episode.last_searched_at, setup.episode) == NOW
    assert (ctx.processed, ctx.affected) == (1, 1)


def test_stored_preferences_reject_an_ignored_word_and_rank_by_release_group(setup: Setup) -> None:
    """The WEB-DL names an ignored word: the HDTV release is grabbed instead, and the row says why."""
    save_preferences(setup.runtime.db, {IGNORED: [("DDP5.1", 0)], GROUP: [("GRP", 40)]})
    ctx = run_task(setup.runtime, "task_missing_episodes")
    [(_, action, status, message)] = activity(ctx)
    assert (action, status) == ("grab", "grabbed")
    assert message is not None and message.startswith(
        "Grabbed Show.Name.S01E02.720p.HDTV.x264-GRP (HDTV-720p, score 40, 7 seeders) from Demo Indexer → Blackhole; "
        "4 results, 1 accepted; rejected: 1 ignored word, 1 wrong episode, 1 CAM"
    )


def test_a_delayed_release_is_held_then_grabbed_by_pending_releases(setup: Setup) -> None:
    runtime = setup.runtime
    save_delay(runtime.db, Delay(torrent_minutes=60, bypass_if_highest=False), NOW)
    ctx = run_task(runtime, "task_missing_episodes")
    [(_, action, status, message)] = activity(ctx)
    assert (action, status) == ("delay", "success")
    assert message is not None and message.startswith(
        f"Holding {WEB} (WEBDL-1080p, 120 seeders) from Demo Indexer until 2024-06-20 10:50 UTC (torrent delay 60 min)"
    )
    assert list(setup.folder.iterdir()) == []

    assert activity(run_task(runtime, "task_pending_releases", minutes_later=49)) == []
    ctx = run_task(runtime, "task_pending_releases", minutes_later=50)
    assert activity(ctx) == [
        ("Show Name S01E02", "grab", "grabbed",
         f"Grabbed {WEB} (WEBDL-1080p, 120 seeders) from Demo Indexer → Blackhole after its delay"),
    ]
    assert (setup.folder / f"{WEB}.torrent").read_bytes() == TORRENT
    with runtime.db.read() as session:
        assert session.scalars(select(PendingRelease.status)).all() == ["grabbed"]
