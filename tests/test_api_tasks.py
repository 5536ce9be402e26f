"""The Tasks API through the test client: every route, field, code and validation rule."""
from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from servers import API_KEY
from webapp.engine.context import append_activity
from webapp.runtime import Runtime

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
TASK_IDS = [
    "task_missing_episodes", "task_new_episodes", "task_cutoff_unmet", "task_upgrade", "task_pending_releases",
    "task_missing_subtitles", "task_subtitle_upgrade", "task_subtitle_search_on_import", "task_history_cleanup",
]
DEFAULTS = {
    "task_missing_episodes": (1440, "monitoring"), "task_new_episodes": (60, "monitoring"),
    "task_cutoff_unmet": (1440, "monitoring"), "task_upgrade": (10080, "monitoring"),
    "task_pending_releases": (15, "monitoring"), "task_missing_subtitles": (360, "subtitle"),
    "task_subtitle_upgrade": (1440, "subtitle"), "task_subtitle_search_on_import": (15, "subtitle"),
    "task_history_cleanup": (1440, "system"),
}


def error_of(response) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    body = response.get_json()
    assert body["success"] is False and body["error"] and re.match(r"^[A-Z0-9_]+$", body["code"])
    return response.status_code, body["code"]


def test_list_tasks_shows_the_nine_built_ins_at_their_defaults(api: FlaskClient) -> None:
    response = api.get("/api/tasks")
    assert response.status_code == 200
    tasks = response.get_json()["tasks"]
    assert [t["id"] for t in tasks] == TASK_IDS
    for task in tasks:
        interval, kind = DEFAULTS[task["id"]]
        assert task["type"] == kind
        assert task["interval"] == task["defaultInterval"] == interval and task["intervalUnit"] == "minutes"
        assert task["enabled"] is True and task["status"] == "idle" and task["lastRunAt"] is None
        assert ISO_Z.match(task["nextRunAt"])
        assert task["supportsCancel"] is True and task["supportsHistory"] is True
        assert isinstance(task["name"], str) and isinstance(task["description"], str)
    by_id = {t["id"]: t for t in tasks}
    assert by_id["task_missing_subtitles"]["name"] == "Missing Subtitles"
    assert by_id["task_upgrade"]["name"] == "Quality Upgrade"


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "cinephage_" + "f" * 64}, {"x-api-key": ""}])
def test_requests_without_a_valid_credential_get_401_json(client: FlaskClient, headers: dict[str, str]) -> None:
    for method, path in [("get", "/api/tasks"), ("post", "/api/tasks/task_upgrade/run"), ("get", "/api/tasks/stream")]:
        response = getattr(client, method)(path, headers=headers)
        assert response.status_code == 401
        assert response.is_json and error_of(response)[0] == 401
        assert "Location" not in response.headers


def test_api_key_in_the_query_string_is_refused(client: FlaskClient) -> None:
    response = client.get(f"/api/tasks?apikey={API_KEY}")
    assert error_of(response) == (400, "API_KEY_IN_QUERY")


def test_run_returns_an_execution_id_that_is_a_history_entry(api: FlaskClient) -> None:
    response = api.post("/api/tasks/task_upgrade/run")
    body = response.get_json()
    assert response.status_code == 200 and body["success"] is True and body["taskId"] == "task_upgrade"
    assert body["executionId"].startswith("exec_") and body["message"] == "Task queued for execution"
    history = api.get("/api/tasks/task_upgrade/history").get_json()["history"]
    assert history[0]["id"] == body["executionId"]
    again = api.post("/api/tasks/task_upgrade/run", json={}).get_json()
    assert again["executionId"] == body["executionId"] and again["message"] == "Task already running"
    statuses = {t["id"]: t["status"] for t in api.get("/api/tasks").get_json()["tasks"]}
    assert statuses["task_upgrade"] == "queued"


def test_force_queues_exactly_one_follow_up(api: FlaskClient) -> None:
    first = api.post("/api/tasks/task_upgrade/run").get_json()["executionId"]
    forced = api.post("/api/tasks/task_upgrade/run", json={"force": True}).get_json()
    # The first run is still queued (no scheduler runs here), so force answers with it.
    assert forced["executionId"] == first


@pytest.mark.parametrize("body, code", [
    (b"{not json", "INVALID_JSON"),
    (b"[1, 2]", "INVALID_JSON"),
    (b'{"force": "yes"}', "INVALID_FIELD"),
    (b'{"force": 1}', "INVALID_FIELD"),
    (b'{"options": []}', "INVALID_FIELD"),
    (b'{"options": {"bogus": 1}}', "UNKNOWN_OPTION"),
    (b'{"options": {"limit": "10"}}', "INVALID_OPTION"),
    (b'{"options": {"limit": 0}}', "INVALID_OPTION"),
    (b'{"speed": 11}', "UNKNOWN_FIELD"),
])
def test_bad_run_bodies_get_400_and_change_nothing(api: FlaskClient, body: bytes, code: str) -> None:
    response = api.post("/api/tasks/task_upgrade/run", data=body, content_type="application/json")
    assert error_of(response) == (400, code)
    assert api.get("/api/tasks/task_upgrade/history").get_json()["pagination"]["total"] == 0


