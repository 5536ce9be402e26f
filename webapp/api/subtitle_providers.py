"""``/api/subtitle-providers`` (CRUD and Test, as ``/api/indexers``) and ``/api/settings/subtitles`` (wanted languages).

Parse, call ``SubtitleProviderService``, serialise. Secrets are write-only: a body may set
``apiKey`` or ``password``, an answer only says ``hasApiKey`` / ``hasPassword``. A route with
an id first makes sure the provider exists, so an unknown id is a 404 whatever the body says.
"""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ..clock import iso, now_utc
from ..errors import ValidationError
from ..providers.subtitles.settings import SubtitleProviderSettings
from ..runtime import get_runtime
from ..services.subtitle_providers import ConfiguredSubtitleProvider
from . import bp
from .params import boolean, integer, json_object, string
from .provider_wire import Reader, changes
from .providers import tested

FIELDS: dict[str, tuple[str, Reader]] = {
    "name": ("name", string), "implementation": ("implementation", string), "enabled": ("enabled", boolean),
    "priority": ("priority", integer), "baseUrl": ("base_url", string), "apiKey": ("api_key", string),
    "username": ("username", string), "password": ("password", string), "folder": ("folder", string),
    "minimumScore": ("minimum_score", integer),
}
REQUIRED = frozenset({"name", "implementation"})
ONE = "/subtitle-providers/<provider_id:provider_id>"


def subtitle_provider_json(provider: ConfiguredSubtitleProvider) -> dict[str, Any]:
    settings, quota = provider.settings, provider.quota
    return {
        "id": str(settings.id),
        "name": settings.name,
        "implementation": settings.implementation,
        "enabled": settings.enabled,
        "priority": settings.priority,
        "baseUrl": settings.base_url,
        "hasApiKey": bool(settings.api_key),
        "username": settings.username,
        "hasPassword": bool(settings.password),
        "folder": settings.folder,
        "minimumScore": settings.minimum_score,
        "quota": {
            "downloadsRemaining": quota.downloads_remaining, "resetsAt": iso(quota.resets_at),
            "restingUntil": iso(quota.resting_until), "reason": quota.reason,
        },
    }


def _new(body: dict[str, Any]) -> SubtitleProviderSettings:
    return SubtitleProviderSettings(**changes(body, FIELDS))


@bp.get("/subtitle-providers")
def list_subtitle_providers() -> Response:
    providers = get_runtime().subtitles.providers()
    return jsonify(subtitleProviders=[subtitle_provider_json(provider) for provider in providers])


@bp.post("/subtitle-providers")
def create_subtitle_provider() -> tuple[Response, int]:
    created = get_runtime().subtitles.create(_new(json_object(FIELDS.keys(), REQUIRED)), now_utc())
    return jsonify(success=True, subtitleProvider=subtitle_provider_json(created)), 201


@bp.post("/subtitle-providers/test")
def try_new_subtitle_provider() -> Response | tuple[Response, int]:
    return tested(get_runtime().subtitles.test(_new(json_object(FIELDS.keys(), REQUIRED))))


@bp.get(ONE)
def get_subtitle_provider(provider_id: int) -> Response:
    return jsonify(subtitleProvider=subtitle_provider_json(get_runtime().subtitles.provider(provider_id)))


@bp.put(ONE)
def update_subtitle_provider(provider_id: int) -> Response:
    service = get_runtime().subtitles
    service.provider(provider_id)
    fields = changes(json_object(FIELDS.keys()), FIELDS)
    return jsonify(success=True, subtitleProvider=subtitle_provider_json(service.update(provider_id, fields, now_utc())))


@bp.delete(ONE)
def delete_subtitle_provider(provider_id: int) -> Response:
    get_runtime().subtitles.delete(provider_id)
    return jsonify(success=True)


@bp.post(f"{ONE}/test")
def try_subtitle_provider(provider_id: int) -> Response | tuple[Response, int]:
    """Tries the saved provider; a body's fields are tried in place of the saved ones, not saved."""
    service = get_runtime().subtitles
    service.provider(provider_id)
    fields = changes(json_object(FIELDS.keys()), FIELDS)
    return tested(service.test_saved(provider_id, fields))


# -- wanted languages -------------------------------------------------------------


@bp.get("/settings/subtitles")
def get_subtitle_settings() -> Response:
    return jsonify(languages=list(get_runtime().subtitles.languages()))


@bp.put("/settings/subtitles")
def put_subtitle_settings() -> Response:
    """``{"languages": ["en", "fr"]}``: the languages every media file should have a subtitle in."""
    body = json_object({"languages"}, {"languages"})
    languages = body["languages"]
    if type(languages) is not list or any(type(code) is not str for code in languages):
        raise ValidationError("'languages' must be a JSON array of strings", "INVALID_FIELD")
    return jsonify(languages=list(get_runtime().subtitles.set_languages(languages)))
