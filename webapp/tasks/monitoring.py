"""Monitoring tasks: find what the library lacks or could improve, and grab it."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from ..engine.context import RunContext
from ..library import (
    FiledItem, PendingItem, Profile, SeriesItem, WriteBatch, cutoff_unmet_items, load_profiles,
    missing_items, newly_aired_episodes, pending_releases, series_to_refresh, upgradable_items,
)
from ..library.writes import set_release_status, store_episodes
from ..providers import ProviderError, ProviderSet, Release
from .common import (
    DETECT, EXPIRE, FAILED, GRABBED, NO_RESULTS, SKIPPED, SUCCESS, ItemOutcome, SearchTasks, limit, record,
    searched_before,
)
from .history import previous_run_started
from .searching import Grabber, SeasonPacks, grab

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
        profiles = load_profiles(session)
        items = missing_items(
            session, today=ctx.now.date(), searched_before=searched_before(ctx, MISSING_INTERVAL), limit=limit(ctx)
        )
    with WriteBatch(ctx.db) as writes:
        grabber = Grabber(providers, profiles, writes, ctx.now)
        packs = SeasonPacks(items, grabber)
        for wanted in ctx.items(items):
            record(ctx, wanted, packs.grabbed(wanted) or grabber.search_and_grab(wanted.item, 1))


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
        profiles = load_profiles(session)
        items = newly_aired_episodes(
            session, today=ctx.now.date(), since=since, searched_before=None if ctx.force else since, limit=limit(ctx)
        )
    with WriteBatch(ctx.db) as writes:
        grabber = Grabber(providers, profiles, writes, ctx.now)
        for wanted in ctx.items(items):
            record(ctx, wanted, grabber.search_and_grab(wanted.item, 1))


def _detect_episodes(providers: ProviderSet, ctx: RunContext, show: SeriesItem) -> ItemOutcome:
    """Adds the episodes the metadata source knows of and the library lacks."""
    source = providers.metadata
    if source is None:
        return ItemOutcome(DETECT, SKIPPED, "No metadata source configured")
    try:
        episodes = source.episodes(show.tmdb_id)
    except ProviderError as error:
        return ItemOutcome(DETECT, FAILED, f"{source.name}: {error}")
    added = store_episodes(ctx.db, show.id, episodes, ctx.now)
    if not added:
        return ItemOutcome(DETECT, NO_RESULTS, "No new episodes")
    names = ", ".join(f"S{info.season:02d}E{info.number:02d}" for info in added[:10])
    more = f" and {len(added) - 10} more" if len(added) > 10 else ""
    return ItemOutcome(DETECT, SUCCESS, f"Found {len(added)} new episodes: {names}{more}", affected=True)


@TASKS.task(
    id="task_cutoff_unmet", name="Cutoff Unmet", description="Search for items below quality cutoff",
    default_interval=CUTOFF_INTERVAL, min_interval=15,
)
def cutoff_unmet(providers: ProviderSet, ctx: RunContext) -> None:
    """Searches items whose best file is below their profile's cutoff, for any better release."""
    with ctx.db.read() as session:
        profiles = load_profiles(session)
        items = cutoff_unmet_items(session, searched_before=searched_before(ctx, CUTOFF_INTERVAL), limit=limit(ctx))
    _search_better(providers, ctx, profiles, items, increment=lambda profile: 1)


@TASKS.task(
    id="task_upgrade", name="Quality Upgrade", description="Search for better quality releases",
    default_interval=UPGRADE_INTERVAL, min_interval=60,
)
def upgrade(providers: ProviderSet, ctx: RunContext) -> None:
    """Searches upgradable items for a release better by at least the profile's minimum increment."""
    with ctx.db.read() as session:
        profiles = load_profiles(session)
        items = upgradable_items(session, searched_before=searched_before(ctx, UPGRADE_INTERVAL), limit=limit(ctx))
    _search_better(providers, ctx, profiles, items, increment=lambda profile: profile.min_upgrade_increment)


def _search_better(
    providers: ProviderSet, ctx: RunContext, profiles: dict[int, Profile], items: list[FiledItem],
    increment: Callable[[Profile], int],
) -> None:
    with WriteBatch(ctx.db) as writes:
        grabber = Grabber(providers, profiles, writes, ctx.now)
        for filed in ctx.items(items):
            min_rank = filed.file_rank + increment(profiles[filed.item.profile_id])
            record(ctx, filed, grabber.search_and_grab(filed.item, min_rank))


@TASKS.task(
    id="task_pending_releases", name="Pending Releases",
    description="Grab delayed releases that are due and expire unneeded ones",
    default_interval=PENDING_INTERVAL, min_interval=5,
)
def pending(providers: ProviderSet, ctx: RunContext) -> None:
    """Grabs held-back releases whose delay expired, best first; expires those no longer needed."""
    with ctx.db.read() as session:
        items = pending_releases(session, now=ctx.now, limit=limit(ctx))
    grabbed: set[str] = set()  # media ids of the items a release was grabbed for in this run
    with WriteBatch(ctx.db) as writes:
        for release in ctx.items(items):
            outcome = _grab_or_expire(release, providers, grabbed)
            record(ctx, release, outcome)
            status = _release_status(outcome)
            if status is not None:
                writes.add(set_release_status(release.release_id, status))
            if status == "grabbed":
                grabbed.add(release.media_id)


def _release_status(outcome: ItemOutcome) -> str | None:
    """What the pending release becomes; None while it stays pending (e.g. no download client)."""
    if outcome.status == GRABBED:
        return "grabbed"
    return "expired" if outcome.action == EXPIRE else None


def _grab_or_expire(release: PendingItem, providers: ProviderSet, grabbed: set[str]) -> ItemOutcome:
    """Expires a release the item no longer needs (or that cannot be downloaded), else grabs it."""
    if release.satisfied:
        return _expired(release, "the file already meets the cutoff")
    if release.media_id in grabbed:
        return _expired(release, "a better release was grabbed")
    if not release.download_url:
        return _expired(release, "it has no download link")
    return grab(providers.download_client, Release(
        title=release.release_title, quality=release.quality, indexer=release.indexer or "unknown indexer",
        download_url=release.download_url, score=release.score,
    ))


def _expired(release: PendingItem, reason: str) -> ItemOutcome:
    return ItemOutcome(EXPIRE, SUCCESS, f"Expired {release.release_title}: {reason}", affected=True)

