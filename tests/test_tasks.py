"""The nine task bodies, run on a temporary database (SQLite and PostgreSQL) with fake providers."""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from builders import NOW, TODAY, Library, activity, column, downloads_imported, finish, run, start
from webapp.db import Database
from webapp.engine.context import RunStopped
from webapp.errors import ValidationError
from webapp.library import MediaItem
from webapp.library.delay import Delay, save_delay
from webapp.models import (
    RUN_CANCELLED, Episode, ImportQueueEntry, MediaFile, Movie, PendingRelease, Series, SubtitleFile,
    TaskActivity, TaskRun, TaskSetting,
)
from webapp.providers import (
    EpisodeInfo, ProviderError, ProviderSet, Release, SearchQuery, SubtitleRequest, SubtitleResult,
)
from webapp.providers.base import ReleaseRefused
from webapp.providers.settings import ClientSettings
from webapp.services.delay import DelayService
from webapp.services.blocklist import Blocklist
from webapp.tasks import build_registry, system

# --- fakes of the provider protocols ---------------------------------------------------------


@dataclass
class FakeIndexer:
    answer: Callable[[SearchQuery], list[Release]]
    name: str = "Fake Indexer"
    queries: list[SearchQuery] = field(default_factory=list)

    def search(self, query: SearchQuery) -> list[Release]:
        self.queries.append(query)
        return self.answer(query)


@dataclass
class FakeClient:
    """A download client that takes what it is given, except the titles in ``refuse``."""

    name: str = "Fake Client"
    protocols: tuple[str, ...] = ("torrent",)
    settings: ClientSettings = field(default_factory=lambda: ClientSettings("Fake Client", "qbittorrent"))
    refuse: set[str] = field(default_factory=set)
    down: bool = False  # every add fails as if the client could not be reached
    added: list[tuple[str, str]] = field(default_factory=list)  # (release title, category)
    tried: int = 0

    def add(self, release: Release, category: str) -> str:
        self.tried += 1
        if self.down:
            raise ProviderError("Fake Client did not answer within 5 s")
        if release.title in self.refuse:
            raise ReleaseRefused("the torrent is invalid")
        self.added.append((release.title, category))
        return f"dl-{len(self.added)}"

    def test(self) -> str:
        return "fine"

    @property
    def titles(self) -> list[str]:
        return [title for title, _ in self.added]


@dataclass
class FakeSubtitles:
    results: list[SubtitleResult]
    name: str = "Fake Subs"
    minimum_score: int = 0
    requests: list[SubtitleRequest] = field(default_factory=list)

    def search(self, request: SubtitleRequest) -> list[SubtitleResult]:
        self.requests.append(request)
        return list(self.results)

    def download(self, result: SubtitleResult) -> bytes:
        return f"subtitle {result.reference}".encode()


@dataclass
class FakeStore:
    saved: dict[str, bytes] = field(default_factory=dict)

    def save(self, media_path: str, language: str, content: bytes, format: str) -> str:
        path = f"{media_path}.{language}.{format}"
        self.saved[path] = content
        return path


@dataclass
class FakeMetadata:
    episodes_by_series: dict[int, list[EpisodeInfo]]
    name: str = "Fake Metadata"

    def episodes(self, series_tmdb_id: int) -> list[EpisodeInfo]:
        return self.episodes_by_series[series_tmdb_id]


def release(title: str, *, protocol: str = "torrent", seeders: int | None = None, size_gb: float | None = None,
            published: datetime | None = None, indexer_id: int | None = None) -> Release:
    """A release as an indexer offers it: its quality is read from its name."""
    return Release(
        title, "", "Fake Indexer", f"https://example.invalid/{title}", protocol=protocol, seeders=seeders,
        size_bytes=int(size_gb * 1e9) if size_gb else None, published_at=published, indexer_id=indexer_id,
    )


def subtitle(language: str, score: int, reference: str = "r") -> SubtitleResult:
    return SubtitleResult("Fake Subs", language, score, reference)


WANTED_WEB = "Wanted.2019.1080p.WEB-DL.DDP5.1.H.264-FLUX"


# --- running a task --------------------------------------------------------------------------


@pytest.fixture
def lib(db: Database) -> Library:
    library = Library(db)
    library.language("en", 60)
    library.language("fr", 70)
    return library


# --- the registry ----------------------------------------------------------------------------


def test_registry_lists_the_nine_tasks_as_decided() -> None:
    registry = build_registry(ProviderSet.empty())
    assert [(d.id, d.name, d.type, d.default_interval, d.min_interval) for d in registry] == [
        ("task_missing_episodes", "Missing Episodes", "monitoring", 1440, 15),
        ("task_new_episodes", "New Episodes", "monitoring", 60, 15),
        ("task_cutoff_unmet", "Cutoff Unmet", "monitoring", 1440, 15),
        ("task_upgrade", "Quality Upgrade", "monitoring", 10080, 60),
        ("task_pending_releases", "Pending Releases", "monitoring", 15, 5),
        ("task_missing_subtitles", "Missing Subtitles", "subtitle", 360, 15),
        ("task_subtitle_upgrade", "Subtitle Upgrade", "subtitle", 1440, 60),
        ("task_subtitle_search_on_import", "Subtitle Search on Import", "subtitle", 15, 5),
        ("task_history_cleanup", "History Cleanup", "system", 1440, 60),
    ]
    assert registry.get("task_missing_subtitles").description == "Search for missing subtitles on media items"  # type: ignore[union-attr]
    assert registry.get("task_upgrade").description == "Search for better quality releases"  # type: ignore[union-attr]
    assert all(d.description and "\n" not in d.description and d.max_interval == 365 * 1440 for d in registry)
    options = {d.id: {name: (o.minimum, o.maximum) for name, o in d.options.items()} for d in registry}
    assert options.pop("task_history_cleanup") == {"retentionDays": (1, 3650)}
    assert all(spec == {"limit": (1, 100_000)} for spec in options.values())


# --- without providers -----------------------------------------------------------------------


