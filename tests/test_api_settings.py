"""``/api/settings/delay`` and ``/api/settings/release-preferences``: read, changed in part, refused whole
when any field is bad."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from servers import API_KEY

DELAY = "/api/settings/delay"
PREFERENCES = "/api/settings/release-preferences"
NO_PREFERENCES: dict[str, list[Any]] = {"preferredWords": [], "ignoredWords": [], "requiredWords": [], "releaseGroups": []}
NONE = {"usenetDelay": 0, "torrentDelay": 0, "bypassIfHighestQuality": True}


def test_no_delay_until_one_is_set_and_a_put_changes_only_what_it_names(api: FlaskClient) -> None:
    assert api.get(DELAY).get_json() == NONE
    changed = api.put(DELAY, json={"torrentDelay": 60})
    assert changed.status_code == 200 and changed.get_json() == {**NONE, "torrentDelay": 60}
    api.put(DELAY, json={"bypassIfHighestQuality": False, "usenetDelay": 10080})
    assert api.get(DELAY).get_json() == {"usenetDelay": 10080, "torrentDelay": 60, "bypassIfHighestQuality": False}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # refused before any query: one database is enough
@pytest.mark.parametrize(("body", "code"), [
    ({"torrentDelay": -1}, "INVALID_FIELD"), ({"torrentDelay": 10081}, "INVALID_FIELD"),
    ({"usenetDelay": 1.5}, "INVALID_FIELD"), ({"usenetDelay": "60"}, "INVALID_FIELD"),
    ({"usenetDelay": True}, "INVALID_FIELD"), ({"bypassIfHighestQuality": 1}, "INVALID_FIELD"),
    ({"torrentDelay": 60, "delay": 5}, "UNKNOWN_FIELD"), ({"torrentDelay": 60, "usenetDelay": None}, "INVALID_FIELD"),
])
def test_a_bad_field_is_refused_and_nothing_changes(api: FlaskClient, body: dict[str, Any], code: str) -> None:
    response = api.put(DELAY, json=body)
    assert response.status_code == 400 and response.get_json()["code"] == code
    assert api.get(DELAY).get_json() == NONE


def test_the_delay_needs_a_credential_and_a_cookie_session_its_csrf_token(client: FlaskClient, user: FlaskClient) -> None:
    anonymous = client.application.test_client()
    assert anonymous.get(DELAY).status_code == 401 and anonymous.put(DELAY, json={}).status_code == 401
    assert user.put(DELAY, json={"torrentDelay": 5}).status_code == 403  # the session cookie without its token
    assert user.get(DELAY, headers={"x-api-key": API_KEY}).get_json() == NONE


def test_release_preferences_are_replaced_a_list_at_a_time(api: FlaskClient) -> None:
    assert api.get(PREFERENCES).get_json() == NO_PREFERENCES
    preferred = [{"term": "x265", "score": 10}, {"term": "DDP5.1 Atmos", "score": 25}, {"term": "HDR10+", "score": -5}]
    changed = api.put(PREFERENCES, json={"preferredWords": preferred, "ignoredWords": ["CAM", "Hardcoded Subs"]})
    assert changed.status_code == 200
    assert changed.get_json() == {**NO_PREFERENCES, "preferredWords": preferred, "ignoredWords": ["CAM", "Hardcoded Subs"]}
    api.put(PREFERENCES, json={"releaseGroups": [{"name": "NTb", "score": 50}], "ignoredWords": []})
    assert api.get(PREFERENCES).get_json() == {
        **NO_PREFERENCES, "preferredWords": preferred, "releaseGroups": [{"name": "NTb", "score": 50}],
    }


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # refused before any write: one database is enough
@pytest.mark.parametrize(("body", "code"), [
    ({"preferredWords": {"x265": 10}}, "INVALID_FIELD"),
    ({"preferredWords": [{"term": "x265"}]}, "INVALID_FIELD"),
    ({"preferredWords": [{"term": "x265", "score": 10, "extra": 1}]}, "INVALID_FIELD"),
    ({"preferredWords": [{"term": "x265", "score": "10"}]}, "INVALID_FIELD"),
    ({"preferredWords": [{"term": "x265", "score": True}]}, "INVALID_FIELD"),
    ({"preferredWords": [{"term": "x265", "score": 10_001}]}, "INVALID_FIELD"),
    ({"preferredWords": [{"term": "x265", "score": 1}, {"term": "X265", "score": 2}]}, "INVALID_FIELD"),
    ({"ignoredWords": [""]}, "INVALID_FIELD"), ({"ignoredWords": ["   "]}, "INVALID_FIELD"),
    ({"ignoredWords": ["..."]}, "INVALID_FIELD"), ({"ignoredWords": ["a" * 101]}, "INVALID_FIELD"),
    ({"ignoredWords": ["line\nbreak"]}, "INVALID_FIELD"), ({"ignoredWords": [5]}, "INVALID_FIELD"),
    ({"requiredWords": ["w"] * 201}, "INVALID_FIELD"), ({"requiredWords": None}, "INVALID_FIELD"),
    ({"releaseGroups": [{"term": "NTb", "score": 1}]}, "INVALID_FIELD"),
    ({"ignoredWords": ["CAM"], "bannedWords": ["TS"]}, "UNKNOWN_FIELD"),
    ({"ignoredWords": ["CAM"], "releaseGroups": [{"name": "NTb", "score": 1.5}]}, "INVALID_FIELD"),
])
def test_a_bad_preference_is_refused_and_nothing_changes(api: FlaskClient, body: dict[str, Any], code: str) -> None:
    response = api.put(PREFERENCES, json=body)
    assert response.status_code == 400 and response.get_json()["code"] == code
    assert api.get(PREFERENCES).get_json() == NO_PREFERENCES
