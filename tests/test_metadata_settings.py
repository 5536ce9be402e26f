"""The metadata source's settings: ``/api/settings/metadata`` (read, changed in part, the key write-only,
refused whole when any field is bad), its Test action against a loopback TMDB, and ``/settings/metadata``
as a plain form and through htmx."""
from __future__ import annotations

from collections.abc import Iterator
import pytest
from flask import Flask
from flask.testing import FlaskClient

from builders import csrf_of
from fake_tmdb import V3_KEY, V4_TOKEN, FakeTmdb
from loopback import serving
from servers import API_KEY
from test_openapi import Contract, load_document
from webapp.clock import now_utc
from webapp.runtime import Runtime

METADATA = "/api/settings/metadata"
TEST = "/api/settings/metadata/test"
PAGE = "/settings/metadata"
DEFAULT = {"implementation": "tmdb", "baseUrl": "https://api.themoviedb.org/3", "hasApiKey": False}
HTMX = {"HX-Request": "true"}


@pytest.fixture
def tmdb_url() -> Iterator[str]:
    with serving(FakeTmdb().app()) as url:
        yield f"{url}/3"


def test_tmdb_without_a_key_until_set_and_a_put_changes_only_what_it_names(api: FlaskClient) -> None:
    assert api.get(METADATA).get_json() == DEFAULT
    changed = api.put(METADATA, json={"apiKey": V3_KEY})
    assert changed.status_code == 200 and changed.get_json() == {**DEFAULT, "hasApiKey": True}
    moved = api.put(METADATA, json={"baseUrl": "http://tmdb-proxy:8080/3"})  # the key left out: kept
    assert moved.get_json() == {**DEFAULT, "baseUrl": "http://tmdb-proxy:8080/3", "hasApiKey": True}
    assert V3_KEY not in moved.get_data(as_text=True) and V3_KEY not in api.get(METADATA).get_data(as_text=True)
    assert api.put(METADATA, json={"apiKey": ""}).get_json()["hasApiKey"] is False  # "" clears it
    assert api.put(METADATA, data=b"").get_json() == {**DEFAULT, "baseUrl": "http://tmdb-proxy:8080/3"}


BAD_FIELDS = [
    ({"implementation": "tvdb"}, "INVALID_FIELD"), ({"implementation": 1}, "INVALID_FIELD"),
    ({"baseUrl": "ftp://tmdb.example/3"}, "INVALID_FIELD"), ({"baseUrl": "api.themoviedb.org/3"}, "INVALID_FIELD"),
    ({"baseUrl": "https://tmdb.example/3\n"}, "INVALID_FIELD"), ({"baseUrl": "http://a b/"}, "INVALID_FIELD"),
    ({"baseUrl": "https://x/" + "a" * 2000}, "INVALID_FIELD"), ({"baseUrl": None}, "INVALID_FIELD"),
    ({"apiKey": "key with spaces"}, "INVALID_FIELD"), ({"apiKey": "clé"}, "INVALID_FIELD"),
    ({"apiKey": "k" * 501}, "INVALID_FIELD"), ({"apiKey": V3_KEY + "\n"}, "INVALID_FIELD"),
    ({"apiKey": 12345}, "INVALID_FIELD"), ({"apiKey": V3_KEY, "language": "en"}, "UNKNOWN_FIELD"),
    ({"apiKey": V3_KEY, "hasApiKey": True}, "UNKNOWN_FIELD"),
]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # refused before any write: one database is enough
def test_a_bad_field_or_body_is_refused_and_nothing_changes(api: FlaskClient) -> None:
    for body, code in BAD_FIELDS:
        for path in (METADATA, TEST):
            response = api.open(path, method="PUT" if path == METADATA else "POST", json=body)
            assert response.status_code == 400 and response.get_json()["code"] == code, (body, response.get_json())
    for raw in (b"{", b"[]", b'"tmdb"', b"\xff"):
        response = api.put(METADATA, data=raw, content_type="application/json")
        assert response.status_code == 400 and response.get_json()["code"] == "INVALID_JSON", raw
    assert api.get(METADATA).get_json() == DEFAULT


def test_the_settings_need_a_credential_and_a_cookie_session_its_csrf_token(client: FlaskClient, user: FlaskClient) -> None:
    anonymous = client.application.test_client()
    assert anonymous.get(METADATA).status_code == 401 and anonymous.put(METADATA, json={}).status_code == 401
    assert anonymous.post(TEST, json={}).status_code == 401
    assert user.put(METADATA, json={"apiKey": V3_KEY}).status_code == 403  # the cookie without its token
    assert user.get(METADATA, headers={"x-api-key": API_KEY}).get_json() == DEFAULT


def test_the_test_action_tries_the_body_over_the_stored_settings_and_stores_nothing(
    api: FlaskClient, tmdb_url: str
) -> None:
    passed = api.post(TEST, json={"baseUrl": tmdb_url, "apiKey": V4_TOKEN})
    assert passed.status_code == 200
    assert passed.get_json() == {"success": True, "message": f"TMDB accepted the v4 read access token at {tmdb_url}"}
    assert api.get(METADATA).get_json() == DEFAULT
    api.put(METADATA, json={"baseUrl": tmdb_url, "apiKey": V3_KEY})
    assert api.post(TEST).get_json()["message"] == f"TMDB accepted the v3 API key at {tmdb_url}"  # the stored key
    refused = api.post(TEST, json={"apiKey": "f" * 32})
    assert refused.status_code == 422 and refused.get_json() == {
        "success": False, "code": "PROVIDER_TEST_FAILED",
        "error": "TMDB refused the API key (HTTP 401: status 7: Invalid API key: You must be granted a valid key.); "
                 "check the API key in Settings → Metadata",
    }
    assert api.get(METADATA).get_json()["hasApiKey"] is True


