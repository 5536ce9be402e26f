"""Builders and helpers shared by the test modules: rows in, runs out, forms and streams read."""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, update

from webapp.db import Database
from webapp.engine.context import RunContext, append_activity
from webapp.engine.registry import TaskRegistry
from webapp.engine.runs import new_run_id
from webapp.library.grabs import IMPORTED
from webapp.runtime import Runtime
from webapp.services.tasks import Task
from webapp.models import (
    Episode, Grab, ImportQueueEntry, MediaFile, Movie, PendingRelease, ProfileQuality, QualityProfile, Series,
    SubtitleFile, TaskActivity, TaskRun, TaskSetting, WantedLanguage,
)
from webapp.providers import ProviderSet
from webapp.tasks import build_registry

NOW = datetime(2024, 6, 20, 10, 0, tzinfo=timezone.utc)
T0 = NOW
TODAY = NOW.date()
HD = ("SDTV", "HDTV-720p", "WEBDL-1080p", "Bluray-1080p")
PASSWORD = "correct horse battery staple"  # the ``user`` fixture's, and the browser tests' ``owner``
UPGRADE = "task_upgrade"
STATUSES = ("grabbed", "no_results", "skipped", "failed")
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def csrf_of(html: str) -> str:
    found = CSRF_TOKEN.search(html)
    assert found, "no csrf_token field on the page"
    return found.group(1)


def task(runtime: Runtime, task_id: str) -> Task:
    return runtime.tasks.get(task_id)


def read_until(chunks: Iterator[bytes], needle: str, timeout: float = 10) -> str:
    """What a streamed test-client response sends until ``needle`` arrives."""
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += next(chunks).decode()
        if needle in seen:
            return seen
    raise AssertionError(f"{needle!r} not in {seen[-2000:]!r}")


def add_run(db: Database, task_id: str = UPGRADE, *, status: str = "completed", created: datetime = T0,
            rows: int = 0, titles: list[str | None] | None = None, error: str | None = None) -> str:
    """A finished (or running) run with activity: row ``i`` is titled ``Item i`` unless ``titles`` says."""
    run_id = new_run_id()
    titles = titles if titles is not None else [f"Item {i}" for i in range(rows)]
    finished = status in ("completed", "failed", "cancelled")
    with db.write() as session:
        session.add(TaskRun(
            id=run_id, task_id=task_id, status=status, trigger="scheduled", created_at=created, started_at=created,
            completed_at=created + timedelta(seconds=75) if finished else None, duration_ms=75_000 if finished else None,
            items_processed=len(titles), items_affected=7, items_total=len(titles), error=error,
        ))
        session.flush()
        if titles:
            append_activity(session, run_id, [
                {"run_id": run_id, "media_id": f"movie-{i}", "media_title": title, "action": "search",
                 "status": STATUSES[i % len(STATUSES)], "message": f"message {i}", "timestamp": created}
                for i, title in enumerate(titles)
            ])
    return run_id


