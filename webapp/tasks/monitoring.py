"""Monitoring tasks: find what the library lacks or could improve, and grab it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from sqlalchemy.orm import Session

from ..engine.context import RunContext
from ..library import (
    FiledItem, Profile, SeriesItem, WriteBatch, cutoff_unmet_items, missing_items, newly_aired_episodes,
    pending_releases, series_to_refresh, upgradable_items,
)
from ..library.delay import Delay
from ..library.writes import set_release_status, store_episodes
from ..providers import EpisodeInfo, ProviderError, ProviderSet
from .common import (
    DETECT, FAILED, NO_RESULTS, SKIPPED, SUCCESS, ItemOutcome, SearchTasks, limit, record, searched_before,
)
from .history import previous_run_started
from .pending import HeldReleases
from .searching import Grabber, Search, SearchSettings, SeasonPacks

# Default intervals, in minutes.
MISSING_INTERVAL = 1440
NEW_INTERVAL = 60
CUTOFF_INTERVAL = 1440
UPGRADE_INTERVAL = 10080
PENDING_INTERVAL = 15

TASKS = SearchTasks("monitoring")


@TASKS.task(
    id="task_missing_episodes", name="Missing Episodes", description="Search for missing TV episodes and movies",
    default_interval=MISSING_INTERVAL, min_interval=15,
)
def missing_episodes(providers: ProviderSet, ctx: RunContext) -> None:
    """Searches and grabs monitored, aired episodes and monitored movies that have no file."""
    with ctx.db.read() as session:
        settings = SearchSettings.load(session)
        items = missing_items(
            session, today=ctx.now.date(), searched_before=searched_before(ctx, MISSING_INTERVAL), limit=limit(ctx)
        )
    with WriteBatch(ctx.db) as writes:
        grabber = Grabber(providers, ctx.db, writes, ctx.now, settings)
        packs = SeasonPacks(items, grabber)
        for wanted in ctx.items(items):
            record(ctx, wanted, packs.taken(wanted) or grabber.search_and_grab(Search.of(wanted.item)))


@TASKS.task(
    id="task_new_episodes", name="New Episodes", description="Detect new episodes and search those that aired",
    default_interval=NEW_INTERVAL, min_interval=15,
)
def new_episodes(providers: ProviderSet, ctx: RunContext) -> None:
    """Detects newly announced episodes, then searches those that aired since the last run."""
    since = previous_run_started(ctx.db, ctx.task_id, ctx.run_id) or ctx.now - timedelta(minutes=NEW_INTERVAL)
    with ctx.db.read() as session:
        shows = series_to_refresh(session, limit=limit(ctx))
    for show in ctx.items(shows):
        record(ctx, show, _detect_episodes(providers, ctx, show))
    with ctx.db.read() as session:
        settings = SearchSettings.load(session)
        items = newly_aired_episodes(
            session, today=ctx.now.date(), since=since, searched_before=None if ctx.force else since, limit=limit(ctx)
        )
    with WriteBatch(ctx.db) as writes:
        grabber = Grabber(providers, ctx.db, writes, ctx.now, settings)
        for wanted in ctx.items(items):
            record(ctx, wanted, grabber.search_and_grab(Search.of(wanted.item)))


def _detect_episodes(providers: ProviderSet, ctx: RunContext, show: SeriesItem) -> ItemOutcome:
    """Adds the episodes the metadata source knows of and the library lacks."""
    source = providers.metadata
    if source is None:
        return ItemOutcome(DETECT, SKIPPED, "No metadata source configured")
    if show.tmdb_id is None:
        return ItemOutcome(DETECT, SKIPPED, f"No TMDB id: {source.name} cannot be asked for this series' episodes")
    try:
        episodes = source.episodes(show.tmdb_id)
    except ProviderError as error:
        said = str(error)  # a source's own messages name it already
        return ItemOutcome(DETECT, FAILED, said if said.startswith(source.name) else f"{source.name}: {said}")
    stored = store_episodes(ctx.db, show.id, episodes, ctx.now)
    redated = f"; new air date for {_episode_codes(stored.redated)}" if stored.redated else ""
    if not stored.added:
        return ItemOutcome(DETECT, SUCCESS if redated else NO_RESULTS, f"No new episodes{redated}",
                           affected=bool(redated))
    found = f"Found {len(stored.added)} new episodes: {_episode_codes(stored.added)}"
    return ItemOutcome(DETECT, SUCCESS, found + redated, affected=True)


def _episode_codes(episodes: list[EpisodeInfo], shown: int = 10) -> str:
    """``S01E02, S01E03`` (and how many more past ``shown``)."""
    codes = ", ".join(f"S{info.season:02d}E{info.number:02d}" for info in episodes[:shown])
    return codes + (f" and {len(episodes) - shown} more" if len(episodes) > shown else "")


@TASKS.task(
    id="task_cutoff_unmet", name="Cutoff Unmet", description="Search for items below quality cutoff",
    default_interval=CUTOFF_INTERVAL, min_interval=15,
)
def cutoff_unmet(providers: ProviderSet, ctx: RunContext) -> None:
    """Searches items whose best file is below their profile's cutoff, for any better release."""
    before = searched_before(ctx, CUTOFF_INTERVAL)
    _search_better(
        providers, ctx, lambda session: cutoff_unmet_items(session, searched_before=before, limit=limit(ctx)),
        lambda filed, profile: Search.of(filed.item, file_rank=filed.file_rank, min_rank=filed.file_rank + 1),
    )


