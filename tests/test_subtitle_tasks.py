"""The subtitle tasks end to end: providers stored through the service, built as a run builds them
(``ConfiguredProviders``), a loopback OpenSubtitles or a real folder, real media files in a
temporary folder, and the subtitle written beside them."""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, update

from builders import NOW, Library, activity, run
from fake_opensubtitles import API_KEY, PASSWORD, USERNAME, FakeOpenSubtitles, Subtitle
from loopback import serving
from webapp.db import Database
from webapp.models import MediaFile, SubtitleFile
from webapp.providers import ProviderSet
from webapp.providers.base import SUBTITLE_DOWNLOADED
from webapp.providers.subtitles.hashing import opensubtitles_hash
from webapp.providers.subtitles.settings import SubtitleProviderSettings
from webapp.services.configured import ConfiguredProviders
from webapp.services.subtitle_providers import SubtitleProviderService

SHOW = "The.Mandalorian.S01E0{}.1080p.DSNP.WEB-DL.DDP5.1.H.264-NTb"


@dataclass
class Recorder:
    """A notifier that keeps what it was told."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def notify(self, event: str, title: str, body: str, link: str | None = None) -> None:
        self.sent.append((event, title, body))


@pytest.fixture
def tv(tmp_path: Path) -> Path:
    """The library's folder (the test database lives in ``tmp_path``)."""
    folder = tmp_path / "tv"
    folder.mkdir()
    return folder


@pytest.fixture
def fake() -> FakeOpenSubtitles:
    reset = datetime.now(timezone.utc) + timedelta(hours=7)
    return FakeOpenSubtitles(reset_time_utc=reset.strftime("%Y-%m-%dT%H:%M:%S.000Z"))


@pytest.fixture
def fake_url(fake: FakeOpenSubtitles) -> Iterator[str]:
    with serving(fake.app()) as root:
        yield root + "/api/v1"


def episode_file(lib: Library, folder: Path, series: int, number: int) -> tuple[int, Path]:
    """An episode with a real media file (big enough to hash) in ``folder``."""
    path = folder / f"{SHOW.format(number)}.mkv"
    path.write_bytes(os.urandom(160 * 1024))
    file_id = lib.file("WEBDL-1080p", episode=lib.episode(series, 1, number, NOW.date() - timedelta(days=30)))
    with lib.db.write() as session:
        session.execute(update(MediaFile).where(MediaFile.id == file_id).values(path=str(path)))
    return file_id, path


def configured(db: Database) -> ProviderSet:
    """The providers as a run builds them, with a notifier that records."""
    return replace(ConfiguredProviders(db)(), notifier=Recorder())


def subtitle_rows(db: Database, file_id: int) -> list[tuple[str, int, str | None, str | None]]:
    with db.read() as session:
        rows = session.execute(select(SubtitleFile.language, SubtitleFile.score, SubtitleFile.provider,
                                      SubtitleFile.path).where(SubtitleFile.media_file_id == file_id))
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_missing_subtitles_writes_the_best_beside_the_media_file_and_says_where(
    db: Database, fake: FakeOpenSubtitles, fake_url: str, tv: Path,
) -> None:
    lib, service = Library(db), SubtitleProviderService(db)
    service.set_languages(["en"])
    service.create(SubtitleProviderSettings("OpenSubtitles", "opensubtitles", base_url=fake_url, api_key=API_KEY,
                                            username=USERNAME, password=PASSWORD, minimum_score=60), NOW)
    series = lib.series("The Mandalorian", lib.profile(), tmdb_id=82856)
    file_id, media = episode_file(lib, tv, series, 2)
    fake.subtitles += [
        Subtitle(11, SHOW.format(2), parent_tmdb_id=82856, title="The Mandalorian", season=1, episode=2,
                 moviehash=opensubtitles_hash(str(media)), body=b"1\n00:00:01,000 --> 00:00:03,000\nThis is the way.\n"),
        Subtitle(12, "The.Mandalorian.S01E02.720p.WEB.H264-GHOSTS", parent_tmdb_id=82856, title="The Mandalorian",
                 season=1, episode=2, body=b"worse"),
    ]
    providers = configured(db)
    ctx = run(db, "task_missing_subtitles", providers)
    written = tv / f"{SHOW.format(2)}.en.srt"
    assert activity(ctx) == [("The Mandalorian S01E02", "download_subtitle", "success",
                              f"Downloaded en subtitle (score 100, OpenSubtitles) → {written}")]
    assert written.read_bytes() == b"1\n00:00:01,000 --> 00:00:03,000\nThis is the way.\n"
    assert sorted(os.listdir(tv)) == sorted([media.name, written.name])  # no temporary file left
    assert subtitle_rows(db, file_id) == [("en", 100, "OpenSubtitles", str(written))]
    assert providers.notifier.sent == [(SUBTITLE_DOWNLOADED, "Subtitle downloaded: The Mandalorian S01E02",  # type: ignore[attr-defined]
                                        f"Downloaded en subtitle (score 100, OpenSubtitles) → {written}")]
    assert API_KEY not in str(activity(ctx)) and PASSWORD not in str(activity(ctx))


