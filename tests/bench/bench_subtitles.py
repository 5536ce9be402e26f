"""Missing Subtitles against a slow OpenSubtitles: items a second, and how much of a run is ours.

    .venv/bin/python tests/bench/bench_subtitles.py [--database-url URL] [--items 5000] [--latency 50]

A library of ``--items`` episode files, each a real (sparse, 160 KiB) file under a temporary
folder, with English wanted and no subtitle yet; an OpenSubtitles-shaped server in a process of
its own (so that its CPU is not counted as ours) that answers every API call (``/subtitles``,
``/download``) after ``--latency`` ms, with two English subtitles for the episode asked for (one
named after the file, one after another release) and a small ``.srt`` at the download link; the
provider stored through the app's settings service, built by the run as the app builds it
(``ConfiguredProviders``).

Then two forced Missing Subtitles runs through the app's own engine, each over every file (the
subtitles of the run before removed first): the baseline, the server answering at once (our own
cost: hashing the file, the search, scoring, the download, the atomic write, the rows), and
the server answering after ``--latency`` ms. Per run: items, wall time, items/s, ms an item, this
process's CPU an item, the server's requests, and the outcomes from the activity table.

Items are handled one after another, each with a search and a download: a run takes about
``--items`` x (2 x latency + our own cost) seconds; about 10 minutes at the defaults.
"""
from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx
from flask import Flask, Response, jsonify, request
from sqlalchemy import delete, func, insert, select, update

TREE = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(TREE), str(TREE / "tests")]

from bench_dashboards import load  # noqa: E402
from profile_lists import database  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.bootstrap import bootstrap  # noqa: E402
from webapp.clock import now_utc  # noqa: E402
from webapp.db import Database  # noqa: E402
from webapp.engine.runs import request_run  # noqa: E402
from webapp.models import (  # noqa: E402
    Episode, MediaFile, QualityProfile, Series, SubtitleFile, TaskActivity, TaskRun,
)
from webapp.providers.subtitles.settings import SubtitleProviderSettings  # noqa: E402
from webapp.runtime import Runtime, runtime_of  # noqa: E402

TASK = "task_missing_subtitles"
KEY = "bench-opensubtitles-key"
EPISODES_PER_SERIES = 50
RELEASE = "Bench.Show.{n:04d}.S01E{e:02d}.1080p.WEB-DL.DDP5.1.H.264-NTb"
SRT = b"1\n00:00:01,000 --> 00:00:04,000\nBench subtitle.\n"


# --- the server, in a process of its own -----------------------------------------------------

def server_app(latency: multiprocessing.sharedctypes.Synchronized) -> Flask:  # type: ignore[name-defined]
    app = Flask("bench_opensubtitles")
    counts: Counter[str] = Counter()

    @app.before_request
    def _wait() -> Any:
        counts["/files/" if request.path.startswith("/files/") else request.path] += 1
        if request.path.startswith("/api/v1/") and latency.value:
            time.sleep(latency.value)
        if request.path.startswith("/api/v1/") and request.headers.get("Api-Key") != KEY:
            return jsonify(message="You cannot consume this service", status=403), 403
        return None

    @app.get("/api/v1/subtitles")
    def search() -> Response:
        series, episode = int(request.args["parent_tmdb_id"]), int(request.args["episode_number"])
        releases = [RELEASE.format(n=series, e=episode), f"Bench.Show.{series:04d}.S01E{episode:02d}.720p.HDTV.x264-LOL"]
        return jsonify(total_pages=1, total_count=2, per_page=60, page=1, data=[
            {"id": str(series * 1000 + episode * 2 + n), "type": "subtitle", "attributes": {
                "language": "en", "release": release, "moviehash_match": False,
                "feature_details": {"parent_tmdb_id": series, "parent_title": f"Bench Show {series:04d}",
                                    "season_number": 1, "episode_number": episode},
                "files": [{"file_id": series * 1000 + episode * 2 + n, "cd_number": 1, "file_name": release + ".srt"}],
            }} for n, release in enumerate(releases)])

    @app.post("/api/v1/download")
    def download() -> Response:
        file_id = request.get_json()["file_id"]
        return jsonify(link=f"{request.host_url}files/{file_id}.srt", remaining=100_000, requests=1,
                       reset_time_utc="2099-01-01T00:00:00.000Z")

    @app.get("/files/<int:file_id>.srt")
    def file(file_id: int) -> Response:
        return Response(SRT, mimetype="application/x-subrip")

    @app.get("/stats")
    def stats() -> Response:
        return jsonify(dict(counts))

    @app.post("/reset")
    def reset() -> Response:
        counts.clear()
        latency.value = float(request.args["latency"])
        return jsonify(ok=True)

    return app


def serve(started: Connection, stop: Event) -> None:
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    latency = multiprocessing.Value("d", 0.0)
    server = make_server("127.0.0.1", 0, server_app(latency), threaded=True)
    started.send(server.server_port)
    import threading

    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    stop.wait()
    server.shutdown()


@contextmanager
def fake_server() -> Iterator[str]:
    receive, send = multiprocessing.Pipe(duplex=False)
    stop = multiprocessing.Event()
    process = multiprocessing.Process(target=serve, args=(send, stop), daemon=True)
    process.start()
    try:
        yield f"http://127.0.0.1:{receive.recv()}"
    finally:
        stop.set()
        process.join(5)


# --- the library -------------------------------------------------------------------------------

