"""What one app holds at run time: database, task registry, event broker and engine."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from .db import Database
from .engine.events import EventBroker
from .engine.registry import TaskRegistry
from .engine.scheduler import Engine


@dataclass
class Runtime:
    db: Database
    registry: TaskRegistry
    broker: EventBroker
    engine: Engine

    def changed(self) -> None:
        """A request changed runs or timers: read the event log and look at the timers now."""
        self.broker.notify()
        self.engine.wake()


def runtime_of(app: Flask) -> Runtime:
    return app.extensions["cinephage.runtime"]


def get_runtime() -> Runtime:
    """The current app's runtime."""
    return runtime_of(current_app)
