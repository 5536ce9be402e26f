"""The nine built-in tasks, registered for the engine to run."""
from __future__ import annotations

from ..engine.registry import TaskRegistry
from ..providers import ProviderSet
from . import monitoring, subtitles, system


def build_registry(providers: ProviderSet) -> TaskRegistry:
    """Every built-in task, in the order the task list shows them, using these providers."""
    registry = TaskRegistry()
    monitoring.TASKS.register(registry, providers)
    subtitles.TASKS.register(registry, providers)
    system.register(registry)
    return registry


__all__ = ["build_registry"]
