"""Missing Episodes against slow indexers: items a second, and how much of a run is ours and how much is waiting.

    .venv/bin/python tests/bench/bench_search.py [--database-url URL] [--items 10000] [--latency 50]
        [--indexers 2] [--serial] [--stored-items 40]

A demo library of ``--items`` media items (``seed_demo``), topped up with missing movies until
Missing Episodes wants ``--items`` of them; a blackhole download client in a temporary folder and
loopback Torznab indexers, stored through the app's settings service. The indexers are
Prowlarr-shaped fakes (``tests/fake_newznab.py``) in a process of their own, so that their CPU is
not counted as ours: each search is answered after ``--latency`` ms with the demo feed's releases
for the item asked for (``webapp/demo/releases.py``: some taken, some refused), each download link
at once with a redirect to the release's magnet URI. The fake counts its requests, the time it
spent answering them and the most it had in flight at once.

Then forced Missing Episodes runs with no ``limit`` (``create_app`` + ``bootstrap`` +
``request_run`` + ``Engine.tick``), after an unreported warm-up of a few items, each with the
release parser's cache emptied first (a daily run over more release names than it holds finds it so):

1. baseline: 1 indexer answering at once (0 ms): our own cost alone;
2. 1 indexer answering after ``--latency`` ms;
3. ``--indexers`` indexers answering after ``--latency`` ms (searched in parallel);
4. with ``--serial``: 1 indexer, ``--latency`` ms, one request in flight per indexer;
5. the app as configured (its own engine and ``ConfiguredProviders``, the default ``IndexerLimits``,
   whose 0.5 s spacing between request starts bounds an indexer at 2 requests a second), over
   the first ``--stored-items`` items only.

Runs 1-4 build their providers as ``webapp/services/configured.py`` does, from the stored
settings, but with ``IndexerLimits(spacing_seconds=0)`` (and ``in_flight=1`` for 4): the limits
are not part of the stored settings. Per run it prints items, wall time and items/s; the
indexers' requests, the time they spent answering and the most in flight at once; the time
the run spent not waiting on an indexer and this process's CPU time (the run's worker thread,
the search threads, the rest); the release names parsed; and the items' outcomes from the
activity table. Wall figures move with the machine's load (printed); CPU figures much less.

Items are searched one after another, so each full run takes about ``--items`` x (latency + our
own ~90 ms an item) on a 2-core machine: over an hour for the three full runs at the default size,
about 5 minutes at ``--items 500``.
"""
from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from email.utils import format_datetime
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path

import httpx
from flask import Flask, Response, jsonify, request
from sqlalchemy import func, insert, select

TREE = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(TREE), str(TREE / "tests")]  # this tree's webapp, and the fakes beside the tests

from fake_newznab import API_KEY, FakeIndexer, Item, fake_app, xml  # noqa: E402
from loopback import serving  # noqa: E402
from bench_dashboards import load  # noqa: E402
from profile_lists import database  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.bootstrap import bootstrap  # noqa: E402
from webapp.clock import now_utc  # noqa: E402
from webapp.db import Database  # noqa: E402
from webapp.demo.releases import DemoQuery, offers  # noqa: E402
from webapp.engine.runs import request_run  # noqa: E402
from webapp.engine.scheduler import Engine  # noqa: E402
from webapp.library import missing_items  # noqa: E402
from webapp.library.demo import magnet_uri, seed_demo  # noqa: E402
from webapp.library.demo_names import movie_title  # noqa: E402
from webapp.models import Movie, QualityProfile, Series, TaskActivity, TaskRun  # noqa: E402
from webapp.providers import ProviderSet  # noqa: E402
from webapp.providers.newznab import IndexerLimits, NewznabIndexer  # noqa: E402
from webapp.providers.settings import BLACKHOLE, TORZNAB, ClientSettings, IndexerSettings  # noqa: E402
from webapp.releases import parse as release_parse  # noqa: E402
from webapp.releases.parse import parse_release  # noqa: E402
from webapp.runtime import Runtime, runtime_of  # noqa: E402
from webapp.services.configured import ConfiguredProviders  # noqa: E402
from webapp.services.providers import DatabaseHealth  # noqa: E402
from webapp.tasks import build_registry  # noqa: E402