def test_run_accepts_known_options(api: FlaskClient) -> None:
    response = api.post("/api/tasks/task_history_cleanup/run", json={"options": {"retentionDays": 7}})
    assert response.status_code == 200


def test_unknown_task_is_404_on_every_route(api: FlaskClient) -> None:
    for method, path, body in [
        ("post", "/api/tasks/nope/run", None), ("post", "/api/tasks/nope/cancel", None),
        ("put", "/api/tasks/nope/enabled", {"enabled": True}),
        ("put", "/api/tasks/nope/interval", {"interval": 60, "unit": "minutes"}),
        ("get", "/api/tasks/nope/history", None), ("get", "/api/tasks/history/exec_nope/activity", None),
    ]:
        response = getattr(api, method)(path, json=body)
        assert response.status_code == 404, path
        assert error_of(response)[0] == 404


def test_cancel_an_idle_task_is_400_and_a_queued_run_is_cancelled(api: FlaskClient) -> None:
    assert error_of(api.post("/api/tasks/task_upgrade/cancel")) == (400, "TASK_NOT_RUNNING")
    run_id = api.post("/api/tasks/task_upgrade/run").get_json()["executionId"]
    response = api.post("/api/tasks/task_upgrade/cancel")
    assert response.status_code == 200
    assert response.get_json() == {
        "success": True, "taskId": "task_upgrade", "executionId": run_id, "message": "Task cancellation requested",
    }
    entry = api.get("/api/tasks/task_upgrade/history").get_json()["history"][0]
    assert entry["status"] == "cancelled" and entry["completedAt"] is not None


def test_disable_clears_next_run_and_enable_restores_it(api: FlaskClient) -> None:
    response = api.put("/api/tasks/task_missing_subtitles/enabled", json={"enabled": False})
    assert response.status_code == 200 and response.get_json()["enabled"] is False
    task = next(t for t in api.get("/api/tasks").get_json()["tasks"] if t["id"] == "task_missing_subtitles")
    assert task["enabled"] is False and task["nextRunAt"] is None
    response = api.put("/api/tasks/task_missing_subtitles/enabled", json={"enabled": True})
    assert ISO_Z.match(response.get_json()["nextRunAt"])


@pytest.mark.parametrize("body", [{}, {"enabled": "false"}, {"enabled": 0}, {"enabled": None}, {"enabled": True, "x": 1}])
def test_bad_enabled_bodies_are_400(api: FlaskClient, body: dict) -> None:  # type: ignore[type-arg]
    assert api.put("/api/tasks/task_upgrade/enabled", json=body).status_code == 400
    assert api.get("/api/tasks").get_json()["tasks"][3]["enabled"] is True


def test_interval_is_stored_as_given_and_echoed(api: FlaskClient) -> None:
    response = api.put("/api/tasks/task_missing_subtitles/interval", json={"interval": 12, "unit": "hours"})
    body = response.get_json()
    assert response.status_code == 200
    assert body["success"] is True and body["interval"] == 12 and body["intervalUnit"] == "hours"
    assert ISO_Z.match(body["nextRunAt"])
    task = next(t for t in api.get("/api/tasks").get_json()["tasks"] if t["id"] == "task_missing_subtitles")
    assert task["interval"] == 12 and task["intervalUnit"] == "hours" and task["defaultInterval"] == 360


@pytest.mark.parametrize("body, code", [
    ({"interval": "720", "unit": "minutes"}, "INVALID_FIELD"),
    ({"interval": 720.0, "unit": "minutes"}, "INVALID_FIELD"),
    ({"interval": True, "unit": "minutes"}, "INVALID_FIELD"),
    ({"interval": 720, "unit": "weeks"}, "INVALID_FIELD"),
    ({"interval": 720}, "MISSING_FIELD"),
    ({"interval": 14, "unit": "minutes"}, "INTERVAL_TOO_SHORT"),
    ({"interval": 0, "unit": "minutes"}, "INTERVAL_TOO_SHORT"),
    ({"interval": -5, "unit": "hours"}, "INTERVAL_TOO_SHORT"),
    ({"interval": 366, "unit": "days"}, "INTERVAL_TOO_LONG"),
    ({"interval": 10**30, "unit": "days"}, "INTERVAL_TOO_LONG"),
])
def test_bad_intervals_are_400_naming_the_problem(api: FlaskClient, body: dict, code: str) -> None:  # type: ignore[type-arg]
    response = api.put("/api/tasks/task_missing_subtitles/interval", json=body)
    assert error_of(response) == (400, code)
    task = next(t for t in api.get("/api/tasks").get_json()["tasks"] if t["id"] == "task_missing_subtitles")
    assert task["interval"] == 360