def test_without_a_key_the_test_says_one_is_needed_without_asking(api: FlaskClient) -> None:
    response = api.post(TEST, json={"baseUrl": "http://127.0.0.1:9/3"})
    assert response.status_code == 422 and "without an API key" in response.get_json()["error"]


def test_every_answer_matches_the_openapi_description(app: Flask, api: FlaskClient, tmdb_url: str) -> None:
    contract = Contract(load_document(), app)
    contract.call(api, "get", METADATA, 200)
    contract.call(api, "put", METADATA, 200, json={"baseUrl": tmdb_url, "apiKey": V3_KEY})
    contract.call(api, "put", METADATA, 400, json={"apiKey": "no spaces please"})
    contract.call(api, "put", METADATA, 400, json={"colour": "red"})
    contract.call(api, "put", METADATA, 400, data=b"{", content_type="application/json")
    contract.call(api, "get", METADATA + "?api_key=x", 400)
    contract.call(api, "post", TEST, 200)
    contract.call(api, "post", TEST, 422, json={"apiKey": "f" * 32})
    contract.call(api, "post", TEST, 400, json={"implementation": "tvdb"})


# -- the page ---------------------------------------------------------------------------------


def test_the_page_shows_the_setting_and_never_the_key(user: FlaskClient, runtime: Runtime) -> None:
    runtime.metadata.update({"api_key": V3_KEY}, now_utc())
    page = user.get(PAGE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'value="https://api.themoviedb.org/3"' in html and "One is stored: leave this empty to keep it." in html
    assert V3_KEY not in html and 'name="clearApiKey"' in html
    assert 'href="/settings/metadata"' in user.get("/settings").get_data(as_text=True)


def test_a_plain_form_saves_with_a_flash_and_keeps_the_key_when_left_empty(
    user: FlaskClient, runtime: Runtime, token: str
) -> None:
    saved = user.post(PAGE, data={"csrf_token": token, "implementation": "tmdb",
                                  "baseUrl": "http://tmdb-proxy:8080/3", "apiKey": V3_KEY})
    assert saved.status_code == 303 and saved.headers["Location"] == PAGE
    assert runtime.metadata.get().api_key == V3_KEY
    user.post(PAGE, data={"csrf_token": token, "implementation": "tmdb", "baseUrl": "https://api.themoviedb.org/3",
                          "apiKey": ""})
    assert (runtime.metadata.get().base_url, runtime.metadata.get().api_key) == ("https://api.themoviedb.org/3", V3_KEY)
    assert "Saved the metadata source" in user.get(PAGE).get_data(as_text=True)
    user.post(PAGE, data={"csrf_token": token, "baseUrl": "https://api.themoviedb.org/3", "clearApiKey": "true"})
    assert runtime.metadata.get().api_key == ""


def test_a_refused_value_is_shown_in_place_and_nothing_changes(user: FlaskClient, runtime: Runtime, token: str) -> None:
    plain = user.post(PAGE, data={"csrf_token": token, "baseUrl": "not a url", "apiKey": V3_KEY})
    html = plain.get_data(as_text=True)
    assert plain.status_code == 400 and "&#39;baseUrl&#39; must be an http:// or https:// URL" in html
    assert 'aria-invalid="true"' in html and 'value="not a url"' in html and V3_KEY not in html
    assert "Type the API key again" in html
    swapped = user.post(PAGE, data={"csrf_token": token, "baseUrl": "not a url"}, headers=HTMX)
    assert swapped.status_code == 200 and swapped.get_data(as_text=True).lstrip().startswith("<section id=\"metadata\"")
    assert runtime.metadata.get().base_url == "https://api.themoviedb.org/3"


def test_the_test_button_answers_in_place_through_htmx_and_as_a_page(
    user: FlaskClient, runtime: Runtime, token: str, tmdb_url: str
) -> None:
    form = {"csrf_token": token, "baseUrl": tmdb_url, "apiKey": V3_KEY}
    answer = user.post(f"{PAGE}/test", data=form, headers=HTMX)
    assert answer.status_code == 200
    assert answer.get_data(as_text=True).strip().startswith('<p class="test-answer test-passed" role="status">')
    page = user.post(f"{PAGE}/test", data={**form, "apiKey": "f" * 32})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Test failed: TMDB refused the API key" in html and "f" * 32 not in html
    assert f'value="{tmdb_url}"' in html  # what was typed stays
    assert runtime.metadata.get().api_key == ""  # nothing saved


def test_the_forms_need_the_csrf_token_and_a_login(user: FlaskClient, client: FlaskClient, runtime: Runtime) -> None:
    assert user.post(PAGE, data={"baseUrl": "http://x/3"}).status_code == 403
    anonymous = client.application.test_client()
    response = anonymous.post(f"{PAGE}/test", data={"csrf_token": csrf_of(anonymous.get("/login").get_data(as_text=True))})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert runtime.metadata.get().base_url == "https://api.themoviedb.org/3"