TASK = "task_missing_episodes"
TOP_UP_TMDB_BASE = 93_000_000  # the demo's movies count up from 90,000,000, its series from 95,000,000
TOP_UP_TITLE_BASE = 1_000_000  # titles of movie numbers the demo library never reaches
CHUNK = 2000
WARM_UP_ITEMS = 30
SEARCHES = ("search", "tvsearch", "movie")

Titles = Mapping[int, tuple[str, int | None]]  # TMDB id → (title, year): the movies, then the series


# --- the fake indexers (in a process of their own) ---------------------------------------------

class BenchIndexer(FakeIndexer):
    """A Prowlarr that answers each search after ``latency`` seconds with the demo releases for the item."""

    def __init__(self, movies: Titles, series: Titles) -> None:
        self.movies, self.series = movies, series
        self.latency = 0.0
        super().__init__("prowlarr")

    def reset(self) -> None:
        super().reset()
        self.answering = 0.0  # seconds spent in requests, summed over requests

    def api(self) -> Response:
        started = time.perf_counter()
        try:
            return super().api()
        finally:
            with self.changed:
                self.answering += time.perf_counter() - started

    def respond(self) -> Response:
        if request.args.get("t") not in SEARCHES or request.args.get("apikey") != self.api_key:
            return super().respond()
        self.stop.wait(self.latency)  # reset() ends a wait at once
        return xml(self.feed(self.releases()))

    def releases(self) -> list[Item]:
        """The demo feed's offers for the movie or episode the search names by TMDB id."""
        tmdb_id = int(request.args.get("tmdbid", "0"))
        if request.args.get("t") == "movie" and tmdb_id in self.movies:
            query = DemoQuery(*self.movies[tmdb_id])
        elif request.args.get("t") == "tvsearch" and tmdb_id in self.series:
            episode = request.args.get("ep")
            season = int(request.args.get("season", "1"))
            query = DemoQuery(self.series[tmdb_id][0], season=season, episode=int(episode) if episode else None)
        else:
            return []
        return [
            Item(offer.title, offer.size_bytes, offer.categories, seeders=offer.seeders, peers=offer.peers,
                 info_hash=offer.info_hash.upper(), pub_date=format_datetime(offer.published_at),
                 ident=offer.info_hash[:12])
            for offer in offers(query, now_utc())
        ]

    def stats(self) -> dict[str, float]:
        with self.changed:
            searches = len(self.searches)
            return {"searches": searches, "caps": len(self.asked) - searches, "answering": self.answering,
                    "most_in_flight": self.most_in_flight}


def bench_fake_app(count: int, movies: Titles, series: Titles) -> Flask:
    """``count`` fakes at ``/idx1/api``…, their download links, and ``/bench/reset`` and ``/bench/stats``."""
    fakes = {f"idx{n}": BenchIndexer(movies, series) for n in range(1, count + 1)}
    app = fake_app(fakes)
    downloads = Counter[str]()
    lock = threading.Lock()

    def download(number: int) -> Response:
        with lock:
            downloads["served"] += 1
        return Response(status=302, headers={"Location": magnet_uri(request.args.get("file", ""))})

    def reset() -> Response:
        for fake in fakes.values():
            fake.reset()
            fake.latency = float(request.args["latency"])
        with lock:
            downloads.clear()
        return jsonify({})

    def stats() -> Response:
        with lock:
            served = downloads["served"]
        return jsonify({"indexers": [fake.stats() for fake in fakes.values()], "downloads": served})

    app.add_url_rule("/<int:number>/download", "download", download)  # Prowlarr's links: /12/download?…
    app.add_url_rule("/bench/reset", "reset", reset, methods=["POST"])
    app.add_url_rule("/bench/stats", "stats", stats)
    return app


