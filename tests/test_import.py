"""Import on real files in temporary folders: names of real releases matched through the parser, files
hard-linked, copied or moved into the library, recorded, queued, and Subtitle Search on Import started."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from builders import Library
from imports import files_of, history, queued_files, small_library, video
from webapp.clock import now_utc
from webapp.errors import ValidationError
from webapp.library.files import COPY, HARDLINK, MOVE, Found, TransferError, look, transfer
from webapp.library.importing import ImportOptions
from webapp.models import MediaFile, SubtitleFile, TaskRun
from webapp.runtime import Runtime

MATRIX = "The.Matrix.1999.1080p.BluRay.x264-SiNNERS"
PACK = "Breaking.Bad.S01.1080p.BluRay.x264-ROVERS"


@pytest.fixture
def ids(runtime: Runtime) -> dict[str, int]:
    return small_library(runtime.db)


@pytest.fixture
def root(runtime: Runtime, tmp_path: Path) -> Path:
    runtime.library.set_root(str(tmp_path / "library"), now_utc())
    return tmp_path / "library"


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    return tmp_path / "downloads"


def test_a_film_and_an_episode_are_hard_linked_recorded_queued_and_subtitles_searched_at_once(
        runtime: Runtime, ids: dict[str, int], root: Path, downloads: Path) -> None:
    film = video(downloads / MATRIX / f"{MATRIX}.mkv")
    video(downloads / MATRIX / "Sample" / "the.matrix.1999.sample.mkv", size=40_000_000)
    (downloads / MATRIX / f"{MATRIX}.nfo").write_text("release notes")
    episode = video(downloads / "Breaking.Bad.S01E01.720p.HDTV.x264-CTU.mkv")

    report = runtime.library.import_path(str(downloads), now_utc())

    placed_film = root / "The Matrix (1999)" / f"{MATRIX}.mkv"
    placed_episode = root / "Breaking Bad" / "Season 01" / episode.name
    assert [(done.destination, done.quality, done.mode) for done in report.imported] == [
        (episode_dest := placed_episode, "HDTV-720p", HARDLINK), (placed_film, "Bluray-1080p", HARDLINK)]
    assert placed_film.samefile(film) and film.stat().st_nlink == 2 and episode_dest.samefile(episode)
    assert [(p.path.name, p.reason) for p in report.skipped] == [("the.matrix.1999.sample.mkv", "a sample")]
    assert report.unmatched == []
    [film_row] = files_of(runtime.db, movie=ids["matrix"])
    [episode_row] = files_of(runtime.db, episode=ids["bad_s01e01"])
    assert (film_row.path, film_row.quality, film_row.size_bytes) == (str(placed_film), "Bluray-1080p", 1_500_000_000)
    assert episode_row.quality == "HDTV-720p"
    assert queued_files(runtime.db) == {film_row.id, episode_row.id}
    rows = history(runtime.db)
    assert [(row.title, row.source_path, row.destination, row.mode, row.replaced) for row in rows] == [
        ("Breaking Bad S01E01", str(episode), str(placed_episode), HARDLINK, False),
        ("The Matrix (1999)", str(film), str(placed_film), HARDLINK, False)]
    with runtime.db.read() as session:
        started = session.scalars(select(TaskRun).where(TaskRun.task_id == "task_subtitle_search_on_import")).all()
    assert [run.trigger for run in started] == ["manual"]


def test_a_season_pack_imports_each_episode(runtime: Runtime, ids: dict[str, int], root: Path, downloads: Path) -> None:
    for number in (1, 2, 3):
        video(downloads / PACK / f"breaking.bad.s01e{number:02d}.1080p.bluray.x264-rovers.mkv")
    report = runtime.library.import_path(str(downloads / PACK), now_utc())
    assert [done.titles for done in report.imported] == [(f"Breaking Bad S01E0{n}",) for n in (1, 2, 3)]
    assert sorted(os.listdir(root / "Breaking Bad" / "Season 01")) == [
        f"breaking.bad.s01e0{n}.1080p.bluray.x264-rovers.mkv" for n in (1, 2, 3)]
    assert all(files_of(runtime.db, episode=ids[f"bad_s01e0{n}"])[0].quality == "Bluray-1080p" for n in (1, 2, 3))


def test_half_written_files_and_unmatched_names_are_never_moved(
        runtime: Runtime, ids: dict[str, int], root: Path, downloads: Path) -> None:
    part = video(downloads / "Breaking.Bad.S01E02.720p.HDTV.x264-CTU.mkv.part")
    qbit = video(downloads / "Breaking.Bad.S01E03.720p.HDTV.x264-CTU.mkv.!qB")
    fresh = video(downloads / "Breaking.Bad.S01E04.720p.HDTV.x264-CTU.mkv", age=0)
    unknown = video(downloads / "Some.Film.Nobody.Has.2011.1080p.WEB-DL.DD5.1.H264-FGT.mkv")
    wrong_episode = video(downloads / "Breaking.Bad.S03E07.720p.HDTV.x264-ORENJi.mkv")
    two_dunes = video(downloads / "Dune.1080p.BluRay.x264-OFT.mkv")
    tiny = video(downloads / "Breaking.Bad.S01E05.720p.HDTV.x264-CTU.mkv", size=3_000)

    report = runtime.library.import_path(str(downloads), now_utc())

    assert report.imported == [] and report.busy
    skipped = {passed.path: passed.reason for passed in report.skipped}
    assert skipped[part] == skipped[qbit] == "still being downloaded (temporary name)"
    assert skipped[fresh].startswith("still being written")
    assert skipped[tiny] == "too small to be a video (3,000 bytes)"
    unmatched = {passed.path: passed.reason for passed in report.unmatched}
    assert unmatched == {
        unknown: "no movie 'Some Film Nobody Has (2011)' in the library",
        wrong_episode: "Breaking Bad has no episode S03E07 in the library",
        two_dunes: "2 movies in the library are called 'Dune': the name does not say which",
    }
    assert all(path.exists() for path in (part, qbit, fresh, unknown, wrong_episode, two_dunes, tiny))
    assert not root.exists() and history(runtime.db) == []


def test_unicode_names_and_an_obfuscated_file_in_a_release_folder(
        runtime: Runtime, ids: dict[str, int], root: Path, downloads: Path) -> None:
    video(downloads / "Amélie.2001.1080p.BluRay.x264-LÉGION.mkv")
    video(downloads / "千と千尋の神隠し.2001.1080p.BluRay.x264-WiKi.mkv")
    video(downloads / "Dune.2021.2160p.WEB-DL.DDP5.1.Atmos.HDR.HEVC-EVO" / "a1b2c3d4e5.mkv")
    report = runtime.library.import_path(str(downloads), now_utc())
    assert sorted((done.titles[0], done.quality) for done in report.imported) == [
        ("Amélie (2001)", "Bluray-1080p"), ("Dune (2021)", "WEBDL-2160p"), ("千と千尋の神隠し (2001)", "Bluray-1080p")]
    assert (root / "Amélie (2001)" / "Amélie.2001.1080p.BluRay.x264-LÉGION.mkv").is_file()
    assert (root / "千と千尋の神隠し (2001)" / "千と千尋の神隠し.2001.1080p.BluRay.x264-WiKi.mkv").is_file()
    assert files_of(runtime.db, movie=ids["dune_1984"]) == []


def test_a_better_file_replaces_the_worse_one_and_its_subtitles(
        runtime: Runtime, ids: dict[str, int], root: Path, downloads: Path) -> None:
    old = video(root / "Breaking Bad" / "Season 01" / "Breaking.Bad.S01E01.720p.HDTV.x264-CTU.mkv")
    subtitle = old.with_suffix(".en.srt")
    subtitle.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n", encoding="utf-8")
    library = Library(runtime.db)
    old_id = library.add(MediaFile, episode_id=ids["bad_s01e01"], path=str(old), quality="HDTV-720p",
                         size_bytes=old.stat().st_size, imported_at=now_utc() - timedelta(days=3))
    library.add(SubtitleFile, media_file_id=old_id, language="en", score=90, provider="p", path=str(subtitle),
                downloaded_at=now_utc())
    worse = video(downloads / "Breaking.Bad.S01E01.480p.HDTV.x264-LOL.mkv")
    better = video(downloads / "Breaking.Bad.S01E01.1080p.BluRay.x264-ROVERS.mkv")

    report = runtime.library.import_path(str(downloads), now_utc())

    assert [(done.source, done.replaced) for done in report.imported] == [(better, 1)]
    assert [(p.path, p.reason) for p in report.skipped] == [
        (worse, "not an upgrade: Breaking Bad S01E01 has Bluray-1080p, this is SDTV")]
    [row] = files_of(runtime.db, episode=ids["bad_s01e01"])
    assert (row.quality, row.path) == ("Bluray-1080p", str(old.with_name(better.name)))
    assert not old.exists() and not subtitle.exists() and worse.exists()
    with runtime.db.read() as session:
        assert session.scalars(select(SubtitleFile)).all() == []
    assert history(runtime.db)[0].replaced


def test_the_same_file_twice_is_already_in_the_library(
        runtime: Runtime, ids: dict[str, int], root: Path, downloads: Path) -> None:
    video(downloads / f"{MATRIX}.mkv")
    runtime.library.import_path(str(downloads), now_utc())
    again = runtime.library.import_path(str(downloads), now_utc())
    assert again.imported == [] and [p.reason for p in again.skipped] == ["already in the library"]
    assert len(files_of(runtime.db, movie=ids["matrix"])) == 1


def test_move_takes_the_file_away(runtime: Runtime, ids: dict[str, int], root: Path, downloads: Path) -> None:
    film = video(downloads / f"{MATRIX}.mkv")
    report = runtime.library.import_path(str(film), now_utc(), ImportOptions(mode=MOVE))
    assert [done.mode for done in report.imported] == [MOVE]
    assert not film.exists() and (root / "The Matrix (1999)" / film.name).is_file()


@pytest.fixture
def other_file_system(tmp_path: Path) -> Iterator[Path]:
    """A folder on another file system than ``tmp_path`` (the machine's tmpfs), where a hard link cannot go."""
    if not os.path.isdir("/dev/shm") or os.stat("/dev/shm").st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second file system here")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as folder:
        yield Path(folder)


def test_a_hard_link_across_file_systems_becomes_a_copy_and_a_move_a_copy_and_delete(
        runtime: Runtime, ids: dict[str, int], downloads: Path, other_file_system: Path) -> None:
    runtime.library.set_root(str(other_file_system / "library"), now_utc())
    linked = video(downloads / f"{MATRIX}.mkv", size=2_000_000)
    moved = video(downloads / "Breaking.Bad.S01E02.720p.HDTV.x264-CTU.mkv", size=2_000_000)
    assert [done.mode for done in runtime.library.import_path(str(linked), now_utc()).imported] == [COPY]
    report = runtime.library.import_path(str(moved), now_utc(), ImportOptions(mode=MOVE))
    assert [done.mode for done in report.imported] == [MOVE] and linked.exists() and not moved.exists()
    copy = other_file_system / "library" / "The Matrix (1999)" / linked.name
    assert copy.stat().st_size == 2_000_000 and not copy.samefile(linked)
    assert [name for name in os.listdir(copy.parent) if name.startswith(".")] == []  # no temporary copy left


def test_a_file_that_changes_between_two_looks_is_not_taken(tmp_path: Path) -> None:
    source = video(tmp_path / "in" / f"{MATRIX}.mkv", size=2_000_000)
    found = look(source, now_utc())
    assert isinstance(found, Found)
    with open(source, "ab") as file:  # the client writes on
        file.write(b"\0" * 1000)
    with pytest.raises(TransferError, match="still being written"):
        transfer(found, tmp_path / "library" / source.name, COPY)
    assert not (tmp_path / "library" / source.name).exists()


def test_a_bad_path_changes_nothing(runtime: Runtime, ids: dict[str, int], tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        runtime.library.import_path(str(tmp_path / "nowhere"), now_utc())
    assert history(runtime.db) == []
