"""The providers API (providers-api.md) through the test client, and the service beneath it:
indexers and download clients, their checks, secrets, names, order, tests, health and the blocklist."""
from __future__ import annotations

import dataclasses
import json
import logging
import re
import socket
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from builders import NOW, Library
from fake_newznab import API_KEY as FAKE_KEY
from fake_newznab import FakeIndexer, fake_app
from loopback import serving
from servers import API_KEY
from webapp.library.items import EPISODE, MOVIE, MediaItem
from webapp.models import IndexerStatus
from webapp.providers import testing
from webapp.providers.base import ProviderError
from webapp.providers.settings import HealthState, backoff
from webapp.runtime import Runtime
from webapp.services import provider_checks as checks
from webapp.services import providers

SECRET = "S3cret-Key-0123456789abcdef"
INDEXER = {"name": "Prowlarr", "implementation": "torznab", "baseUrl": "http://prowlarr:9696/1/"}
CLIENT = {"name": "qBittorrent", "implementation": "qbittorrent", "host": "qbittorrent"}
BLACKHOLE = {"name": "Drop folder", "implementation": "blackhole", "torrentFolder": "/downloads/torrents"}
KINDS = [("/api/indexers", "indexer", "indexers", INDEXER), ("/api/download-clients", "downloadClient",
                                                             "downloadClients", CLIENT)]


def error_of(response: Any) -> tuple[int, str]:
    body = response.get_json()
    assert body["success"] is False and body["error"] and re.fullmatch(r"[A-Z0-9_]+", body["code"]), body
    return response.status_code, body["code"]


