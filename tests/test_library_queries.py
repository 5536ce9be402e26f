"""The selection queries, on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest

from builders import NOW, TODAY, Library, titles
from webapp.db import Database
from webapp.library import (
    MediaItem, Profile, cutoff_unmet_items, import_queue, load_profiles, missing_items, missing_subtitles,
    newly_aired_episodes, pending_releases, series_to_refresh, upgradable_items, upgradable_subtitles,
)


@pytest.fixture
def lib(db: Database) -> Library:
    return Library(db)


def test_media_items_name_themselves() -> None:
    movie = MediaItem(kind="movie", id=12, name="Heat", profile_id=1, year=1995)
    episode = MediaItem(kind="episode", id=34, name="Lost", profile_id=1, series_id=3, season=1, episode=2)
    assert (movie.media_id, movie.title) == ("movie_12", "Heat (1995)")
    assert (episode.media_id, episode.title) == ("episode_34", "Lost S01E02")


def test_missing_items_are_monitored_aired_and_without_a_file(db: Database, lib: Library) -> None:
    hd = lib.profile()
    lib.movie("Wanted", hd)
    lib.movie("Unmonitored", hd, monitored=False)
    lib.file("WEBDL-1080p", movie=lib.movie("Has File", hd))
    show = lib.series("Show", hd)
    lib.episode(show, 1, 1, TODAY - timedelta(days=7))
    lib.file("SDTV", episode=lib.episode(show, 1, 2, TODAY))
    lib.episode(show, 1, 3, TODAY + timedelta(days=1))
    lib.episode(show, 1, 4, None)
    lib.episode(show, 1, 5, TODAY - timedelta(days=1), monitored=False)
    lib.episode(lib.series("Dropped", hd, monitored=False), 1, 1, TODAY - timedelta(days=7))
    with db.read() as session:
        wanted = missing_items(session, today=TODAY, searched_before=NOW - timedelta(hours=12))
    assert titles(wanted) == ["Show S01E01", "Wanted (2019)"]
    assert [w.season_size for w in wanted] == [3, 0]  # three episodes of season 1 have aired


def test_missing_items_respect_the_search_cooldown_unless_forced(db: Database, lib: Library) -> None:
    hd = lib.profile()
    lib.movie("Recent", hd, searched=NOW - timedelta(hours=1))
    lib.movie("Long Ago", hd, searched=NOW - timedelta(days=2))
    lib.movie("Never", hd)
    with db.read() as session:
        cooled = missing_items(session, today=TODAY, searched_before=NOW - timedelta(hours=12))
        forced = missing_items(session, today=TODAY, searched_before=None)
        first = missing_items(session, today=TODAY, searched_before=None, limit=1)
    assert titles(cooled) == ["Never (2019)", "Long Ago (2019)"]
    assert titles(forced) == ["Never (2019)", "Long Ago (2019)", "Recent (2019)"]
    assert titles(first) == ["Never (2019)"]


def test_newly_aired_episodes_aired_or_were_added_since(db: Database, lib: Library) -> None:
    hd = lib.profile()
    show = lib.series("Show", hd)
    since = NOW - timedelta(hours=1)
    lib.episode(show, 1, 1, TODAY - timedelta(days=30))
    lib.episode(show, 1, 2, TODAY)
    lib.episode(show, 1, 3, TODAY - timedelta(days=30), added=NOW - timedelta(minutes=5))
    lib.episode(show, 1, 4, TODAY, searched=NOW - timedelta(minutes=30))
    lib.episode(show, 1, 5, TODAY + timedelta(days=7), added=NOW)
    with db.read() as session:
        fresh = newly_aired_episodes(session, today=TODAY, since=since, searched_before=since)
        forced = newly_aired_episodes(session, today=TODAY, since=since, searched_before=None)
    assert titles(fresh) == ["Show S01E02", "Show S01E03"]
    assert titles(forced) == ["Show S01E02", "Show S01E03", "Show S01E04"]


def test_cutoff_unmet_ranks_the_best_file_against_the_cutoff(db: Database, lib: Library) -> None:
    hd = lib.profile()
    lib.file("HDTV-720p", movie=lib.movie("Below", hd))
    lib.file("WEBDL-1080p", movie=lib.movie("At Cutoff", hd))
    two_files = lib.movie("Two Files", hd)
    lib.file("SDTV", movie=two_files)
    lib.file("Bluray-1080p", movie=two_files)
    lib.file("DVD-Unlisted", movie=lib.movie("Unlisted Quality", hd))
    lib.file("SDTV", movie=lib.movie("Unmonitored", hd, monitored=False))
    lib.movie("No File", hd)
    show = lib.series("Show", hd)
    lib.file("SDTV", episode=lib.episode(show, 2, 1, TODAY))
    with db.read() as session:
        below = cutoff_unmet_items(session, searched_before=None)
    assert {(item.title, item.file_rank, item.target_rank) for item in below} == {
        ("Below (2019)", 2, 3), ("Unlisted Quality (2019)", 0, 3), ("Show S02E01", 1, 3),
    }


def test_upgradable_items_need_upgrades_allowed_and_room_for_the_increment(db: Database, lib: Library) -> None:
    open_profile = lib.profile()
    closed = lib.profile("Closed", upgrades=False)
    by_two = lib.profile("By Two", increment=2)
    lib.file("WEBDL-1080p", movie=lib.movie("Open Rank 3", open_profile))
    lib.file("Bluray-1080p", movie=lib.movie("Open Top", open_profile))
    lib.file("SDTV", movie=lib.movie("Closed Rank 1", closed))
    lib.file("WEBDL-1080p", movie=lib.movie("By Two Rank 3", by_two))
    lib.file("HDTV-720p", movie=lib.movie("By Two Rank 2", by_two))
    lib.file("SDTV", movie=lib.movie("Searched", open_profile, searched=NOW - timedelta(hours=1)))
    with db.read() as session:
        upgradable = upgradable_items(session, searched_before=NOW - timedelta(days=3))
    assert titles(upgradable) == ["Open Rank 3 (2019)", "By Two Rank 2 (2019)"]


def test_pending_releases_due_or_no_longer_needed_best_first(db: Database, lib: Library) -> None:
    hd = lib.profile()
    wanted = lib.movie("Wanted", hd)
    done = lib.movie("Done", hd)
    lib.file("Bluray-1080p", movie=done)
    show = lib.series("Show", hd)
    episode = lib.episode(show, 1, 1, TODAY)
    lib.pending("Wanted.Low", NOW - timedelta(minutes=1), movie=wanted, score=10)
    lib.pending("Wanted.High", NOW - timedelta(hours=1), movie=wanted, score=90)
    lib.pending("Wanted.Later", NOW + timedelta(hours=1), movie=wanted, score=99)
    lib.pending("Wanted.Grabbed", NOW - timedelta(hours=1), movie=wanted, status="grabbed")
    lib.pending("Done.Later", NOW + timedelta(hours=1), movie=done, score=5)
    lib.pending("Show.S01E01", NOW, episode=episode, score=50)
    with db.read() as session:
        releases = pending_releases(session, now=NOW)
    assert [(r.release_title, r.satisfied, r.title) for r in releases] == [
        ("Wanted.High", False, "Wanted (2019)"), ("Show.S01E01", False, "Show S01E01"),
        ("Wanted.Low", False, "Wanted (2019)"), ("Done.Later", True, "Done (2019)"),
    ]


def test_missing_subtitles_give_one_row_per_file_and_missing_language(db: Database, lib: Library) -> None:
    hd = lib.profile()
    lib.language("en", 60)
    lib.language("fr", 70)
    english_only = lib.file("WEBDL-1080p", movie=lib.movie("English Only", hd))
    lib.subtitle(english_only, "en", 90)
    bare = lib.file("WEBDL-1080p", movie=lib.movie("Bare", hd))
    complete = lib.file("WEBDL-1080p", movie=lib.movie("Complete", hd))
    lib.subtitle(complete, "en", 100)
    lib.subtitle(complete, "fr", 40)
    lib.file("WEBDL-1080p", movie=lib.movie("Searched", hd), subtitles_searched=NOW - timedelta(hours=1))
    with db.read() as session:
        needs = missing_subtitles(session, searched_before=NOW - timedelta(hours=3))
    assert [(n.title, n.file_id, n.language, n.min_score) for n in needs] == [
        ("English Only (2019)", english_only, "fr", 70), ("Bare (2019)", bare, "en", 60), ("Bare (2019)", bare, "fr", 70),
    ]


def test_upgradable_subtitles_are_wanted_languages_below_the_best_score(db: Database, lib: Library) -> None:
    hd = lib.profile()
    lib.language("en", 60)
    file = lib.file("WEBDL-1080p", movie=lib.movie("Film", hd))
    lib.subtitle(file, "en", 70)
    lib.subtitle(lib.file("WEBDL-1080p", movie=lib.movie("Perfect", hd)), "en", 100)
    lib.subtitle(lib.file("WEBDL-1080p", movie=lib.movie("Unwanted", hd)), "de", 10)
    with db.read() as session:
        needs = upgradable_subtitles(session, searched_before=None)
    assert [(n.title, n.language, n.current_score, n.min_score) for n in needs] == [("Film (2019)", "en", 70, 60)]


def test_import_queue_lists_unprocessed_entries_with_their_missing_languages(db: Database, lib: Library) -> None:
    hd = lib.profile()
    lib.language("en", 60)
    lib.language("fr", 70)
    show = lib.series("Show", hd)
    lacking = lib.file("WEBDL-1080p", episode=lib.episode(show, 1, 1, TODAY))
    lib.subtitle(lacking, "en", 90)
    complete = lib.file("WEBDL-1080p", movie=lib.movie("Complete", hd))
    lib.subtitle(complete, "en", 90)
    lib.subtitle(complete, "fr", 90)
    first = lib.queued(lacking, NOW - timedelta(minutes=20))
    second = lib.queued(complete, NOW - timedelta(minutes=10))
    lib.queued(lacking, NOW - timedelta(minutes=30), processed=NOW - timedelta(minutes=25))
    with db.read() as session:
        entries = import_queue(session)
        oldest = import_queue(session, limit=1)
    assert [(e.entry_id, e.title, [w.language for w in e.missing]) for e in entries] == [
        (first, "Show S01E01", ["fr"]), (second, "Complete (2019)", []),
    ]
    assert [e.entry_id for e in oldest] == [first]


def test_series_to_refresh_are_monitored_least_recent_first_and_those_without_tmdb_id_last(
    db: Database, lib: Library
) -> None:
    hd = lib.profile()
    lib.series("Unknown To Metadata", hd)
    lib.series("Refreshed", hd, tmdb_id=1, refreshed=NOW - timedelta(hours=1))
    lib.series("Never", hd, tmdb_id=2)
    lib.series("Unmonitored", hd, tmdb_id=3, monitored=False)
    with db.read() as session:
        shows = series_to_refresh(session)
        first = series_to_refresh(session, limit=2)
    assert [(s.title, s.tmdb_id, s.media_id.startswith("series_")) for s in shows] == [
        ("Never", 2, True), ("Refreshed", 1, True), ("Unknown To Metadata", None, True),
    ]
    assert [s.title for s in first] == ["Never", "Refreshed"]  # a limit works through those TMDB knows first


def test_profiles_load_with_their_ranks(db: Database, lib: Library) -> None:
    hd = lib.profile()
    with db.read() as session:
        profile = load_profiles(session)[hd]
    assert (profile.cutoff_rank, profile.rank("Bluray-1080p"), profile.rank("Remux-2160p")) == (3, 4, 0)
    assert (profile.top_rank, Profile(1, "Empty", {}, "x", True, 1).top_rank) == (4, 0)