"""``/api/subtitle-providers`` and ``/api/settings/subtitles`` through the test client (providers-api.md)."""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fake_opensubtitles import API_KEY, PASSWORD, USERNAME, FakeOpenSubtitles
from loopback import serving
from webapp.models import SubtitleProviderSetting, WantedLanguage
from webapp.runtime import Runtime

BASE = "/api/subtitle-providers"
OPENSUBTITLES = {"name": "OpenSubtitles", "implementation": "opensubtitles", "apiKey": API_KEY}


def error_of(response: Any) -> tuple[int, str]:
    body = response.get_json()
    assert body["success"] is False and body["error"] and re.fullmatch(r"[A-Z0-9_]+", body["code"]), body
    return response.status_code, body["code"]


def create(api: FlaskClient, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(BASE, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["subtitleProvider"]  # type: ignore[no-any-return]


def test_create_read_update_delete_with_write_only_secrets(api: FlaskClient) -> None:
    made = create(api, {**OPENSUBTITLES, "username": USERNAME, "password": PASSWORD, "minimumScore": 75})
    assert made == {
        "id": made["id"], "name": "OpenSubtitles", "implementation": "opensubtitles", "enabled": True, "priority": 25,
        "baseUrl": "https://api.opensubtitles.com/api/v1", "hasApiKey": True, "username": USERNAME,
        "hasPassword": True, "folder": "", "minimumScore": 75,
        "quota": {"downloadsRemaining": None, "resetsAt": None, "restingUntil": None, "reason": None},
    }
    one = f"{BASE}/{made['id']}"
    assert api.get(one).get_json() == {"subtitleProvider": made}
    changed = api.put(one, json={"priority": 5, "password": ""}).get_json()["subtitleProvider"]
    assert (changed["priority"], changed["hasApiKey"], changed["hasPassword"]) == (5, True, False)
    listed = api.get(BASE).get_json()
    assert [p["name"] for p in listed["subtitleProviders"]] == ["OpenSubtitles"]
    text = json.dumps(listed)
    assert API_KEY not in text and PASSWORD not in text
    assert api.delete(one).get_json() == {"success": True}
    assert error_of(api.get(one)) == (404, "SUBTITLE_PROVIDER_NOT_FOUND")
    assert error_of(api.delete(one)) == (404, "SUBTITLE_PROVIDER_NOT_FOUND")


def test_providers_are_listed_by_priority_then_name(api: FlaskClient, tmp_path: Path) -> None:
    create(api, {**OPENSUBTITLES, "name": "b", "priority": 10})
    create(api, {"name": "A folder", "implementation": "local", "folder": str(tmp_path), "priority": 10})
    create(api, {**OPENSUBTITLES, "name": "first", "priority": 1})
    assert [p["name"] for p in api.get(BASE).get_json()["subtitleProviders"]] == ["first", "A folder", "b"]


BAD_BODIES = [
    ({"name": "x"}, 400, "MISSING_FIELD"),
    ({**OPENSUBTITLES, "colour": "red"}, 400, "UNKNOWN_FIELD"),
    ({**OPENSUBTITLES, "implementation": "addic7ed"}, 400, "INVALID_FIELD"),
    ({**OPENSUBTITLES, "minimumScore": 101}, 400, "INVALID_FIELD"),
    ({**OPENSUBTITLES, "minimumScore": 60.0}, 400, "INVALID_FIELD"),
    ({**OPENSUBTITLES, "minimumScore": True}, 400, "INVALID_FIELD"),
    ({**OPENSUBTITLES, "priority": 0}, 400, "INVALID_FIELD"),
    ({**OPENSUBTITLES, "baseUrl": "ftp://example.org/"}, 400, "INVALID_FIELD"),
    ({**OPENSUBTITLES, "name": "   "}, 400, "INVALID_FIELD"),
    ({**OPENSUBTITLES, "name": "a\x00b"}, 400, "INVALID_FIELD"),
    ({"name": "OS", "implementation": "opensubtitles"}, 400, "API_KEY_REQUIRED"),
    ({"name": "Mine", "implementation": "local"}, 400, "FOLDER_REQUIRED"),
    ({"name": "Mine", "implementation": "local", "folder": "relative/path"}, 400, "INVALID_FIELD"),
]


def test_bad_bodies_are_refused_and_change_nothing(api: FlaskClient, runtime: Runtime) -> None:
    """One app for every case: each refusal is a 400 with its code, on create and on test alike."""
    for body, status, code in BAD_BODIES:
        assert error_of(api.post(BASE, json=body)) == (status, code), body
        assert error_of(api.post(f"{BASE}/test", json=body)) == (status, code), body
    with runtime.db.read() as session:
        assert session.scalar(select(func.count()).select_from(SubtitleProviderSetting)) == 0


def test_names_are_unique_ignoring_case(api: FlaskClient) -> None:
    made = create(api, OPENSUBTITLES)
    other = create(api, {**OPENSUBTITLES, "name": "Other"})
    assert error_of(api.post(BASE, json={**OPENSUBTITLES, "name": " opensubtitles "})) == (409, "NAME_TAKEN")
    assert error_of(api.put(f"{BASE}/{other['id']}", json={"name": "OPENSUBTITLES"})) == (409, "NAME_TAKEN")
    assert api.put(f"{BASE}/{made['id']}", json={"name": "OpenSubtitles.com"}).status_code == 200


def test_an_update_that_breaks_the_provider_is_refused(api: FlaskClient) -> None:
    made = create(api, OPENSUBTITLES)
    assert error_of(api.put(f"{BASE}/{made['id']}", json={"apiKey": ""})) == (400, "API_KEY_REQUIRED")
    assert error_of(api.put(f"{BASE}/{made['id']}", json={"implementation": "local"})) == (400, "FOLDER_REQUIRED")
    assert error_of(api.put(f"{BASE}/{made['id']}", json={"minimumScore": -1})) == (400, "INVALID_FIELD")
    assert api.get(f"{BASE}/{made['id']}").get_json()["subtitleProvider"] == made


def test_the_test_action_tries_without_saving(api: FlaskClient, runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeOpenSubtitles()
    with serving(fake.app()) as root:
        body = {**OPENSUBTITLES, "baseUrl": root + "/api/v1", "username": USERNAME, "password": PASSWORD}
        answer = api.post(f"{BASE}/test", json=body)
        assert answer.get_json() == {"success": True, "message": "OpenSubtitles logged in 'cinephile' "
                                                                 "(20 downloads a day, Sub leecher)"}
        wrong = api.post(f"{BASE}/test", json={**body, "password": "nope-nope"})
        assert error_of(wrong) == (422, "PROVIDER_TEST_FAILED")
        assert wrong.get_json()["error"] == "OpenSubtitles refused the username or password (HTTP 401)"
        made = create(api, body)
        assert api.post(f"{BASE}/{made['id']}/test").status_code == 200
        tried = api.post(f"{BASE}/{made['id']}/test", json={"apiKey": "another-key-123"})
        assert error_of(tried) == (422, "PROVIDER_TEST_FAILED")
    assert error_of(api.post(f"{BASE}/999/test")) == (404, "SUBTITLE_PROVIDER_NOT_FOUND")
    assert api.get(f"{BASE}/{made['id']}").get_json()["subtitleProvider"]["hasApiKey"] is True
    assert API_KEY not in caplog.text and PASSWORD not in caplog.text and "another-key-123" not in caplog.text


def test_a_local_folder_test_says_what_it_holds(api: FlaskClient, tmp_path: Path) -> None:
    (tmp_path / "Heat.1995.1080p.BluRay.x264-AMIABLE.en.srt").write_text("1")
    answer = api.post(f"{BASE}/test", json={"name": "Mine", "implementation": "local", "folder": str(tmp_path)})
    assert answer.get_json() == {"success": True, "message": f"The folder {tmp_path} holds 1 subtitle files (en)"}
    missing = api.post(f"{BASE}/test", json={"name": "Mine", "implementation": "local", "folder": "/no/such/folder"})
    assert error_of(missing) == (422, "PROVIDER_TEST_FAILED")


def test_wanted_languages_are_iso_639_1_and_replace_the_list(api: FlaskClient, runtime: Runtime) -> None:
    assert api.get("/api/settings/subtitles").get_json() == {"languages": []}
    assert api.put("/api/settings/subtitles", json={"languages": ["en", "fr", "en"]}).get_json() == {
        "languages": ["en", "fr"]}
    assert api.put("/api/settings/subtitles", json={"languages": ["fr", "de"]}).get_json() == {"languages": ["fr", "de"]}
    with runtime.db.read() as session:
        assert sorted(session.execute(select(WantedLanguage.language, WantedLanguage.min_score)).all()) == [
            ("de", 0), ("fr", 0)]
    for body in ({"languages": ["xx"]}, {"languages": ["EN"]}, {"languages": ["eng"]}, {"languages": "en"},
                 {"languages": [1]}, {"languages": ["en"] * 51}):
        assert error_of(api.put("/api/settings/subtitles", json=body)) == (400, "INVALID_FIELD"), body
    assert error_of(api.put("/api/settings/subtitles", json={})) == (400, "MISSING_FIELD")
    assert error_of(api.put("/api/settings/subtitles", json={"languages": [], "x": 1})) == (400, "UNKNOWN_FIELD")
    assert api.get("/api/settings/subtitles").get_json() == {"languages": ["fr", "de"]}