def created(api: FlaskClient, base: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(base, json=body)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["success"] is True
    return next(value for key, value in answer.items() if key != "success")  # type: ignore[no-any-return]


def closed_port() -> int:
    """A loopback port nothing listens on: a connection to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- creating and reading -----------------------------------------------------------


def test_an_indexer_gets_its_defaults_and_never_shows_its_key(api: FlaskClient, runtime: Runtime) -> None:
    indexer = created(api, "/api/indexers", {**INDEXER, "apiKey": SECRET})
    assert indexer == {
        "id": indexer["id"], "name": "Prowlarr", "implementation": "torznab", "protocol": "torrent",
        "baseUrl": "http://prowlarr:9696/1/", "hasApiKey": True, "categories": [2000, 5000], "enabled": True,
        "priority": 25, "minimumSeeders": 1,
        "health": {"failures": 0, "restingUntil": None, "lastError": None, "lastSuccessAt": None},
    }
    assert re.fullmatch(r"[0-9]+", indexer["id"])
    assert api.get(f"/api/indexers/{indexer['id']}").get_json() == {"indexer": indexer}
    assert api.get("/api/indexers").get_json() == {"indexers": [indexer]}
    assert runtime.providers.indexer(int(indexer["id"])).settings.api_key == SECRET  # kept for the clients


def test_a_download_client_gets_its_defaults_and_usual_port(api: FlaskClient) -> None:
    client = created(api, "/api/download-clients", {**CLIENT, "username": "admin", "password": SECRET})
    assert client == {
        "id": client["id"], "name": "qBittorrent", "implementation": "qbittorrent", "protocols": ["torrent"],
        "enabled": True, "priority": 25, "host": "qbittorrent", "port": 8080, "useSsl": False, "urlBase": "",
        "username": "admin", "hasPassword": True, "hasApiKey": False, "movieCategory": "movies", "tvCategory": "tv",
        "torrentFolder": "", "nzbFolder": "", "downloadFolder": "",
    }
    ports = {name: created(api, "/api/download-clients", {"name": name, "implementation": name})["port"]
             for name in ("transmission", "deluge", "sabnzbd", "nzbget")}
    assert ports == {"transmission": 9091, "deluge": 8112, "sabnzbd": 8080, "nzbget": 6789}
    sab = api.get("/api/download-clients").get_json()["downloadClients"]
    assert {c["implementation"]: c["protocols"] for c in sab}["sabnzbd"] == ["usenet"]


def test_a_blackhole_needs_a_folder_and_takes_both_protocols(api: FlaskClient) -> None:
    blackhole = created(api, "/api/download-clients", BLACKHOLE)
    assert blackhole["protocols"] == ["torrent", "usenet"] and blackhole["port"] == 0
    assert blackhole["torrentFolder"] == "/downloads/torrents" and blackhole["nzbFolder"] == ""
    for body in ({"name": "B", "implementation": "blackhole"},
                 {"name": "B", "implementation": "blackhole", "torrentFolder": "", "nzbFolder": ""}):
        assert error_of(api.post("/api/download-clients", json=body)) == (400, "FOLDER_REQUIRED")
    url = f"/api/download-clients/{blackhole['id']}"
    assert error_of(api.put(url, json={"torrentFolder": ""})) == (400, "FOLDER_REQUIRED")
    moved = api.put(url, json={"torrentFolder": "", "nzbFolder": "/downloads/nzb"}).get_json()["downloadClient"]
    assert (moved["torrentFolder"], moved["nzbFolder"]) == ("", "/downloads/nzb")
    qbit = api.put(url, json={"implementation": "qbittorrent"}).get_json()["downloadClient"]
    assert qbit["port"] == 8080 and qbit["protocols"] == ["torrent"]  # a client now: its usual port


# -- validation ---------------------------------------------------------------------

BAD_INDEXERS = [
    ({"name": ""}, "INVALID_FIELD"),
    ({"name": "   "}, "INVALID_FIELD"),
    ({"name": "x" * 101}, "INVALID_FIELD"),
    ({"name": "tab\there"}, "INVALID_FIELD"),
    ({"name": "nul\x00"}, "INVALID_FIELD"),
    ({"name": "\ud800"}, "INVALID_FIELD"),
    ({"name": None}, "INVALID_FIELD"),
    ({"name": 7}, "INVALID_FIELD"),
    ({"implementation": "rss"}, "INVALID_FIELD"),
    ({"implementation": ["torznab"]}, "INVALID_FIELD"),
    ({"baseUrl": "prowlarr:9696"}, "INVALID_FIELD"),
    ({"baseUrl": "ftp://prowlarr/"}, "INVALID_FIELD"),
    ({"baseUrl": "http://"}, "INVALID_FIELD"),
    ({"baseUrl": "http://pro wlarr/"}, "INVALID_FIELD"),
    ({"baseUrl": "http://prowlarr:0/"}, "INVALID_FIELD"),
    ({"baseUrl": "http://prowlarr:65536/"}, "INVALID_FIELD"),
    ({"baseUrl": "http://user@prowlarr/"}, "INVALID_FIELD"),
    ({"baseUrl": "http://prowlarr/\n"}, "INVALID_FIELD"),
    ({"baseUrl": "http://p/" + "a" * 2000}, "INVALID_FIELD"),
    ({"apiKey": 1234}, "INVALID_FIELD"),
    ({"apiKey": "k" * 501}, "INVALID_FIELD"),
    ({"apiKey": "line\nbreak"}, "INVALID_FIELD"),
    ({"categories": "2000"}, "INVALID_FIELD"),
    ({"categories": [2000, "5000"]}, "INVALID_FIELD"),
    ({"categories": [2000, True]}, "INVALID_FIELD"),
    ({"categories": [2000.0]}, "INVALID_FIELD"),
    ({"categories": [-1]}, "INVALID_FIELD"),
    ({"categories": [1_000_000]}, "INVALID_FIELD"),
    ({"categories": list(range(101))}, "INVALID_FIELD"),
    ({"enabled": "true"}, "INVALID_FIELD"),
    ({"enabled": 1}, "INVALID_FIELD"),
    ({"priority": 0}, "INVALID_FIELD"),
    ({"priority": 101}, "INVALID_FIELD"),
    ({"priority": True}, "INVALID_FIELD"),
    ({"priority": 25.0}, "INVALID_FIELD"),
    ({"priority": "25"}, "INVALID_FIELD"),
    ({"priority": 2**70}, "INVALID_FIELD"),
    ({"minimumSeeders": -1}, "INVALID_FIELD"),
    ({"minimumSeeders": False}, "INVALID_FIELD"),
    ({"minimumSeeders": 10**12}, "INVALID_FIELD"),
    ({"colour": "red"}, "UNKNOWN_FIELD"),
    ({"hasApiKey": True}, "UNKNOWN_FIELD"),
    ({"id": "1"}, "UNKNOWN_FIELD"),
    ({"port": 80}, "UNKNOWN_FIELD"),
]
BAD_CLIENTS = [
    ({"implementation": "utorrent"}, "INVALID_FIELD"),
    ({"host": ""}, "INVALID_FIELD"),
    ({"host": "http://qbittorrent"}, "INVALID_FIELD"),
    ({"host": "qbit torrent"}, "INVALID_FIELD"),
    ({"host": "user@qbittorrent"}, "INVALID_FIELD"),
    ({"host": "h" * 256}, "INVALID_FIELD"),
    ({"port": 0}, "INVALID_FIELD"),
    ({"port": 65536}, "INVALID_FIELD"),
    ({"port": -80}, "INVALID_FIELD"),
    ({"port": "8080"}, "INVALID_FIELD"),
    ({"port": True}, "INVALID_FIELD"),
    ({"port": 8080.5}, "INVALID_FIELD"),
    ({"useSsl": "no"}, "INVALID_FIELD"),
    ({"urlBase": "qbittorrent"}, "INVALID_FIELD"),
    ({"urlBase": "/q bit"}, "INVALID_FIELD"),
    ({"username": "u" * 201}, "INVALID_FIELD"),
    ({"password": ["a"]}, "INVALID_FIELD"),
    ({"password": "\x07bell"}, "INVALID_FIELD"),
    ({"movieCategory": "m" * 101}, "INVALID_FIELD"),
    ({"tvCategory": None}, "INVALID_FIELD"),
    ({"torrentFolder": "downloads"}, "INVALID_FIELD"),
    ({"nzbFolder": "./nzb"}, "INVALID_FIELD"),
    ({"downloadFolder": "C:\\downloads"}, "INVALID_FIELD"),
    ({"downloadFolder": "/" + "d" * 1000}, "INVALID_FIELD"),
    ({"priority": 0}, "INVALID_FIELD"),
    ({"baseUrl": "http://x/"}, "UNKNOWN_FIELD"),
    ({"minimumSeeders": 1}, "UNKNOWN_FIELD"),
    ({"hasPassword": False}, "UNKNOWN_FIELD"),
]


# The validation tables run on SQLite alone: a field is refused before any query, and what the
# tests read back to see that nothing changed is the same on both databases (tested below on both).
VALIDATION_BACKEND = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@VALIDATION_BACKEND
@pytest.mark.parametrize(("patch", "code"), BAD_INDEXERS)
def test_bad_indexer_fields_are_refused_and_change_nothing(
    api: FlaskClient, patch: dict[str, Any], code: str,
) -> None:
    assert error_of(api.post("/api/indexers", json={**INDEXER, **patch})) == (400, code)
    assert error_of(api.post("/api/indexers/test", json={**INDEXER, **patch})) == (400, code)
    indexer = created(api, "/api/indexers", INDEXER)
    url = f"/api/indexers/{indexer['id']}"
    assert error_of(api.put(url, json=patch)) == (400, code)
    assert error_of(api.post(f"{url}/test", json=patch)) == (400, code)
    assert api.get("/api/indexers").get_json()["indexers"] == [indexer]


@VALIDATION_BACKEND
@pytest.mark.parametrize(("patch", "code"), BAD_CLIENTS)
def test_bad_client_fields_are_refused_and_change_nothing(
    api: FlaskClient, patch: dict[str, Any], code: str,
) -> None:
    assert error_of(api.post("/api/download-clients", json={**CLIENT, **patch})) == (400, code)
    assert error_of(api.post("/api/download-clients/test", json={**CLIENT, **patch})) == (400, code)
    client = created(api, "/api/download-clients", CLIENT)
    url = f"/api/download-clients/{client['id']}"
    assert error_of(api.put(url, json=patch)) == (400, code)
    assert error_of(api.post(f"{url}/test", json=patch)) == (400, code)
    assert api.get("/api/download-clients").get_json()["downloadClients"] == [client]


@VALIDATION_BACKEND
@pytest.mark.parametrize(("base", "singular", "plural", "body"), KINDS)
@pytest.mark.parametrize(("data", "code"), [
    (b"", "MISSING_FIELD"), (b"{}", "MISSING_FIELD"), (b"{", "INVALID_JSON"), (b"[]", "INVALID_JSON"),
    (b'"name"', "INVALID_JSON"), (b"\xff\xfe", "INVALID_JSON"), (b"[" * 100 + b"]" * 100, "INVALID_JSON"),
])
def test_a_body_that_is_not_a_whole_object_is_refused(
    api: FlaskClient, base: str, singular: str, plural: str, body: dict[str, Any], data: bytes, code: str,
) -> None:
    response = api.post(base, data=data, content_type="application/json")
    assert error_of(response) == (400, code)
    assert api.get(base).get_json() == {plural: []}


def test_a_missing_required_field_is_named(api: FlaskClient) -> None:
    response = api.post("/api/indexers", json={"name": "Prowlarr", "implementation": "newznab"})
    assert error_of(response) == (400, "MISSING_FIELD") and "baseUrl" in response.get_json()["error"]
    response = api.post("/api/download-clients", json={"name": "q"})
    assert error_of(response) == (400, "MISSING_FIELD") and "implementation" in response.get_json()["error"]


def test_edge_values_are_accepted(api: FlaskClient) -> None:
    indexer = created(api, "/api/indexers", {
        "name": "n" * 100, "implementation": "newznab", "baseUrl": "https://[::1]:65535/nzb/api", "categories": [],
        "priority": 100, "minimumSeeders": 0, "enabled": False, "apiKey": "k" * 500,
    })
    assert indexer["protocol"] == "usenet" and indexer["categories"] == [] and indexer["enabled"] is False
    repeated = created(api, "/api/indexers", {**INDEXER, "name": "Café ☕", "categories": [5000, 2000, 5000, 0]})
    assert repeated["categories"] == [5000, 2000, 0] and repeated["name"] == "Café ☕"
    client = created(api, "/api/download-clients", {
        **CLIENT, "port": 1, "useSsl": True, "urlBase": "/qbit", "host": "192.168.1.10",
        "downloadFolder": "/downloads/complete", "movieCategory": "", "priority": 1,
    })
    assert (client["port"], client["useSsl"], client["urlBase"], client["movieCategory"]) == (1, True, "/qbit", "")


# -- secrets --------------------------------------------------------------------------


def test_secrets_are_in_no_answer_and_no_log(
    api: FlaskClient, runtime: Runtime, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    port = closed_port()
    answers = []

    def send(method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = api.open(url, method=method, json=body)
        answers.append(response.get_data(as_text=True))
        return response.get_json()  # type: ignore[no-any-return]

    indexer = send("POST", "/api/indexers", {**INDEXER, "apiKey": SECRET})["indexer"]
    client = send("POST", "/api/download-clients", {**CLIENT, "password": SECRET, "apiKey": SECRET})["downloadClient"]
    sab = send("POST", "/api/download-clients", {"name": "SAB", "implementation": "sabnzbd", "apiKey": SECRET})
    assert sab["downloadClient"]["hasApiKey"] is True and sab["downloadClient"]["hasPassword"] is False
    for url in ("/api/indexers", "/api/download-clients", f"/api/indexers/{indexer['id']}",
                f"/api/download-clients/{client['id']}"):
        send("GET", url)
    send("PUT", f"/api/indexers/{indexer['id']}", {"priority": 3})
    send("PUT", f"/api/download-clients/{client['id']}", {"username": "admin"})
    send("POST", f"/api/indexers/{indexer['id']}/test", {"baseUrl": f"http://127.0.0.1:{port}/"})
    send("POST", "/api/indexers/test", {**INDEXER, "apiKey": SECRET, "baseUrl": f"http://127.0.0.1:{port}/"})
    send("POST", "/api/download-clients/test", {**CLIENT, "password": SECRET, "host": "127.0.0.1", "port": port})
    send("POST", "/api/indexers", {**INDEXER, "apiKey": SECRET})  # a 409
    send("POST", "/api/indexers", {**INDEXER, "apiKey": SECRET, "priority": "high"})  # a 400
    assert len(answers) == 14
    for answer in answers:
        assert SECRET not in answer and '"apiKey"' not in answer and '"password"' not in answer, answer
    assert all(SECRET not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(("base", "singular", "secret", "flag"), [
    ("/api/indexers", "indexer", "apiKey", "hasApiKey"),
    ("/api/download-clients", "downloadClient", "password", "hasPassword"),
    ("/api/download-clients", "downloadClient", "apiKey", "hasApiKey"),
])
def test_a_put_without_a_secret_keeps_it_and_an_empty_one_clears_it(
    api: FlaskClient, runtime: Runtime, base: str, singular: str, secret: str, flag: str,
) -> None:
    body = INDEXER if singular == "indexer" else CLIENT
    provider = created(api, base, {**body, secret: SECRET})
    url = f"{base}/{provider['id']}"

    def stored() -> str:
        settings: Any = (runtime.providers.indexer(int(provider["id"])).settings if singular == "indexer"
                         else runtime.providers.client(int(provider["id"])))
        return str(getattr(settings, "api_key" if secret == "apiKey" else "password"))

    kept = api.put(url, json={"name": "Renamed", "enabled": False}).get_json()[singular]
    assert kept[flag] is True and kept["name"] == "Renamed" and kept["enabled"] is False and stored() == SECRET
    assert api.put(url, json={}).get_json()[singular][flag] is True and stored() == SECRET
    assert api.put(url, json={secret: "new-one"}).get_json()[singular][flag] is True and stored() == "new-one"
    cleared = api.put(url, json={secret: ""}).get_json()[singular]
    assert cleared[flag] is False and stored() == ""
    assert api.get(url).get_json()[singular][flag] is False


# -- names, order, ids -----------------------------------------------------------------


@pytest.mark.parametrize(("base", "singular", "plural", "body"), KINDS)
def test_names_are_unique_per_kind_ignoring_case(
    api: FlaskClient, base: str, singular: str, plural: str, body: dict[str, Any],
) -> None:
    first = created(api, base, {**body, "name": "Main Feed"})
    for taken in ("main feed", "MAIN FEED", "  Main Feed "):
        assert error_of(api.post(base, json={**body, "name": taken})) == (409, "NAME_TAKEN")
    second = created(api, base, {**body, "name": "Backup Feed"})
    assert error_of(api.put(f"{base}/{second['id']}", json={"name": "main FEED"})) == (409, "NAME_TAKEN")
    renamed = api.put(f"{base}/{first['id']}", json={"name": "MAIN FEED"})  # its own name, in other case
    assert renamed.status_code == 200 and renamed.get_json()[singular]["name"] == "MAIN FEED"
    assert [p["name"] for p in api.get(base).get_json()[plural]] == ["Backup Feed", "MAIN FEED"]
    other_base, other_body = next((b, d) for b, _, _, d in KINDS if b != base)
    created(api, other_base, {**other_body, "name": "Main Feed"})  # another kind: no clash


@pytest.mark.parametrize(("base", "singular", "plural", "body"), KINDS)
def test_lists_are_by_priority_then_name(
    api: FlaskClient, base: str, singular: str, plural: str, body: dict[str, Any],
) -> None:
    for name, priority in (("delta", 50), ("Charlie", 10), ("bravo", 50), ("Alpha", 90), ("echo", 10)):
        created(api, base, {**body, "name": name, "priority": priority})
    names = [p["name"] for p in api.get(base).get_json()[plural]]
    assert names == ["Charlie", "echo", "bravo", "delta", "Alpha"]


@pytest.mark.parametrize(("base", "singular", "plural", "body"), KINDS)
def test_unknown_ids_are_json_404s(
    api: FlaskClient, base: str, singular: str, plural: str, body: dict[str, Any],
) -> None:
    code = "INDEXER_NOT_FOUND" if singular == "indexer" else "DOWNLOAD_CLIENT_NOT_FOUND"
    provider = created(api, base, body)
    for method, suffix, payload in (("GET", "", None), ("PUT", "", {"priority": 2}), ("DELETE", "", None),
                                    ("POST", "/test", {}), ("PUT", "", {"colour": 1})):
        assert error_of(api.open(f"{base}/999999{suffix}", method=method, json=payload)) == (404, code)
        for odd in ("abc", "0123456789", "١", "-1", "1.0", "%20"):
            assert error_of(api.open(f"{base}/{odd}{suffix}", method=method, json=payload)) == (404, "NOT_FOUND")
    assert api.delete(f"{base}/{provider['id']}").get_json() == {"success": True}
    assert error_of(api.get(f"{base}/{provider['id']}")) == (404, code)
    assert error_of(api.delete(f"{base}/{provider['id']}")) == (404, code)
    assert api.get(base).get_json() == {plural: []}


# -- authentication -------------------------------------------------------------------

ROUTES = [
    ("GET", "/api/indexers"), ("POST", "/api/indexers"), ("POST", "/api/indexers/test"), ("GET", "/api/indexers/1"),
    ("PUT", "/api/indexers/1"), ("DELETE", "/api/indexers/1"), ("POST", "/api/indexers/1/test"),
    ("GET", "/api/download-clients"), ("POST", "/api/download-clients"), ("POST", "/api/download-clients/test"),
    ("GET", "/api/download-clients/1"), ("PUT", "/api/download-clients/1"), ("DELETE", "/api/download-clients/1"),
    ("POST", "/api/download-clients/1/test"),
]


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "cinephage_" + "f" * 64}])
def test_every_route_needs_a_credential(client: FlaskClient, headers: dict[str, str]) -> None:
    for method, url in ROUTES:
        response = client.open(url, method=method, headers=headers, json=INDEXER)
        assert error_of(response)[0] == 401, (method, url)
    assert error_of(client.get(f"/api/indexers?apikey={API_KEY}")) == (400, "API_KEY_IN_QUERY")


def test_a_cookie_session_needs_the_csrf_token_to_change_anything(user: FlaskClient, token: str) -> None:
    assert user.get("/api/indexers").get_json() == {"indexers": []}
    for method, url in ROUTES:
        if method != "GET":
            assert error_of(user.open(url, method=method, json=INDEXER)) == (403, "CSRF_FAILED"), (method, url)
    assert user.get("/api/indexers").get_json() == {"indexers": []}
    made = user.post("/api/indexers", json=INDEXER, headers={"X-CSRFToken": token})
    assert made.status_code == 201
    url = f"/api/indexers/{made.get_json()['indexer']['id']}"
    assert error_of(user.delete(url)) == (403, "CSRF_FAILED")
    assert user.delete(url, headers={"X-CSRFToken": token}).get_json() == {"success": True}


# -- trying a provider ----------------------------------------------------------------


def test_an_indexer_that_answers_passes_its_test_and_nothing_is_kept(api: FlaskClient, runtime: Runtime) -> None:
    fake = FakeIndexer("prowlarr")
    with serving(fake_app({"prowlarr": fake})) as url:
        body = {**INDEXER, "baseUrl": f"{url}/prowlarr/", "apiKey": FAKE_KEY}
        answer = api.post("/api/indexers/test", json=body).get_json()
        assert answer["success"] is True and answer["message"].startswith("Prowlarr answered")
        assert api.get("/api/indexers").get_json() == {"indexers": []}
        saved = created(api, "/api/indexers", {**body, "apiKey": "wrong"})
        url_of = f"/api/indexers/{saved['id']}/test"
        assert error_of(api.post(url_of)) == (422, "PROVIDER_TEST_FAILED")
        assert api.post(url_of, json={"apiKey": FAKE_KEY}).get_json()["success"] is True  # an unsaved edit
        assert runtime.providers.indexer(int(saved["id"])).settings.api_key == "wrong"
    assert {params["t"] for params in fake.asked} >= {"caps", "search"}


def test_a_blackhole_with_a_writable_folder_passes_its_test(api: FlaskClient, tmp_path: Path) -> None:
    body = {**BLACKHOLE, "torrentFolder": str(tmp_path)}
    answer = api.post("/api/download-clients/test", json=body).get_json()
    assert answer["success"] is True and str(tmp_path) in answer["message"]
    missing = {**BLACKHOLE, "torrentFolder": str(tmp_path / "missing")}
    assert error_of(api.post("/api/download-clients/test", json=missing)) == (422, "PROVIDER_TEST_FAILED")


def test_an_indexer_that_refuses_the_connection_fails_its_test_and_nothing_is_kept(
    api: FlaskClient, runtime: Runtime,
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    response = api.post("/api/indexers/test", json={**INDEXER, "baseUrl": url, "apiKey": SECRET})
    assert error_of(response) == (422, "PROVIDER_TEST_FAILED") and SECRET not in response.get_data(as_text=True)
    assert api.get("/api/indexers").get_json() == {"indexers": []}
    saved = created(api, "/api/indexers", {**INDEXER, "baseUrl": url})
    assert error_of(api.post(f"/api/indexers/{saved['id']}/test")) == (422, "PROVIDER_TEST_FAILED")
    assert error_of(api.post(f"/api/indexers/{saved['id']}/test", json={"priority": 1})) == (
        422, "PROVIDER_TEST_FAILED")
    assert api.get(f"/api/indexers/{saved['id']}").get_json()["indexer"] == saved  # health untouched too
    with runtime.db.read() as session:
        assert session.scalar(select(func.count()).select_from(IndexerStatus)) == 0


def test_a_client_that_refuses_the_connection_fails_its_test(api: FlaskClient) -> None:
    body = {**CLIENT, "host": "127.0.0.1", "port": closed_port(), "password": SECRET}
    response = api.post("/api/download-clients/test", json=body)
    assert error_of(response) == (422, "PROVIDER_TEST_FAILED") and SECRET not in response.get_data(as_text=True)
    saved = created(api, "/api/download-clients", body)
    assert error_of(api.post(f"/api/download-clients/{saved['id']}/test")) == (422, "PROVIDER_TEST_FAILED")
    assert api.get("/api/download-clients").get_json()["downloadClients"] == [saved]


def test_a_provider_test_answers_within_its_time_whatever_the_provider_does() -> None:
    release = threading.Event()
    try:
        with pytest.raises(ProviderError, match="did not answer within 0.05 seconds"):
            testing.within(0.05, lambda: str(release.wait(10)), "Indexer 'Slow'")
    finally:
        release.set()
    assert testing.within(5, lambda: "answered", "Indexer 'Quick'") == "answered"
    with pytest.raises(ProviderError, match="refused"):
        testing.within(5, lambda: (_ for _ in ()).throw(ProviderError("refused")), "Indexer 'Rude'")


def test_a_surprise_in_a_client_library_is_a_failed_test_not_a_500(
    api: FlaskClient, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(settings: Any) -> str:
        raise RuntimeError(f"boom with {settings.api_key}")

    monkeypatch.setattr(providers, "INDEXERS", dataclasses.replace(providers.INDEXERS, attempt=explode))
    response = api.post("/api/indexers/test", json={**INDEXER, "apiKey": SECRET})
    assert error_of(response) == (422, "PROVIDER_TEST_FAILED")
    assert "RuntimeError" in response.get_json()["error"] and SECRET not in response.get_data(as_text=True)


# -- health -----------------------------------------------------------------------------


def test_indexer_health_counts_failures_rests_and_forgets_on_success(api: FlaskClient, runtime: Runtime) -> None:
    health = runtime.providers.health
    indexer_id = int(created(api, "/api/indexers", INDEXER)["id"])
    assert health.state(indexer_id) == HealthState()
    health.failed(indexer_id, "Connection refused", NOW)
    assert health.state(indexer_id) == HealthState(1, NOW, "Connection refused", None)  # no rest after the first
    later = NOW + timedelta(minutes=1)
    health.failed(indexer_id, "Timed out\x00", later)
    assert health.state(indexer_id) == HealthState(2, later + backoff(2), "Timed out", None)
    shown = api.get(f"/api/indexers/{indexer_id}").get_json()["indexer"]["health"]
    assert shown == {"failures": 2, "restingUntil": "2024-06-20T10:06:00Z", "lastError": "Timed out",
                     "lastSuccessAt": None}
    health.succeeded(indexer_id, later + timedelta(hours=1))
    assert health.state(indexer_id) == HealthState(last_success_at=later + timedelta(hours=1))
    assert api.get("/api/indexers").get_json()["indexers"][0]["health"] == {
        "failures": 0, "restingUntil": None, "lastError": None, "lastSuccessAt": "2024-06-20T11:01:00Z"}
    health.failed(indexer_id, "x" * 5000, later)
    assert len(health.state(indexer_id).last_error or "") == 2000
    health.succeeded(indexer_id, later)
    health.failed(indexer_id, "HTTP 429", later, rest=timedelta(hours=2))  # what a Retry-After asked for
    assert health.state(indexer_id).blocked_until == later + timedelta(hours=2)
    health.failed(indexer_id, "HTTP 429", later, rest=timedelta(seconds=30))  # never less than the back-off
    assert health.state(indexer_id).blocked_until == later + backoff(2)


def test_health_of_an_indexer_that_is_gone_is_let_be(api: FlaskClient, runtime: Runtime) -> None:
    health = runtime.providers.health
    indexer_id = int(created(api, "/api/indexers", INDEXER)["id"])
    health.failed(indexer_id, "refused", NOW)
    assert api.delete(f"/api/indexers/{indexer_id}").status_code == 200
    assert health.states() == {}  # the status row went with the indexer
    health.failed(indexer_id, "refused", NOW)
    health.succeeded(indexer_id, NOW)
    health.failed(424242, "never was", NOW)
    assert health.states() == {} and health.state(indexer_id) == HealthState()


def test_failures_counted_by_many_threads_at_once_are_all_counted(api: FlaskClient, runtime: Runtime) -> None:
    indexer_id = int(created(api, "/api/indexers", INDEXER)["id"])
    threads = [threading.Thread(target=runtime.providers.health.failed, args=(indexer_id, f"fail {n}", NOW))
               for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert runtime.providers.health.state(indexer_id).failures == 8


# -- blocklist ----------------------------------------------------------------------------


def test_the_blocklist_keeps_releases_per_item(runtime: Runtime) -> None:
    library = Library(runtime.db)
    profile = library.profile()
    movie = MediaItem(MOVIE, library.movie("Dune", profile, year=2021), "Dune", profile, year=2021)
    series = library.series("Severance", profile)
    episode = MediaItem(EPISODE, library.episode(series, 1, 2, None), "Severance", profile, season=1, episode=2)
    blocklist = runtime.providers.blocklist
    title = "Dune.2021.2160p.WEB-DL.x265-GRP"
    entry = blocklist.add(title, movie, "Download failed: unpack error", NOW, indexer="Prowlarr")
    assert (entry.title, entry.media_id, entry.reason, entry.indexer, entry.added_at) == (
        title, f"movie_{movie.id}", "Download failed: unpack error", "Prowlarr", NOW)
    later = blocklist.add("Severance.S01E02.1080p", episode, "Refused by the client", NOW + timedelta(hours=1))
    assert later.media_id == f"episode_{episode.id}" and later.indexer is None
    assert blocklist.contains(title, movie) and not blocklist.contains(title, episode)
    assert not blocklist.contains(title.lower(), movie)
    assert blocklist.titles(episode) == frozenset({"Severance.S01E02.1080p"})
    assert [(e.title, e.media_title) for e in blocklist.list()] == [  # newest first, with their items' titles
        ("Severance.S01E02.1080p", "Severance S01E02"), (title, "Dune (2021)"),
    ]
    assert blocklist.list(movie) == (entry,)
    assert len(blocklist.list(limit=1)) == 1


def test_the_description_states_the_same_rules_as_the_checks() -> None:
    """The patterns of ``openapi.json`` are the service's, so schemathesis and the server agree."""
    document = json.loads((Path(__file__).resolve().parent.parent / "webapp" / "openapi.json").read_text())
    schemas = document["components"]["schemas"]
    indexer, client = schemas["IndexerCreate"]["properties"], schemas["DownloadClientCreate"]["properties"]
    assert indexer["baseUrl"]["pattern"] == checks.BASE_URL
    assert indexer["baseUrl"]["not"]["pattern"] == checks.NOT_IN_URL
    assert client["host"]["not"]["pattern"] == checks.NOT_IN_HOST
    for properties in (indexer, client):
        assert properties["name"]["not"]["pattern"] == checks.NOT_PRINTABLE
        assert properties["name"]["pattern"] == checks.VISIBLE
        assert properties["name"]["maxLength"] == checks.NAME_LENGTH
    assert schemas["IndexerUpdate"]["properties"] == indexer
    assert schemas["DownloadClientUpdate"]["properties"] == client


def test_the_blocklist_is_listed_newest_first_and_an_entry_can_be_removed(api: FlaskClient, runtime: Runtime) -> None:
    library = Library(runtime.db)
    profile = library.profile()
    movie = MediaItem(MOVIE, library.movie("Film", profile), "Film", profile, year=2019)
    blocklist = runtime.providers.blocklist
    older = blocklist.add("Film.2019.1080p.WEB-DL-GRP", movie, "the torrent is invalid", NOW, "Prowlarr")
    newer = blocklist.add("Film.2019.720p.HDTV-GRP", movie, "dead link", NOW + timedelta(minutes=1))
    listed = api.get("/api/blocklist").get_json()["blocklist"]
    assert [entry["title"] for entry in listed] == [newer.title, older.title]
    assert listed[1] == {"id": str(older.id), "title": older.title, "mediaId": f"movie_{movie.id}",
                         "mediaTitle": "Film (2019)", "reason": "the torrent is invalid", "indexer": "Prowlarr", "addedAt": "2024-06-20T10:00:00Z"}
    assert api.delete(f"/api/blocklist/{older.id}").get_json() == {"success": True}
    assert [entry["id"] for entry in api.get("/api/blocklist").get_json()["blocklist"]] == [str(newer.id)]
    gone = api.delete(f"/api/blocklist/{older.id}")
    assert gone.status_code == 404 and gone.get_json()["code"] == "BLOCKLIST_ENTRY_NOT_FOUND"
    assert api.delete("/api/blocklist/x").status_code == 404
    assert blocklist.titles(movie) == frozenset({newer.title})
