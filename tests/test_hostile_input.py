"""No input produces a 5xx: random bodies, paths and query strings against every API route; deep JSON
and digits other than 0-9 are a 400."""
from __future__ import annotations

import json
import logging

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import BadRequest

from webapp.clock import now_utc
from webapp.errors import ValidationError
from webapp.parsing import MAX_JSON_DEPTH, whole_number
from webapp.runtime import Runtime

ROUTES = [
    ("post", "/api/tasks/{task}/run"), ("post", "/api/tasks/{task}/cancel"),
    ("put", "/api/tasks/{task}/enabled"), ("put", "/api/tasks/{task}/interval"),
    ("get", "/api/tasks/{task}/history"), ("get", "/api/tasks/history/{task}/activity"), ("get", "/api/tasks/{task}"),
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
bodies = st.one_of(
    json_values.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(st.sampled_from(["force", "options", "enabled", "interval", "unit", "limit"]), json_values)
    .map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=64),
)
task_ids = st.sampled_from(["task_upgrade", "task_history_cleanup", "nope", "exec_x"]) | st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"), min_size=1, max_size=30
)
queries = st.dictionaries(st.sampled_from(["page", "limit", "status", "search"]), st.text(max_size=25), max_size=4)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(route=st.sampled_from(ROUTES), task=task_ids, body=bodies, query=queries)
def test_no_input_gets_a_server_error(api: FlaskClient, route: tuple[str, str], task: str, body: bytes,
                                      query: dict[str, str]) -> None:
    method, path = route
    response = getattr(api, method)(path.format(task=task), data=body, query_string=query,
                                    content_type="application/json")
    assert response.status_code < 500, (method, path, task, body, query, response.get_data(as_text=True))
    assert response.is_json
    if response.status_code >= 400:
        error = response.get_json()
        assert error["success"] is False and error["code"] and error["error"]


# --- deep JSON and numbers in digits other than 0-9 ----------------------------------------------

DEEP = 1_000  # once a RecursionError in the parser: a 500 and a traceback per request
BODY_ROUTES = [
    ("post", "/api/tasks/task_upgrade/run", '{{"force": {}}}'),
    ("post", "/api/tasks/task_upgrade/run", '{{"options": {{"limit": {}}}}}'),
    ("put", "/api/tasks/task_upgrade/enabled", '{{"enabled": {}}}'),
    ("put", "/api/tasks/task_upgrade/interval", '{{"interval": {}, "unit": "hours"}}'),
]


def nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


def logged_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR or record.exc_info]


@pytest.mark.parametrize(("method", "path", "template"), BODY_ROUTES)
def test_deep_json_is_a_400_and_changes_nothing(
    api: FlaskClient, caplog: pytest.LogCaptureFixture, method: str, path: str, template: str,
) -> None:
    caplog.set_level(logging.WARNING)
    before = api.get("/api/tasks/task_upgrade").get_json()
    for depth in (MAX_JSON_DEPTH + 1, DEEP, 50_000):
        for body in (template.format(nested(depth)), nested(depth), nested(depth, '{"a":', "}").replace("}", "1}", 1)):
            response = getattr(api, method)(path, data=body, content_type="application/json")
            assert response.status_code == 400, (body[:60], response.get_data(as_text=True))
            assert response.get_json() == {
                "success": False, "code": "INVALID_JSON",
                "error": f"Request body is not accepted: JSON nested more than {MAX_JSON_DEPTH} levels deep",
            }
    assert api.get("/api/tasks/task_upgrade").get_json() == before
    assert api.get("/api/tasks/task_upgrade/history").get_json()["pagination"]["total"] == 0
    assert not logged_errors(caplog)


