"""Import of many files: files a second, and what of it is the release parser and what the file system.

    .venv/bin/python tests/bench/bench_import.py [--files 10000] [--database-url URL] [--mode hardlink|copy|move]

A demo library (``seed_demo``) of about 1.5 x ``--files`` items, and a downloads folder in a temporary
directory with one video file for each item, named as a release of it (``The.Silent.Harbor.1999.
1080p.BluRay.x264-GRP.mkv``, ``Ashford.S02E05.720p.HDTV.x264-GRP.mkv``): sparse files of 1.5 GB,
so the figures are ours and the file system's metadata, not the disk's bandwidth. Then one
``import`` of the whole folder (``LibraryService.import_path``: scan, parse, match, link, record)
and, as baselines in the same run: the release parser alone over the same names (cache emptied),
and a bare ``os.link`` of every file. Prints files a second, wall and CPU time, and the outcome.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

TREE = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(TREE), str(TREE / "tests")]

from webapp.clock import now_utc  # noqa: E402
from webapp.db import Database  # noqa: E402
from webapp.library.demo import seed_demo  # noqa: E402
from webapp.library.importing import ImportOptions  # noqa: E402
from webapp.migrate import upgrade  # noqa: E402
from webapp.models import Episode, Movie, Series  # noqa: E402
from webapp.releases.parse import _parse, parse_release  # noqa: E402
from webapp.services.library import LibraryService  # noqa: E402

FILE_BYTES = 1_500_000_000


def release_names(db: Database, count: int) -> list[str]:
    """A release file name for each of ``count`` library items, movies first, then episodes.

    A large demo library gives a few titles to several series (or movies of one year): those are
    left out, as a name that matches two items is reported, never imported.
    """
    with db.read() as session:
        movies = session.execute(select(Movie.title, Movie.year).order_by(Movie.id)).all()
        episodes = session.execute(
            select(Series.title, Episode.season_number, Episode.episode_number)
            .join(Series, Series.id == Episode.series_id).order_by(Episode.id)).all()
        shared = set(session.scalars(select(Series.title).group_by(Series.title).having(func.count() > 1)))
    movie_count = Counter(movies)
    names = [f"{title.replace(' ', '.')}.{year}.1080p.BluRay.x264-GRP.mkv" for title, year in movies
             if movie_count[(title, year)] == 1]
    names += [f"{title.replace(' ', '.').replace('(', '').replace(')', '')}.S{season:02d}E{number:02d}."
              f"720p.HDTV.x264-GRP.mkv" for title, season, number in episodes if title not in shared]
    return names[:count]


def make_files(folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True)
    settled = time.time() - 120
    for name in names:
        path = folder / name
        with open(path, "wb") as file:
            file.truncate(FILE_BYTES)
        os.utime(path, (settled, settled))


def timed(label: str, work: object) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    work()  # type: ignore[operator]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in the temporary folder")
    parser.add_argument("--mode", choices=("hardlink", "copy", "move"), default="hardlink")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        work = Path(folder)
        db = Database(args.database_url or f"sqlite:///{work / 'cinephage.db'}")
        upgrade(db, work)
        seed_demo(db, args.files * 3 // 2, now_utc() - timedelta(days=1))  # titles shared by two items are left out
        names = release_names(db, args.files)
        make_files(work / "downloads", names)
        print(f"{len(names):,} files ({FILE_BYTES / 1e9:.1f} GB each, sparse) in {work / 'downloads'}; "
              f"load average {os.getloadavg()[0]:.2f}")

        _parse.cache_clear()
        wall, cpu = timed("parse", lambda: [parse_release(name) for name in names])
        print(f"baseline, the release parser alone: {len(names) / wall:,.0f} names/s ({wall:.1f} s, CPU {cpu:.1f} s)")
        linked = work / "linked"
        linked.mkdir()
        wall, cpu = timed("link", lambda: [os.link(work / "downloads" / name, linked / name) for name in names])
        print(f"baseline, os.link alone: {len(names) / wall:,.0f} files/s ({wall:.2f} s)")

        _parse.cache_clear()
        service = LibraryService(db, work)  # no task service: no run to start, nobody to tell
        service.set_root(str(work / "library"), now_utc())
        report = None

        def run() -> None:
            nonlocal report
            report = service.import_path(str(work / "downloads"), now_utc(), ImportOptions(mode=args.mode))

        wall, cpu = timed("import", run)
        assert report is not None
        print(f"import ({args.mode}): {len(names) / wall:,.1f} files/s, {len(names) / cpu:,.1f} per CPU second "
              f"({wall:.1f} s wall, CPU {cpu:.1f} s); "
              f"{report.summary()}")
        reasons = Counter(passed.reason.split(":")[0] for passed in (*report.skipped, *report.unmatched))
        if reasons:
            print("  not imported: " + ", ".join(f"{count} {reason}" for reason, count in reasons.most_common(5)))
        db.dispose()


if __name__ == "__main__":
    main()