@pytest.fixture
def small_library(lib: Library) -> dict[str, int]:
    """One item for each task; ids by name."""
    hd = lib.profile()
    ids = {"hd": hd, "wanted": lib.movie("Wanted", hd), "low": lib.movie("Low", hd), "weak": lib.movie("Weak", hd),
           "fresh": lib.movie("Fresh", hd), "show": lib.series("Show", hd, tmdb_id=77)}
    low_file = lib.file("HDTV-720p", movie=ids["low"])
    weak_file = lib.file("Bluray-1080p", movie=ids["weak"])
    ids["fresh_file"] = lib.file("Bluray-1080p", movie=ids["fresh"])
    for file, language, score in ((low_file, "en", 100), (low_file, "fr", 100), (weak_file, "en", 70),
                                  (weak_file, "fr", 100), (ids["fresh_file"], "en", 100)):
        lib.subtitle(file, language, score)
    ids["entry"] = lib.queued(ids["fresh_file"], NOW - timedelta(minutes=5))
    ids["pending"] = lib.pending(WANTED_WEB, NOW - timedelta(minutes=1), movie=ids["wanted"])
    return ids


@pytest.mark.parametrize(("task_id", "rows"), [
    ("task_missing_episodes", [("Wanted (2019)", "search", "skipped", "No indexer configured")]),
    ("task_new_episodes", [("Show", "detect", "skipped", "No metadata source configured")]),
    ("task_cutoff_unmet", [("Low (2019)", "search", "skipped", "No indexer configured")]),
    ("task_upgrade", [("Low (2019)", "search", "skipped", "No indexer configured")]),
    ("task_pending_releases", [
        ("Wanted (2019)", "grab", "skipped", f"No download client configured (would grab {WANTED_WEB})"),
    ]),
    ("task_missing_subtitles", [("Fresh (2019)", "download_subtitle", "skipped", "No subtitle provider configured (wanted: fr)")]),
    ("task_subtitle_upgrade", [("Weak (2019)", "upgrade_subtitle", "skipped", "No subtitle provider configured (wanted: en)")]),
    ("task_subtitle_search_on_import", [
        ("Fresh (2019)", "download_subtitle", "skipped", "No subtitle provider configured (wanted: fr)"),
    ]),
])
def test_without_providers_every_item_is_recorded_skipped(
    db: Database, small_library: dict[str, int], task_id: str, rows: list[tuple[str, ...]]
) -> None:
    ctx = run(db, task_id)
    assert activity(ctx) == rows
    assert (ctx.processed, ctx.affected) == (len(rows), 0)
    assert column(db, Movie.last_searched_at, small_library["wanted"]) is None
    assert column(db, PendingRelease.status, small_library["pending"]) == "pending"
    assert column(db, Series.last_refreshed_at, small_library["show"]) is None


def test_an_import_is_taken_off_the_queue_even_without_providers(db: Database, small_library: dict[str, int]) -> None:
    run(db, "task_subtitle_search_on_import")
    assert column(db, ImportQueueEntry.processed_at, small_library["entry"]) == NOW
    assert activity(run(db, "task_subtitle_search_on_import")) == []


# --- monitoring ------------------------------------------------------------------------------


def grabbing(*indexers: FakeIndexer, clients: list[FakeClient], **more: Any) -> ProviderSet:
    return ProviderSet(indexers=list(indexers), download_clients=list(clients), **more)


def pending_rows(db: Database) -> list[tuple[Any, ...]]:
    with db.read() as session:
        rows = session.execute(select(
            PendingRelease.title, PendingRelease.quality, PendingRelease.protocol, PendingRelease.seeders,
            PendingRelease.size_bytes, PendingRelease.indexer_id, PendingRelease.published_at,
            PendingRelease.release_at, PendingRelease.season_pack, PendingRelease.status,
        ).order_by(PendingRelease.id))
        return [tuple(row) for row in rows]


def blocked(db: Database, movie: int) -> list[tuple[str, str, str | None]]:
    entries = Blocklist(db).list(MediaItem("movie", movie, "", 0))
    return sorted((entry.title, entry.reason, entry.indexer) for entry in entries)


def test_missing_grabs_the_best_release_in_the_profile_and_starts_the_cooldown(db: Database, lib: Library) -> None:
    movie = lib.movie("Wanted", lib.profile())
    best = "Wanted.2019.1080p.WEB-DL.DDP5.1.H.264-NTb"
    offered = [release("Wanted.2019.720p.HDTV.x264-CTU", seeders=400), release(WANTED_WEB, seeders=5),
               release(best, seeders=90), release("Wanted.2019.2160p.BluRay.REMUX.HEVC-FGT", seeders=900)]
    indexer, client = FakeIndexer(lambda query: offered), FakeClient()
    ctx = run(db, "task_missing_episodes", grabbing(indexer, clients=[client]))
    assert indexer.queries == [SearchQuery.movie("Wanted", 2019, None)]
    assert client.added == [(best, "movies")]
    assert activity(ctx) == [("Wanted (2019)", "grab", "grabbed",
                              f"Grabbed {best} (WEBDL-1080p, 90 seeders) from Fake Indexer → Fake Client; "
                              "4 results, 3 accepted; rejected: 1 not in profile")]
    assert (ctx.processed, ctx.affected) == (1, 1)
    assert column(db, Movie.last_searched_at, movie) == NOW


def test_missing_records_empty_and_failed_searches(db: Database, lib: Library) -> None:
    hd = lib.profile()
    nothing, broken, empty = lib.movie("Nothing", hd), lib.movie("Broken", hd), lib.movie("Empty", hd)

    def answer(query: SearchQuery) -> list[Release]:
        if query.title == "Broken":
            raise ProviderError("timed out")
        if query.title == "Empty":
            return []
        return [release("Nothing.2019.2160p.BluRay.REMUX.HEVC-FGT"), release("Nothing.2019.HDCAM.x264-XYZ")]

    ctx = run(db, "task_missing_episodes", grabbing(FakeIndexer(answer), clients=[FakeClient()]))
    assert activity(ctx) == [
        ("Nothing (2019)", "search", "no_results",
         "Searched 1 indexer for Nothing (2019): 2 results, 0 accepted: 1 not in profile, 1 CAM"),
        ("Broken (2019)", "search", "failed",
         "Searched 1 indexer for Broken (2019): none answered: Fake Indexer failed: timed out"),
        ("Empty (2019)", "search", "no_results", "Searched 1 indexer for Empty (2019): 0 results"),
    ]
    assert column(db, Movie.last_searched_at, nothing) == column(db, Movie.last_searched_at, empty) == NOW
    assert column(db, Movie.last_searched_at, broken) is None  # a failed search is tried again next run


