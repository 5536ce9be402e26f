"""The offline demo's providers: "Demo Indexer" (the app's own Torznab feed) and "Demo Blackhole".

``seed-demo`` adds them, once: an API key of their own (its only copy is the indexer's
``apiKey``: never printed, never logged), the indexer at ``/demo/torznab/`` of this app, and a
blackhole whose folders it makes under the data dir. ``seed-demo`` cannot know the port
``serve`` will listen on, so each server points the demo indexer at itself when it starts.
"""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError

from ..auth import api_keys
from ..errors import AppError, Conflict
from ..providers.settings import BLACKHOLE, TORZNAB, ClientSettings, IndexerSettings
from ..services.provider_checks import name_key
from ..services.providers import ProviderService
from .common import DEFAULT_ADDRESS, DEMO_PRIORITY, demo_key, local_url, revoke_demo_keys

log = logging.getLogger("cinephage.demo")

DEMO_INDEXER, DEMO_CLIENT = "Demo Indexer", "Demo Blackhole"
KEY_SOURCE = "demo"  # the source of the demo indexer's API key, as ``api-key list`` shows it
FEED_PATH = "/demo/torznab/"


def seed_demo_providers(service: ProviderService, data_dir: Path, now: datetime) -> list[str]:
    """Adds the demo indexer and blackhole where missing (and a live key where the indexer's is not); what it did."""
    done = _seed_indexer(service, now)
    if _demo_client(service) is None:
        service.create_client(_client_settings(data_dir), now)
        done.append(f"{DEMO_CLIENT} added")
    client = _demo_client(service)
    assert client is not None  # made just above if it was missing
    for folder in (client.torrent_folder, client.nzb_folder, client.download_folder):
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
    from .notifications import seed_demo_notifications  # it imports this module
    from ..services.notifications import NotificationService

    from ..services.metadata import MetadataService
    from .metadata import seed_demo_metadata  # it imports this module

    done += seed_demo_metadata(MetadataService(service.db), now)
    from ..services.subtitle_providers import SubtitleProviderService
    from .opensubtitles import seed_demo_subtitles  # it imports this module

    done += seed_demo_subtitles(SubtitleProviderService(service.db), now)
    return done + seed_demo_notifications(NotificationService(service.db), now)


def demo_indexer(service: ProviderService) -> IndexerSettings | None:
    """The demo indexer, if there is one: the indexer of that name that reads the app's own demo feed."""
    for configured in service.indexers():
        settings = configured.settings
        if name_key(settings.name) == name_key(DEMO_INDEXER) and urlsplit(settings.base_url).path == FEED_PATH:
            return settings
    return None


def point_at_server(service: ProviderService, address: str, now: datetime) -> None:
    """Points the demo indexer (if any) at this server's ``address`` (``http://host:port``), which serves its feed.

    A server starts whatever becomes of this: a failure is logged, and the demo indexer keeps its address.
    The demo metadata (if set) is pointed at this server too.
    """
    from ..services.metadata import MetadataService
    from .metadata import point_metadata_at_server  # it imports this module

    point_metadata_at_server(MetadataService(service.db), address, now)
    from ..services.subtitle_providers import SubtitleProviderService
    from .opensubtitles import point_subtitles_at_server  # it imports this module

    point_subtitles_at_server(SubtitleProviderService(service.db), address, now)
    try:
        indexer = demo_indexer(service)
        if indexer is None or indexer.id is None:
            return
        base_url = local_url(address) + FEED_PATH
        if indexer.base_url != base_url:
            service.update_indexer(indexer.id, {"base_url": base_url}, now)
            log.info("%s now reads this server's demo feed at %s", DEMO_INDEXER, base_url)
    except (AppError, SQLAlchemyError) as error:
        log.warning("%s could not be pointed at this server (%s): %s", DEMO_INDEXER, address, error)




def _seed_indexer(service: ProviderService, now: datetime) -> list[str]:
    indexer = demo_indexer(service)
    if indexer is not None and indexer.id is not None:
        if api_keys.hash_is_live(service.db, api_keys.digest(indexer.api_key)):
            return []
        service.update_indexer(indexer.id, {"api_key": demo_key(service.db, DEMO_INDEXER, KEY_SOURCE, now)}, now)
        return [f"{DEMO_INDEXER} given a new API key (its own was revoked)"]
    key = demo_key(service.db, DEMO_INDEXER, KEY_SOURCE, now)
    settings = IndexerSettings(DEMO_INDEXER, TORZNAB, DEFAULT_ADDRESS + FEED_PATH, key, priority=DEMO_PRIORITY)
    try:
        service.create_indexer(settings, now)
    except Conflict:  # the name is another indexer's (not reading the demo feed): the key is no one's
        revoke_demo_keys(service.db, KEY_SOURCE, now)
        raise
    return [f"{DEMO_INDEXER} added"]






def _demo_client(service: ProviderService) -> ClientSettings | None:
    return next((client for client in service.clients() if name_key(client.name) == name_key(DEMO_CLIENT)), None)


def _client_settings(data_dir: Path) -> ClientSettings:
    folder = data_dir.resolve() / "demo" / "blackhole"
    return ClientSettings(
        DEMO_CLIENT, BLACKHOLE, torrent_folder=str(folder / "torrents"), nzb_folder=str(folder / "nzbs"),
        download_folder=str(folder / "downloads"), priority=DEMO_PRIORITY,
    )