def test_json_within_the_depth_limit_is_read(api: FlaskClient) -> None:
    """The limit counts the body itself: 32 levels pass the parser, and the route judges them."""
    options = '{"options": {"limit": ' + nested(MAX_JSON_DEPTH - 2) + "}}"
    response = api.post("/api/tasks/task_upgrade/run", data=options, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["code"] == "INVALID_OPTION"


def test_every_json_reader_refuses_deep_documents(app: Flask) -> None:
    """``request.get_json`` goes through the same provider: a 400, not a RecursionError."""
    for depth in (MAX_JSON_DEPTH + 1, DEEP, 50_000):
        with app.test_request_context("/", method="POST", data=nested(depth), content_type="application/json"):
            with pytest.raises(BadRequest):
                request.get_json()
            with pytest.raises(ValueError):
                app.json.loads(nested(depth))
    assert app.json.loads(nested(MAX_JSON_DEPTH)) is not None


@pytest.mark.parametrize("path", ["/api/tasks/task_upgrade/history", "/api/tasks/history/exec_x/activity"])
def test_query_numbers_are_ascii_digits_only(api: FlaskClient, path: str) -> None:
    for name in ("page", "limit"):
        for value in ("²", "١", "١٥", "1.0", "+1", " 1", "1 ", "1\n", "-1", "0x1", "", "9" * 5000):
            response = api.get(path, query_string={name: value})
            assert response.status_code == 400, (name, value)
            error = response.get_json()
            assert error["code"] == "INVALID_QUERY" and error["error"].startswith(f"'{name}' must be an integer from 1 ")


@pytest.mark.parametrize(("raw", "number"), [("0", 0), ("7", 7), ("0007", 7), ("999999999", 999_999_999)])
def test_whole_number_reads_ascii_digits(raw: str, number: int) -> None:
    assert whole_number(raw, "n") == number


@pytest.mark.parametrize("raw", ["", "²", "١٥", "Ⅻ", "15.0", "-1", "+5", " 15", "15 ", "15\n", "1_000", "1e3",
                                 "1000000000", "0000000001", "9" * 5000, "\x00"])
def test_whole_number_refuses_anything_else_naming_the_field(raw: str) -> None:
    with pytest.raises(ValidationError, match=r"^'interval' must be an integer from 0 to 999999999$") as caught:
        whole_number(raw, "interval")
    assert caught.value.code == "INVALID_FIELD"


def test_whole_number_bounds_and_code() -> None:
    assert whole_number("5", "page", 5, 10) == 5
    for raw in ("4", "11", "100"):
        with pytest.raises(ValidationError, match="'page' must be an integer from 5 to 10") as caught:
            whole_number(raw, "page", 5, 10, "INVALID_QUERY")
        assert caught.value.code == "INVALID_QUERY"


@SETTINGS
@given(raw=st.text(max_size=12) | st.integers(-(10**12), 10**12).map(str))
def test_whole_number_takes_exactly_the_ascii_numbers_in_range(raw: str) -> None:
    expected = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None
    try:
        assert whole_number(raw, "n") == expected
    except ValidationError:
        assert expected is None


def test_a_nul_in_an_id_or_a_search_is_a_4xx(api: FlaskClient, runtime: Runtime) -> None:
    """PostgreSQL cannot hold a NUL in text: a query with one failed, a 500 (found by the fuzz above)."""
    run_id = runtime.tasks.run("task_upgrade", force=False, options={}, now=now_utc()).run_id
    for path, status in [("/api/tasks/history/%00/activity", 404), ("/api/tasks/history/exec_%00/activity", 404),
                         (f"/api/tasks/history/{run_id}/activity?search=a%00", 400), ("/api/tasks/%00/run", 404)]:
        response = api.post(path) if path.endswith("/run") else api.get(path)
        assert response.status_code == status, (path, response.get_data(as_text=True))
        error = response.get_json()
        assert error["success"] is False and error["code"] and error["error"]


@pytest.mark.parametrize("path", ["/api/tasks//history", "/api/tasks/\t/history", "/api/tasks/history//activity"])
def test_an_empty_path_segment_is_a_json_404_not_a_redirect(api: FlaskClient, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404 and response.is_json, (response.status_code, response.headers)