def test_missing_skips_recently_searched_items_unless_forced_and_honours_limit(db: Database, lib: Library) -> None:
    hd = lib.profile()
    lib.movie("Recent", hd, searched=NOW - timedelta(hours=1))
    lib.movie("Other", hd)
    lib.movie("Third", hd)
    assert [row[0] for row in activity(run(db, "task_missing_episodes"))] == ["Other (2019)", "Third (2019)"]
    forced = run(db, "task_missing_episodes", force=True, options={"limit": 2})
    assert [row[0] for row in activity(forced)] == ["Other (2019)", "Third (2019)"]
    assert [row[0] for row in activity(run(db, "task_missing_episodes", force=True))] == [
        "Other (2019)", "Third (2019)", "Recent (2019)",
    ]


@pytest.fixture
def half_missing_season(lib: Library) -> None:
    """Season 1 of "Show": four aired episodes, the last three without a file; season 2 lacks one of four."""
    show = lib.series("Show", lib.profile())
    lib.file("WEBDL-1080p", episode=lib.episode(show, 1, 1, TODAY - timedelta(days=30)))
    for number in (2, 3, 4):
        lib.episode(show, 1, number, TODAY - timedelta(days=30 - number))
    for number in (1, 2, 3):
        lib.file("WEBDL-1080p", episode=lib.episode(show, 2, number, TODAY - timedelta(days=10 - number)))
    lib.episode(show, 2, 4, TODAY)


PACK = "Show.S01.1080p.WEB-DL.x264-NTb"


def test_a_season_pack_is_grabbed_once_for_a_half_missing_season(db: Database, half_missing_season: None) -> None:
    def answer(query: SearchQuery) -> list[Release]:
        if query.is_season_pack:
            return [release(title) for title in (
                PACK, "Show.S01E02.1080p.BluRay.x264-SPARKS", "Show.S01.Part.1.1080p.WEB-DL.x264-NTb",
            )]
        return [release(f"Show.S0{query.season}E0{query.episode}.HDTV.x264-LOL")]

    indexer, client = FakeIndexer(answer), FakeClient()
    ctx = run(db, "task_missing_episodes", grabbing(indexer, clients=[client]))
    grabbed = ("grab", "grabbed",
               f"Grabbed {PACK} (WEBDL-1080p) from Fake Indexer → Fake Client; 3 results, 1 accepted; rejected: 1 not a season pack, 1 partial season")
    assert activity(ctx) == [(f"Show S01E0{n}", *grabbed) for n in (2, 3, 4)] + [
        ("Show S02E04", "grab", "grabbed",
         "Grabbed Show.S02E04.HDTV.x264-LOL (SDTV) from Fake Indexer → Fake Client; 1 result, 1 accepted"),
    ]
    assert client.added == [(PACK, "tv"), ("Show.S02E04.HDTV.x264-LOL", "tv")]
    assert indexer.queries == [SearchQuery.season_pack("Show", 1, None), SearchQuery.for_episode("Show", 2, 4, None)]
    assert ctx.affected == 4


def test_without_a_season_pack_each_episode_is_searched(db: Database, half_missing_season: None) -> None:
    def answer(query: SearchQuery) -> list[Release]:
        return [] if query.is_season_pack else [release(f"Show.S0{query.season}E0{query.episode}.HDTV.x264-LOL")]

    indexer = FakeIndexer(answer)
    ctx = run(db, "task_missing_episodes", grabbing(indexer, clients=[FakeClient()]))
    assert [row[3] for row in activity(ctx)] == [
        f"Grabbed Show.S0{season}E0{n}.HDTV.x264-LOL (SDTV) from Fake Indexer → Fake Client; 1 result, 1 accepted"
        for season, n in ((1, 2), (1, 3), (1, 4), (2, 4))
    ]
    assert [q.episode for q in indexer.queries] == [None, 2, 3, 4, 4]


def test_cutoff_unmet_grabs_only_a_better_release(db: Database, lib: Library) -> None:
    hd = lib.profile()
    lib.file("HDTV-720p", movie=lib.movie("Better", hd))
    lib.file("HDTV-720p", movie=lib.movie("Same", hd))
    offers = {"Better": [release("Better.2019.720p.HDTV.x264-CTU", seeders=900),
                         release("Better.2019.1080p.WEB-DL.x264-NTb", seeders=3)],
              "Same": [release("Same.2019.720p.HDTV.x264-CTU"), release("Same.2019.HDTV.x264-LOL")]}
    client = FakeClient()
    ctx = run(db, "task_cutoff_unmet", grabbing(FakeIndexer(lambda q: offers[q.title]), clients=[client]))
    assert activity(ctx) == [
        ("Better (2019)", "grab", "grabbed",
         "Grabbed Better.2019.1080p.WEB-DL.x264-NTb (WEBDL-1080p, 3 seeders) from Fake Indexer → Fake Client; "
         "2 results, 1 accepted; rejected: 1 not an upgrade"),
        ("Same (2019)", "search", "no_results",
         "Searched 1 indexer for Same (2019): 2 results, 0 accepted: 2 not an upgrade"),
    ]
    assert client.titles == ["Better.2019.1080p.WEB-DL.x264-NTb"]


def test_upgrade_needs_the_profiles_minimum_increment(db: Database, lib: Library) -> None:
    lib.file("SDTV", movie=lib.movie("Film", lib.profile(increment=2)))
    offered = [release("Film.2019.720p.HDTV.x264-CTU")]
    providers = grabbing(FakeIndexer(lambda query: offered), clients=[FakeClient()])
    ctx = run(db, "task_upgrade", providers)
    assert activity(ctx) == [
        ("Film (2019)", "search", "no_results",
         "Searched 1 indexer for Film (2019): 1 result, 0 accepted: 1 not an upgrade"),
    ]
    offered.append(release("Film.2019.1080p.WEB-DL.x264-NTb"))
    ctx = run(db, "task_upgrade", providers, force=True)
    assert activity(ctx) == [("Film (2019)", "grab", "grabbed",
                              "Grabbed Film.2019.1080p.WEB-DL.x264-NTb (WEBDL-1080p) from Fake Indexer → Fake Client; "
                              "2 results, 1 accepted; rejected: 1 not an upgrade")]