def test_a_used_up_quota_fails_the_items_it_reaches_and_the_run_goes_on(
    db: Database, fake: FakeOpenSubtitles, fake_url: str, tv: Path,
) -> None:
    lib, service = Library(db), SubtitleProviderService(db)
    service.set_languages(["en"])
    created = service.create(SubtitleProviderSettings("OpenSubtitles", "opensubtitles", base_url=fake_url,
                                                      api_key=API_KEY, minimum_score=60), NOW)
    series = lib.series("The Mandalorian", lib.profile(), tmdb_id=82856)
    files = [episode_file(lib, tv, series, number)[0] for number in (1, 2, 3)]
    fake.subtitles += [Subtitle(20 + n, SHOW.format(n), parent_tmdb_id=82856, title="The Mandalorian", season=1,
                                episode=n) for n in (1, 2, 3)]
    fake.remaining = 0  # used up by another program on the same account
    ctx = run(db, "task_missing_subtitles", configured(db))
    rows = activity(ctx)
    assert [row[2] for row in rows] == ["failed", "failed", "failed"]
    until = service.provider(created.id).quota.resting_until
    assert until is not None
    until_text = f"{until:%Y-%m-%d %H:%M:%S} UTC"
    assert rows[0][3] == (f"Could not download and keep the en subtitle from OpenSubtitles: OpenSubtitles download "
                          f"quota used up (You have downloaded your allowed 20 subtitles for 24h.Your quota will be "
                          f"renewed in 07 hours and 27 minutes); not asked again until {until_text}")
    assert rows[1][3] == rows[2][3] == (f"OpenSubtitles: OpenSubtitles download quota used up (You have downloaded your allowed 20 "
                          f"subtitles for 24h.Your quota will be renewed in 07 hours and 27 minutes); not asked again "
                          f"until {until_text}")
    assert sum(1 for method, path, _ in fake.requests if path.endswith("/subtitles")) == 1  # the others not asked
    assert [len(subtitle_rows(db, file_id)) for file_id in files] == [0, 0, 0]


def test_subtitle_upgrade_replaces_an_ass_with_a_better_srt_and_leaves_no_orphan(db: Database, tmp_path: Path) -> None:
    lib, service = Library(db), SubtitleProviderService(db)
    service.set_languages(["en"])
    folder, media_folder = tmp_path / "subs", tmp_path / "tv"
    folder.mkdir()
    media_folder.mkdir()
    series = lib.series("The Mandalorian", lib.profile(), tmdb_id=82856)
    file_id, media = episode_file(lib, media_folder, series, 2)
    old = media_folder / f"{SHOW.format(2)}.en.ass"
    old.write_text("[Script Info]\nTitle: old\n")
    lib.add(SubtitleFile, media_file_id=file_id, language="en", score=70, provider="Somewhere", path=str(old),
            downloaded_at=NOW - timedelta(days=3))
    (folder / f"{SHOW.format(2)}.en.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nBetter.\n")
    (folder / f"{SHOW.format(3)}.en.srt").write_text("another episode's")
    service.create(SubtitleProviderSettings("My subtitles", "local", folder=str(folder)), NOW)
    ctx = run(db, "task_subtitle_upgrade", configured(db))
    written = media_folder / f"{SHOW.format(2)}.en.srt"
    assert activity(ctx) == [("The Mandalorian S01E02", "upgrade_subtitle", "success",
                              f"Downloaded en subtitle (score 99, My subtitles) → {written}")]
    assert sorted(os.listdir(media_folder)) == sorted([media.name, written.name])
    assert written.read_text() == "1\n00:00:01,000 --> 00:00:02,000\nBetter.\n"
    assert subtitle_rows(db, file_id) == [("en", 99, "My subtitles", str(written))]


def test_subtitle_upgrade_keeps_a_subtitle_nothing_beats_clearly(db: Database, tmp_path: Path, tv: Path) -> None:
    lib, service = Library(db), SubtitleProviderService(db)
    service.set_languages(["en"])
    series = lib.series("The Mandalorian", lib.profile(), tmdb_id=82856)
    file_id, media = episode_file(lib, tv, series, 2)
    old = tv / f"{SHOW.format(2)}.en.ass"
    old.write_text("kept")
    lib.add(SubtitleFile, media_file_id=file_id, language="en", score=92, provider="Somewhere", path=str(old),
            downloaded_at=NOW - timedelta(days=3))
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "The.Mandalorian.S01E02.720p.WEB.H264-GHOSTS.en.srt").write_text("95 is not clearly better")
    service.create(SubtitleProviderSettings("My subtitles", "local", folder=str(folder)), NOW)
    ctx = run(db, "task_subtitle_upgrade", configured(db))
    assert activity(ctx) == [("The Mandalorian S01E02", "upgrade_subtitle", "no_results",
                              "No en subtitle scoring 100 or more (1 result)")]
    assert old.read_text() == "kept"
    assert subtitle_rows(db, file_id) == [("en", 92, "Somewhere", str(old))]


def test_a_provider_minimum_score_above_the_result_is_not_taken(db: Database, tmp_path: Path, tv: Path) -> None:
    lib, service = Library(db), SubtitleProviderService(db)
    service.set_languages(["en"])
    series = lib.series("The Mandalorian", lib.profile(), tmdb_id=82856)
    episode_file(lib, tv, series, 2)
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "The.Mandalorian.S01E02.720p.WEB.H264-GHOSTS.en.srt").write_text("scores 95")
    service.create(SubtitleProviderSettings("Strict", "local", folder=str(folder), minimum_score=96), NOW)
    ctx = run(db, "task_missing_subtitles", configured(db))
    assert activity(ctx) == [("The Mandalorian S01E02", "download_subtitle", "no_results",
                              "No en subtitle scoring 96 or more (1 result)")]