def serve_fakes(count: int, movies: Titles, series: Titles, started: Connection, stop: Event) -> None:
    """The fake indexers' process: sends the base URL, serves until ``stop`` is set."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    with serving(bench_fake_app(count, movies, series)) as url:
        started.send(url)
        stop.wait()


@dataclass(frozen=True)
class FakeStats:
    """What the fake indexers saw since the last reset, one entry per indexer."""

    searches: tuple[int, ...]
    caps: tuple[int, ...]
    answering: tuple[float, ...]  # seconds in requests, summed
    most_in_flight: tuple[int, ...]
    downloads: int


@dataclass(frozen=True)
class FakeIndexers:
    url: str
    count: int

    def base_url(self, number: int) -> str:
        return f"{self.url}/idx{number}/"

    def reset(self, latency: float) -> None:
        httpx.post(f"{self.url}/bench/reset", params={"latency": latency}, timeout=10).raise_for_status()

    def stats(self, indexers: int) -> FakeStats:
        body = httpx.get(f"{self.url}/bench/stats", timeout=10).raise_for_status().json()
        seen = body["indexers"][:indexers]
        return FakeStats(
            tuple(int(one["searches"]) for one in seen), tuple(int(one["caps"]) for one in seen),
            tuple(float(one["answering"]) for one in seen), tuple(int(one["most_in_flight"]) for one in seen),
            int(body["downloads"]),
        )


@contextmanager
def fake_indexers(count: int, movies: Titles, series: Titles) -> Iterator[FakeIndexers]:
    """``count`` fake indexers on one loopback server in a child process."""
    spawn = multiprocessing.get_context("spawn")  # this process has threads and connections: no fork
    receive, send = spawn.Pipe(duplex=False)
    stop = spawn.Event()
    process = spawn.Process(target=serve_fakes, args=(count, movies, series, send, stop), name="fake-indexers")
    process.start()
    try:
        if not receive.poll(60):
            raise RuntimeError("the fake indexers did not start within 60 s")
        yield FakeIndexers(receive.recv(), count)
    finally:
        stop.set()
        process.join(10)
        if process.is_alive():
            process.terminate()
            process.join(5)


# --- the library and the providers -------------------------------------------------------------

def wanted_count(db: Database) -> int:
    with db.read() as session:
        return len(missing_items(session, today=now_utc().date(), searched_before=None))


def build_library(db: Database, items: int) -> str:
    """The demo library of ``items``, topped up with missing movies until ``items`` are wanted; what was done."""
    now = now_utc()
    counts = seed_demo(db, items, now)
    library = counts["movies"] + counts["episodes"]
    wanted = wanted_count(db)
    missing = max(0, items - wanted)
    with db.read() as session:
        profile_id = session.scalar(select(QualityProfile.id).where(QualityProfile.name == "HD-1080p"))
    for start in range(0, missing, CHUNK):
        rows = [
            {"tmdb_id": TOP_UP_TMDB_BASE + n, "title": movie_title(TOP_UP_TITLE_BASE + n), "year": 1975 + n * 37 % 50,
             "monitored": True, "quality_profile_id": profile_id, "added_at": now, "last_searched_at": None}
            for n in range(start, min(missing, start + CHUNK))
        ]
        with db.write() as session:
            session.execute(insert(Movie), rows)
    return (f"library: {library + missing:,} media items: the demo seed of {items:,} "
            f"({counts['movies']:,} movies, {counts['episodes']:,} episodes; {wanted:,} of them wanted) "
            f"and {missing:,} missing movies added; {wanted_count(db):,} wanted")


def titles(db: Database) -> tuple[Titles, Titles]:
    """What the fake indexers know of the library: every movie and series by TMDB id."""
    with db.read() as session:
        movies = session.execute(select(Movie.tmdb_id, Movie.title, Movie.year)).all()
        series = session.execute(select(Series.tmdb_id, Series.title)).all()
    return ({tmdb: (title, year) for tmdb, title, year in movies if tmdb is not None},
            {tmdb: (title, None) for tmdb, title in series if tmdb is not None})


def store_providers(runtime: Runtime, fakes: FakeIndexers, folder: Path) -> list[int]:
    """The fake indexers (all enabled) and a blackhole, through the settings service; the indexers' ids."""
    service, now = runtime.providers, now_utc()
    for sub in ("torrents", "nzbs"):
        (folder / sub).mkdir(parents=True)
    service.create_client(ClientSettings("Bench Blackhole", BLACKHOLE, torrent_folder=str(folder / "torrents"),
                                         nzb_folder=str(folder / "nzbs")), now)
    return [
        service.create_indexer(IndexerSettings(f"Bench Indexer {n}", TORZNAB, fakes.base_url(n), API_KEY), now).id
        for n in range(1, fakes.count + 1)
    ]


