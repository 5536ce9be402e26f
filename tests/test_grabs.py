"""A grabbed release is followed until its download is imported: meanwhile the item (or, for a season
pack, its season) is not searched again; one that never arrives is waited for two days at most."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from builders import NOW, Library, activity, run
from test_tasks import PACK, WANTED_WEB, FakeClient, FakeIndexer, grabbing, half_missing_season, lib, release
from webapp.db import Database
from webapp.library.grabs import DOWNLOADING, IMPORTED, WAIT, settle
from webapp.models import Grab
from webapp.providers import Release, SearchQuery
from webapp.providers.settings import ClientSettings

__all__ = ["half_missing_season", "lib"]  # fixtures, used by name

WAITING = (f"{WANTED_WEB} was grabbed for it at 2024-06-20 10:00 UTC (Fake Client): waiting for its download; "
           "searched again after 2024-06-22 10:00 UTC if it has not been imported")


def grabs(db: Database) -> list[tuple[object, ...]]:
    with db.read() as session:
        return [tuple(row) for row in session.execute(select(
            Grab.title, Grab.movie_id, Grab.episode_id, Grab.series_id, Grab.season_number, Grab.client,
            Grab.download_id, Grab.status,
        ).order_by(Grab.id))]


def test_a_grabbed_movie_waits_for_its_download_then_is_searched_again(db: Database, lib: Library) -> None:
    movie = lib.movie("Wanted", lib.profile())
    indexer, client = FakeIndexer(lambda query: [release(WANTED_WEB)]), FakeClient()
    providers = grabbing(indexer, clients=[client])
    assert activity(run(db, "task_missing_episodes", providers))[0][2] == "grabbed"
    assert grabs(db) == [(WANTED_WEB, movie, None, None, None, "Fake Client", "dl-1", DOWNLOADING)]

    # A run by hand an hour later: the file is on its way, the indexers are not asked.
    ctx = run(db, "task_missing_episodes", providers, force=True, now=NOW + timedelta(hours=1))
    assert activity(ctx) == [("Wanted (2019)", "search", "skipped", WAITING)]
    assert len(indexer.queries) == 1 and client.titles == [WANTED_WEB]

    # It never arrived: two days on, the item is searched (and grabbed) again.
    ctx = run(db, "task_missing_episodes", providers, force=True, now=NOW + WAIT + timedelta(minutes=1))
    assert activity(ctx)[0][1:3] == ("grab", "grabbed")
    assert client.titles == [WANTED_WEB, WANTED_WEB]


def test_a_download_imported_settles_its_grab(db: Database, lib: Library) -> None:
    lib.movie("Wanted", lib.profile())
    client = FakeClient(settings=ClientSettings("Fake Client", "qbittorrent", id=7))
    providers = grabbing(FakeIndexer(lambda query: [release(WANTED_WEB)]), clients=[client])
    run(db, "task_missing_episodes", providers)
    with db.write() as session:
        settle(session, 8, "dl-1", WANTED_WEB, NOW)  # another client's download
        settle(session, 7, "dl-2", "Other.Film.2019.1080p.WEB-DL-GRP", NOW)  # another download of this client
    assert [row[-1] for row in grabs(db)] == [DOWNLOADING]
    with db.write() as session:
        settle(session, 7, "dl-1", "a name the client gave it", NOW)
    assert [row[-1] for row in grabs(db)] == [IMPORTED]
    ctx = run(db, "task_missing_episodes", providers, force=True)
    assert activity(ctx)[0][1:3] == ("grab", "grabbed")  # no file came of it (say, a sample): searched again


def test_a_blackholes_download_settles_its_grab_by_the_release_name(db: Database, lib: Library) -> None:
    lib.movie("Wanted", lib.profile())
    client = FakeClient(settings=ClientSettings("Fake Client", "blackhole", id=7))
    run(db, "task_missing_episodes", grabbing(FakeIndexer(lambda query: [release(WANTED_WEB)]), clients=[client]))
    with db.write() as session:  # a blackhole's id is the grab file it wrote; its download is named after the release
        settle(session, 7, f"/downloads/{WANTED_WEB}", WANTED_WEB, NOW)
    assert [row[-1] for row in grabs(db)] == [IMPORTED]


def test_a_season_pack_grabbed_makes_its_episodes_wait(db: Database, half_missing_season: None) -> None:
    def answer(query: SearchQuery) -> list[Release]:
        if query.is_season_pack:
            return [release(PACK)]
        return [release(f"Show.S0{query.season}E0{query.episode}.HDTV.x264-LOL")]

    indexer, client = FakeIndexer(answer), FakeClient()
    providers = grabbing(indexer, clients=[client])
    run(db, "task_missing_episodes", providers)
    assert [(title, series, season) for title, _, _, series, season, *_ in grabs(db)] == [
        (PACK, 1, 1), ("Show.S02E04.HDTV.x264-LOL", None, None),
    ]
    ctx = run(db, "task_missing_episodes", providers, force=True, now=NOW + timedelta(hours=2))
    rows = activity(ctx)
    assert [(title, action, status) for title, action, status, _ in rows] == [
        (f"Show S0{season}E0{episode}", "search", "skipped") for season, episode in ((1, 2), (1, 3), (1, 4), (2, 4))
    ]
    assert all(f"{PACK} was grabbed for it" in str(message) for *_, message in rows[:3])
    assert len(indexer.queries) == 2  # only the first run's
