"""What every task body shares: outcomes, options and search cooldowns."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from ..engine.context import NamedItem, RunContext
from ..engine.registry import OptionSpec, TaskBody, TaskDefinition, TaskRegistry
from ..providers import ProviderSet

# Activity actions and statuses (short lowercase words, see decisions.md).
SEARCH, GRAB, DELAY, DETECT, EXPIRE, DELETE, SKIP = "search", "grab", "delay", "detect", "expire", "delete", "skip"
DOWNLOAD_SUBTITLE, UPGRADE_SUBTITLE = "download_subtitle", "upgrade_subtitle"
SUCCESS, GRABBED, NO_RESULTS, SKIPPED, FAILED = "success", "grabbed", "no_results", "skipped", "failed"

LIMIT_OPTION = {"limit": OptionSpec(1, 100_000, "Process at most this many items")}


@dataclass(frozen=True)
class ItemOutcome:
    """What became of one item, as its activity row will say; ``affected`` when it changed something.

    One per item a run handles; how the whole run ended is the engine's business, not this.
    """

    action: str
    status: str
    message: str
    affected: bool = False


SearchBody = Callable[[ProviderSet, RunContext], None]
# The providers themselves, or what builds them afresh for each run (from the stored settings).
Providers = ProviderSet | Callable[[], ProviderSet]


@dataclass(frozen=True)
class SearchTask:
    """A task whose body works through the providers; intervals in minutes."""

    id: str
    name: str
    description: str
    default_interval: int
    min_interval: int
    body: SearchBody


class SearchTasks:
    """One module's search tasks, each declared on its body, listed in the order declared.

    A body takes the providers first, so that one module-level function serves any
    provider set: ``register`` binds them. Every such task takes the ``limit`` option.
    """

    def __init__(self, task_type: str) -> None:
        self.type = task_type
        self.tasks: list[SearchTask] = []

    def task(
        self, *, id: str, name: str, description: str, default_interval: int, min_interval: int,  # noqa: A002
    ) -> Callable[[SearchBody], SearchBody]:
        """Decorator: the function below is this task's body."""
        def declare(body: SearchBody) -> SearchBody:
            self.tasks.append(SearchTask(id, name, description, default_interval, min_interval, body))
            return body
        return declare

    def register(self, registry: TaskRegistry, providers: Providers) -> None:
        for task in self.tasks:
            registry.add(TaskDefinition(
                id=task.id, name=task.name, description=task.description, type=self.type,
                default_interval=task.default_interval, min_interval=task.min_interval,
                body=bind(task.body, providers), options=dict(LIMIT_OPTION),
            ))


def bind(body: SearchBody, providers: Providers) -> TaskBody:
    """The body with its providers: these, or those built when each run starts."""
    if isinstance(providers, ProviderSet):
        return partial(body, providers)
    build = providers

    def run(ctx: RunContext) -> None:
        body(build(), ctx)

    return run


def record(ctx: RunContext, item: NamedItem | None, outcome: ItemOutcome) -> None:
    """Records the item's activity row, as its outcome says."""
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
