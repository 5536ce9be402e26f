"""``webapp/openapi.json``: a valid OpenAPI 3.1 document, served publicly, that matches the real API.

Real responses of every route, in success and error cases, are validated against the schema the
document gives for that operation and status; the document's paths are compared with the app's
url_map, and the event payloads the engine writes with the stream's event schemas, so the
description cannot silently drift from the implementation.
"""
from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

from webapp.clock import UNIT_MINUTES, now_utc
from webapp.engine.context import RunContext
from webapp.engine.runs import RunOutcome, claim_queued, finish_run
from webapp.engine.context import append_activity
from webapp.models import TaskEvent
from webapp.runtime import Runtime

PACKAGE = Path(__file__).resolve().parent.parent / "webapp"
DOCUMENT_PATH = PACKAGE / "openapi.json"
DOCUMENT_URI = "urn:cinephage:openapi"
JSON = "application/json"
SSE = "text/event-stream"
PUBLIC = {("get", "/api/openapi.json"), ("get", "/healthz")}
TASK_IDS = (
    "task_missing_episodes", "task_new_episodes", "task_cutoff_unmet", "task_upgrade", "task_pending_releases",
    "task_missing_subtitles", "task_subtitle_upgrade", "task_subtitle_search_on_import", "task_history_cleanup",
)
# What the brief and tasks-api.txt promise per operation; the document must list exactly these.
EXPECTED_STATUSES = {
    ("get", "/api/tasks"): {"200", "400", "401"},
    ("get", "/api/tasks/{taskId}"): {"200", "400", "401", "404"},
    ("get", "/api/tasks/stream"): {"200", "400", "401", "503"},
    ("post", "/api/tasks/{taskId}/run"): {"200", "400", "401", "403", "404"},
    ("post", "/api/tasks/{taskId}/cancel"): {"200", "400", "401", "403", "404"},
    ("put", "/api/tasks/{taskId}/enabled"): {"200", "400", "401", "403", "404"},
    ("put", "/api/tasks/{taskId}/interval"): {"200", "400", "401", "403", "404"},
    ("get", "/api/tasks/{taskId}/history"): {"200", "400", "401", "404"},
    ("get", "/api/tasks/history/{historyId}"): {"200", "400", "401", "404"},
    ("get", "/api/tasks/history/{historyId}/activity"): {"200", "400", "401", "404"},
    ("get", "/api/openapi.json"): {"200"},
    ("get", "/healthz"): {"200", "503"},
}
for _kind, _id in (("indexers", "indexerId"), ("download-clients", "clientId"),
                  ("subtitle-providers", "providerId"), ("notifications", "targetId")):  # providers-api.md
    EXPECTED_STATUSES.update({
        ("get", f"/api/{_kind}"): {"200", "400", "401"},
        ("post", f"/api/{_kind}"): {"201", "400", "401", "403", "409"},
        ("post", f"/api/{_kind}/test"): {"200", "400", "401", "403", "422"},
        ("get", f"/api/{_kind}/{{{_id}}}"): {"200", "400", "401", "404"},
        ("put", f"/api/{_kind}/{{{_id}}}"): {"200", "400", "401", "403", "404", "409"},
        ("delete", f"/api/{_kind}/{{{_id}}}"): {"200", "400", "401", "403", "404"},
        ("post", f"/api/{_kind}/{{{_id}}}/test"): {"200", "400", "401", "403", "404", "422"},
    })
EXPECTED_STATUSES.update({
    ("get", "/api/settings/delay"): {"200", "400", "401"},
    ("put", "/api/settings/delay"): {"200", "400", "401", "403"},
    ("get", "/api/settings/library"): {"200", "400", "401"},
    ("put", "/api/settings/library"): {"200", "400", "401", "403"},
    ("get", "/api/settings/metadata"): {"200", "400", "401"},
    ("put", "/api/settings/metadata"): {"200", "400", "401", "403"},
    ("post", "/api/settings/metadata/test"): {"200", "400", "401", "403", "422"},
    ("get", "/api/settings/release-preferences"): {"200", "400", "401"},
    ("put", "/api/settings/release-preferences"): {"200", "400", "401", "403"},
    ("get", "/api/settings/subtitles"): {"200", "400", "401"},
    ("put", "/api/settings/subtitles"): {"200", "400", "401", "403"},
    ("get", "/api/blocklist"): {"200", "400", "401"},
    ("delete", "/api/blocklist/{entryId}"): {"200", "400", "401", "403", "404"},
})
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def load_document() -> dict[str, Any]:
    return json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def walk_pointer(document: dict[str, Any], parts: list[str]) -> Any:
    node: Any = document
    for part in parts:
        node = node[part]
    return node