def test_the_activity_counts_why_each_release_was_rejected_across_indexers(db: Database, lib: Library) -> None:
    show = lib.series("Show", lib.profile())
    lib.file("HDTV-720p", episode=lib.episode(show, 1, 2, TODAY - timedelta(days=3)))
    first = FakeIndexer(lambda q: [release(title) for title in (
        "Show.S01E02.720p.HDTV.x264-CTU", "Show.S01E03.1080p.WEB-DL.x264-NTb", "Show.S01E02.HDCAM.x264-XYZ",
    )], name="First")
    second = FakeIndexer(lambda q: [release(title) for title in (
        "Show.S01E02.720p.HDTV.x264-KILLERS", "Show.S01E02.HDTV.x264-LOL", "Show.S01E01.1080p.WEB-DL.x264-NTb",
    )], name="Second")
    ctx = run(db, "task_cutoff_unmet", grabbing(first, second, clients=[FakeClient()]))
    assert activity(ctx) == [("Show S01E02", "search", "no_results",
                              "Searched 2 indexers for Show S01E02: 6 results, 0 accepted: "
                              "3 not an upgrade, 2 wrong episode, 1 CAM")]


def test_an_indexer_that_fails_is_named_while_another_ones_answer_is_used(db: Database, lib: Library) -> None:
    hd = lib.profile()
    wanted, nothing = lib.movie("Wanted", hd), lib.movie("Nothing", hd)

    def broken(query: SearchQuery) -> list[Release]:
        raise ProviderError("Broken Indexer did not answer within 10 s")

    answering = FakeIndexer(lambda q: [release(WANTED_WEB, seeders=12)] if q.title == "Wanted" else [])
    client = FakeClient()
    ctx = run(db, "task_missing_episodes", grabbing(FakeIndexer(broken, name="Broken Indexer"), answering,
                                                    clients=[client]))
    failed = "Broken Indexer failed: Broken Indexer did not answer within 10 s"
    assert activity(ctx) == [
        ("Wanted (2019)", "grab", "grabbed",
         f"Grabbed {WANTED_WEB} (WEBDL-1080p, 12 seeders) from Fake Indexer → Fake Client; 1 result, 1 accepted; "
         f"{failed}"),
        ("Nothing (2019)", "search", "no_results", f"Searched 2 indexers for Nothing (2019): 0 results; {failed}"),
    ]
    assert client.titles == [WANTED_WEB]
    assert column(db, Movie.last_searched_at, wanted) == column(db, Movie.last_searched_at, nothing) == NOW


def test_a_grab_goes_to_the_first_client_of_its_protocol_in_the_category_of_its_kind(
    db: Database, lib: Library
) -> None:
    hd = lib.profile()
    lib.movie("Film", hd)
    lib.episode(lib.series("Show", hd), 1, 1, TODAY - timedelta(days=1))

    def answer(query: SearchQuery) -> list[Release]:
        if query.is_movie:
            return [release("Film.2019.1080p.BluRay.x264-SPARKS", protocol="usenet"),
                    release("Film.2019.720p.HDTV.x264-CTU", seeders=50)]
        return [release("Show.S01E01.1080p.WEB-DL.x264-NTb", seeders=50)]

    sabnzbd = FakeClient("SABnzbd", ("usenet",), ClientSettings("SABnzbd", "sabnzbd", movie_category="films"))
    first = FakeClient("qBittorrent", settings=ClientSettings("qBittorrent", "qbittorrent", tv_category="sonarr"))
    second = FakeClient("Transmission")
    ctx = run(db, "task_missing_episodes", grabbing(FakeIndexer(answer), clients=[sabnzbd, first, second]))
    assert sabnzbd.added == [("Film.2019.1080p.BluRay.x264-SPARKS", "films")]
    assert first.added == [("Show.S01E01.1080p.WEB-DL.x264-NTb", "sonarr")]
    assert second.added == []
    assert [row[3] for row in activity(ctx)] == [
        "Grabbed Show.S01E01.1080p.WEB-DL.x264-NTb (WEBDL-1080p, 50 seeders) from Fake Indexer → qBittorrent; "
        "1 result, 1 accepted",
        "Grabbed Film.2019.1080p.BluRay.x264-SPARKS (Bluray-1080p) from Fake Indexer → SABnzbd; 2 results, 2 accepted",
    ]


def test_a_release_no_client_takes_is_passed_over_or_said(db: Database, lib: Library) -> None:
    hd = lib.profile()
    lib.movie("Film", hd)
    lib.movie("Only", hd)
    offers = {"Film": [release("Film.2019.1080p.BluRay.x264-SPARKS", protocol="usenet"),
                       release("Film.2019.720p.HDTV.x264-CTU")],
              "Only": [release("Only.2019.1080p.BluRay.x264-SPARKS", protocol="usenet")]}
    client = FakeClient()
    ctx = run(db, "task_missing_episodes", grabbing(FakeIndexer(lambda q: offers[q.title]), clients=[client]))
    assert activity(ctx) == [
        ("Film (2019)", "grab", "grabbed",
         "Grabbed Film.2019.720p.HDTV.x264-CTU (HDTV-720p) from Fake Indexer → Fake Client; 2 results, 2 accepted"),
        ("Only (2019)", "grab", "skipped",
         "No download client takes usenet releases (would grab Only.2019.1080p.BluRay.x264-SPARKS); "
         "1 result, 1 accepted"),
    ]


def test_each_indexer_has_its_own_minimum_of_seeders(db: Database, lib: Library) -> None:
    lib.movie("Wanted", lib.profile())
    bluray = "Wanted.2019.1080p.BluRay.x264-SPARKS"
    offered = [release(bluray, seeders=10, indexer_id=7), release(WANTED_WEB, seeders=10, indexer_id=8)]
    client = FakeClient()
    ctx = run(db, "task_missing_episodes",
              grabbing(FakeIndexer(lambda q: offered), clients=[client], minimum_seeders={7: 20, 8: 5}))
    assert client.titles == [WANTED_WEB]
    assert activity(ctx)[0][3].endswith("; 2 results, 1 accepted; rejected: 1 too few seeders")