class Library:
    """Adds library rows with sensible defaults; each method returns the new row's id."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, model: type[Any], **fields: Any) -> int:
        with self.db.write() as session:
            row = model(**fields)
            session.add(row)
            session.flush()
            return row.id

    def profile(self, name: str = "HD-1080p", qualities: tuple[str, ...] = HD, cutoff: str = "WEBDL-1080p",
                upgrades: bool = True, increment: int = 1) -> int:
        profile_id = self.add(QualityProfile, name=name, cutoff_quality=cutoff, upgrades_allowed=upgrades,
                              min_upgrade_increment=increment)
        for rank, quality in enumerate(qualities, start=1):
            self.add(ProfileQuality, profile_id=profile_id, quality=quality, rank=rank)
        return profile_id

    def movie(self, title: str, profile: int, monitored: bool = True, searched: datetime | None = None,
              year: int = 2019) -> int:
        return self.add(Movie, tmdb_id=None, title=title, year=year, monitored=monitored, quality_profile_id=profile,
                        added_at=NOW - timedelta(days=90), last_searched_at=searched)

    def series(self, title: str, profile: int, monitored: bool = True, tmdb_id: int | None = None,
               refreshed: datetime | None = None) -> int:
        return self.add(Series, tmdb_id=tmdb_id, title=title, monitored=monitored, quality_profile_id=profile,
                        added_at=NOW - timedelta(days=90), last_refreshed_at=refreshed)

    def episode(self, series: int, season: int, number: int, aired: date | None, monitored: bool = True,
                searched: datetime | None = None, added: datetime | None = None) -> int:
        return self.add(Episode, series_id=series, season_number=season, episode_number=number, title=f"E{number}",
                        air_date=aired, monitored=monitored, added_at=added or NOW - timedelta(days=90),
                        last_searched_at=searched)

    def file(self, quality: str, movie: int | None = None, episode: int | None = None,
             subtitles_searched: datetime | None = None) -> int:
        return self.add(MediaFile, movie_id=movie, episode_id=episode, path=f"/media/{movie}-{episode}.mkv",
                        quality=quality, size_bytes=1, imported_at=NOW - timedelta(days=5),
                        subtitles_searched_at=subtitles_searched)

    def subtitle(self, file: int, language: str, score: int) -> int:
        return self.add(SubtitleFile, media_file_id=file, language=language, score=score, provider="p",
                        path=f"/media/{file}.{language}.srt", downloaded_at=NOW - timedelta(days=1))

    def language(self, language: str, min_score: int) -> int:
        return self.add(WantedLanguage, language=language, min_score=min_score)

    def pending(self, title: str, release_at: datetime, movie: int | None = None, episode: int | None = None,
                score: int = 50, status: str = "pending", quality: str = "WEBDL-1080p") -> int:
        return self.add(PendingRelease, movie_id=movie, episode_id=episode, title=title, quality=quality, score=score,
                        indexer="idx", download_url=f"https://example.invalid/{title}", added_at=NOW - timedelta(hours=12),
                        release_at=release_at, status=status)

    def queued(self, file: int, queued: datetime, processed: datetime | None = None) -> int:
        return self.add(ImportQueueEntry, media_file_id=file, queued_at=queued, processed_at=processed)


def titles(items: list[Any]) -> list[str]:
    return [item.title for item in items]


def start(db: Database, task_id: str, *, force: bool = False, options: dict[str, Any] | None = None,
          now: datetime = NOW) -> RunContext:
    """A running run of the task, as the engine would hand it to the body."""
    run_id = f"exec_test{time.monotonic_ns()}"
    with db.write() as session:
        if session.get(TaskSetting, task_id) is None:
            session.add(TaskSetting(id=task_id, interval=60, updated_at=now))
            session.flush()
        session.add(TaskRun(id=run_id, task_id=task_id, status="running", trigger="manual", created_at=now, started_at=now))
    return RunContext(db=db, run_id=run_id, task_id=task_id, force=force, options=options or {}, clock=lambda: now,
                      deadline=time.monotonic() + 60)


def finish(ctx: RunContext, providers: ProviderSet) -> RunContext:
    """Runs the body with these providers, writes what is pending and ends the run completed."""
    return complete(ctx, build_registry(providers))


def complete(ctx: RunContext, registry: TaskRegistry) -> RunContext:
    """Runs the body the registry holds for the run's task, writes what is pending and ends the run completed."""
    definition = registry.get(ctx.task_id)
    assert definition is not None
    definition.body(ctx)
    ctx.flush()
    with ctx.db.write() as session:
        session.execute(update(TaskRun).where(TaskRun.id == ctx.run_id).values(status="completed"))
    return ctx


def run(db: Database, task_id: str, providers: ProviderSet | None = None, **start_args: Any) -> RunContext:
    return finish(start(db, task_id, **start_args), providers or ProviderSet.empty())


def activity(ctx: RunContext) -> list[tuple[str | None, str, str, str | None]]:
    with ctx.db.read() as session:
        rows = session.execute(
            select(TaskActivity.media_title, TaskActivity.action, TaskActivity.status, TaskActivity.message)
            .where(TaskActivity.run_id == ctx.run_id).order_by(TaskActivity.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def column(db: Database, attribute: Any, row_id: int) -> Any:
    with db.read() as session:
        return session.execute(select(attribute).where(attribute.class_.id == row_id)).scalar_one()


def downloads_imported(db: Database) -> None:
    """Every grab's download imported, as completed-download handling would mark it: its items may be searched again."""
    with db.write() as session:
        session.execute(update(Grab).values(status=IMPORTED, settled_at=NOW))