def ref_parts(ref: str) -> list[str]:
    assert ref.startswith("#/"), f"only local references are used: {ref}"
    return [unescape(part) for part in ref[2:].split("/")]


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def template_of(rule: str) -> str:
    """A Flask rule as an OpenAPI path: ``/api/tasks/<task_id>`` -> ``/api/tasks/{taskId}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: "{" + camel(m.group(1)) + "}", rule)


class Contract:
    """The document, with helpers to validate instances against the schemas it gives."""

    def __init__(self, document: dict[str, Any], app: Flask | None = None) -> None:
        self.document = document
        self.app = app
        resource = DRAFT202012.create_resource(document)
        self.registry: Registry = Registry().with_resource(DOCUMENT_URI, resource)

    def schema_at(self, parts: list[str]) -> dict[str, Any]:
        """A schema that is a reference to the given place in the document."""
        walk_pointer(self.document, parts)  # KeyError if it is not there
        return {"$ref": DOCUMENT_URI + "#/" + "/".join(escape(part) for part in parts)}

    def errors(self, instance: Any, schema: dict[str, Any]) -> list[str]:
        validator = Draft202012Validator(schema, registry=self.registry, format_checker=FormatChecker())
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
            for error in validator.iter_errors(instance)
        ]

    def assert_valid(self, instance: Any, schema: dict[str, Any], what: str) -> None:
        problems = self.errors(instance, schema)
        assert not problems, f"{what} does not match the document:\n" + "\n".join(problems) + f"\n{instance!r}"

    def response_parts(self, template: str, method: str, status: int | str) -> list[str]:
        """Where the response object of this operation and status lives, following a ``$ref``."""
        operation = self.document["paths"][template][method]
        assert str(status) in operation["responses"], f"{method.upper()} {template} does not document {status}"
        parts = ["paths", template, method, "responses", str(status)]
        node = walk_pointer(self.document, parts)
        while "$ref" in node:
            parts = ref_parts(node["$ref"])
            node = walk_pointer(self.document, parts)
        return parts

    def response_schema(self, template: str, method: str, status: int | str, media: str = JSON) -> dict[str, Any]:
        parts = self.response_parts(template, method, status)
        content = walk_pointer(self.document, parts)["content"]
        assert media in content, f"{method.upper()} {template} {status} is not documented as {media}"
        return self.schema_at([*parts, "content", media, "schema"])

    def event_schema(self, event_type: str) -> dict[str, Any]:
        """The schema of the ``data:`` of one event type of the stream."""
        return self.schema_at(["paths", "/api/tasks/stream", "get", "responses", "200", "content", SSE,
                               "x-events", event_type, "data"])

    def documented_codes(self, template: str, method: str, status: int | str) -> set[str]:
        media = walk_pointer(self.document, self.response_parts(template, method, status))["content"][JSON]
        examples = [example["value"] for example in media.get("examples", {}).values()]
        if "example" in media:
            examples.append(media["example"])
        return {example["code"] for example in examples}

    def template_for(self, method: str, url: str) -> str:
        """The document path of the route Flask dispatches this request to."""
        assert self.app is not None
        adapter = self.app.url_map.bind("localhost")
        rule, _ = adapter.match(urlsplit(url).path, method=method.upper(), return_rule=True)
        return template_of(rule.rule)

    def call(self, client: FlaskClient, method: str, url: str, status: int, **kwargs: Any) -> Any:
        """Sends a request, checks its status, and validates its JSON body against the document."""
        response = client.open(url, method=method.upper(), **kwargs)
        body = response.get_json(silent=True)
        assert response.status_code == status, f"{method.upper()} {url}: {response.status_code} {body}"
        assert response.mimetype == JSON, f"{method.upper()} {url}: {response.mimetype}"
        template = self.template_for(method, url)
        self.assert_valid(body, self.response_schema(template, method, status), f"{method.upper()} {url} {status}")
        if walk_pointer(self.document, self.response_parts(template, method, status))["content"][JSON]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }:
            documented = self.documented_codes(template, method, status)
            assert body["code"] in documented, (
                f"{method.upper()} {url} answered {status} {body['code']}, "
                f"which the document lists nowhere for it (only {sorted(documented)})"
            )
        return body


@dataclass(frozen=True)
class Item:
    media_id: str | None
    title: str


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return load_document()


@pytest.fixture
def contract(document: dict[str, Any], app: Flask) -> Contract:
    return Contract(document, app)


@pytest.fixture
def key(app: Flask) -> dict[str, str]:
    return {"x-api-key": app.config["API_KEY"]}


@pytest.fixture
def anonymous(app: Flask) -> FlaskClient:
    """A client of its own, so no other fixture's credentials leak into it."""
    return app.test_client()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method, path, item[method]


