"""The providers API routes (providers-api.md): indexers and download clients.

Parse, call the service, serialise. A route with an id first makes sure the provider exists,
so that an unknown id is a 404 whatever the body says, as on the tasks' routes.
"""
from __future__ import annotations

from flask import Response, jsonify
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter

from ..clock import now_utc
from ..errors_http import error_response
from ..runtime import get_runtime
from ..services.providers import ProviderCheck
from . import bp
from .params import json_object
from .provider_wire import (
    CLIENT_FIELDS,
    CLIENT_REQUIRED,
    INDEXER_FIELDS,
    INDEXER_REQUIRED,
    blocked_json,
    changes,
    client_json,
    indexer_json,
    new_client,
    new_indexer,
)



class ProviderId(BaseConverter):
    """A stored provider's id: 1 to 9 ASCII digits; anything else names no provider (a 404).

    Not ``int``, which also reads other scripts' digits ("١" as 1) and any number of them.
    """

    regex = "[0-9]{1,9}"
    weight = 50

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


def _add_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters["provider_id"] = ProviderId


bp.record_once(_add_converter)  # recorded before the routes below: their rules need it
INDEXER = "/indexers/<provider_id:indexer_id>"
CLIENT = "/download-clients/<provider_id:client_id>"


def tested(check: ProviderCheck) -> Response | tuple[Response, int]:
    """A provider test's answer, for every kind: 200 with its message, or 422 ``PROVIDER_TEST_FAILED``."""
    if not check.passed:
        return error_response(422, check.message, "PROVIDER_TEST_FAILED")
    return jsonify(success=True, message=check.message)


# -- indexers -------------------------------------------------------------------


@bp.get("/indexers")
def list_indexers() -> Response:
    return jsonify(indexers=[indexer_json(indexer) for indexer in get_runtime().providers.indexers()])


@bp.post("/indexers")
def create_indexer() -> tuple[Response, int]:
    settings = new_indexer(json_object(INDEXER_FIELDS.keys(), INDEXER_REQUIRED))
    created = get_runtime().providers.create_indexer(settings, now_utc())
    return jsonify(success=True, indexer=indexer_json(created)), 201


@bp.post("/indexers/test")
def try_new_indexer() -> Response | tuple[Response, int]:
    settings = new_indexer(json_object(INDEXER_FIELDS.keys(), INDEXER_REQUIRED))
    return tested(get_runtime().providers.test_indexer(settings))


@bp.get(INDEXER)
def get_indexer(indexer_id: int) -> Response:
    return jsonify(indexer=indexer_json(get_runtime().providers.indexer(indexer_id)))


@bp.put(INDEXER)
def update_indexer(indexer_id: int) -> Response:
    providers = get_runtime().providers
    providers.indexer(indexer_id)
    fields = changes(json_object(INDEXER_FIELDS.keys()), INDEXER_FIELDS)
    return jsonify(success=True, indexer=indexer_json(providers.update_indexer(indexer_id, fields, now_utc())))


@bp.delete(INDEXER)
def delete_indexer(indexer_id: int) -> Response:
    get_runtime().providers.delete_indexer(indexer_id)
    return jsonify(success=True)


@bp.post(f"{INDEXER}/test")
def try_indexer(indexer_id: int) -> Response | tuple[Response, int]:
    """Tries the saved indexer; a body's fields are tried in place of the saved ones, not saved."""
    providers = get_runtime().providers
    providers.indexer(indexer_id)
    fields = changes(json_object(INDEXER_FIELDS.keys()), INDEXER_FIELDS)
    return tested(providers.test_saved_indexer(indexer_id, fields))


# -- download clients -----------------------------------------------------------


@bp.get("/download-clients")
def list_clients() -> Response:
    return jsonify(downloadClients=[client_json(client) for client in get_runtime().providers.clients()])


@bp.post("/download-clients")
def create_client() -> tuple[Response, int]:
    settings = new_client(json_object(CLIENT_FIELDS.keys(), CLIENT_REQUIRED))
    created = get_runtime().providers.create_client(settings, now_utc())
    return jsonify(success=True, downloadClient=client_json(created)), 201


@bp.post("/download-clients/test")
def try_new_client() -> Response | tuple[Response, int]:
    settings = new_client(json_object(CLIENT_FIELDS.keys(), CLIENT_REQUIRED))
    return tested(get_runtime().providers.test_client(settings))


@bp.get(CLIENT)
def get_client(client_id: int) -> Response:
    return jsonify(downloadClient=client_json(get_runtime().providers.client(client_id)))


@bp.put(CLIENT)
def update_client(client_id: int) -> Response:
    providers = get_runtime().providers
    providers.client(client_id)
    fields = changes(json_object(CLIENT_FIELDS.keys()), CLIENT_FIELDS)
    return jsonify(success=True, downloadClient=client_json(providers.update_client(client_id, fields, now_utc())))


@bp.delete(CLIENT)
def delete_client(client_id: int) -> Response:
    get_runtime().providers.delete_client(client_id)
    return jsonify(success=True)


@bp.post(f"{CLIENT}/test")
def try_client(client_id: int) -> Response | tuple[Response, int]:
    """Tries the saved download client; a body's fields are tried in place of the saved ones, not saved."""
    providers = get_runtime().providers
    providers.client(client_id)
    fields = changes(json_object(CLIENT_FIELDS.keys()), CLIENT_FIELDS)
    return tested(providers.test_saved_client(client_id, fields))


# -- the blocklist ------------------------------------------------------------------


@bp.get("/blocklist")
def list_blocklist() -> Response:
    """The newest 500 entries, newest first."""
    return jsonify(blocklist=[blocked_json(entry) for entry in get_runtime().providers.blocklist.list()])


@bp.delete("/blocklist/<provider_id:entry_id>")
def unblock(entry_id: int) -> Response:
    get_runtime().providers.blocklist.remove(entry_id)
    return jsonify(success=True)
