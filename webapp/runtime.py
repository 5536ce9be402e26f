"""What one app holds at run time: database, task registry, event broker, engine and the services."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app

from .db import Database
from .engine.events import EventBroker
from .engine.registry import TaskRegistry
from .engine.scheduler import Engine
from .services.delay import DelayService
from .services.history import HistoryService
from .services.providers import ProviderService
from .services.tasks import TaskService


@dataclass
class Runtime:
    db: Database
    registry: TaskRegistry
    broker: EventBroker
    engine: Engine
    tasks: TaskService = field(init=False)
    history: HistoryService = field(init=False)
    providers: ProviderService = field(init=False)
    delay: DelayService = field(init=False)

    def __post_init__(self) -> None:
        self.tasks = TaskService(self.db, self.registry, self.broker, self.engine)
        self.history = HistoryService(self.db, self.registry)
        self.providers = ProviderService(self.db)
        self.delay = DelayService(self.db)


def runtime_of(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["cinephage.runtime"]
    return runtime


def get_runtime() -> Runtime:
    """The current app's runtime."""
    return runtime_of(current_app)
