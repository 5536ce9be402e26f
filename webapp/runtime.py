"""What one app holds at run time: database, task registry, event broker and engine."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

from flask import Flask, current_app

from .db import Database
from .engine.events import Event, EventBroker
from .engine.registry import TaskRegistry
from .engine.scheduler import Engine
from .services.tasks import list_tasks


@dataclass
class Runtime:
    db: Database
    registry: TaskRegistry
    broker: EventBroker
    engine: Engine
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _generation: int = 0
    _task_list: bytes | None = None

    def __post_init__(self) -> None:
        self.broker.add_listener(self._on_event)

    def task_list_json(self) -> bytes:
        """``{"tasks": [...]}`` as JSON, cached while no event says a task changed.

        Every change to a task's settings or runs appends an event; the broker (which
        follows the log of every process) clears the cache before anyone sees the event.
        Without a running broker nothing would clear it, so nothing is cached then.
        """
        cached = self._task_list
        if cached is not None:
            return cached
        generation = self._generation
        body = json.dumps({"tasks": list_tasks(self.db, self.registry)}, separators=(",", ":")).encode()
        with self._lock:
            if generation == self._generation and self.broker.running:
                self._task_list = body
        return body

    def changed(self) -> None:
        """A request changed runs or timers: drop caches, read the event log, look at the timers."""
        self._invalidate()
        self.broker.notify()
        self.engine.wake()

    def _invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._task_list = None

    def _on_event(self, event: Event) -> None:
        if event.type != "task:progress":
            self._invalidate()


def runtime_of(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["cinephage.runtime"]
    return runtime


def get_runtime() -> Runtime:
    """The current app's runtime."""
    return runtime_of(current_app)
