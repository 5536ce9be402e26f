"""The demo's files and downloads: placeholders where the demo library's files are, and the loop grab →
finished download → import → Subtitle Search on Import; the ``import`` command as a real process."""
from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from flask import Flask
from sqlalchemy import func, select

from builders import NOW, Library, run
from imports import history, video
from servers import cli, cli_process, server_env
from webapp.clock import now_utc
from webapp.db import Database
from webapp.demo.downloads import finish_demo_grabs
from webapp.demo.providers import DEMO_CLIENT, demo_indexer, seed_demo_providers
from webapp.library import seed_demo
from webapp.models import MediaFile, SubtitleFile, TaskRun
from webapp.providers import ProviderSet
from webapp.providers.clients import build_client
from webapp.providers.newznab import NewznabIndexer
from webapp.providers.settings import MemoryHealth
from webapp.runtime import Runtime
from webapp.services.completed import IMPORTED, CompletedDownloads


def test_the_demo_library_has_real_placeholder_files_made_once(runtime: Runtime) -> None:
    root = runtime.library.root()
    counts = seed_demo(runtime.db, 60, NOW, root)
    with runtime.db.read() as session:
        paths = session.scalars(select(MediaFile.path)).all()
        subtitles = session.scalars(select(SubtitleFile.path)).all()
    assert paths and all(Path(path).is_file() and root in Path(path).parents for path in paths)
    assert all(Path(path).is_file() and path.endswith(".srt") for path in subtitles if path)
    assert counts["placeholder_files"] == len(paths) + len(subtitles)
    assert seed_demo(runtime.db, 60, NOW, root)["placeholder_files"] == 0
    sizes = {os.stat(path).st_size for path in paths}
    assert min(sizes) >= 1_000_000_000 and sum(os.stat(p).st_blocks for p in paths) * 512 < 10_000_000  # sparse


def test_the_demo_loop_grabs_finishes_the_download_and_imports_it(app: Flask, runtime: Runtime) -> None:
    data_dir = runtime.library.data_dir
    seed_demo(runtime.db, 30, NOW, runtime.library.root())
    seed_demo_providers(runtime.providers, data_dir, NOW)
    indexer = demo_indexer(runtime.providers)
    blackhole = next(client for client in runtime.providers.clients() if client.name == DEMO_CLIENT)
    assert indexer is not None
    with httpx.Client(transport=httpx.WSGITransport(app=app)) as http:  # the app serves the demo feed
        providers = ProviderSet(indexers=[NewznabIndexer(indexer, MemoryHealth(), http)],
                                download_clients=[build_client(blackhole, http)])
        run(runtime.db, "task_missing_episodes", providers, now=NOW)
    grabs = os.listdir(blackhole.torrent_folder)
    assert grabs and all(name.endswith(".magnet") for name in grabs)

    handled = CompletedDownloads(runtime.db, runtime.library, prepare=finish_demo_grabs).handle(
        now_utc() + timedelta(seconds=30))

    assert os.listdir(blackhole.torrent_folder) == []  # the demo client took every grab
    assert len(handled) == len(grabs) and IMPORTED in {done.status for done in handled}
    imported = history(runtime.db)
    assert imported and all(record.client == DEMO_CLIENT for record in imported)
    root = runtime.library.root()
    assert all(Path(record.destination).is_file() and root in Path(record.destination).parents for record in imported)
    with runtime.db.read() as session:
        started = session.scalar(select(func.count()).select_from(TaskRun)
                                 .where(TaskRun.task_id == "task_subtitle_search_on_import"))
    assert started == 1  # one run (or its one follow-up) for the round's imports


def test_only_the_demo_blackhole_has_its_grabs_turned_into_downloads(runtime: Runtime, tmp_path: Path) -> None:
    seed_demo_providers(runtime.providers, runtime.library.data_dir, NOW)
    demo = next(client for client in runtime.providers.clients() if client.name == DEMO_CLIENT)
    pack = Path(demo.torrent_folder) / "Blackwater.S01.1080p.WEB-DL.DDP5.1.H.264-NTb.magnet"
    pack.write_text("magnet:?xt=urn:btih:" + "a" * 40)
    [made] = finish_demo_grabs(demo)
    assert sorted(os.listdir(made)) == [f"Blackwater.S01E0{n}.1080p.WEB-DL.DDP5.1.H.264-NTb.mkv" for n in range(1, 9)]
    assert not pack.exists()
    other = tmp_path / "hole"
    (other / "torrents").mkdir(parents=True)
    (other / "torrents" / "Some.Movie.2020.1080p.magnet").write_text("magnet:?xt=urn:btih:" + "b" * 40)
    assert finish_demo_grabs(replace(demo, name="My Blackhole", torrent_folder=str(other / "torrents"))) == []
    assert (other / "torrents" / "Some.Movie.2020.1080p.magnet").exists()


@pytest.mark.process
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_import_command_prints_a_summary_and_refuses_a_bad_path(database_url: str, tmp_path: Path) -> None:
    env = server_env(tmp_path / "data", database_url)
    cli(env, "db", "upgrade")
    db = Database(database_url)
    try:
        library = Library(db)
        library.movie("The Matrix", library.profile(), year=1999)
    finally:
        db.dispose()
    downloads = tmp_path / "downloads"
    video(downloads / "The.Matrix.1999.1080p.BluRay.x264-SiNNERS.mkv")
    video(downloads / "Nobody.Knows.2003.720p.BluRay.x264-GRP.mkv")
    video(downloads / "Partial.2010.1080p.WEB-DL.mkv.part")

    done = cli_process(env, "import", str(downloads), "--move")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("1 imported, 1 skipped, 1 unmatched (library: ")
    assert any(line.startswith("  imported  The Matrix (1999) (Bluray-1080p, move): ") for line in lines)
    assert any("Partial.2010.1080p.WEB-DL.mkv.part: still being downloaded" in line for line in lines)
    assert any("Nobody.Knows.2003.720p.BluRay.x264-GRP.mkv: no movie 'Nobody Knows (2003)'" in line for line in lines)
    assert (tmp_path / "data" / "library" / "The Matrix (1999)" / "The.Matrix.1999.1080p.BluRay.x264-SiNNERS.mkv").is_file()

    with pytest.raises(RuntimeError, match="error: .*no-such-folder does not exist"):  # python -m: exit status 2
        cli(env, "import", str(tmp_path / "no-such-folder"))
