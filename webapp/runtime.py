"""What one app holds at run time: database, task registry, event broker, engine and the services."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app

from .db import Database
from .engine.events import EventBroker
from .engine.registry import TaskRegistry
from .engine.scheduler import Engine
from .services.delay import DelayService
from .services.history import HistoryService
from .services.library import LibraryService
from .services.metadata import MetadataService
from .services.notifications import NotificationService
from .services.preferences import PreferencesService
from .services.providers import ProviderService
from .services.subtitle_providers import SubtitleProviderService
from .services.tasks import TaskService


@dataclass
class Runtime:
    db: Database
    registry: TaskRegistry
    broker: EventBroker
    engine: Engine
    data_dir: Path  # the app's DATA_DIR: the library folder's default parent
    tasks: TaskService = field(init=False)
    history: HistoryService = field(init=False)
    providers: ProviderService = field(init=False)
    delay: DelayService = field(init=False)
    subtitles: SubtitleProviderService = field(init=False)
    metadata: MetadataService = field(init=False)
    notifications: NotificationService = field(init=False)
    preferences: PreferencesService = field(init=False)
    library: LibraryService = field(init=False)

    def __post_init__(self) -> None:
        self.tasks = TaskService(self.db, self.registry, self.broker, self.engine)
        self.history = HistoryService(self.db, self.registry)
        self.providers = ProviderService(self.db)
        self.delay = DelayService(self.db)
        self.subtitles = SubtitleProviderService(self.db)
        self.metadata = MetadataService(self.db)
        self.notifications = NotificationService(self.db)
        self.engine.add_run_listener(self.notifications.run_ended)  # a failed run tells the targets
        self.preferences = PreferencesService(self.db)
        self.library = LibraryService(self.db, self.data_dir, self.tasks,
                                      self.notifications.notifier)


def runtime_of(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["cinephage.runtime"]
    return runtime


def get_runtime() -> Runtime:
    """The current app's runtime."""
    return runtime_of(current_app)