def build_library(db: Database, folder: Path, items: int) -> None:
    """``items`` episodes with a real file each, in series of ``EPISODES_PER_SERIES``; English wanted."""
    now = now_utc()
    with db.write() as session:
        profile = session.scalar(insert(QualityProfile).values(name="Bench", cutoff_quality="WEBDL-1080p")
                                 .returning(QualityProfile.id))
        series_count = -(-items // EPISODES_PER_SERIES)
        session.execute(insert(Series), [
            {"id": n, "tmdb_id": n, "title": f"Bench Show {n:04d}", "quality_profile_id": profile, "added_at": now}
            for n in range(1, series_count + 1)])
        episodes, files = [], []
        for number in range(items):
            series, episode = number // EPISODES_PER_SERIES + 1, number % EPISODES_PER_SERIES + 1
            path = folder / f"{RELEASE.format(n=series, e=episode)}.mkv"
            with open(path, "wb") as handle:
                handle.truncate(160 * 1024)
            episodes.append({"id": number + 1, "series_id": series, "season_number": 1, "episode_number": episode,
                             "title": f"Episode {episode}", "air_date": (now - timedelta(days=30)).date(),
                             "added_at": now})
            files.append({"episode_id": number + 1, "path": str(path), "quality": "WEBDL-1080p",
                          "size_bytes": 160 * 1024, "imported_at": now})
        session.execute(insert(Episode), episodes)
        session.execute(insert(MediaFile), files)


def forget_subtitles(db: Database, folder: Path) -> None:
    """As before the first run: no subtitle row, no subtitle file, no file searched."""
    with db.write() as session:
        session.execute(delete(SubtitleFile))
        session.execute(update(MediaFile).values(subtitles_searched_at=None))
    for path in folder.glob("*.srt"):
        path.unlink()


# --- a run -------------------------------------------------------------------------------------

def run(runtime: Runtime, server: str, latency_ms: float) -> dict[str, Any]:
    httpx.post(f"{server}/reset", params={"latency": latency_ms / 1000})
    accepted = request_run(runtime.db, TASK, force=True, options={}, now=now_utc())
    cpu_started = time.process_time()
    runtime.engine.tick(now_utc())
    ended = wait_finished(runtime.db, accepted.run_id)
    cpu = time.process_time() - cpu_started
    with runtime.db.read() as session:
        outcomes = Counter({f"{action} {status}": count for action, status, count in session.execute(
            select(TaskActivity.action, TaskActivity.status, func.count())
            .where(TaskActivity.run_id == ended.id).group_by(TaskActivity.action, TaskActivity.status))})
    seconds = (ended.duration_ms or 0) / 1000
    items = ended.items_processed or 0
    return {"latency": latency_ms, "status": ended.status, "items": items, "seconds": seconds,
            "per_second": items / seconds if seconds else 0.0, "ms_item": seconds / max(items, 1) * 1000,
            "cpu_ms_item": cpu / max(items, 1) * 1000, "requests": httpx.get(f"{server}/stats").json(),
            "outcomes": dict(outcomes)}


def wait_finished(db: Database, run_id: str) -> TaskRun:
    while True:
        with db.read() as session:
            ended = session.get(TaskRun, run_id)
        if ended is not None and ended.completed_at is not None:
            return ended
        time.sleep(0.2)  # a poll only needs to see that the run ended; its duration is its own


def report(figures: dict[str, Any]) -> None:
    print(f"\nMissing Subtitles, server answering after {figures['latency']:g} ms: {figures['status']}")
    print(f"  {figures['items']} items in {figures['seconds']:.1f} s: {figures['per_second']:.1f} items/s, "
          f"{figures['ms_item']:.1f} ms an item (of it our CPU {figures['cpu_ms_item']:.1f} ms)")
    print(f"  server requests: {figures['requests']}")
    print(f"  outcomes: {figures['outcomes']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a PostgreSQL URL; default: a SQLite file in a temporary folder")
    parser.add_argument("--items", type=int, default=5_000, help="media files the run looks at")
    parser.add_argument("--latency", type=float, default=50.0, help="ms before the server answers an API call")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp, database(args.database_url, Path(tmp)) as url:
        data, library = Path(tmp) / "data", Path(tmp) / "library"
        data.mkdir()
        library.mkdir()
        app = create_app({"TESTING": False, "DATABASE_URL": url, "DATA_DIR": data})
        bootstrap(app)
        runtime = runtime_of(app)
        build_library(runtime.db, library, args.items)
        runtime.subtitles.set_languages(["en"])
        print(f"{args.items} episode files, English wanted (database: {url.split(':', 1)[0]}; {load()})")
        with fake_server() as server:
            runtime.subtitles.create(SubtitleProviderSettings(
                "Bench OpenSubtitles", "opensubtitles", base_url=f"{server}/api/v1", api_key=KEY), now_utc())
            results = []
            for latency in (0.0, args.latency):
                forget_subtitles(runtime.db, library)
                results.append(run(runtime, server, latency))
                report(results[-1])
            written = len(list(library.glob("*.en.srt")))
            print(f"\nsubtitles beside their files after the last run: {written}")
            base, slow = results
            print(f"baseline (0 ms): {base['per_second']:.1f} items/s; at {args.latency:g} ms: "
                  f"{slow['per_second']:.1f} items/s ({slow['ms_item']:.0f} ms an item, of it "
                  f"{2 * args.latency:.0f} ms waiting on the two calls)")
        runtime.engine.shutdown(timeout=5)
        runtime.db.dispose()
    print(f"at the end: {load()}")


if __name__ == "__main__":
    main()