def test_a_release_the_client_fails_to_take_is_blocklisted_and_the_next_accepted_tried(
    db: Database, lib: Library
) -> None:
    movie = lib.movie("Wanted", lib.profile())
    sdtv, hdtv = "Wanted.2019.HDTV.x264-LOL", "Wanted.2019.720p.HDTV.x264-CTU"
    bluray = "Wanted.2019.1080p.BluRay.x264-SPARKS"
    offered = [release(title) for title in (sdtv, hdtv, WANTED_WEB, bluray)]
    client = FakeClient(refuse={bluray})
    providers = grabbing(FakeIndexer(lambda q: offered), clients=[client])
    ctx = run(db, "task_missing_episodes", providers)
    refused = "Fake Client failed: the torrent is invalid (blocklisted)"
    assert activity(ctx) == [("Wanted (2019)", "grab", "grabbed",
                              f"Grabbed {WANTED_WEB} (WEBDL-1080p) from Fake Indexer → Fake Client; "
                              f"4 results, 4 accepted; first {bluray} → {refused}")]
    assert client.titles == [WANTED_WEB]
    assert blocked(db, movie) == [(bluray, "the torrent is invalid", "Fake Indexer")]

    client.refuse = {WANTED_WEB, hdtv, sdtv}  # at most three tries an item: the blocklisted one is not among them
    downloads_imported(db)  # a file as bad as the first: the item is searched again
    ctx = run(db, "task_missing_episodes", providers, force=True)
    assert activity(ctx) == [("Wanted (2019)", "grab", "failed",
                              f"{WANTED_WEB} → {refused}; {hdtv} → {refused}; {sdtv} → {refused}; "
                              "4 results, 3 accepted; rejected: 1 blocklisted")]
    assert [title for title, _, _ in blocked(db, movie)] == sorted([bluray, WANTED_WEB, hdtv, sdtv])
    ctx = run(db, "task_missing_episodes", providers, force=True)
    assert activity(ctx) == [("Wanted (2019)", "search", "no_results",
                              "Searched 1 indexer for Wanted (2019): 4 results, 0 accepted: 4 blocklisted")]


def test_a_client_that_cannot_be_reached_blocklists_nothing_and_is_tried_once(db: Database, lib: Library) -> None:
    movie = lib.movie("Wanted", lib.profile())
    offered = [release(title) for title in (WANTED_WEB, "Wanted.2019.720p.HDTV.x264-CTU")]
    client = FakeClient(down=True)
    ctx = run(db, "task_missing_episodes", grabbing(FakeIndexer(lambda q: offered), clients=[client]))
    assert activity(ctx) == [("Wanted (2019)", "grab", "failed",
                              f"{WANTED_WEB} → Fake Client failed: Fake Client did not answer within 5 s; "
                              "2 results, 2 accepted")]
    assert client.tried == 1 and blocked(db, movie) == []


# --- the delay and pending releases ----------------------------------------------------------


def test_a_release_within_its_delay_is_held_then_grabbed_by_pending_releases(db: Database, lib: Library) -> None:
    save_delay(db, Delay(usenet_minutes=0, torrent_minutes=60), NOW)
    lib.movie("Wanted", lib.profile())
    published = NOW - timedelta(minutes=10)
    offered = [release(WANTED_WEB, seeders=12, size_gb=4.2, published=published, indexer_id=3)]
    client = FakeClient()
    providers = grabbing(FakeIndexer(lambda q: offered), clients=[client])
    ctx = run(db, "task_missing_episodes", providers)
    holding = (f"{WANTED_WEB} (WEBDL-1080p, 12 seeders) from Fake Indexer until 2024-06-20 10:50 UTC "
               "(torrent delay 60 min)")
    assert activity(ctx) == [("Wanted (2019)", "delay", "success", f"Holding {holding}; 1 result, 1 accepted")]
    assert (client.added, ctx.affected) == ([], 1)
    due = published + timedelta(minutes=60)
    held = (WANTED_WEB, "WEBDL-1080p", "torrent", 12, 4_200_000_000, 3, published, due, False)
    assert pending_rows(db) == [(*held, "pending")]

    again = run(db, "task_missing_episodes", providers, force=True)
    assert activity(again) == [("Wanted (2019)", "delay", "skipped", f"Still holding {holding}; 1 result, 1 accepted")]
    assert len(pending_rows(db)) == 1
    assert activity(run(db, "task_pending_releases", providers, now=due - timedelta(minutes=1))) == []

    ctx = run(db, "task_pending_releases", providers, now=due)
    assert activity(ctx) == [("Wanted (2019)", "grab", "grabbed",
                              f"Grabbed {WANTED_WEB} (WEBDL-1080p, 12 seeders) from Fake Indexer → Fake Client "
                              "after its delay")]
    assert client.added == [(WANTED_WEB, "movies")]
    assert pending_rows(db) == [(*held, "grabbed")]


def test_the_delay_is_changed_field_by_field_and_checked(db: Database) -> None:
    service = DelayService(db)
    assert service.get() == Delay(0, 0, True)
    assert service.update({"torrent_minutes": 90}, NOW) == Delay(0, 90, True)
    assert service.update({"bypass_if_highest": False}, NOW) == service.get() == Delay(0, 90, False)
    for changes, message in (
        ({"usenet_minutes": -1}, "'usenetDelay' must be an integer from 0 to 10080 (minutes)"),
        ({"torrent_minutes": True}, "'torrentDelay' must be an integer from 0 to 10080 (minutes)"),
        ({"bypass_if_highest": 1}, "'bypassIfHighestQuality' must be true or false"),
        ({"preferred": "usenet"}, "Unknown field(s): preferred"),
    ):
        with pytest.raises(ValidationError, match=re.escape(message)):
            service.update(changes, NOW)
    assert service.get() == Delay(0, 90, False)


