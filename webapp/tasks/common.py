"""What every task body shares: outcomes, options and search cooldowns."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from ..engine.context import MediaItem, RunContext
from ..engine.registry import OptionSpec, TaskDefinition, TaskRegistry
from ..providers import ProviderSet

# Activity actions and statuses (short lowercase words, see decisions.md).
SEARCH, GRAB, DETECT, EXPIRE, DELETE, SKIP = "search", "grab", "detect", "expire", "delete", "skip"
DOWNLOAD_SUBTITLE, UPGRADE_SUBTITLE = "download_subtitle", "upgrade_subtitle"
SUCCESS, GRABBED, NO_RESULTS, SKIPPED, FAILED = "success", "grabbed", "no_results", "skipped", "failed"

LIMIT_OPTION = {"limit": OptionSpec(1, 100_000, "Process at most this many items")}


@dataclass(frozen=True)
class Outcome:
    """What became of one item, as its activity row will say; ``affected`` when it changed something."""

    action: str
    status: str
    message: str
    affected: bool = False


# id, name, description, body taking the providers, default interval, minimum interval (minutes)
SearchTask = tuple[str, str, str, Callable[[ProviderSet, RunContext], None], int, int]


def register_searching(
    registry: TaskRegistry, providers: ProviderSet, task_type: str, tasks: tuple[SearchTask, ...]
) -> None:
    """Adds tasks whose bodies work through the providers, in the order given, each taking ``limit``."""
    for task_id, name, description, body, interval, minimum in tasks:
        registry.add(TaskDefinition(
            id=task_id, name=name, description=description, type=task_type, default_interval=interval,
            min_interval=minimum, body=partial(body, providers), options=dict(LIMIT_OPTION),
        ))


def record(ctx: RunContext, item: MediaItem | None, outcome: Outcome) -> None:
    ctx.record(item, outcome.action, outcome.status, outcome.message, affected=outcome.affected)


def limit(ctx: RunContext) -> int | None:
    """The run's ``limit`` option: at most this many items, or None for all."""
    value = ctx.options.get("limit")
    return None if value is None else int(value)


def searched_before(ctx: RunContext, interval_minutes: int) -> datetime | None:
    """Items searched after this are skipped; None on a forced run.

    Half the task's interval: a scheduled run always searches again, a run by hand
    soon after does not hammer the providers.
    """
    if ctx.force:
        return None
    return ctx.now - timedelta(minutes=interval_minutes / 2)
