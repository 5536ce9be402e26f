"""The providers API's JSON: settings in the field names providers-api.md gives, both ways.

Secrets are write-only: a body may set ``apiKey`` or ``password``, an answer only says
``hasApiKey`` / ``hasPassword``. Parsing checks JSON types strictly (no ``true`` for an
integer, no ``"8080"`` for a port); what the values may be is the service's to check.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..clock import iso
from ..errors import ValidationError
from ..providers.settings import ClientSettings, HealthState, IndexerSettings
from ..services.blocklist import BlockedRelease
from ..services.providers import ConfiguredIndexer
from .params import boolean, integer, integer_list, string

Reader = Callable[[dict[str, Any], str], Any]


def _categories(body: dict[str, Any], name: str) -> tuple[int, ...]:
    return tuple(integer_list(body, name))


def _port(body: dict[str, Any], name: str) -> int:
    port = integer(body, name)
    if port == 0:  # the service reads 0 as "none given"; a body that sends a port means one
        raise ValidationError(f"'{name}' must be an integer from 1 to 65535", "INVALID_FIELD")
    return port


# wire name -> (settings field, reader of its JSON value)
INDEXER_FIELDS: dict[str, tuple[str, Reader]] = {
    "name": ("name", string), "implementation": ("implementation", string), "baseUrl": ("base_url", string),
    "apiKey": ("api_key", string), "categories": ("categories", _categories), "enabled": ("enabled", boolean),
    "priority": ("priority", integer), "minimumSeeders": ("minimum_seeders", integer),
}
INDEXER_REQUIRED = frozenset({"name", "implementation", "baseUrl"})
CLIENT_FIELDS: dict[str, tuple[str, Reader]] = {
    "name": ("name", string), "implementation": ("implementation", string), "enabled": ("enabled", boolean),
    "priority": ("priority", integer), "host": ("host", string), "port": ("port", _port),
    "useSsl": ("use_ssl", boolean), "urlBase": ("url_base", string), "username": ("username", string),
    "password": ("password", string), "apiKey": ("api_key", string), "movieCategory": ("movie_category", string),
    "tvCategory": ("tv_category", string), "torrentFolder": ("torrent_folder", string),
    "nzbFolder": ("nzb_folder", string), "downloadFolder": ("download_folder", string),
}
CLIENT_REQUIRED = frozenset({"name", "implementation"})


def changes(body: dict[str, Any], known: dict[str, tuple[str, Reader]]) -> dict[str, Any]:
    """The settings fields a body sets, by their settings names; ``body`` holds known keys only."""
    return {known[name][0]: known[name][1](body, name) for name in body}


def new_indexer(body: dict[str, Any]) -> IndexerSettings:
    return IndexerSettings(**changes(body, INDEXER_FIELDS))


def new_client(body: dict[str, Any]) -> ClientSettings:
    return ClientSettings(**changes(body, CLIENT_FIELDS))


def indexer_json(indexer: ConfiguredIndexer) -> dict[str, Any]:
    settings = indexer.settings
    return {
        "id": str(settings.id),
        "name": settings.name,
        "implementation": settings.implementation,
        "protocol": settings.protocol,
        "baseUrl": settings.base_url,
        "hasApiKey": bool(settings.api_key),
        "categories": list(settings.categories),
        "enabled": settings.enabled,
        "priority": settings.priority,
        "minimumSeeders": settings.minimum_seeders,
        "health": health_json(indexer.health),
    }


def health_json(health: HealthState) -> dict[str, Any]:
    return {
        "failures": health.failures,
        "restingUntil": iso(health.blocked_until),
        "lastError": health.last_error,
        "lastSuccessAt": iso(health.last_success_at),
    }


def client_json(client: ClientSettings) -> dict[str, Any]:
    return {
        "id": str(client.id),
        "name": client.name,
        "implementation": client.implementation,
        "protocols": list(client.protocols),
        "enabled": client.enabled,
        "priority": client.priority,
        "host": client.host,
        "port": client.port,
        "useSsl": client.use_ssl,
        "urlBase": client.url_base,
        "username": client.username,
        "hasPassword": bool(client.password),
        "hasApiKey": bool(client.api_key),
        "movieCategory": client.movie_category,
        "tvCategory": client.tv_category,
        "torrentFolder": client.torrent_folder,
        "nzbFolder": client.nzb_folder,
        "downloadFolder": client.download_folder,
    }


def blocked_json(entry: BlockedRelease) -> dict[str, Any]:
    return {
        "id": str(entry.id), "title": entry.title, "mediaId": entry.media_id, "mediaTitle": entry.media_title, "reason": entry.reason,
        "indexer": entry.indexer, "addedAt": iso(entry.added_at),
    }
