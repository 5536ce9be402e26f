"""The providers a run uses, built from the stored settings when it starts.

What the providers API stores is what the next run searches and grabs with: no restart. The
enabled indexers and download clients are taken by priority (1 first); each indexer reports its
failures to the shared ``indexer_status`` table, so a failing one rests for every process.
"""
from __future__ import annotations

import logging
import threading

from ..db import Database
from ..providers.base import DownloadClient, Indexer, ProviderError, ProviderSet
from ..providers.clients import build_client
from ..providers.newznab import NewznabIndexer
from ..providers.settings import ClientSettings, IndexerSettings
from ..providers.tmdb import TmdbSource
from .metadata import MetadataService
from .notifications import NotificationService
from .providers import DatabaseHealth, ProviderService
from .subtitle_providers import KeptSubtitleProviders

log = logging.getLogger("cinephage.providers")


class ConfiguredProviders:
    """Called at the start of each run: the ``ProviderSet`` of the enabled indexers and download clients.

    An indexer object is kept while its settings stay the same, so that its caps, its rate
    limit and a server's Retry-After carry over from run to run; changed settings make a new one.
    """

    def __init__(self, db: Database) -> None:
        self._service = ProviderService(db)
        self._health = DatabaseHealth(db)
        self._notifications = NotificationService(db)
        self._indexers: dict[IndexerSettings, NewznabIndexer] = {}
        self._subtitle_providers = KeptSubtitleProviders(db)  # by priority; each kept while unchanged
        self._metadata_settings = MetadataService(db)
        self._metadata: TmdbSource | None = None
        self._lock = threading.Lock()

    def __call__(self) -> ProviderSet:
        indexers = [configured.settings for configured in self._service.indexers() if configured.settings.enabled]
        clients = [settings for settings in self._service.clients() if settings.enabled]
        return ProviderSet(
            indexers=self._indexers_for(indexers),
            download_clients=[client for client in map(_client, clients) if client is not None],
            minimum_seeders={settings.id: settings.minimum_seeders for settings in indexers if settings.id is not None},
            subtitle_providers=self._subtitle_providers(),
            metadata=self._metadata_source(),
            notifier=self._notifications.notifier(),  # the enabled notification targets, as they are now
        )

    def _indexers_for(self, configured: list[IndexerSettings]) -> list[Indexer]:
        with self._lock:
            kept = {settings: self._indexers.get(settings) or NewznabIndexer(settings, self._health)
                    for settings in configured}
            self._indexers = kept
            return list(kept.values())

    def _metadata_source(self) -> TmdbSource | None:
        """TMDB when a key is set; the same object while its settings stay the same (a 429's rest carries over)."""
        settings = self._metadata_settings.get()
        if not settings.configured:
            return None
        with self._lock:
            if self._metadata is None or self._metadata.settings != settings:
                self._metadata = TmdbSource(settings)
            return self._metadata


def configured_providers(db: Database) -> ProviderSet:
    """The providers as configured now (a one-off: nothing is kept between calls)."""
    return ConfiguredProviders(db)()


def _client(settings: ClientSettings) -> DownloadClient | None:
    try:
        return build_client(settings)
    except ProviderError as error:  # stored by an older version, say: the others still work
        log.warning("Download client %r left out: %s", settings.name, error)
        return None
