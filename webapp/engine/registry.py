"""What the engine knows of a task: its definition and its body, never its name in code."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import RunContext

TaskBody = Callable[["RunContext"], None]
MAX_INTERVAL_MINUTES = 365 * 1440


@dataclass(frozen=True)
class OptionSpec:
    """One option a task accepts in ``POST .../run``: an integer within bounds."""

    minimum: int
    maximum: int
    description: str


@dataclass(frozen=True)
class TaskDefinition:
    id: str
    name: str
    description: str
    type: str
    default_interval: int
    min_interval: int
    body: TaskBody
    options: dict[str, OptionSpec] = field(default_factory=dict)
    timeout_seconds: int = 6 * 3600
    max_interval: int = MAX_INTERVAL_MINUTES


class TaskRegistry:
    """The set of tasks an app runs, in the order they are listed."""

    def __init__(self) -> None:
        self._tasks: dict[str, TaskDefinition] = {}

    def add(self, definition: TaskDefinition) -> None:
        if definition.id in self._tasks:
            raise ValueError(f"task {definition.id!r} is registered twice")
        self._tasks[definition.id] = definition

    def task(self, **fields: Any) -> Callable[[TaskBody], TaskBody]:
        """Decorator: registers the function below as the body of a task."""

        def register(body: TaskBody) -> TaskBody:
            self.add(TaskDefinition(body=body, **fields))
            return body

        return register

    def get(self, task_id: str) -> TaskDefinition | None:
        return self._tasks.get(task_id)

    def __iter__(self) -> Iterator[TaskDefinition]:
        return iter(self._tasks.values())

    def __len__(self) -> int:
        return len(self._tasks)