def enable_first(runtime: Runtime, indexer_ids: list[int], count: int) -> None:
    for position, indexer_id in enumerate(indexer_ids):
        runtime.providers.update_indexer(indexer_id, {"enabled": position < count}, now_utc())


def limited(db: Database, limits: IndexerLimits) -> Callable[[], ProviderSet]:
    """The stored providers, as ``ConfiguredProviders`` builds them, but with these indexer limits."""
    configured, health = ConfiguredProviders(db), DatabaseHealth(db)

    def providers() -> ProviderSet:
        stored = configured()
        settings = [indexer.settings for indexer in stored.indexers if isinstance(indexer, NewznabIndexer)]
        return replace(stored, indexers=[NewznabIndexer(one, health, limits=limits) for one in settings])

    return providers


# --- one run -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Variant:
    label: str
    indexers: int
    latency_ms: float
    limits: IndexerLimits | None  # None: the app's own engine and providers, as configured
    limit: int | None = None  # the run's ``limit`` option


@dataclass(frozen=True)
class Figures:
    variant: Variant
    run_id: str
    status: str
    items: int
    wall: float  # the run's own duration, seconds
    cpu: float  # this process but the thread polling the run's row, seconds
    cpu_worker: float  # the run's worker thread
    parsed: int  # release names the parser read (not from its cache)
    fake: FakeStats
    outcomes: Counter[str]

    @property
    def per_second(self) -> float:
        return self.items / self.wall

    @property
    def waiting(self) -> float:
        """Seconds the run waited on an indexer: the busiest one's summed answering time (they answer at once)."""
        return max(self.fake.answering, default=0.0)

    def per_item_ms(self, seconds: float) -> float:
        return seconds / self.items * 1000


def run_variant(runtime: Runtime, fakes: FakeIndexers, indexer_ids: list[int], variant: Variant) -> Figures:
    """One forced run of Missing Episodes, from ``request_run`` until its row says it ended."""
    enable_first(runtime, indexer_ids, variant.indexers)
    fakes.reset(variant.latency_ms / 1000)
    engine = engine_for(runtime, variant)
    options = {} if variant.limit is None else {"limit": variant.limit}
    accepted = request_run(runtime.db, TASK, force=True, options=options, now=now_utc())
    release_parse._parse.cache_clear()  # cold, as a daily run over more names than it holds (4,096) finds it
    before = set(threading.enumerate())
    cpu_started, polling_started = time.process_time(), time.thread_time()
    engine.tick(now_utc())
    worker = next(thread for thread in set(threading.enumerate()) - before if thread.name.startswith("task-worker"))
    run = wait_finished(runtime.db, accepted.run_id)
    polling = time.thread_time() - polling_started
    cpu = time.process_time() - cpu_started - polling  # this thread only waits for the run
    cpu_worker, parsed = thread_cpu(worker), release_parse._parse.cache_info().misses
    engine.shutdown(timeout=5)
    assert run.duration_ms is not None  # a finished run has one
    return Figures(variant, run.id, run.status, run.items_processed, run.duration_ms / 1000, cpu, cpu_worker,
                   parsed, fakes.stats(variant.indexers), outcomes(runtime.db, run.id))