def test_the_top_quality_and_a_protocol_without_delay_are_grabbed_at_once(db: Database, lib: Library) -> None:
    save_delay(db, Delay(usenet_minutes=0, torrent_minutes=60), NOW)
    hd = lib.profile()
    lib.movie("Top", hd)
    lib.movie("Usenet", hd)
    offers = {"Top": [release("Top.2019.1080p.BluRay.x264-SPARKS", published=NOW)],
              "Usenet": [release("Usenet.2019.1080p.WEB-DL.x264-NTb", protocol="usenet", published=NOW)]}
    torrent, usenet = FakeClient(), FakeClient("SABnzbd", ("usenet",))
    providers = grabbing(FakeIndexer(lambda q: offers[q.title]), clients=[torrent, usenet])
    assert [row[1:3] for row in activity(run(db, "task_missing_episodes", providers))] == [("grab", "grabbed")] * 2
    assert torrent.titles == ["Top.2019.1080p.BluRay.x264-SPARKS"]
    assert usenet.titles == ["Usenet.2019.1080p.WEB-DL.x264-NTb"]

    save_delay(db, Delay(usenet_minutes=0, torrent_minutes=60, bypass_if_highest=False), NOW)
    downloads_imported(db)
    ctx = run(db, "task_missing_episodes", providers, force=True)
    assert activity(ctx)[0][:3] == ("Top (2019)", "delay", "success")


def test_cutoff_unmet_waits_out_the_delay_but_an_upgrade_beyond_the_cutoff_does_not(db: Database, lib: Library) -> None:
    save_delay(db, Delay(torrent_minutes=60, bypass_if_highest=False), NOW)
    hd = lib.profile()
    lib.file("HDTV-720p", movie=lib.movie("Below", hd))
    lib.file("WEBDL-1080p", movie=lib.movie("AtCutoff", hd))
    client = FakeClient()
    providers = grabbing(FakeIndexer(lambda q: [release(f"{q.title}.2019.1080p.BluRay.x264-SPARKS", published=NOW)]),
                         clients=[client])
    assert [row[1:3] for row in activity(run(db, "task_cutoff_unmet", providers))] == [("delay", "success")]
    assert [row[1:3] for row in activity(run(db, "task_upgrade", providers))] == [("grab", "grabbed")]
    assert client.titles == ["AtCutoff.2019.1080p.BluRay.x264-SPARKS"]


def test_a_held_season_pack_is_judged_again_as_a_pack(db: Database, half_missing_season: None) -> None:
    save_delay(db, Delay(torrent_minutes=60), NOW)
    client = FakeClient()
    providers = grabbing(FakeIndexer(lambda q: [release(PACK, published=NOW)] if q.is_season_pack else []),
                         clients=[client])
    ctx = run(db, "task_missing_episodes", providers)
    holding = (f"Holding {PACK} (WEBDL-1080p) from Fake Indexer until 2024-06-20 11:00 UTC (torrent delay 60 min); "
               "1 result, 1 accepted")
    assert activity(ctx) == [(f"Show S01E0{n}", "delay", "success", holding) for n in (2, 3, 4)] + [
        ("Show S02E04", "search", "no_results", "Searched 1 indexer for Show S02E04: 0 results"),
    ]
    assert [(row[0], row[-2], row[-1]) for row in pending_rows(db)] == [(PACK, True, "pending")]
    ctx = run(db, "task_pending_releases", providers, now=NOW + timedelta(hours=1))
    assert activity(ctx) == [("Show S01E02", "grab", "grabbed",
                              f"Grabbed {PACK} (WEBDL-1080p) from Fake Indexer → Fake Client after its delay")]
    assert client.added == [(PACK, "tv")]


def test_pending_releases_grab_the_best_due_one_and_expire_the_unneeded(db: Database, lib: Library) -> None:
    hd = lib.profile()
    wanted, done = lib.movie("Wanted", hd), lib.movie("Done", hd)
    lib.file("WEBDL-1080p", movie=done)
    low = lib.pending("Wanted.2019.720p.HDTV.x264-CTU", NOW - timedelta(minutes=5), movie=wanted)
    high = lib.pending("Wanted.2019.1080p.BluRay.x264-SPARKS", NOW - timedelta(minutes=1), movie=wanted)
    later = lib.pending(WANTED_WEB, NOW + timedelta(hours=1), movie=wanted)
    unneeded = lib.pending("Done.2019.1080p.BluRay.x264-SPARKS", NOW + timedelta(hours=1), movie=done)
    client = FakeClient()
    ctx = run(db, "task_pending_releases", grabbing(clients=[client]))
    assert activity(ctx) == [
        ("Wanted (2019)", "grab", "grabbed",
         "Grabbed Wanted.2019.1080p.BluRay.x264-SPARKS (Bluray-1080p) from idx → Fake Client after its delay"),
        ("Wanted (2019)", "expire", "success", "Expired Wanted.2019.720p.HDTV.x264-CTU: a better release was grabbed"),
        ("Done (2019)", "expire", "success",
         "Expired Done.2019.1080p.BluRay.x264-SPARKS: the file already meets the cutoff"),
    ]
    assert client.added == [("Wanted.2019.1080p.BluRay.x264-SPARKS", "movies")]
    statuses = [column(db, PendingRelease.status, rid) for rid in (high, low, later, unneeded)]
    assert statuses == ["grabbed", "expired", "expired", "expired"]  # what else was held waits for nothing now
    assert (ctx.processed, ctx.affected) == (3, 3)


def test_pending_releases_blocklist_what_the_client_fails_to_take_and_try_the_next(db: Database, lib: Library) -> None:
    movie = lib.movie("Wanted", lib.profile())
    bluray = "Wanted.2019.1080p.BluRay.x264-SPARKS"
    refused = lib.pending(bluray, NOW - timedelta(minutes=1), movie=movie)
    taken = lib.pending(WANTED_WEB, NOW - timedelta(minutes=1), movie=movie)
    client = FakeClient(refuse={bluray})
    ctx = run(db, "task_pending_releases", grabbing(clients=[client]))
    assert activity(ctx) == [
        ("Wanted (2019)", "grab", "failed", f"{bluray} → Fake Client failed: the torrent is invalid (blocklisted)"),
        ("Wanted (2019)", "grab", "grabbed",
         f"Grabbed {WANTED_WEB} (WEBDL-1080p) from idx → Fake Client after its delay"),
    ]
    assert [column(db, PendingRelease.status, rid) for rid in (refused, taken)] == ["failed", "grabbed"]
    assert blocked(db, movie) == [(bluray, "the torrent is invalid", "idx")]


