"""The provider kinds that have a settings page: indexers, download clients, subtitle providers."""
from __future__ import annotations

from ...api.provider_wire import CLIENT_FIELDS, CLIENT_REQUIRED, INDEXER_FIELDS, INDEXER_REQUIRED
from ...api.subtitle_providers import FIELDS as SUBTITLE_FIELDS
from ...api.subtitle_providers import REQUIRED as SUBTITLE_REQUIRED
from ...providers.settings import CLIENT_IMPLEMENTATIONS, INDEXER_IMPLEMENTATIONS, ClientSettings, IndexerSettings
from ...providers.subtitles.settings import SUBTITLE_IMPLEMENTATIONS, SubtitleProviderSettings
from ...services.providers import ProviderService
from ...services.subtitle_providers import SubtitleProviderService
from .forms import Kind
from .languages import languages_context

INDEXERS = Kind(
    "indexers", "indexer", "indexer", "_indexers.html", IndexerSettings,
    {wire: attr for wire, (attr, _) in INDEXER_FIELDS.items()}, INDEXER_REQUIRED, INDEXER_IMPLEMENTATIONS,
    service=lambda runtime: runtime.providers,
    saved=lambda service: tuple((indexer.settings, indexer.health) for indexer in service.indexers()),
    get=lambda service, indexer_id: service.indexer(indexer_id).settings,
    create=ProviderService.create_indexer,
    update=lambda service, indexer_id, changes, now: service.update_indexer(indexer_id, changes, now).settings,
    delete=ProviderService.delete_indexer, test=ProviderService.test_indexer,
    test_saved=ProviderService.test_saved_indexer,
)
CLIENTS = Kind(
    "download-clients", "client", "download client", "_download_clients.html", ClientSettings,
    {wire: attr for wire, (attr, _) in CLIENT_FIELDS.items()}, CLIENT_REQUIRED, CLIENT_IMPLEMENTATIONS,
    service=lambda runtime: runtime.providers,
    saved=lambda service: tuple((client, None) for client in service.clients()),
    get=ProviderService.client, create=ProviderService.create_client, update=ProviderService.update_client,
    delete=ProviderService.delete_client, test=ProviderService.test_client,
    test_saved=ProviderService.test_saved_client,
)
SUBTITLES = Kind(
    "subtitles", "subtitle", "subtitle provider", "_subtitle_providers.html", SubtitleProviderSettings,
    {wire: attr for wire, (attr, _) in SUBTITLE_FIELDS.items()}, SUBTITLE_REQUIRED, SUBTITLE_IMPLEMENTATIONS,
    service=lambda runtime: runtime.subtitles,
    saved=lambda service: tuple((provider.settings, provider.quota) for provider in service.providers()),
    get=lambda service, provider_id: service.provider(provider_id).settings,
    create=SubtitleProviderService.create,
    update=lambda service, provider_id, changes, now: service.update(provider_id, changes, now).settings,
    delete=SubtitleProviderService.delete, test=SubtitleProviderService.test,
    test_saved=SubtitleProviderService.test_saved,
    page="settings_subtitles.html", page_context=languages_context,
)
