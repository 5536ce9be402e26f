"""Schemathesis, with every check, against a real ``serve`` process over a socket: what the
description (``/api/openapi.json``) promises is what the server does.

Every operation is tried with its examples, the coverage scenarios (undeclared methods, missing
and malformed parameters) and bounded, derandomized fuzzing, with the API key header; the event
stream too, read for a fraction of a second per request. A schema-valid request may still be
refused where the refusal depends on the task or its state, which no schema can say; those
refusals are allowed by operation and code below, and nothing else.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import Case, CheckContext, Response
from schemathesis.config import SchemathesisConfig

from servers import API_KEY, Server, server_env

pytestmark = pytest.mark.process

DOCUMENT = Path(__file__).resolve().parent.parent / "webapp" / "openapi.json"
STREAM = "GET /api/tasks/stream"
# Schema-valid requests that are still a 400, and the codes they may carry: what depends on the
# task or its state (the task's own minimum interval, an option only another task declares,
# cancelling a task that is not running), which no schema can state.
REFUSED_BY_STATE = {
    "PUT /api/tasks/{taskId}/interval": {"INTERVAL_TOO_SHORT"},
    "POST /api/tasks/{taskId}/run": {"UNKNOWN_OPTION"},
    "POST /api/tasks/{taskId}/cancel": {"TASK_NOT_RUNNING"},
    # A blackhole must keep a folder: a partial body cannot say whether the stored client is one.
    "PUT /api/download-clients/{clientId}": {"FOLDER_REQUIRED"},
    "POST /api/download-clients/{clientId}/test": {"FOLDER_REQUIRED"},
    # A list may not name one term twice in another case ("x265", "X265"), which no schema can say.
    "PUT /api/settings/release-preferences": {"INVALID_FIELD"},
    # Whether a folder can be written or made depends on the server's disks, which no schema can say.
    "PUT /api/settings/library": {"LIBRARY_ROOT_UNUSABLE"},
    # A partial body cannot say whether the stored provider is OpenSubtitles (needs a key) or a folder.
    "PUT /api/subtitle-providers/{providerId}": {"API_KEY_REQUIRED", "FOLDER_REQUIRED"},
    "POST /api/subtitle-providers/{providerId}/test": {"API_KEY_REQUIRED", "FOLDER_REQUIRED"},
    # Whether Apprise can read a URL (a service it knows, the parts that service needs) no schema can say.
    **{name: {"INVALID_URL"} for name in ("POST /api/notifications", "PUT /api/notifications/{targetId}",
                                          "POST /api/notifications/test", "POST /api/notifications/{targetId}/test")},
}
# A provider test of schema-valid settings reaches out to whatever they name: it may well fail
# (a 422), and may take up to its 15 s.
PROVIDER_TESTS = (
    "POST /api/indexers/test", "POST /api/indexers/{indexerId}/test",
    "POST /api/download-clients/test", "POST /api/download-clients/{clientId}/test",
    "POST /api/subtitle-providers/test", "POST /api/subtitle-providers/{providerId}/test",
    "POST /api/settings/metadata/test", "POST /api/notifications/test", "POST /api/notifications/{targetId}/test",
)
# Bodies with integers, which a float may stand for (see REFUSED_AS_FLOAT) beyond those above.
INTEGER_BODIES = (
    *PROVIDER_TESTS, "POST /api/indexers", "PUT /api/indexers/{indexerId}",
    "POST /api/download-clients", "PUT /api/download-clients/{clientId}", "PUT /api/settings/delay",
    "POST /api/subtitle-providers", "PUT /api/subtitle-providers/{providerId}", "PUT /api/settings/release-preferences",
)
# JSON Schema cannot tell 60.0 from 60, whereas the API takes only JSON integers (decisions.md).
REFUSED_AS_FLOAT = {"INVALID_FIELD", "INVALID_OPTION"}
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # positive_data_acceptance's default


def operation_config(name: str) -> dict[str, Any]:
    """What an operation refused by state, or a provider test, may answer beyond the defaults."""
    refused = name in REFUSED_BY_STATE or name in INTEGER_BODIES  # refused_only_by_state checks the code
    statuses = [*ACCEPTED, *(["400"] if refused else []), *(["422"] if name in PROVIDER_TESTS else [])]
    config: dict[str, Any] = {
        "include-name": name, "checks": {"positive_data_acceptance": {"expected-statuses": statuses}},
    }
    if name in PROVIDER_TESTS:
        config["request-timeout"] = 16
        config["checks"]["max_response_time"] = 16
    return config


CONFIG: dict[str, Any] = {
    "seed": 20261201,
    "auth": {"openapi": {"apiKey": {"api_key": API_KEY}}},
    "request-timeout": 10,
    "checks": {"enabled": True, "max_response_time": 5},
    "generation": {"max-examples": 50, "deterministic": True, "database": "none"},
    "operations": [
        # An event stream never ends: read each for a quarter of a second (or 5 events), and try it less often.
        {"include-name": STREAM, "request-timeout": 0.25, "max-stream-events": 5, "generation": {"max-examples": 10}},
        *(operation_config(name) for name in dict.fromkeys([*REFUSED_BY_STATE, *INTEGER_BODIES])),
    ],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root: Path = tmp_path_factory.mktemp("schemathesis")
    env = server_env(root / "data", f"sqlite:///{root / 'cinephage.db'}",
                     CINEPHAGE_STREAM_KEEPALIVE_SECONDS="0.2")  # the server notices a closed stream soon
    server = Server(env=env, log_path=root / "serve.log", args=("--workers", "1"))
    try:
        server.start()
        assert server.get("/api/openapi.json").json() == json.loads(DOCUMENT.read_text(encoding="utf-8"))
        yield server
    finally:
        server.stop()


def holds_a_float(value: object) -> bool:
    if isinstance(value, dict):
        return any(holds_a_float(item) for item in value.values())
    if isinstance(value, list):
        return any(holds_a_float(item) for item in value)
    return isinstance(value, float)


def refused_only_by_state(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A schema-valid request answered 400 carries a code its operation allows for that."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return None
    allowed = REFUSED_BY_STATE.get(case.operation.label, set())
    if holds_a_float(case.body):
        allowed = allowed | REFUSED_AS_FLOAT
    code = response.json().get("code")
    assert code in allowed, f"schema-valid {case.operation.label} refused with {code}: {response.text}"
    if code == "UNKNOWN_OPTION":  # then only for a key the description names, which another task takes
        options = case.operation.schema.raw_schema["components"]["schemas"]["RunRequest"]["properties"]["options"]
        assert set(case.body["options"]) <= set(options.get("properties", ())), f"undescribed option: {case.body}"
    return True


# The file the server serves (the server fixture checks that it does): loaded at collection, so
# that each operation is a test of its own.
schema = schemathesis.openapi.from_path(DOCUMENT, config=SchemathesisConfig.from_dict(CONFIG))


@schema.parametrize()
def test_each_operation_does_what_the_description_says(case: Case, server: Server) -> None:
    case.call_and_validate(base_url=server.url(""), additional_checks=[refused_only_by_state])


def test_replayed_events_are_the_described_events(server: Server) -> None:
    """Fuzzed ``Last-Event-ID`` values seldom replay anything: this one replays the whole log."""
    run_id = server.post("/api/tasks/task_history_cleanup/run", json={"force": True}).json()["executionId"]
    server.wait_run(run_id, ("completed",))
    case = schema["/api/tasks/stream"]["GET"].Case(headers={"x-api-key": API_KEY, "Last-Event-ID": "0"})
    response = case.call_and_validate(base_url=server.url(""))
    assert response.status_code == 200 and response.text.count("\nevent: task:") >= 3, response.text


def test_sequences_of_operations_do_what_the_description_says(server: Server) -> None:
    """The stateful phase: chains through the links schemathesis infers (a run's id to its history...)."""

    class Sequences(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            """Each scenario starts with no providers, so that a replayed one meets what it met, ids included."""
            for kind, listed in (("indexers", "indexers"), ("download-clients", "downloadClients"),
                                 ("subtitle-providers", "subtitleProviders")):
                for provider in server.get(f"/api/{kind}").json()[listed]:
                    server.session.delete(server.url(f"/api/{kind}/{provider['id']}"), timeout=10)

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"base_url": server.url("")}

        def validate_response(
            self, response: Response, case: Case, additional_checks: Any = None, **kwargs: Any,
        ) -> None:
            super().validate_response(response, case, [*(additional_checks or ()), refused_only_by_state], **kwargs)

    Sequences.run(settings=hypothesis.settings(
        max_examples=25, stateful_step_count=6, deadline=None, derandomize=True, database=None,
    ))