def resolved(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = walk_pointer(document, ref_parts(node["$ref"]))
    return node


def object_schemas(
    document: dict[str, Any], schema: dict[str, Any], seen: set[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every object schema reachable from ``schema`` (through $ref, properties, items, allOf)."""
    seen = set() if seen is None else seen
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen.add(schema["$ref"])
        yield from object_schemas(document, walk_pointer(document, ref_parts(schema["$ref"])), seen)
        return
    if schema.get("type") == "object" or "properties" in schema:
        yield schema
    for child in schema.get("properties", {}).values():
        yield from object_schemas(document, child, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from object_schemas(document, schema[key], seen)
    for child in schema.get("allOf", []) + schema.get("oneOf", []) + schema.get("anyOf", []):
        yield from object_schemas(document, child, seen)


# -- the document on its own ------------------------------------------------------------------


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    validate_openapi(document)


def test_every_operation_lists_exactly_the_documented_statuses(document: dict[str, Any]) -> None:
    found = {(method, path): set(operation["responses"]) for method, path, operation in operations(document)}
    assert found == EXPECTED_STATUSES
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            response = resolved(document, response)
            assert response["description"], (method, path, status)
            content = response.get("content", {})
            media = SSE if (path, status) == ("/api/tasks/stream", "200") else JSON
            assert list(content) == [media], (method, path, status, list(content))
            assert "schema" in content[media], (method, path, status)
            if int(status) >= 400 and path != "/healthz":
                assert content[media]["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path, status)
                assert Contract(document).documented_codes(path, method, status), (method, path, status)


def test_security_is_api_key_header_or_session_cookie_and_only_two_routes_are_public(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert {(s["type"], s["in"], s["name"]) for s in schemes.values()} == {
        ("apiKey", "header", "x-api-key"), ("apiKey", "cookie", "session"),
    }
    assert sorted(map(json.dumps, document["security"])) == sorted(json.dumps({name: []}) for name in schemes)
    for method, path, operation in operations(document):
        if (method, path) in PUBLIC:
            assert operation["security"] == [], (method, path)
        else:
            assert "security" not in operation, (method, path)  # the global requirement applies
            assert "401" in operation["responses"], (method, path)


def test_state_changing_operations_document_csrf_and_closed_request_bodies(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        body = operation.get("requestBody")
        if method in ("post", "put", "delete"):
            names = [resolved(document, p)["name"] for p in operation.get("parameters", [])]
            assert "X-CSRFToken" in names, (method, path)
            assert "403" in operation["responses"], (method, path)
            assert (body is not None) == (method != "delete"), (method, path)
        else:
            assert body is None and "403" not in operation["responses"], (method, path)
        if body is not None:
            schema = body["content"][JSON]["schema"]
            top = resolved(document, schema)
            assert top["type"] == "object" and top["additionalProperties"] is False, (method, path)
            for obj in object_schemas(document, schema):  # ``options`` included: unknown keys are a 400
                assert obj.get("additionalProperties") is False, (method, path, obj)


def test_response_schemas_require_documented_fields_and_allow_additive_ones(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            for media in resolved(document, response).get("content", {}).values():
                for obj in object_schemas(document, media["schema"]):
                    assert obj.get("additionalProperties", True) is not False, (method, path, status, obj)
    stream = document["paths"]["/api/tasks/stream"]["get"]["responses"]["200"]["content"][SSE]
    for event_type, event in stream["x-events"].items():
        for obj in object_schemas(document, event["data"]):
            assert obj.get("additionalProperties", True) is not False, (event_type, obj)
    schemas = document["components"]["schemas"]
    required = {
        "Task": {"id", "name", "description", "type", "enabled", "interval", "intervalUnit", "defaultInterval",
                 "lastRunAt", "nextRunAt", "status", "supportsCancel", "supportsHistory"},
        "HistoryEntry": {"id", "taskId", "startedAt", "completedAt", "duration", "status", "itemsProcessed",
                         "itemsAffected", "error"},
        "Activity": {"id", "historyId", "mediaId", "mediaTitle", "action", "status", "message", "timestamp"},
        "Pagination": {"page", "limit", "total", "totalPages"},
        "RunResponse": {"success", "taskId", "executionId", "message"},
        "CancelResponse": {"success", "taskId", "message"},
        "IntervalResponse": {"success", "taskId", "interval", "intervalUnit", "nextRunAt"},
        "Error": {"success", "error", "code"},
    }
    for name, fields in required.items():
        assert fields <= set(schemas[name]["required"]), name
        assert fields <= set(schemas[name]["properties"]), name
    task = schemas["Task"]["properties"]
    assert task["type"]["enum"] == ["monitoring", "subtitle", "system"]
    assert task["intervalUnit"]["enum"] == ["minutes", "hours", "days"]
    assert task["status"]["enum"] == ["idle", "running", "queued", "error"]
    for field in ("lastRunAt", "nextRunAt"):
        assert task[field]["type"] == ["string", "null"] and task[field]["format"] == "date-time"
    assert all(task_id in task["id"]["description"] for task_id in TASK_IDS)
    assert "enum" not in task["id"]
    history = schemas["HistoryEntry"]["properties"]
    assert history["status"]["enum"] == ["running", "completed", "failed", "cancelled"]
    for field in ("completedAt", "duration", "error"):
        assert "null" in history[field]["type"], field
    assert schemas["Error"]["properties"]["code"]["pattern"] == "^[A-Z0-9_]+$"


def test_query_parameters_state_the_bounds_of_the_decisions(document: dict[str, Any]) -> None:
    def query(path: str) -> dict[str, dict[str, Any]]:
        params = [resolved(document, p) for p in document["paths"][path]["get"].get("parameters", [])]
        return {p["name"]: p["schema"] for p in params if p["in"] == "query"}

    history = query("/api/tasks/{taskId}/history")
    assert history["limit"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    assert history["page"]["minimum"] == 1 and history["page"]["default"] == 1
    assert history["status"]["enum"] == ["running", "completed", "failed", "cancelled"]
    activity = query("/api/tasks/history/{historyId}/activity")
    assert activity["limit"] == {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}
    assert set(activity) == {"page", "limit", "status", "search"}


def test_every_example_matches_its_schema(document: dict[str, Any]) -> None:
    contract = Contract(document)
    checked = 0
    for name, schema in document["components"]["schemas"].items():
        if "example" in schema:
            contract.assert_valid(schema["example"], contract.schema_at(["components", "schemas", name]), name)
            checked += 1
    for method, path, operation in operations(document):
        places = [["paths", path, method, "requestBody"]] if "requestBody" in operation else []
        places += [["paths", path, method, "responses", status] for status in operation["responses"]]
        for parts in places:
            node = walk_pointer(document, parts)
            while "$ref" in node:
                parts = ref_parts(node["$ref"])
                node = walk_pointer(document, parts)
            media = node.get("content", {}).get(JSON)
            if media is None:
                continue
            schema = contract.schema_at([*parts, "content", JSON, "schema"])
            values = [e["value"] for e in media.get("examples", {}).values()]
            values += [media["example"]] if "example" in media else []
            for value in values:
                contract.assert_valid(value, schema, "/".join(parts) + " example")
                checked += 1
    assert checked >= 30


def test_the_examples_of_the_tasks_api_document_are_used(document: dict[str, Any]) -> None:
    listing = document["paths"]["/api/tasks"]["get"]["responses"]["200"]["content"][JSON]["example"]
    assert [t["id"] for t in listing["tasks"]] == ["task_missing_subtitles", "task_upgrade"]
    assert listing["tasks"][1]["interval"] == 10080
    run = document["components"]["schemas"]["RunResponse"]["example"]
    assert run == {"success": True, "taskId": "task_upgrade", "executionId": "exec_abc123",
                   "message": "Task queued for execution"}
    interval = document["paths"]["/api/tasks/{taskId}/interval"]["put"]
    assert interval["requestBody"]["content"][JSON]["example"] == {"interval": 720, "unit": "minutes"}
    assert interval["responses"]["200"]["content"][JSON]["example"]["nextRunAt"] == "2024-06-20T22:00:00Z"


def event_types_in_source() -> set[str]:
    """Every ``"task:..."`` event name written anywhere in the package's code."""
    names: set[str] = set()
    for source in PACKAGE.rglob("*.py"):
        names |= set(re.findall(r"[\"'](task:[a-z_]+)[\"']", source.read_text(encoding="utf-8")))
    return names


def test_stream_documents_every_event_type_the_engine_emits(document: dict[str, Any]) -> None:
    media = document["paths"]["/api/tasks/stream"]["get"]["responses"]["200"]["content"][SSE]
    in_source = event_types_in_source()
    assert {"task:queued", "task:started", "task:progress", "task:completed", "task:error", "task:cancelled",
            "task:updated"} <= in_source
    assert set(media["x-events"]) == {*in_source, "reset"}
    description = document["paths"]["/api/tasks/stream"]["get"]["description"]
    for name in media["x-events"]:
        assert f"`{name}`" in description, name
    assert "Last-Event-ID" in description
    names = [resolved(document, p)["name"] for p in document["paths"]["/api/tasks/stream"]["get"]["parameters"]]
    assert names == ["Last-Event-ID"]


def test_stream_schema_describes_each_event_and_its_data(document: dict[str, Any]) -> None:
    """Read per event (OpenAPI 3.2's ``itemSchema``, and how schemathesis reads 3.1), not as one string."""
    media = document["paths"]["/api/tasks/stream"]["get"]["responses"]["200"]["content"][SSE]
    event = resolved(document, media["schema"])
    assert event["type"] == "object" and set(event["required"]) == {"id", "event", "data"}
    assert event["properties"]["data"]["contentMediaType"] == JSON
    data_by_event = {
        rule["if"]["properties"]["event"]["const"]: rule["then"]["properties"]["data"]["contentSchema"]
        for rule in event["allOf"]
    }
    assert data_by_event == {name: described["data"] for name, described in media["x-events"].items()}


# -- the document and the app -----------------------------------------------------------------


def test_document_is_served_without_credentials(anonymous: FlaskClient, document: dict[str, Any]) -> None:
    response = anonymous.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == JSON
    assert response.get_json() == document
    # a wrong key does not matter on a public route
    assert anonymous.get("/api/openapi.json", headers={"x-api-key": "nope"}).status_code == 200


def test_every_api_route_is_documented_and_every_documented_route_exists(app: Flask, document: dict[str, Any]) -> None:
    served: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.rule == "/healthz":
            for method in rule.methods - {"HEAD", "OPTIONS"}:  # type: ignore[operator]
                served.add((method.lower(), template_of(rule.rule)))
    documented = {(method, path) for method, path, _ in operations(document)}
    assert served == documented
    for method, path, operation in operations(document):
        item = document["paths"][path]
        params = [resolved(document, p) for p in item.get("parameters", []) + operation.get("parameters", [])]
        in_path = sorted(p["name"] for p in params if p["in"] == "path")
        assert in_path == sorted(re.findall(r"{([^}]+)}", path)), (method, path)


def test_task_ids_and_run_options_of_the_registry_are_described(document: dict[str, Any], runtime: Runtime) -> None:
    task_id = document["components"]["parameters"]["TaskId"]["description"]
    options = document["components"]["schemas"]["RunRequest"]["properties"]["options"]["description"]
    assert [definition.id for definition in runtime.registry] == list(TASK_IDS)
    for definition in runtime.registry:
        row = next(line for line in task_id.splitlines() if line.startswith(f"| `{definition.id}` |"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[:3] == [f"`{definition.id}`", definition.name, definition.type], row
        assert cells[3].split()[0] == str(definition.default_interval) and cells[4] == str(definition.min_interval), row
        assert definition.max_interval == 525600
        for name, spec in definition.options.items():
            assert f"`{name}` ({spec.minimum}..{spec.maximum}" in options, (definition.id, name)


def test_interval_bounds_per_unit_are_those_every_task_shares(document: dict[str, Any], runtime: Runtime) -> None:
    rules = document["components"]["schemas"]["IntervalRequest"]["allOf"]
    bounds = {rule["if"]["properties"]["unit"]["const"]: rule["then"]["properties"]["interval"] for rule in rules}
    lowest = min(definition.min_interval for definition in runtime.registry)
    (highest,) = {definition.max_interval for definition in runtime.registry}
    assert bounds == {  # the least whole number of each unit that reaches the lowest minimum
        unit: {"minimum": math.ceil(lowest / minutes), "maximum": highest // minutes}
        for unit, minutes in UNIT_MINUTES.items()
    }


def test_run_options_are_exactly_those_the_tasks_declare(document: dict[str, Any], runtime: Runtime) -> None:
    options = document["components"]["schemas"]["RunRequest"]["properties"]["options"]
    declared = {name: spec for definition in runtime.registry for name, spec in definition.options.items()}
    assert options["additionalProperties"] is False
    assert {name: (schema["type"], schema["minimum"], schema["maximum"])
            for name, schema in options["properties"].items()} == {
        name: ("integer", spec.minimum, spec.maximum) for name, spec in declared.items()
    }


def test_a_method_a_path_does_not_take_is_a_405_that_says_which_it_does(
    contract: Contract, anonymous: FlaskClient, key: dict[str, str], document: dict[str, Any],
) -> None:
    error = contract.schema_at(["components", "schemas", "Error"])
    for path, item in document["paths"].items():
        url = path.replace("{taskId}", "task_upgrade").replace("{historyId}", "exec_nope")
        url = url.replace("{indexerId}", "1").replace("{clientId}", "1").replace("{entryId}", "1").replace("{targetId}", "1")
        url = url.replace("{providerId}", "1")
        response = anonymous.open(url, method="PATCH", headers=key)  # no path takes PATCH
        assert response.status_code == 405 and response.mimetype == JSON, (path, response.status_code)
        contract.assert_valid(response.get_json(), error, f"PATCH {path}")
        assert response.get_json()["code"] == "METHOD_NOT_ALLOWED"
        allowed = {method.strip() for method in response.headers["Allow"].split(",")}
        assert allowed - {"HEAD", "OPTIONS"} == {method.upper() for method in HTTP_METHODS if method in item}, path
    for accept, mimetype in (("text/html", "text/html"), (JSON, JSON)):  # a page answers in the kind asked for
        response = anonymous.open("/login", method="DELETE", headers={"Accept": accept})
        assert response.status_code == 405 and response.mimetype == mimetype
        assert {method.strip() for method in response.headers["Allow"].split(",")} >= {"GET", "POST"}


def test_healthz_matches(
    contract: Contract, anonymous: FlaskClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert contract.call(anonymous, "get", "/healthz", 200) == {"status": "ok"}
    monkeypatch.setattr(runtime.db, "ping", lambda: False)  # the database stops answering
    assert contract.call(anonymous, "get", "/healthz", 503)["status"] == "unavailable"


def test_task_routes_match_in_success_and_error_cases(
    contract: Contract, anonymous: FlaskClient, key: dict[str, str],
) -> None:
    c, a = contract, anonymous
    tasks = c.call(a, "get", "/api/tasks", 200, headers=key)["tasks"]
    assert [t["id"] for t in tasks] == list(TASK_IDS)
    for task_id in TASK_IDS:
        c.call(a, "get", f"/api/tasks/{task_id}", 200, headers=key)

    run = c.call(a, "post", "/api/tasks/task_upgrade/run", 200, headers=key)
    assert run["message"] == "Task queued for execution"
    again = c.call(a, "post", "/api/tasks/task_upgrade/run", 200, headers=key, json={})
    assert again["executionId"] == run["executionId"] and again["message"] == "Task already running"
    queued = c.call(a, "get", "/api/tasks/task_upgrade", 200, headers=key)["task"]
    assert queued["status"] == "queued" and queued["currentExecutionId"] == run["executionId"]
    c.call(a, "post", "/api/tasks/task_history_cleanup/run", 200, headers=key,
           json={"force": True, "options": {"retentionDays": 7}})
    cancelled = c.call(a, "post", "/api/tasks/task_upgrade/cancel", 200, headers=key)
    assert cancelled["executionId"] == run["executionId"]
    c.call(a, "post", "/api/tasks/task_upgrade/cancel", 400, headers=key)

    disabled = c.call(a, "put", "/api/tasks/task_missing_subtitles/enabled", 200, headers=key, json={"enabled": False})
    assert disabled["enabled"] is False and disabled["nextRunAt"] is None
    c.call(a, "get", "/api/tasks/task_missing_subtitles", 200, headers=key)
    c.call(a, "put", "/api/tasks/task_missing_subtitles/enabled", 200, headers=key, json={"enabled": True})
    changed = c.call(a, "put", "/api/tasks/task_missing_subtitles/interval", 200, headers=key,
                     json={"interval": 720, "unit": "minutes"})
    assert changed["interval"] == 720 and changed["intervalUnit"] == "minutes"
    c.call(a, "put", "/api/tasks/task_upgrade/interval", 200, headers=key, json={"interval": 2, "unit": "days"})

    for method, url, body in [
        ("post", "/api/tasks/task_upgrade/run", {"force": "yes"}),
        ("post", "/api/tasks/task_upgrade/run", {"options": []}),
        ("post", "/api/tasks/task_upgrade/run", {"colour": "red"}),
        ("post", "/api/tasks/task_upgrade/run", {"options": {"colour": 1}}),
        ("post", "/api/tasks/task_history_cleanup/run", {"options": {"retentionDays": "7"}}),
        ("post", "/api/tasks/task_upgrade/run", {"options": {"limit": 0}}),
        ("post", "/api/tasks/task_upgrade/cancel", {"now": True}),
        ("put", "/api/tasks/task_upgrade/enabled", {}),
        ("put", "/api/tasks/task_upgrade/enabled", {"enabled": "false"}),
        ("put", "/api/tasks/task_upgrade/interval", {"interval": "60", "unit": "minutes"}),
        ("put", "/api/tasks/task_upgrade/interval", {"interval": 60.0, "unit": "minutes"}),
        ("put", "/api/tasks/task_upgrade/interval", {"interval": 1, "unit": "weeks"}),
        ("put", "/api/tasks/task_upgrade/interval", {"interval": 60}),
        ("put", "/api/tasks/task_upgrade/interval", {"interval": 59, "unit": "minutes"}),
        ("put", "/api/tasks/task_upgrade/interval", {"interval": 366, "unit": "days"}),
        ("put", "/api/tasks/task_upgrade/interval", {"interval": 60, "unit": "minutes", "extra": 1}),
    ]:
        c.call(a, method, url, 400, headers=key, json=body)
    for method, url in [("post", "/api/tasks/task_upgrade/run"), ("put", "/api/tasks/task_upgrade/enabled")]:
        c.call(a, method, url, 400, headers={**key, "Content-Type": JSON}, data=b"{not json")

    for method, url, body in [
        ("get", "/api/tasks/task_nope", None),
        ("post", "/api/tasks/task_nope/run", None),
        ("post", "/api/tasks/task_nope/cancel", None),
        ("put", "/api/tasks/task_nope/enabled", {"enabled": True}),
        ("put", "/api/tasks/task_nope/interval", {"interval": 60, "unit": "minutes"}),
        ("get", "/api/tasks/task_nope/history", None),
    ]:
        c.call(a, method, url, 404, headers=key, json=body)


AUTHENTICATED_ROUTES = [
    ("get", "/api/tasks", None),
    ("get", "/api/tasks/task_upgrade", None),
    ("post", "/api/tasks/task_upgrade/run", None),
    ("post", "/api/tasks/task_upgrade/cancel", None),
    ("put", "/api/tasks/task_upgrade/enabled", {"enabled": True}),
    ("put", "/api/tasks/task_upgrade/interval", {"interval": 60, "unit": "minutes"}),
    ("get", "/api/tasks/task_upgrade/history", None),
    ("get", "/api/tasks/history/exec_nope", None),
    ("get", "/api/tasks/history/exec_nope/activity", None),
    ("get", "/api/tasks/stream", None),
]


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "cinephage_" + "f" * 64}], ids=["none", "wrong-key"])
def test_missing_or_wrong_credentials_match(
    contract: Contract, anonymous: FlaskClient, headers: dict[str, str],
) -> None:
    for method, url, body in AUTHENTICATED_ROUTES:
        contract.call(anonymous, method, url, 401, headers=headers, json=body)


def test_api_key_in_the_query_string_matches(contract: Contract, anonymous: FlaskClient, app: Flask) -> None:
    for method, url, body in AUTHENTICATED_ROUTES:
        contract.call(anonymous, method, f"{url}?apikey={app.config['API_KEY']}", 400, json=body)


def test_cookie_session_without_csrf_token_matches(
    contract: Contract, anonymous: FlaskClient, runtime: Runtime,
) -> None:
    from webapp.auth.users import create_user

    create_user(runtime.db, "owner", "correct horse battery", now_utc())
    page = anonymous.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    login = anonymous.post("/login", data={"username": "owner", "password": "correct horse battery",
                                           "csrf_token": match.group(1)})
    assert login.status_code == 302
    contract.call(anonymous, "get", "/api/tasks", 200)
    for method, url, body in AUTHENTICATED_ROUTES:
        if method in ("post", "put"):
            contract.call(anonymous, method, url, 403, json=body)
    match = re.search(r'name="csrf_token" value="([^"]+)"', anonymous.get("/").get_data(as_text=True))
    assert match is not None  # the login started a new session, with a new token
    csrf = {"X-CSRFToken": match.group(1)}
    contract.call(anonymous, "post", "/api/tasks/task_upgrade/run", 200, headers=csrf)
    contract.call(anonymous, "put", "/api/tasks/task_upgrade/enabled", 200, headers=csrf, json={"enabled": False})


def finish_a_run(runtime: Runtime, task_id: str, outcome: RunOutcome | None, titles: list[str | None]) -> str:
    """Starts the task's queued run through the engine's own functions, records activity, ends it."""
    claimed = claim_queued(runtime.db, task_id, "test-owner", now_utc, timedelta(seconds=60))
    assert claimed is not None
    context = RunContext(db=runtime.db, run_id=claimed.run_id, task_id=task_id, force=False, options={},
                         clock=now_utc, deadline=time.monotonic() + 60)
    items = [Item(f"movie_{n}" if title else None, title or "") for n, title in enumerate(titles)]
    for item in context.items(items):
        if item.media_id is None:
            context.record(None, "skip", "skipped", "Nothing to do")
        else:
            context.record(item, "search", "success", f"Found {item.title}", affected=True)
    context.flush(progress=True)
    if outcome is not None:
        assert finish_run(runtime.db, claimed.run_id, RunOutcome(outcome.status, context.processed, context.affected,
                                                              outcome.error), now_utc)
    return claimed.run_id


def test_history_and_activity_match(
    contract: Contract, anonymous: FlaskClient, key: dict[str, str], runtime: Runtime,
) -> None:
    c, a, task = contract, anonymous, "task_missing_subtitles"
    empty = c.call(a, "get", f"/api/tasks/{task}/history", 200, headers=key)
    assert empty["history"] == [] and empty["pagination"]["total"] == 0

    def queue() -> str:
        return c.call(a, "post", f"/api/tasks/{task}/run", 200, headers=key)["executionId"]

    queue()
    completed = finish_a_run(runtime, task, RunOutcome("completed", 0, 0), ["Dune (2021)", "Alien (1979)", None])
    queue()
    failed = finish_a_run(runtime, task, RunOutcome("failed", 0, 0, "Provider exploded"), ["Heat (1995)"])
    queue()
    c.call(a, "post", f"/api/tasks/{task}/cancel", 200, headers=key)  # a cancelled run that never started
    queue()
    running = finish_a_run(runtime, task, None, ["Solaris (1972)"])
    follow_up = c.call(a, "post", f"/api/tasks/{task}/run", 200, headers=key, json={"force": True})
    assert follow_up["executionId"] != running

    assert c.call(a, "get", f"/api/tasks/{task}", 200, headers=key)["task"]["status"] == "running"
    assert c.call(a, "get", "/api/tasks/task_cutoff_unmet", 200, headers=key)["task"]["status"] == "idle"
    whole = c.call(a, "get", f"/api/tasks/{task}/history", 200, headers=key)
    assert [h["status"] for h in whole["history"]] == ["running", "running", "cancelled", "failed", "completed"]
    assert [h["queued"] for h in whole["history"]] == [True, False, False, False, False]
    first = c.call(a, "get", f"/api/tasks/{task}/history?page=1&limit=2", 200, headers=key)
    second = c.call(a, "get", f"/api/tasks/{task}/history?page=3&limit=2", 200, headers=key)
    assert first["pagination"] == {"page": 1, "limit": 2, "total": 5, "totalPages": 3}
    assert len(second["history"]) == 1
    for status, count in (("running", 2), ("completed", 1), ("failed", 1), ("cancelled", 1)):
        only = c.call(a, "get", f"/api/tasks/{task}/history?status={status}", 200, headers=key)
        assert [h["status"] for h in only["history"]] == [status] * count
    c.call(a, "get", f"/api/tasks/{task}/history?status=queued", 400, headers=key)
    for run_id in (completed, failed, running, follow_up["executionId"]):
        assert c.call(a, "get", f"/api/tasks/history/{run_id}", 200, headers=key)["history"]["id"] == run_id
    for query in ("limit=0", "limit=101", "page=0", "page=x", "status=done", "status=", "limit=2.5"):
        c.call(a, "get", f"/api/tasks/{task}/history?{query}", 400, headers=key)

    with runtime.db.write() as session:
        append_activity(session, completed, [
            {"run_id": completed, "media_id": f"ep_{n}", "media_title": f"Episode {n}", "action": "download_subtitle",
             "status": "failed" if n % 3 == 0 else "success", "message": None if n % 2 else f"Score {80 + n}",
             "timestamp": now_utc()}
            for n in range(6)
        ])
    activity = c.call(a, "get", f"/api/tasks/history/{completed}/activity", 200, headers=key)
    assert activity["pagination"]["total"] == 9
    assert {row["mediaId"] for row in activity["activity"]} >= {None, "movie_0", "ep_5"}
    paged = c.call(a, "get", f"/api/tasks/history/{completed}/activity?page=2&limit=4", 200, headers=key)
    assert paged["pagination"] == {"page": 2, "limit": 4, "total": 9, "totalPages": 3}
    failures = c.call(a, "get", f"/api/tasks/history/{completed}/activity?status=failed", 200, headers=key)
    assert failures["pagination"]["total"] == 2
    found = c.call(a, "get", f"/api/tasks/history/{completed}/activity?search=dune", 200, headers=key)
    assert [row["mediaTitle"] for row in found["activity"]] == ["Dune (2021)"]
    c.call(a, "get", f"/api/tasks/history/{failed}/activity?limit=500", 200, headers=key)
    for query in ("limit=0", "limit=501", "page=-1", "status=exploded", "status=", "search=" + "x" * 201):
        c.call(a, "get", f"/api/tasks/history/{completed}/activity?{query}", 400, headers=key)
    c.call(a, "get", "/api/tasks/history/exec_nope", 404, headers=key)
    c.call(a, "get", "/api/tasks/history/exec_nope/activity", 404, headers=key)


def test_event_payloads_match_the_stream_schemas(
    contract: Contract, anonymous: FlaskClient, key: dict[str, str], runtime: Runtime,
) -> None:
    c, a, task = contract, anonymous, "task_subtitle_upgrade"
    c.call(a, "post", f"/api/tasks/{task}/run", 200, headers=key)
    finish_a_run(runtime, task, RunOutcome("completed", 0, 0), ["Dune (2021)", None])
    c.call(a, "post", f"/api/tasks/{task}/run", 200, headers=key)
    finish_a_run(runtime, task, RunOutcome("failed", 0, 0, "Provider exploded"), ["Heat (1995)"])
    c.call(a, "post", f"/api/tasks/{task}/run", 200, headers=key)
    c.call(a, "post", f"/api/tasks/{task}/cancel", 200, headers=key)  # a queued run: cancelled at once
    c.call(a, "post", f"/api/tasks/{task}/run", 200, headers=key)
    running = finish_a_run(runtime, task, None, ["Alien (1979)"])
    c.call(a, "post", f"/api/tasks/{task}/cancel", 200, headers=key)  # a running run: asked to stop
    assert finish_run(runtime.db, running, RunOutcome("cancelled", 1, 0), now_utc)
    c.call(a, "put", f"/api/tasks/{task}/enabled", 200, headers=key, json={"enabled": False})
    c.call(a, "put", f"/api/tasks/{task}/interval", 200, headers=key, json={"interval": 2, "unit": "hours"})

    events = c.document["paths"]["/api/tasks/stream"]["get"]["responses"]["200"]["content"][SSE]["x-events"]
    with runtime.db.read() as session:
        rows = session.execute(select(TaskEvent.type, TaskEvent.payload).order_by(TaskEvent.id)).all()
    seen = set()
    for event_type, payload in rows:
        assert event_type in events, f"{event_type} is not documented"
        c.assert_valid(json.loads(payload), c.event_schema(event_type), f"{event_type} data")
        seen.add(event_type)
    assert seen == set(events) - {"reset"}


def read_stream(response: Any, until: str, limit: int = 40) -> str:
    """Reads the streamed body chunk by chunk until ``until`` appears (a short keepalive bounds each wait)."""
    received = ""
    chunks = iter(response.response)
    for _ in range(limit):
        received += _text(next(chunks))
        if until in received:
            return received
    raise AssertionError(f"{until!r} never came: {received!r}")


def _text(chunk: str | bytes) -> str:
    return chunk.decode() if isinstance(chunk, bytes) else chunk


def sse_events(text: str) -> list[tuple[str | None, str | None, str | None]]:
    """(id, event, data) of each SSE frame that is not only comments or ``retry``."""
    frames = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line and not line.startswith(":") and ":" in line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
        if "event" in fields or "data" in fields:
            frames.append((fields.get("id"), fields.get("event"), fields.get("data")))
    return frames


def test_stream_is_an_event_stream_whose_events_match(
    contract: Contract, app: Flask, anonymous: FlaskClient, key: dict[str, str], runtime: Runtime,
) -> None:
    documented = contract.document["paths"]["/api/tasks/stream"]["get"]["responses"]["200"]["content"]
    assert list(documented) == [SSE]
    stream_schema = contract.response_schema("/api/tasks/stream", "get", 200, SSE)
    app.config["STREAM_KEEPALIVE_SECONDS"] = 0.2  # so that no read below can block for long
    contract.call(anonymous, "post", "/api/tasks/task_upgrade/run", 200, headers=key)
    contract.call(anonymous, "put", "/api/tasks/task_upgrade/interval", 200, headers=key,
                  json={"interval": 3, "unit": "hours"})
    with runtime.db.read() as session:
        first_id = session.scalar(select(TaskEvent.id).order_by(TaskEvent.id))
    assert first_id is not None

    response = anonymous.get("/api/tasks/stream", headers={**key, "Last-Event-ID": str(first_id - 1)})
    try:
        assert response.status_code == 200 and response.mimetype == SSE
        assert response.headers["Cache-Control"] == "no-cache"
        text = read_stream(response, "event: task:updated")
    finally:
        response.close()
    assert text.startswith("retry: ")
    frames = sse_events(text)
    assert [event for _, event, _ in frames] == ["task:queued", "task:updated"]
    for event_id, event, data in frames:
        assert event_id is not None and event_id.isdigit()
        contract.assert_valid(json.loads(data or ""), contract.event_schema(event or ""), f"streamed {event}")
        contract.assert_valid({"id": event_id, "event": event, "data": data}, stream_schema, f"streamed {event}")

    response = anonymous.get("/api/tasks/stream", headers={**key, "Last-Event-ID": "999999999"})
    try:
        assert response.status_code == 200 and response.mimetype == SSE
        text = read_stream(response, "event: reset")
    finally:
        response.close()
    (_, event, data), = sse_events(text)
    assert event == "reset"
    contract.assert_valid(json.loads(data or ""), contract.event_schema("reset"), "streamed reset")

    assert runtime.broker.subscriber_count() == 0  # closing the responses ended both streams
    app.config["MAX_STREAMS"] = 0
    contract.call(anonymous, "get", "/api/tasks/stream", 503, headers=key)


def test_provider_routes_match_in_success_and_error_cases(
    contract: Contract, anonymous: FlaskClient, key: dict[str, str], runtime: Runtime, tmp_path: Path,
) -> None:
    c, a = contract, anonymous
    refused = "http://127.0.0.1:9/"  # the discard port: nothing listens there
    kinds = [
        ("/api/indexers", "indexer", {"name": "Prowlarr", "implementation": "torznab", "baseUrl": refused,
                                      "apiKey": "k"}),
        ("/api/download-clients", "downloadClient", {"name": "Drop", "implementation": "blackhole",
                                                     "torrentFolder": str(tmp_path), "password": "p"}),
    ]
    for base, singular, body in kinds:
        made = c.call(a, "post", base, 201, headers=key, json=body)[singular]
        item = f"{base}/{made['id']}"
        other = c.call(a, "post", base, 201, headers=key, json={**body, "name": "Other", "priority": 1})[singular]
        runtime.providers.health.failed(int(other["id"]), "Connection refused", now_utc())
        listed = c.call(a, "get", base, 200, headers=key)
        assert [p["id"] for p in next(iter(listed.values()))] == [other["id"], made["id"]]
        assert c.call(a, "get", item, 200, headers=key)[singular] == made
        changed = c.call(a, "put", item, 200, headers=key, json={"priority": 3, "enabled": False})[singular]
        assert (changed["priority"], changed["enabled"]) == (3, False)
        c.call(a, "put", item, 200, headers=key, json={})
        c.call(a, "post", base, 409, headers=key, json={**body, "name": "OTHER"})
        c.call(a, "put", item, 409, headers=key, json={"name": "other"})
        for bad in ({**body, "priority": 0}, {**body, "colour": 1}, {"name": "x"}, {**body, "enabled": "yes"}):
            c.call(a, "post", base, 400, headers=key, json=bad)
            c.call(a, "post", f"{base}/test", 400, headers=key, json=bad)
        c.call(a, "post", base, 400, headers=key, data="{", content_type="application/json")
        c.call(a, "put", item, 400, headers=key, json={"priority": "3"})
        c.call(a, "post", f"{item}/test", 400, headers=key, json={"name": ""})
        c.call(a, "get", f"{base}?apikey=x", 400, headers=key)
        for method in ("get", "put", "delete"):
            c.call(a, method, f"{base}/999999", 404, headers=key, **({"json": {}} if method == "put" else {}))
        c.call(a, "post", f"{base}/999999/test", 404, headers=key)
        c.call(a, "get", base, 401)
        c.call(a, "delete", item, 401, headers={"x-api-key": "cinephage_" + "0" * 64})
        c.call(a, "delete", item, 200, headers=key)
        c.call(a, "delete", item, 404, headers=key)
    c.call(a, "post", "/api/download-clients", 400, headers=key, json={"name": "B", "implementation": "blackhole"})
    drop = {"name": "Drop", "implementation": "blackhole", "torrentFolder": str(tmp_path)}
    assert c.call(a, "post", "/api/download-clients/test", 200, headers=key, json=drop)["success"] is True
    c.call(a, "post", "/api/download-clients/test", 422, headers=key, json={**drop, "torrentFolder": "/nowhere/x"})
    indexer = {"name": "Prowlarr", "implementation": "newznab", "baseUrl": refused}
    c.call(a, "post", "/api/indexers/test", 422, headers=key, json=indexer)
    saved = c.call(a, "post", "/api/indexers", 201, headers=key, json=indexer)["indexer"]
    c.call(a, "post", f"/api/indexers/{saved['id']}/test", 422, headers=key)
    c.call(a, "post", f"/api/indexers/{saved['id']}/test", 422, headers=key, json={"apiKey": "other"})
