"""The demo library: idempotent, deterministic, and something for every task to do."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from builders import NOW, TODAY, activity, run
from webapp.db import Database
from webapp.demo.history import OLD_RUNS, seed_old_runs
from webapp.library import (
    cutoff_unmet_items, import_queue, missing_items, missing_subtitles, newly_aired_episodes, pending_releases,
    seed_demo, upgradable_items, upgradable_subtitles,
)
from webapp.models import Base, Episode, Movie, PendingRelease, Series, TaskSetting
from webapp.tasks import build_registry
from webapp.providers import ProviderSet

TABLES = ("quality_profiles", "movies", "series", "episodes", "media_files", "subtitle_files", "pending_releases",
          "import_queue")


def row_counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            name: session.execute(select(func.count()).select_from(Base.metadata.tables[name])).scalar_one()
            for name in TABLES
        }


def test_seeding_adds_about_the_items_asked_for_and_nothing_twice(db: Database) -> None:
    first = seed_demo(db, 500, NOW)
    assert (first["movies"], first["episodes"], first["quality_profiles"]) == (200, 300, 2)
    assert first == row_counts(db)
    assert seed_demo(db, 500, NOW + timedelta(hours=1)) == dict.fromkeys(TABLES, 0)
    assert row_counts(db) == first


def test_a_larger_library_adds_only_the_missing_items(db: Database) -> None:
    small = seed_demo(db, 300, NOW)
    grown = seed_demo(db, 500, NOW)
    assert (grown["movies"], grown["episodes"]) == (200 - small["movies"], 300 - small["episodes"])
    assert row_counts(db) == {name: small[name] + grown[name] for name in TABLES}
    assert row_counts(db)["movies"] + row_counts(db)["episodes"] == 500


def test_the_demo_is_deterministic_with_realistic_titles(db: Database, tmp_path_factory: pytest.TempPathFactory) -> None:
    other = Database(f"sqlite:///{tmp_path_factory.mktemp('other') / 'demo.db'}")
    Base.metadata.create_all(other.engine)
    seed_demo(db, 500, NOW)
    seed_demo(other, 500, NOW)
    titles = {}
    for name, database in (("db", db), ("other", other)):
        with database.read() as session:
            movies = session.execute(select(Movie.title, Movie.year).order_by(Movie.tmdb_id)).all()
            shows = session.execute(select(Series.title).order_by(Series.tmdb_id)).scalars().all()
            titles[name] = ([tuple(row) for row in movies], list(shows))
    other.dispose()
    assert titles["db"] == titles["other"]
    movies, shows = titles["db"]
    assert len(set(movies)) == len(movies) == 200
    assert all(title[0].isupper() and "{" not in title and 1975 <= year < 2025 for title, year in movies)
    assert len(set(shows)) == len(shows)


def test_the_demo_covers_every_tasks_case(db: Database) -> None:
    seed_demo(db, 500, NOW)
    with db.read() as session:
        missing = missing_items(session, today=TODAY, searched_before=NOW - timedelta(hours=12))
        forced = missing_items(session, today=TODAY, searched_before=None)
        fresh = newly_aired_episodes(session, today=TODAY, since=NOW - timedelta(hours=1), searched_before=None)
        pending = pending_releases(session, now=NOW)
        lacking = Counter(need.file_id for need in missing_subtitles(session, searched_before=None))
        imports = import_queue(session)
        assert cutoff_unmet_items(session, searched_before=None)
        assert upgradable_items(session, searched_before=None)
        assert upgradable_subtitles(session, searched_before=None)
        unaired = session.execute(select(func.count()).where(Episode.air_date > TODAY)).scalar_one()
        unmonitored = session.execute(select(func.count()).where(Movie.monitored.is_(False))).scalar_one()
        held = session.execute(select(func.count()).where(PendingRelease.release_at > NOW)).scalar_one()
        airing_today = session.execute(
            select(func.count()).select_from(Episode).join(Series, Series.id == Episode.series_id)
            .where(Episode.air_date == TODAY, Series.monitored.is_(True))
        ).scalar_one()
    assert {w.item.kind for w in missing} == {"movie", "episode"} and len(forced) > len(missing)
    episodes = [w for w in missing if w.item.kind == "episode"]
    wanted_per_season = Counter((w.item.series_id, w.item.season) for w in episodes)
    aired = {(w.item.series_id, w.item.season): w.season_size for w in episodes}
    assert any(count >= 2 and 2 * count >= aired[season] for season, count in wanted_per_season.items())  # packs
    assert len(fresh) == airing_today > 0  # every episode airing today is wanted
    assert {r.satisfied for r in pending} == {True, False}
    assert {1, 2} <= set(lacking.values())  # files lacking only French, and files lacking both
    assert imports and all(entry.missing for entry in imports)
    assert unaired and unmonitored and held


def test_every_task_finds_work_in_the_demo(tmp_path_factory: pytest.TempPathFactory) -> None:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    Base.metadata.create_all(db.engine)
    seed_demo(db, 500, NOW)
    for definition in build_registry(ProviderSet.empty()):
        rows = activity(run(db, definition.id))
        assert rows, definition.id
    db.dispose()


def test_the_demo_history_gives_history_cleanup_old_runs_to_delete(db: Database) -> None:
    with db.write() as session:  # as bootstrap leaves them
        session.add_all(TaskSetting(id=task_id, interval=60, updated_at=NOW) for task_id, *_ in OLD_RUNS)
    assert seed_old_runs(db, NOW) == 3
    assert seed_old_runs(db, NOW) == 0  # some run is old already: nothing added twice
    ctx = run(db, "task_history_cleanup")
    assert activity(ctx) == [(None, "delete", "success", "Deleted 3 runs and 3 activity rows older than 30 days")]
    assert activity(run(db, "task_history_cleanup")) == [
        (None, "delete", "no_results", "No finished runs older than 30 days"),
    ]
