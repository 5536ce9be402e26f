"""``/api/notifications`` and ``/settings/notifications`` through the test client: validation,
names, the URL never shown, partial updates, Test against a loopback receiver, the demo inbox."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from test_api_providers import created, error_of
from test_notifications import Receiver, receiver  # noqa: F401  (the fixture)
from webapp.clock import now_utc
from webapp.demo.notifications import DEMO_TARGET, seed_demo_notifications
from webapp.providers import notify
from webapp.runtime import Runtime

SECRET_URL = "ntfy://alerts-8c1f2e@ntfy.example.org/cinephage-secret-topic"
TARGET = {"name": "Phone", "url": SECRET_URL}
HTMX = {"HX-Request": "true"}


def test_a_target_gets_its_defaults_and_never_shows_its_url(api: FlaskClient, runtime: Runtime) -> None:
    target = created(api, "/api/notifications", TARGET)
    assert target == {"id": target["id"], "name": "Phone", "service": "ntfy", "hasUrl": True, "events": ["run:failed"],
                      "enabled": True, "lastSentAt": None, "lastError": None}
    assert api.get(f"/api/notifications/{target['id']}").get_json() == {"notification": target}
    assert api.get("/api/notifications").get_json() == {"notifications": [target]}
    assert runtime.notifications.target(int(target["id"])).settings.url == SECRET_URL


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # refused before any write: one database is enough
@pytest.mark.parametrize(("body", "status", "code"), [
    ({**TARGET, "url": "not a url"}, 400, "INVALID_FIELD"),
    ({**TARGET, "url": "no-scheme"}, 400, "INVALID_URL"),
    ({**TARGET, "url": "nosuch://user:pw@host"}, 400, "INVALID_URL"),
    ({**TARGET, "url": 7}, 400, "INVALID_FIELD"),
    ({**TARGET, "events": ["run:exploded"]}, 400, "INVALID_FIELD"),
    ({**TARGET, "events": "run:failed"}, 400, "INVALID_FIELD"),
    ({**TARGET, "enabled": "yes"}, 400, "INVALID_FIELD"),
    ({**TARGET, "name": " "}, 400, "INVALID_FIELD"),
    ({**TARGET, "colour": "red"}, 400, "UNKNOWN_FIELD"),
    ({"name": "Phone"}, 400, "MISSING_FIELD"),
])
def test_bad_bodies_are_refused_and_change_nothing(api: FlaskClient, body: dict[str, Any], status: int, code: str) -> None:
    response = api.post("/api/notifications", json=body)
    assert error_of(response) == (status, code)
    assert "pw@" not in response.get_data(as_text=True)
    assert api.get("/api/notifications").get_json() == {"notifications": []}


def test_names_are_unique_ignoring_case_and_unknown_ids_are_404(api: FlaskClient) -> None:
    target = created(api, "/api/notifications", TARGET)
    assert error_of(api.post("/api/notifications", json={**TARGET, "name": "PHONE "})) == (409, "NAME_TAKEN")
    for method in ("get", "put", "delete"):
        assert error_of(getattr(api, method)("/api/notifications/999")) == (404, "NOTIFICATION_NOT_FOUND")
    assert error_of(api.post("/api/notifications/999/test", json={})) == (404, "NOTIFICATION_NOT_FOUND")
    assert api.delete(f"/api/notifications/{target['id']}").get_json() == {"success": True}


def test_put_is_partial_and_keeps_the_url(api: FlaskClient, runtime: Runtime) -> None:
    target = created(api, "/api/notifications", TARGET)
    response = api.put(f"/api/notifications/{target['id']}",
                       json={"events": ["release:grabbed", "run:failed", "release:grabbed"], "enabled": False})
    assert response.get_json()["notification"]["events"] == ["run:failed", "release:grabbed"]
    assert runtime.notifications.target(int(target["id"])).settings.url == SECRET_URL
    assert SECRET_URL not in response.get_data(as_text=True)


def test_test_sends_to_the_receiver_and_a_refusal_is_a_422(api: FlaskClient, receiver: tuple[Receiver, str]) -> None:  # noqa: F811
    found, url = receiver
    answer = api.post("/api/notifications/test", json={"name": "Hook", "url": url})
    assert answer.status_code == 200 and answer.get_json()["message"] == "Sent a test notification to JSON"
    assert found.received[0]["title"] == "Cinephage: test notification"
    found.status = 500
    target = created(api, "/api/notifications", {"name": "Hook", "url": url})
    assert error_of(api.post(f"/api/notifications/{target['id']}/test", json={})) == (422, "PROVIDER_TEST_FAILED")
    assert api.get("/api/notifications").get_json()["notifications"][0]["lastError"] is None  # a test stores nothing


# -- the page ---------------------------------------------------------------------


def test_the_page_adds_tests_and_deletes_without_showing_the_url(
    user: FlaskClient, token: str, runtime: Runtime, receiver: tuple[Receiver, str],  # noqa: F811
) -> None:
    found, url = receiver
    assert 'href="/settings/notifications"' in user.get("/settings").get_data(as_text=True)
    form = {"csrf_token": token, "name": "Hook", "url": url, "events": "release:grabbed", "enabled": "true"}
    assert user.post("/settings/notifications", data={**form, "csrf_token": ""}).status_code == 403  # CSRF
    added = user.post("/settings/notifications", data=form)
    assert added.status_code == 303
    page = user.get("/settings/notifications").get_data(as_text=True)
    assert "Hook" in page and url.removeprefix("json://") not in page and "run:failed, release:grabbed" in page
    [target] = runtime.notifications.targets()
    tested = user.post(f"/settings/notifications/{target.id}/test", data={"csrf_token": token}, headers=HTMX)
    assert "Test passed" in tested.get_data(as_text=True) and len(found.received) == 1
    refused = user.post("/settings/notifications", data={**form, "url": "nosuch://x"})
    assert refused.status_code == 400 and "does not know (nosuch://)" in refused.get_data(as_text=True)
    assert user.post(f"/settings/notifications/{target.id}/delete", data={"csrf_token": token, "confirm": "yes"}).status_code == 303
    assert runtime.notifications.targets() == ()


def test_the_demo_target_delivers_to_the_inbox_shown_on_the_page(
    user: FlaskClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert seed_demo_notifications(runtime.notifications, now_utc())
    assert seed_demo_notifications(runtime.notifications, now_utc()) == []  # idempotent
    [target] = runtime.notifications.targets()
    assert target.settings.name == DEMO_TARGET and target.service == "json"
    key = target.settings.url.rpartition("=")[2]
    payload = {"version": "1.0", "title": "Cinephage: Upgrade failed", "message": "boom", "attachments": [], "type": "failure"}
    assert user.post("/demo/notifications", json=payload).status_code == 401  # a session is no key
    assert user.post("/demo/notifications", json=payload, headers={"X-Api-Key": key}).status_code == 200
    page = user.get("/settings/notifications").get_data(as_text=True)
    assert "Demo inbox" in page and "Cinephage: Upgrade failed" in page and key not in page
    runtime.notifications.delete(target.id)
    assert user.post("/demo/notifications", json=payload, headers={"X-Api-Key": key}).status_code == 404
    assert "Demo inbox" not in user.get("/settings/notifications").get_data(as_text=True)


def test_a_message_is_plain_text_for_any_service() -> None:
    message = notify.Message("release:grabbed", "t", "b", "http://h/runs/1")
    assert (message.text, message.kind) == ("b\n\nhttp://h/runs/1", "success")