@TASKS.task(
    id="task_upgrade", name="Quality Upgrade", description="Search for better quality releases",
    default_interval=UPGRADE_INTERVAL, min_interval=60,
)
def upgrade(providers: ProviderSet, ctx: RunContext) -> None:
    """Searches upgradable items for a release better by at least the profile's minimum increment.

    An upgrade beyond the cutoff is grabbed at once, whatever the delay: the item has a good file already.
    """
    before = searched_before(ctx, UPGRADE_INTERVAL)
    _search_better(
        providers, ctx, lambda session: upgradable_items(session, searched_before=before, limit=limit(ctx)),
        lambda filed, profile: Search.of(
            filed.item, file_rank=filed.file_rank, min_rank=filed.file_rank + profile.min_upgrade_increment,
            beyond_cutoff=True, may_wait=False,
        ),
    )


def _search_better(
    providers: ProviderSet, ctx: RunContext, select_items: Callable[[Session], list[FiledItem]],
    search: Callable[[FiledItem, Profile], Search],
) -> None:
    """Searches each item with a file for what ``search`` says would improve on it."""
    with ctx.db.read() as session:
        settings = SearchSettings.load(session)
        items = select_items(session)
    with WriteBatch(ctx.db) as writes:
        grabber = Grabber(providers, ctx.db, writes, ctx.now, settings)
        for filed in ctx.items(items):
            record(ctx, filed, grabber.search_and_grab(search(filed, settings.profiles[filed.item.profile_id])))


@TASKS.task(
    id="task_pending_releases", name="Pending Releases",
    description="Grab delayed releases that are due and expire unneeded ones",
    default_interval=PENDING_INTERVAL, min_interval=5,
)
def pending(providers: ProviderSet, ctx: RunContext) -> None:
    """Judges held-back releases again: grabs the best whose delay is over, expires those no longer needed."""
    with ctx.db.read() as session:
        settings = replace(SearchSettings.load(session), delay=Delay())
        rows = pending_releases(session, now=ctx.now, limit=limit(ctx))
    with WriteBatch(ctx.db) as writes:
        # No delay: these waited out theirs; a grab failing here tries the next of the item's held releases.
        grabber = Grabber(providers, ctx.db, writes, ctx.now, settings)
        held = HeldReleases(rows, providers, grabber, ctx.now)
        for row in ctx.items(held.ordered()):
            outcome, status = held.handle(row)
            record(ctx, row, outcome)
            if status is not None:
                writes.add(set_release_status(row.release_id, status))
