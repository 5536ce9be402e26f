"""No input produces a 5xx: random bodies, paths and query strings against every API route."""
from __future__ import annotations

import json

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