def test_new_episodes_adds_announced_episodes_and_searches_those_aired(db: Database, lib: Library) -> None:
    show = lib.series("Show", lib.profile(), tmdb_id=77)
    lib.file("WEBDL-1080p", episode=lib.episode(show, 1, 1, TODAY - timedelta(days=60)))
    metadata = FakeMetadata({77: [
        EpisodeInfo(1, 1, "Pilot", TODAY - timedelta(days=60)), EpisodeInfo(1, 2, "Second", TODAY - timedelta(days=1)),
        EpisodeInfo(1, 3, "Third", TODAY + timedelta(days=6)),
    ]})
    indexer = FakeIndexer(lambda query: [release(f"Show.S01E0{query.episode}.1080p.WEB-DL.x264-NTb")])
    providers = grabbing(indexer, clients=[FakeClient()], metadata=metadata)
    ctx = run(db, "task_new_episodes", providers)
    assert activity(ctx) == [
        ("Show", "detect", "success", "Found 2 new episodes: S01E02, S01E03"),
        ("Show S01E02", "grab", "grabbed",
         "Grabbed Show.S01E02.1080p.WEB-DL.x264-NTb (WEBDL-1080p) from Fake Indexer → Fake Client; "
         "1 result, 1 accepted"),
    ]
    with db.read() as session:
        added = session.execute(select(Episode.episode_number, Episode.title, Episode.monitored).where(
            Episode.series_id == show).order_by(Episode.episode_number)).all()
    assert [tuple(row) for row in added] == [(1, "E1", True), (2, "Second", True), (3, "Third", True)]
    assert column(db, Series.last_refreshed_at, show) == NOW
    later = run(db, "task_new_episodes", providers, now=NOW + timedelta(hours=1))
    assert activity(later) == [("Show", "detect", "no_results", "No new episodes")]


def test_cancelling_mid_run_keeps_the_work_done(db: Database, lib: Library) -> None:
    hd = lib.profile()
    movies = [lib.movie(title, hd) for title in ("One", "Two", "Three")]
    ctx = start(db, "task_missing_episodes")

    def answer(query: SearchQuery) -> list[Release]:
        if query.title == "Two":
            ctx.local_cancel.set()
        return [release(f"{query.title}.2019.1080p.WEB-DL.x264-NTb")]

    with pytest.raises(RunStopped) as stopped:
        finish(ctx, grabbing(FakeIndexer(answer), clients=[FakeClient()]))
    ctx.flush()
    assert stopped.value.status == RUN_CANCELLED
    assert [row[:3] for row in activity(ctx)] == [("One (2019)", "grab", "grabbed"), ("Two (2019)", "grab", "grabbed")]
    assert (ctx.processed, ctx.affected) == (2, 2)
    assert [column(db, Movie.last_searched_at, movie) for movie in movies] == [NOW, NOW, None]


# --- subtitles -------------------------------------------------------------------------------


def subtitle_rows(db: Database, file_id: int) -> list[tuple[str, int, str | None, str | None]]:
    with db.read() as session:
        rows = session.execute(select(SubtitleFile.language, SubtitleFile.score, SubtitleFile.provider, SubtitleFile.path)
                               .where(SubtitleFile.media_file_id == file_id).order_by(SubtitleFile.language))
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_missing_subtitles_download_the_best_result_above_the_minimum(db: Database, lib: Library) -> None:
    movie = lib.movie("Film", lib.profile())
    english_only = lib.file("WEBDL-1080p", movie=movie)
    lib.subtitle(english_only, "en", 100)
    offered = [subtitle("fr", 65, "a"), subtitle("fr", 95, "b"), subtitle("fr", 80, "c"), subtitle("en", 100, "d")]
    store = FakeStore()
    ctx = run(db, "task_missing_subtitles", ProviderSet(subtitle_providers=[FakeSubtitles(offered)], subtitle_store=store))
    path = f"/media/{movie}-None.mkv.fr.srt"
    assert activity(ctx) == [("Film (2019)", "download_subtitle", "success", f"Downloaded fr subtitle (score 95, Fake Subs) → {path}")]
    assert store.saved == {path: b"subtitle b"}
    assert subtitle_rows(db, english_only)[1] == ("fr", 95, "Fake Subs", path)
    assert column(db, MediaFile.subtitles_searched_at, english_only) == NOW
    assert ctx.affected == 1


def test_missing_subtitles_below_the_minimum_are_no_result(db: Database, lib: Library) -> None:
    lib.file("WEBDL-1080p", movie=lib.movie("Film", lib.profile()))
    provider = FakeSubtitles([subtitle("en", 59), subtitle("fr", 69)])
    ctx = run(db, "task_missing_subtitles", ProviderSet(subtitle_providers=[provider], subtitle_store=FakeStore()))
    assert activity(ctx) == [
        ("Film (2019)", "download_subtitle", "no_results", "No en subtitle scoring 60 or more (2 results)"),
        ("Film (2019)", "download_subtitle", "no_results", "No fr subtitle scoring 70 or more (2 results)"),
    ]
    assert [(r.language, r.title, r.year) for r in provider.requests] == [("en", "Film", 2019), ("fr", "Film", 2019)]


def test_subtitles_are_written_beside_the_media_file_by_default(db: Database, lib: Library, tmp_path: Path) -> None:
    file = lib.file("WEBDL-1080p", movie=lib.movie("Film", lib.profile()))
    media = tmp_path / "Film (2019).mkv"
    with db.write() as session:
        session.execute(update(MediaFile).where(MediaFile.id == file).values(path=str(media)))
    run(db, "task_missing_subtitles", ProviderSet(subtitle_providers=[FakeSubtitles([subtitle("en", 90, "x")])]))
    assert (tmp_path / "Film (2019).en.srt").read_bytes() == b"subtitle x"
    assert subtitle_rows(db, file) == [("en", 90, "Fake Subs", str(tmp_path / "Film (2019).en.srt"))]