def engine_for(runtime: Runtime, variant: Variant) -> Engine:
    """The app's own engine (as configured), or one like it whose providers have the variant's limits."""
    if variant.limits is None:
        return runtime.engine
    registry = build_registry(limited(runtime.db, variant.limits))
    return Engine(runtime.db, registry, runtime.broker, runtime.engine.settings)


def outcomes(db: Database, run_id: str) -> Counter[str]:
    """The run's activity rows by ``action status``: grabs, items with nothing accepted, failures."""
    with db.read() as session:
        rows = session.execute(
            select(TaskActivity.action, TaskActivity.status, func.count())
            .where(TaskActivity.run_id == run_id).group_by(TaskActivity.action, TaskActivity.status)
        )
        return Counter({f"{action} {status}": count for action, status, count in rows})


def thread_cpu(thread: threading.Thread) -> float:
    """CPU seconds (user + system) of one live thread of this process."""
    stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def wait_finished(db: Database, run_id: str) -> TaskRun:
    while True:
        with db.read() as session:
            run = session.get(TaskRun, run_id)
        if run is not None and run.completed_at is not None:
            return run
        time.sleep(0.2)  # the run's duration is its own: a poll only needs to see that it ended


def parse_ms() -> float:
    """CPU ms the release parser takes for a name it has not seen: demo releases of titles not in the library."""
    names = [offer.title for n in range(60) for offer in offers(DemoQuery(f"Parser Baseline {n}", 2000 + n % 20),
                                                                 now_utc())]
    parse_release(names.pop())  # guessit builds its rules on first use
    started = time.thread_time()
    for name in names:
        parse_release(name)
    return (time.thread_time() - started) / len(names) * 1000


# --- the report --------------------------------------------------------------------------------

def describe(variant: Variant) -> str:
    limits = variant.limits or IndexerLimits()
    indexers = f"{variant.indexers} indexer{'s' if variant.indexers > 1 else ''}"
    return (f"{indexers}, {variant.latency_ms:g} ms, in_flight {limits.in_flight}, "
            f"spacing {limits.spacing_seconds:g} s")


def report(f: Figures, parse_cost_ms: float) -> None:
    v, fake = f.variant, f.fake
    built = ("the app's own engine and ConfiguredProviders" if v.limits is None
             else "providers built as configured.py does, these limits")
    print(f"\n### {v.label}: {describe(v)} ({built})" + (f"; limit {v.limit} items" if v.limit else ""))
    print(f"run {f.run_id}: {f.status}, {f.items:,} items in {f.wall:.1f} s = {f.per_second:.1f} items/s "
          f"({f.per_item_ms(f.wall):.1f} ms an item)")
    searches = sum(fake.searches)
    print(f"indexers: {searches:,} searches ({' + '.join(f'{n:,}' for n in fake.searches)}) = "
          f"{searches / f.wall:.1f}/s, {sum(fake.caps)} caps, {fake.downloads:,} downloads; "
          f"most in flight at one indexer: {max(fake.most_in_flight)}")
    answered = ", ".join(f"{seconds:.1f} s" for seconds in fake.answering)
    print(f"waiting on the indexers: {f.waiting:.1f} s = {f.waiting / f.wall:.0%} of the wall "
          f"(server side, summed per indexer: {answered}; "
          f"{sum(fake.answering) / max(1, searches + sum(fake.caps)) * 1000:.1f} ms a request)")
    ours = f.wall - f.waiting
    spacing = " (the rate limit's spacing included)" if (v.limits or IndexerLimits()).spacing_seconds else ""
    print(f"ours: {ours:.1f} s = {ours / f.wall:.0%} of the wall{spacing}; CPU {f.cpu:.1f} s = "
          f"{f.per_item_ms(f.cpu):.1f} ms an item (the run's worker thread {f.cpu_worker:.1f} s, "
          f"its search threads and the rest {f.cpu - f.cpu_worker:.1f} s)")
    print(f"release names parsed (the parser's cache emptied before the run): {f.parsed:,} = "
          f"{f.parsed / f.items:.1f} an item, ~{f.parsed * parse_cost_ms / 1000:.1f} s of CPU "
          f"at {parse_cost_ms:.1f} ms a name")
    print("outcomes: " + ", ".join(f"{name} {count:,}" for name, count in f.outcomes.most_common()))


