"""The nine built-in tasks, registered for the engine to run."""
from __future__ import annotations

from ..engine.registry import TaskRegistry
from . import monitoring, subtitles, system
from .common import Providers


def build_registry(providers: Providers) -> TaskRegistry:
    """Every built-in task, in the order the task list shows them.

    ``providers`` is a ``ProviderSet`` every run uses, or a function called at the start of
    each run for the providers as then configured.
    """
    registry = TaskRegistry()
    monitoring.TASKS.register(registry, providers)
    subtitles.TASKS.register(registry, providers)
    system.register(registry)
    return registry


__all__ = ["build_registry"]