def test_subtitle_upgrade_replaces_a_subtitle_only_with_a_clearly_better_one(db: Database, lib: Library) -> None:
    movie = lib.movie("Film", lib.profile())
    file = lib.file("WEBDL-1080p", movie=movie)
    lib.subtitle(file, "en", 70)
    lib.subtitle(file, "fr", 100)
    offered = [subtitle("en", 75, "slightly")]
    providers = ProviderSet(subtitle_providers=[FakeSubtitles(offered)], subtitle_store=FakeStore())
    ctx = run(db, "task_subtitle_upgrade", providers)
    assert activity(ctx) == [("Film (2019)", "upgrade_subtitle", "no_results", "No en subtitle scoring 80 or more (1 result)")]
    offered.append(subtitle("en", 85, "clearly"))
    ctx = run(db, "task_subtitle_upgrade", providers, force=True)
    assert activity(ctx) == [("Film (2019)", "upgrade_subtitle", "success", "Downloaded en subtitle (score 85, Fake Subs) → "
                             f"/media/{movie}-None.mkv.en.srt")]
    assert [row[:2] for row in subtitle_rows(db, file)] == [("en", 85), ("fr", 100)]


def test_subtitle_search_on_import_fetches_what_each_import_lacks(db: Database, lib: Library) -> None:
    hd = lib.profile()
    bare_movie = lib.movie("Bare", hd)
    bare = lib.file("WEBDL-1080p", movie=bare_movie)
    complete = lib.file("WEBDL-1080p", movie=lib.movie("Complete", hd))
    lib.subtitle(complete, "en", 100)
    lib.subtitle(complete, "fr", 100)
    entries = [lib.queued(bare, NOW - timedelta(minutes=2)), lib.queued(complete, NOW - timedelta(minutes=1))]
    providers = ProviderSet(subtitle_providers=[FakeSubtitles([subtitle("en", 90)])], subtitle_store=FakeStore())
    ctx = run(db, "task_subtitle_search_on_import", providers)
    assert activity(ctx) == [
        ("Bare (2019)", "download_subtitle", "success",
         f"en: Downloaded en subtitle (score 90, Fake Subs) → /media/{bare_movie}-None.mkv.en.srt; fr: No fr subtitle scoring 70 or more (1 result)"),
        ("Complete (2019)", "skip", "skipped", "No wanted subtitle language is missing"),
    ]
    assert [column(db, ImportQueueEntry.processed_at, entry) for entry in entries] == [NOW, NOW]
    assert [row[:2] for row in subtitle_rows(db, bare)] == [("en", 90)]
    assert (ctx.processed, ctx.affected) == (2, 1)


# --- history cleanup -------------------------------------------------------------------------


def add_run(db: Database, task_id: str, status: str, age_days: int, activity_rows: int = 0) -> str:
    run_id = f"exec_old{time.monotonic_ns()}"
    created = NOW - timedelta(days=age_days)
    with db.write() as session:
        if session.get(TaskSetting, task_id) is None:
            session.add(TaskSetting(id=task_id, interval=60, updated_at=NOW))
            session.flush()
        session.add(TaskRun(id=run_id, task_id=task_id, status=status, trigger="scheduled", created_at=created))
        session.flush()
        session.add_all(TaskActivity(run_id=run_id, action="search", status="skipped", timestamp=created)
                        for _ in range(activity_rows))
    return run_id


def remaining_runs(db: Database) -> set[str]:
    with db.read() as session:
        return set(session.execute(select(TaskRun.id)).scalars())


def activity_of(db: Database, run_id: str) -> int:
    with db.read() as session:
        return len(session.execute(select(TaskActivity.id).where(TaskActivity.run_id == run_id)).all())


def test_history_cleanup_deletes_only_old_finished_runs_with_their_activity(db: Database) -> None:
    completed = add_run(db, "task_upgrade", "completed", 40, activity_rows=3)
    failed = add_run(db, "task_upgrade", "failed", 31)
    running = add_run(db, "task_missing_episodes", "running", 40, activity_rows=1)
    queued = add_run(db, "task_upgrade", "queued", 40)
    recent = add_run(db, "task_upgrade", "cancelled", 29, activity_rows=2)
    ctx = run(db, "task_history_cleanup")
    assert activity(ctx) == [(None, "delete", "success", "Deleted 2 runs and 3 activity rows older than 30 days")]
    assert remaining_runs(db) == {running, queued, recent, ctx.run_id}
    assert (activity_of(db, completed), activity_of(db, running), activity_of(db, recent)) == (0, 1, 2)
    assert (ctx.processed, ctx.affected) == (2, 2)
    assert failed not in remaining_runs(db)
    shorter = run(db, "task_history_cleanup", options={"retentionDays": 1}, now=NOW)
    assert activity(shorter)[0][3] == "Deleted 1 run and 2 activity rows older than 1 day"


def test_history_cleanup_with_nothing_to_delete_says_so(db: Database) -> None:
    ctx = run(db, "task_history_cleanup")
    assert activity(ctx) == [(None, "delete", "no_results", "No finished runs older than 30 days")]


def test_history_cleanup_works_in_chunks_and_stops_between_them(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(system, "CHUNK_RUNS", 2)
    for _ in range(5):
        add_run(db, "task_upgrade", "completed", 60, activity_rows=1)
    ctx = run(db, "task_history_cleanup")
    assert [row[3] for row in activity(ctx)] == [
        "Deleted 2 runs and 2 activity rows older than 30 days", "Deleted 2 runs and 2 activity rows older than 30 days",
        "Deleted 1 run and 1 activity row older than 30 days",
    ]
    for _ in range(5):
        add_run(db, "task_upgrade", "completed", 60)
    ctx = start(db, "task_history_cleanup")
    original = system.delete_expired_runs

    def delete_then_cancel(*args: Any) -> tuple[int, int]:
        ctx.local_cancel.set()
        return original(*args)

    monkeypatch.setattr(system, "delete_expired_runs", delete_then_cancel)
    with pytest.raises(RunStopped):
        finish(ctx, ProviderSet.empty())
    ctx.flush()
    assert len(activity(ctx)) == 1
    assert len(remaining_runs(db)) == 3 + 2  # the first cleanup, this one, and the three not reached
