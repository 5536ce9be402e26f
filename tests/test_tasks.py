"""The nine task bodies, run on a temporary SQLite database with fake providers."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from builders import NOW, TODAY, Library, activity, column, finish, run, start
from webapp.db import Database
from webapp.engine.context import RunStopped
from webapp.models import (
    RUN_CANCELLED, Episode, ImportQueueEntry, MediaFile, Movie, PendingRelease, Series, SubtitleFile,
    TaskActivity, TaskRun, TaskSetting,
)
from webapp.providers import (
    EpisodeInfo, ProviderError, ProviderSet, Release, SearchQuery, SubtitleRequest, SubtitleResult,
)
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
    name: str = "Fake Client"
    added: list[Release] = field(default_factory=list)

    def add(self, release: Release) -> str:
        self.added.append(release)
        return f"dl-{len(self.added)}"


@dataclass
class FakeSubtitles:
    results: list[SubtitleResult]
    name: str = "Fake Subs"
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


def release(title: str, quality: str, score: int = 0, full_season: bool = False) -> Release:
    return Release(title, quality, "Fake Indexer", f"https://example.invalid/{title}", score=score, full_season=full_season)


def subtitle(language: str, score: int, reference: str = "r") -> SubtitleResult:
    return SubtitleResult("Fake Subs", language, score, reference)


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
    ids["pending"] = lib.pending("Wanted.Release", NOW - timedelta(minutes=1), movie=ids["wanted"])
    return ids


@pytest.mark.parametrize(("task_id", "rows"), [
    ("task_missing_episodes", [("Wanted (2019)", "search", "skipped", "No indexer configured")]),
    ("task_new_episodes", [("Show", "detect", "skipped", "No metadata source configured")]),
    ("task_cutoff_unmet", [("Low (2019)", "search", "skipped", "No indexer configured")]),
    ("task_upgrade", [("Low (2019)", "search", "skipped", "No indexer configured")]),
    ("task_pending_releases", [
        ("Wanted (2019)", "grab", "skipped", "No download client configured (would grab Wanted.Release)"),
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


def test_missing_grabs_the_best_release_in_the_profile_and_starts_the_cooldown(db: Database, lib: Library) -> None:
    movie = lib.movie("Wanted", lib.profile())
    offered = [release("W.720p", "HDTV-720p", 99), release("W.WEB.a", "WEBDL-1080p", 5),
               release("W.WEB.b", "WEBDL-1080p", 9), release("W.Remux", "Remux-2160p", 100)]
    indexer, client = FakeIndexer(lambda query: offered), FakeClient()
    ctx = run(db, "task_missing_episodes", ProviderSet(indexers=[indexer], download_client=client))
    assert indexer.queries == [SearchQuery.movie("Wanted", 2019, None)]
    assert client.added == [offered[2]]
    assert activity(ctx) == [("Wanted (2019)", "grab", "grabbed", "Grabbed W.WEB.b (WEBDL-1080p) from Fake Indexer")]
    assert (ctx.processed, ctx.affected) == (1, 1)
    assert column(db, Movie.last_searched_at, movie) == NOW


def test_missing_records_empty_and_failed_searches(db: Database, lib: Library) -> None:
    hd = lib.profile()
    nothing, broken = lib.movie("Nothing", hd), lib.movie("Broken", hd)

    def answer(query: SearchQuery) -> list[Release]:
        if query.title == "Broken":
            raise ProviderError("timed out")
        return [release("N.Remux", "Remux-2160p")]

    ctx = run(db, "task_missing_episodes", ProviderSet(indexers=[FakeIndexer(answer)], download_client=FakeClient()))
    assert activity(ctx) == [
        ("Nothing (2019)", "search", "no_results", "No release in profile HD-1080p (1 results)"),
        ("Broken (2019)", "search", "failed", "Fake Indexer: timed out"),
    ]
    assert column(db, Movie.last_searched_at, nothing) == NOW
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


def test_a_season_pack_is_grabbed_once_for_a_half_missing_season(db: Database, half_missing_season: None) -> None:
    pack = release("Show.S01.1080p", "WEBDL-1080p", full_season=True)

    def answer(query: SearchQuery) -> list[Release]:
        return [pack, release("Show.S01E02", "Bluray-1080p")] if query.is_season_pack else [release("Single", "SDTV")]

    indexer, client = FakeIndexer(answer), FakeClient()
    ctx = run(db, "task_missing_episodes", ProviderSet(indexers=[indexer], download_client=client))
    grabbed = ("grab", "grabbed", "Grabbed Show.S01.1080p (WEBDL-1080p) from Fake Indexer")
    assert activity(ctx) == [(f"Show S01E0{n}", *grabbed) for n in (2, 3, 4)] + [
        ("Show S02E04", "grab", "grabbed", "Grabbed Single (SDTV) from Fake Indexer"),
    ]
    assert client.added == [pack, release("Single", "SDTV")]
    assert indexer.queries == [SearchQuery.season_pack("Show", 1, None), SearchQuery.for_episode("Show", 2, 4, None)]
    assert ctx.affected == 4


def test_without_a_season_pack_each_episode_is_searched(db: Database, half_missing_season: None) -> None:
    indexer = FakeIndexer(lambda query: [] if query.is_season_pack else [release(f"E{query.episode}", "SDTV")])
    ctx = run(db, "task_missing_episodes", ProviderSet(indexers=[indexer], download_client=FakeClient()))
    assert [row[3] for row in activity(ctx)] == [f"Grabbed E{n} (SDTV) from Fake Indexer" for n in (2, 3, 4, 4)]
    assert [q.episode for q in indexer.queries] == [None, 2, 3, 4, 4]


def test_cutoff_unmet_grabs_only_a_better_release(db: Database, lib: Library) -> None:
    hd = lib.profile()
    lib.file("HDTV-720p", movie=lib.movie("Better", hd))
    lib.file("HDTV-720p", movie=lib.movie("Same", hd))
    offers = {"Better": [release("B.720p", "HDTV-720p", 100), release("B.WEB", "WEBDL-1080p", 1)],
              "Same": [release("S.720p", "HDTV-720p", 100)]}
    client = FakeClient()
    ctx = run(db, "task_cutoff_unmet", ProviderSet([FakeIndexer(lambda q: offers[q.title])], client))
    assert activity(ctx) == [
        ("Better (2019)", "grab", "grabbed", "Grabbed B.WEB (WEBDL-1080p) from Fake Indexer"),
        ("Same (2019)", "search", "no_results", "No release of WEBDL-1080p or better (1 results)"),
    ]
    assert [r.title for r in client.added] == ["B.WEB"]


def test_upgrade_needs_the_profiles_minimum_increment(db: Database, lib: Library) -> None:
    lib.file("SDTV", movie=lib.movie("Film", lib.profile(increment=2)))
    offered = [release("F.720p", "HDTV-720p", 100)]
    indexer = FakeIndexer(lambda query: offered)
    ctx = run(db, "task_upgrade", ProviderSet([indexer], FakeClient()))
    assert activity(ctx) == [("Film (2019)", "search", "no_results", "No release of WEBDL-1080p or better (1 results)")]
    offered.append(release("F.WEB", "WEBDL-1080p", 1))
    ctx = run(db, "task_upgrade", ProviderSet([indexer], FakeClient()), force=True)
    assert activity(ctx) == [("Film (2019)", "grab", "grabbed", "Grabbed F.WEB (WEBDL-1080p) from Fake Indexer")]


def test_pending_releases_grab_the_best_due_one_and_expire_the_unneeded(db: Database, lib: Library) -> None:
    hd = lib.profile()
    wanted, done = lib.movie("Wanted", hd), lib.movie("Done", hd)
    lib.file("WEBDL-1080p", movie=done)
    low = lib.pending("Wanted.Low", NOW - timedelta(minutes=5), movie=wanted, score=10)
    high = lib.pending("Wanted.High", NOW - timedelta(minutes=1), movie=wanted, score=90)
    later = lib.pending("Wanted.Later", NOW + timedelta(hours=1), movie=wanted, score=99)
    unneeded = lib.pending("Done.Later", NOW + timedelta(hours=1), movie=done, score=50)
    client = FakeClient()
    ctx = run(db, "task_pending_releases", ProviderSet(download_client=client))
    assert activity(ctx) == [
        ("Wanted (2019)", "grab", "grabbed", "Grabbed Wanted.High (WEBDL-1080p) from idx"),
        ("Done (2019)", "expire", "success", "Expired Done.Later: the file already meets the cutoff"),
        ("Wanted (2019)", "expire", "success", "Expired Wanted.Low: a better release was grabbed"),
    ]
    assert [r.title for r in client.added] == ["Wanted.High"]
    statuses = [column(db, PendingRelease.status, rid) for rid in (high, low, later, unneeded)]
    assert statuses == ["grabbed", "expired", "pending", "expired"]
    assert (ctx.processed, ctx.affected) == (3, 3)


def test_new_episodes_adds_announced_episodes_and_searches_those_aired(db: Database, lib: Library) -> None:
    show = lib.series("Show", lib.profile(), tmdb_id=77)
    lib.file("WEBDL-1080p", episode=lib.episode(show, 1, 1, TODAY - timedelta(days=60)))
    metadata = FakeMetadata({77: [
        EpisodeInfo(1, 1, "Pilot", TODAY - timedelta(days=60)), EpisodeInfo(1, 2, "Second", TODAY - timedelta(days=1)),
        EpisodeInfo(1, 3, "Third", TODAY + timedelta(days=6)),
    ]})
    indexer = FakeIndexer(lambda query: [release(f"Show.S01E0{query.episode}", "WEBDL-1080p")])
    providers = ProviderSet(indexers=[indexer], download_client=FakeClient(), metadata=metadata)
    ctx = run(db, "task_new_episodes", providers)
    assert activity(ctx) == [
        ("Show", "detect", "success", "Found 2 new episodes: S01E02, S01E03"),
        ("Show S01E02", "grab", "grabbed", "Grabbed Show.S01E02 (WEBDL-1080p) from Fake Indexer"),
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
        return [release(f"{query.title}.WEB", "WEBDL-1080p")]

    with pytest.raises(RunStopped) as stopped:
        finish(ctx, ProviderSet([FakeIndexer(answer)], FakeClient()))
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
    assert activity(ctx) == [("Film (2019)", "download_subtitle", "success", "Downloaded fr subtitle from Fake Subs (score 95)")]
    path = f"/media/{movie}-None.mkv.fr.srt"
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
    file = lib.file("WEBDL-1080p", movie=lib.movie("Film", lib.profile()))
    lib.subtitle(file, "en", 70)
    lib.subtitle(file, "fr", 100)
    offered = [subtitle("en", 75, "slightly")]
    providers = ProviderSet(subtitle_providers=[FakeSubtitles(offered)], subtitle_store=FakeStore())
    ctx = run(db, "task_subtitle_upgrade", providers)
    assert activity(ctx) == [("Film (2019)", "upgrade_subtitle", "no_results", "No en subtitle scoring 80 or more (1 results)")]
    offered.append(subtitle("en", 85, "clearly"))
    ctx = run(db, "task_subtitle_upgrade", providers, force=True)
    assert activity(ctx) == [("Film (2019)", "upgrade_subtitle", "success", "Downloaded en subtitle from Fake Subs (score 85)")]
    assert [row[:2] for row in subtitle_rows(db, file)] == [("en", 85), ("fr", 100)]


def test_subtitle_search_on_import_fetches_what_each_import_lacks(db: Database, lib: Library) -> None:
    hd = lib.profile()
    bare = lib.file("WEBDL-1080p", movie=lib.movie("Bare", hd))
    complete = lib.file("WEBDL-1080p", movie=lib.movie("Complete", hd))
    lib.subtitle(complete, "en", 100)
    lib.subtitle(complete, "fr", 100)
    entries = [lib.queued(bare, NOW - timedelta(minutes=2)), lib.queued(complete, NOW - timedelta(minutes=1))]
    providers = ProviderSet(subtitle_providers=[FakeSubtitles([subtitle("en", 90)])], subtitle_store=FakeStore())
    ctx = run(db, "task_subtitle_search_on_import", providers)
    assert activity(ctx) == [
        ("Bare (2019)", "download_subtitle", "success",
         "en: Downloaded en subtitle from Fake Subs (score 90); fr: No fr subtitle scoring 70 or more (1 results)"),
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
