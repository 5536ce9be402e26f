"""``/api/settings/metadata``: the metadata source New Episodes asks (TMDB), and its Test action.

The key is write-only: an answer says ``hasApiKey``; a ``PUT`` that leaves ``apiKey`` out keeps
the stored one, ``""`` clears it.
"""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ..clock import now_utc
from ..errors_http import error_response
from ..providers.tmdb import MetadataSettings
from ..runtime import get_runtime
from ..services.metadata import API_NAMES
from . import bp
from .params import json_object, string


def metadata_json(settings: MetadataSettings) -> dict[str, Any]:
    return {"implementation": settings.implementation, "baseUrl": settings.base_url, "hasApiKey": bool(settings.api_key)}


def _changes() -> dict[str, Any]:
    """The body's fields by their settings names, each a JSON string; what they may be is the service's to say."""
    body = json_object(set(API_NAMES.values()))
    return {name: string(body, wire) for name, wire in API_NAMES.items() if wire in body}


@bp.get("/settings/metadata")
def get_metadata() -> Response:
    return jsonify(metadata_json(get_runtime().metadata.get()))


@bp.put("/settings/metadata")
def put_metadata() -> Response:
    """Partial: the fields given change, the others stay; the next New Episodes run asks the source so set."""
    changes = _changes()
    return jsonify(metadata_json(get_runtime().metadata.update(changes, now_utc())))


@bp.post("/settings/metadata/test")
def test_metadata() -> Response | tuple[Response, int]:
    """Tries the source as set, the body's fields in place of the stored ones (not saved)."""
    check = get_runtime().metadata.test(_changes())
    if not check.passed:
        return error_response(422, check.message, "PROVIDER_TEST_FAILED")
    return jsonify(success=True, message=check.message)
