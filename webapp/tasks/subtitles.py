"""Subtitle tasks: fetch missing subtitles, better ones, and those of new imports."""
from __future__ import annotations

from ..engine.context import RunContext
from ..library import (
    BEST_SUBTITLE_SCORE, SubtitleNeed, WriteBatch, import_queue, missing_subtitles, upgradable_subtitles,
)
from ..library.writes import mark_processed
from ..providers import ProviderSet
from .common import DOWNLOAD_SUBTITLE, UPGRADE_SUBTITLE, SearchTasks, limit, record, searched_before
from .subtitle_fetch import SubtitleFetcher

MISSING_INTERVAL, UPGRADE_INTERVAL, ON_IMPORT_INTERVAL = 360, 1440, 15
# How much better than the current subtitle a replacement must score to be worth it.
UPGRADE_MARGIN = 10

TASKS = SearchTasks("subtitle")


@TASKS.task(
    id="task_missing_subtitles", name="Missing Subtitles", description="Search for missing subtitles on media items",
    default_interval=MISSING_INTERVAL, min_interval=15,
)
def missing(providers: ProviderSet, ctx: RunContext) -> None:
    """Downloads, for each media file, the best subtitle in every wanted language it lacks."""
    with ctx.db.read() as session:
        needs = missing_subtitles(session, searched_before=searched_before(ctx, MISSING_INTERVAL), limit=limit(ctx))
    with WriteBatch(ctx.db) as writes:
        fetcher = SubtitleFetcher(providers, writes, ctx.now, ctx.db)
        for need in ctx.items(needs):
            record(ctx, need, fetcher.fetch(need, need.min_score, DOWNLOAD_SUBTITLE))


@TASKS.task(
    id="task_subtitle_upgrade", name="Subtitle Upgrade", description="Search for better subtitles",
    default_interval=UPGRADE_INTERVAL, min_interval=60,
)
def upgrade(providers: ProviderSet, ctx: RunContext) -> None:
    """Replaces subtitles below the best score with a same-language one that scores clearly better."""
    with ctx.db.read() as session:
        needs = upgradable_subtitles(session, searched_before=searched_before(ctx, UPGRADE_INTERVAL), limit=limit(ctx))
    with WriteBatch(ctx.db) as writes:
        fetcher = SubtitleFetcher(providers, writes, ctx.now, ctx.db)
        for need in ctx.items(needs):
            record(ctx, need, fetcher.fetch(need, _upgrade_score(need), UPGRADE_SUBTITLE))


def _upgrade_score(need: SubtitleNeed) -> int:
    """The score a replacement needs: the margin above the current one, capped at the best score."""
    current = need.current_score or 0
    return max(need.min_score, min(current + UPGRADE_MARGIN, BEST_SUBTITLE_SCORE))


@TASKS.task(
    id="task_subtitle_search_on_import", name="Subtitle Search on Import",
    description="Search subtitles on media import",
    default_interval=ON_IMPORT_INTERVAL, min_interval=5,
)
def on_import(providers: ProviderSet, ctx: RunContext) -> None:
    """Fetches the missing subtitles of each newly imported file, and takes it off the queue."""
    with ctx.db.read() as session:
        entries = import_queue(session, limit=limit(ctx))
    with WriteBatch(ctx.db) as writes:
        fetcher = SubtitleFetcher(providers, writes, ctx.now, ctx.db)
        for entry in ctx.items(entries):
            record(ctx, entry, fetcher.fetch_missing(entry, DOWNLOAD_SUBTITLE))
            writes.add(mark_processed(entry.entry_id, ctx.now))