def summary(all_figures: list[Figures], parse_cost_ms: float) -> None:
    print("\n## Summary: ms an item (wall = waiting + ours; CPU and its parsing part are within ours)")
    print(f"{'run':58} {'items':>6} {'items/s':>8} {'wall':>6} {'waiting':>8} {'ours':>6} {'CPU':>6} "
          f"{'~parsing':>8}  most in flight")
    for f in all_figures:
        print(f"{f.variant.label + ': ' + describe(f.variant):58} {f.items:6,} {f.per_second:8.1f} "
              f"{f.per_item_ms(f.wall):6.1f} {f.per_item_ms(f.waiting):8.1f} {f.per_item_ms(f.wall - f.waiting):6.1f} "
              f"{f.per_item_ms(f.cpu):6.1f} {f.parsed * parse_cost_ms / f.items:8.1f}  {max(f.fake.most_in_flight)}")


def variants(args: argparse.Namespace) -> list[Variant]:
    unspaced = IndexerLimits(spacing_seconds=0.0)
    chosen = [Variant("baseline", 1, 0, unspaced), Variant("latency", 1, args.latency, unspaced)]
    if args.indexers > 1:
        chosen.append(Variant("parallel", args.indexers, args.latency, unspaced))
    if args.serial:
        chosen.append(Variant("serial", 1, args.latency, IndexerLimits(in_flight=1, spacing_seconds=0.0)))
    if args.stored_items:
        chosen.append(Variant("as configured", 1, args.latency, None, args.stored_items))
    return chosen


def quiet_logs(data: Path) -> None:
    """The app's log to a file only: ``logs.init_app`` adds no stderr handler when one is set already."""
    handler = logging.FileHandler(data / "bench.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    logger = logging.getLogger("cinephage")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a PostgreSQL URL; default: a SQLite file in a temporary folder")
    parser.add_argument("--items", type=int, default=10_000, help="media items each run searches")
    parser.add_argument("--latency", type=float, default=50.0, help="ms before an indexer answers a search")
    parser.add_argument("--indexers", type=int, default=2, help="indexers of the parallel run (1: no such run)")
    parser.add_argument("--serial", action="store_true", help="also a run with one request in flight per indexer")
    parser.add_argument("--stored-items", type=int, default=40, help="items of the run as configured (0: no such run)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database(args.database_url, Path(tmp)) as url:
        data = Path(tmp) / "data"
        data.mkdir()
        quiet_logs(Path(tmp))
        app = create_app({"TESTING": False, "DATABASE_URL": url, "DATA_DIR": data})
        bootstrap(app)
        runtime = runtime_of(app)
        started = time.perf_counter()
        built = build_library(runtime.db, args.items)
        print(f"{built} (in {time.perf_counter() - started:.0f} s; database: {url.split(':', 1)[0]}; {load()})")
        parse_cost_ms = parse_ms()
        print(f"the release parser (guessit) alone: {parse_cost_ms:.1f} ms of CPU a name it has not seen")
        print("Missing Episodes searches its items one after another; each search asks every enabled indexer "
              "at once (search_all), each through its own rate limit (IndexerLimits)")
        with fake_indexers(max(1, args.indexers), *titles(runtime.db)) as fakes:
            indexer_ids = store_providers(runtime, fakes, Path(tmp) / "blackhole")
            warm_up = Variant("warm-up", 1, 0, IndexerLimits(spacing_seconds=0.0), WARM_UP_ITEMS)
            run_variant(runtime, fakes, indexer_ids, warm_up)  # connections, compiled statements, caps
            all_figures = []
            for variant in variants(args):
                figures = run_variant(runtime, fakes, indexer_ids, variant)
                report(figures, parse_cost_ms)
                all_figures.append(figures)
            summary(all_figures, parse_cost_ms)
        runtime.db.dispose()
    print(f"\nat the end: {load()}")


if __name__ == "__main__":
    main()