def test_minimum_interval_depends_on_the_task(api: FlaskClient) -> None:
    assert api.put("/api/tasks/task_pending_releases/interval", json={"interval": 5, "unit": "minutes"}).status_code == 200
    response = api.put("/api/tasks/task_upgrade/interval", json={"interval": 59, "unit": "minutes"})
    assert error_of(response) == (400, "INTERVAL_TOO_SHORT") and "60 minutes" in response.get_json()["error"]
    assert api.put("/api/tasks/task_upgrade/interval", json={"interval": 365, "unit": "days"}).status_code == 200


def queue_runs(api: FlaskClient, task_id: str, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        ids.append(api.post(f"/api/tasks/{task_id}/run").get_json()["executionId"])
        api.post(f"/api/tasks/{task_id}/cancel")
    return ids


def test_history_pages_newest_first_with_filters(api: FlaskClient) -> None:
    ids = queue_runs(api, "task_upgrade", 5)
    first = api.get("/api/tasks/task_upgrade/history?limit=2").get_json()
    assert [h["id"] for h in first["history"]] == ids[::-1][:2]
    assert first["pagination"] == {"page": 1, "limit": 2, "total": 5, "totalPages": 3}
    last = api.get("/api/tasks/task_upgrade/history?limit=2&page=3").get_json()
    assert [h["id"] for h in last["history"]] == [ids[0]]
    entry = first["history"][0]
    assert set(entry) >= {"id", "taskId", "startedAt", "completedAt", "duration", "status", "itemsProcessed",
                          "itemsAffected", "error"}
    assert api.get("/api/tasks/task_upgrade/history?status=cancelled").get_json()["pagination"]["total"] == 5
    assert api.get("/api/tasks/task_upgrade/history?status=completed").get_json()["pagination"]["total"] == 0
    beyond = api.get("/api/tasks/task_upgrade/history?page=99").get_json()
    assert beyond["history"] == [] and beyond["pagination"]["total"] == 5


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=abc", "page=1.5", "limit=0", "limit=101", "limit=",
                                   "status=done", "page=99999999999999999999"])
def test_bad_history_queries_are_400(api: FlaskClient, query: str) -> None:
    assert error_of(api.get(f"/api/tasks/task_upgrade/history?{query}"))[0] == 400


def test_activity_pages_with_status_filter(api: FlaskClient, runtime: Runtime) -> None:
    run_id = queue_runs(api, "task_missing_subtitles", 1)[0]
    from webapp.clock import now_utc

    rows = [{"run_id": run_id, "media_id": f"movie_{n}", "media_title": f"Movie {n}", "action": "search",
             "status": "skipped" if n % 2 else "success", "message": None, "timestamp": now_utc()} for n in range(7)]
    with runtime.db.write() as session:
        append_activity(session, run_id, rows)
    body = api.get(f"/api/tasks/history/{run_id}/activity?limit=3").get_json()
    assert body["pagination"] == {"page": 1, "limit": 3, "total": 7, "totalPages": 3}
    assert [a["mediaTitle"] for a in body["activity"]] == ["Movie 6", "Movie 5", "Movie 4"]
    first = body["activity"][0]
    assert set(first) == {"id", "historyId", "mediaId", "mediaTitle", "action", "status", "message", "timestamp"}
    assert first["historyId"] == run_id and isinstance(first["id"], str) and ISO_Z.match(first["timestamp"])
    skipped = api.get(f"/api/tasks/history/{run_id}/activity?status=skipped").get_json()
    assert skipped["pagination"]["total"] == 3
    found = api.get(f"/api/tasks/history/{run_id}/activity?search=movie%205").get_json()
    assert [a["mediaId"] for a in found["activity"]] == ["movie_5"]
    assert api.get(f"/api/tasks/history/{run_id}/activity?limit=501").status_code == 400


def test_cookie_session_needs_the_csrf_token_for_changes(app, client: FlaskClient, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    from webapp.auth.users import create_user
    from webapp.clock import now_utc

    create_user(runtime.db, "owner", "correct horse battery", now_utc())
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"username": "owner", "password": "correct horse battery", "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/api/tasks").status_code == 200
    refused = client.post("/api/tasks/task_upgrade/run")
    assert error_of(refused) == (403, "CSRF_FAILED")
    assert client.get("/api/tasks/task_upgrade/history").get_json()["pagination"]["total"] == 0
    stale = client.post("/api/tasks/task_upgrade/run", headers={"X-CSRFToken": token})
    assert error_of(stale) == (403, "CSRF_FAILED")  # the login started a new session: a new token
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    accepted = client.post("/api/tasks/task_upgrade/run", headers={"X-CSRFToken": token})
    assert accepted.status_code == 200


def test_healthz_is_public_and_unknown_api_paths_are_json_404(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/api/nothing-here", headers={"x-api-key": API_KEY})
    assert error_of(response) == (404, "NOT_FOUND")
    assert error_of(client.delete("/api/tasks", headers={"x-api-key": API_KEY}))[0] == 405


def test_every_answer_carries_the_security_headers(client: FlaskClient) -> None:
    for response in (client.get("/healthz"), client.get("/login"), client.get("/api/tasks")):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp and response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
