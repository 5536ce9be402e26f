"""The settings page's indexers and download clients through the test client: added, edited,
tested and deleted as plain forms and as htmx requests; secrets never in a page; a bad field
shown in place with nothing changed; CSRF and a login required; an indexer's health shown."""
from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from fake_newznab import API_KEY as FAKE_KEY
from fake_newznab import FakeIndexer, fake_app
from loopback import serving
from test_hostile_forms import HOSTILE_VALUES, check_answer
from webapp.clock import now_utc
from webapp.providers.settings import ClientSettings, IndexerSettings
from webapp.runtime import Runtime

HTMX = {"HX-Request": "true"}
SECRET = "S3cret-Key-0123456789abcdef"
PASSWORD = "pa55-Word-never-shown"


def indexer_form(**changes: str) -> dict[str, str]:
    """The add form of an indexer as a browser sends it (an unticked box is not sent)."""
    form = {"name": "Prowlarr", "implementation": "torznab", "baseUrl": "http://prowlarr:9696/1/", "apiKey": SECRET,
            "categories": "2000, 5030", "priority": "10", "minimumSeeders": "3", "enabled": "true"}
    return {key: value for key, value in {**form, **changes}.items() if value is not None}


def client_form(**changes: str) -> dict[str, str]:
    form = {"name": "qBittorrent", "implementation": "qbittorrent", "host": "qbittorrent", "port": "", "urlBase": "",
            "username": "admin", "password": PASSWORD, "apiKey": "", "movieCategory": "movies", "tvCategory": "tv",
            "torrentFolder": "", "nzbFolder": "", "downloadFolder": "/downloads", "priority": "25", "enabled": "true"}
    return {**form, **changes}


class FormReader(HTMLParser):
    """The fields one form of a page sends as it stands (by its ``action``, less the fragment), as a browser would."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.select = action, False, ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = (a.get("action") or "").split("#")[0] == self.action
        elif not self.inside or "name" not in a:
            if tag == "option" and self.inside and self.select and ("selected" in a or self.select not in self.fields):
                self.fields[self.select] = a.get("value") or ""
        elif tag == "input" and (a.get("type") != "checkbox" or "checked" in a):
            self.fields[str(a["name"])] = a.get("value") or ""
        elif tag == "select":
            self.select = str(a["name"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = ""


def form_of(html: str, action: str) -> dict[str, str]:
    reader = FormReader(action)
    reader.feed(html)
    assert reader.fields, f"no form posting to {action}"
    return reader.fields


def page(user: FlaskClient) -> str:
    """Both providers' pages, one after the other."""
    return "".join(user.get(path).get_data(as_text=True) for path in ("/settings/indexers", "/settings/download-clients"))


def article(html: str, element_id: str) -> str:
    found = re.search(rf'<article class="provider" id="{element_id}".*?</article>', html, re.S)
    assert found, f"no {element_id} in the page"
    return found.group(0)


def closed_port() -> int:
    """A loopback port nothing listens on: a connection to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def add_indexer(runtime: Runtime, **changes: object) -> int:
    settings = IndexerSettings(**{"name": "Prowlarr", "implementation": "torznab",  # type: ignore[arg-type]
                                  "base_url": "http://prowlarr:9696/1/", "api_key": SECRET, **changes})
    return runtime.providers.create_indexer(settings, now_utc()).id


def add_client(runtime: Runtime, **changes: object) -> int:
    settings = ClientSettings(**{"name": "qBittorrent", "implementation": "qbittorrent",  # type: ignore[arg-type]
                                 "host": "qbittorrent", "password": PASSWORD, **changes})
    client_id = runtime.providers.create_client(settings, now_utc()).id
    assert client_id is not None
    return client_id


def assert_no_secret(*responses: TestResponse) -> None:
    for response in responses:
        html = response.get_data(as_text=True)
        assert SECRET not in html and PASSWORD not in html and FAKE_KEY not in html


@pytest.fixture(scope="module")
def fake_indexer() -> Iterator[tuple[FakeIndexer, str]]:
    """A Prowlarr-like Torznab feed on loopback, and its base URL."""
    fake = FakeIndexer("prowlarr")
    with serving(fake_app({"prowlarr": fake})) as url:
        yield fake, f"{url}/prowlarr/"


# --- the page -------------------------------------------------------------------------------------


def test_the_settings_page_links_each_kind_to_its_page_with_its_section_and_add_form(user: FlaskClient) -> None:
    settings = user.get("/settings").get_data(as_text=True)
    assert 'href="/settings/indexers">Indexers</a>' in settings
    assert 'href="/settings/download-clients">Download clients</a>' in settings
    assert 'id="indexers"' not in settings  # the settings page stays light: each kind has its own
    for path in ("/settings/indexers", "/settings/download-clients"):
        response = user.get(path)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = page(user)
    assert re.search(r'<section id="indexers"[^>]* hx-target="this"\s+hx-swap="outerHTML"', html)
    assert re.search(r'<section id="download-clients"[^>]* hx-target="this"\s+hx-swap="outerHTML"', html)
    assert "No indexers yet." in html and "No download clients yet." in html and "style=" not in html
    indexer = form_of(html, "/settings/indexers")
    assert {key: indexer[key] for key in ("categories", "priority", "minimumSeeders", "enabled")} == {
        "categories": "2000, 5000", "priority": "25", "minimumSeeders": "1", "enabled": "true"}
    client = form_of(html, "/settings/download-clients")
    assert (client["host"], client["port"], client["movieCategory"], client["implementation"]) == (
        "localhost", "", "movies", "qbittorrent")
    assert "Empty: the type’s usual port (qBittorrent 8080" in html
    for field in ("host", "port", "urlBase", "username", "password", "apiKey", "movieCategory", "tvCategory",
                  "torrentFolder", "nzbFolder", "downloadFolder", "priority", "enabled", "useSsl"):
        assert f'<label for="client-new-{field}">' in html, field  # every field has its label

    alone = user.get("/settings/indexers", headers=HTMX)
    assert alone.status_code == 200 and alone.get_data(as_text=True).lstrip().startswith('<section id="indexers"')
    whole = user.get("/settings/download-clients").get_data(as_text=True)
    assert "<html" in whole and 'id="download-clients"' in whole and 'id="indexers"' not in whole


def test_pages_need_a_login(client: FlaskClient, runtime: Runtime) -> None:
    indexer_id = add_indexer(runtime)
    for path in ("/settings/indexers", "/settings/download-clients"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    for path in ("/settings/indexers", "/settings/indexers/test", f"/settings/indexers/{indexer_id}",
                 f"/settings/indexers/{indexer_id}/delete", "/settings/download-clients"):
        assert client.post(path, data={**indexer_form(), "confirm": "yes"}).status_code in (302, 400, 403), path
    assert [indexer.settings.name for indexer in runtime.providers.indexers()] == ["Prowlarr"]
    assert runtime.providers.clients() == ()


# --- add ------------------------------------------------------------------------------------------


def test_an_indexer_added_by_a_plain_form_is_listed_without_its_key(user: FlaskClient, token: str,
                                                                    runtime: Runtime) -> None:
    response = user.post("/settings/indexers", data={"csrf_token": token, **indexer_form()})
    assert response.status_code == 303 and response.headers["Location"] == "/settings/indexers"
    [indexer] = runtime.providers.indexers()
    assert indexer.settings == IndexerSettings("Prowlarr", "torznab", "http://prowlarr:9696/1/", SECRET, (2000, 5030),
                                               True, 10, 3, indexer.id)
    listed = user.get("/settings/indexers")
    html = listed.get_data(as_text=True)
    assert "Added the indexer “Prowlarr”" in html
    block = article(html, f"indexer-{indexer.id}")
    assert '<h3 id="indexer-1-title">Prowlarr</h3>' in block and "<dd>Torznab (torrents)</dd>" in block
    assert "<dd>10</dd>" in block and ">enabled</span>" in block and ">healthy</span>" in block
    assert 'Last success</dt><dd><span class="muted">never</span>' in block
    assert "One is stored: leave this empty to keep it." in block and 'name="clearApiKey"' in block
    edit = form_of(html, f"/settings/indexers/{indexer.id}")
    assert edit["apiKey"] == "" and edit["categories"] == "2000, 5030" and edit["minimumSeeders"] == "3"
    assert_no_secret(response, listed)


def test_a_client_added_with_htmx_answers_the_section_alone(user: FlaskClient, token: str, runtime: Runtime) -> None:
    response = user.post("/settings/download-clients", data={"csrf_token": token, **client_form(useSsl="true")},
                         headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "<html" not in html and html.lstrip().startswith('<section id="download-clients"')
    assert re.search(r'role="status" tabindex="-1" autofocus>Added the download client “qBittorrent”', html)
    [client] = runtime.providers.clients()
    assert (client.port, client.use_ssl, client.password, client.username) == (8080, True, PASSWORD, "admin")
    edit = form_of(html, f"/settings/download-clients/{client.id}")
    assert (edit["port"], edit["useSsl"], edit["password"], edit["username"]) == ("8080", "true", "", "admin")
    assert form_of(html, "/settings/download-clients")["name"] == ""  # the add form is empty again
    assert_no_secret(response)


# --- edit -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_saving_the_form_as_it_stands_keeps_the_secrets(user: FlaskClient, token: str, runtime: Runtime,
                                                        headers: dict[str, str]) -> None:
    indexer_id, client_id = add_indexer(runtime, categories=(2000,)), add_client(runtime, port=8090)
    before = (runtime.providers.indexer(indexer_id).settings, runtime.providers.client(client_id))
    html = page(user)
    for action in (f"/settings/indexers/{indexer_id}", f"/settings/download-clients/{client_id}"):
        response = user.post(action, data=form_of(html, action), headers=headers)
        assert response.status_code == (200 if headers else 303), response.get_data(as_text=True)
        assert_no_secret(response)
    assert (runtime.providers.indexer(indexer_id).settings, runtime.providers.client(client_id)) == before


def test_edits_change_fields_and_clear_a_secret_only_when_asked(user: FlaskClient, token: str,
                                                               runtime: Runtime) -> None:
    indexer_id, client_id = add_indexer(runtime), add_client(runtime, api_key="sab-key")
    html = page(user)
    action = f"/settings/indexers/{indexer_id}"
    form = {**form_of(html, action), "name": "Jackett", "priority": "7", "categories": "5000,2000, 2000"}
    del form["enabled"]  # the box unticked: a browser sends nothing
    response = user.post(action, data=form, headers=HTMX)
    assert re.search(r'role="status" tabindex="-1" autofocus>Saved the indexer “Jackett”', response.get_data(as_text=True))
    saved = runtime.providers.indexer(indexer_id).settings
    assert (saved.name, saved.priority, saved.categories, saved.enabled, saved.api_key) == (
        "Jackett", 7, (5000, 2000), False, SECRET)

    user.post(action, data={**form, "clearApiKey": "true"})
    assert runtime.providers.indexer(indexer_id).settings.api_key == ""
    user.post(action, data={**form, "apiKey": "new-key"})
    assert runtime.providers.indexer(indexer_id).settings.api_key == "new-key"

    action = f"/settings/download-clients/{client_id}"
    form = form_of(page(user), action)
    user.post(action, data={**form, "clearPassword": "true", "port": ""})
    client = runtime.providers.client(client_id)
    assert (client.password, client.api_key, client.port) == ("", "sab-key", 8080)  # empty port: the usual one
    assert 'name="clearPassword"' not in article(page(user), f"client-{client_id}")  # nothing stored to clear


# --- refused values -------------------------------------------------------------------------------

BAD_INDEXER_FIELDS = [
    ("priority", "x", "&#39;priority&#39; must be a whole number (at most 9 digits 0-9)"),
    ("priority", "²", "&#39;priority&#39; must be a whole number"),
    ("priority", "١٥", "&#39;priority&#39; must be a whole number"),
    ("priority", "9" * 5000, "&#39;priority&#39; must be a whole number"),
    ("priority", "0", "&#39;priority&#39; must be an integer from 1 to 100"),
    ("minimumSeeders", "-1", "&#39;minimumSeeders&#39; must be a whole number"),
    ("categories", "2000, movies", "&#39;categories&#39; must be whole numbers separated by commas"),
    ("baseUrl", "ftp://prowlarr/", "&#39;baseUrl&#39; must be an http:// or https:// URL"),
    ("name", "", "&#39;name&#39; must be 1 to 100 printable characters"),
    ("implementation", "gopher", "&#39;implementation&#39; must be one of: torznab, newznab"),
    ("enabled", "yes", "&#39;enabled&#39; must be ticked or not"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_INDEXER_FIELDS)
def test_a_bad_field_is_shown_in_place_and_nothing_is_added(user: FlaskClient, token: str, runtime: Runtime,
                                                            field: str, value: str, message: str) -> None:
    data = {"csrf_token": token, **indexer_form(**{field: value})}
    plain = user.post("/settings/indexers", data=data)
    html = plain.get_data(as_text=True)
    assert plain.status_code == 400 and "<html" in html, html
    assert re.search(r'<p class="field-error" id="indexer-new-error" role="alert" tabindex="-1">' + re.escape(message), html)
    assert re.search(rf'id="indexer-new-{field}" aria-describedby="[^"]*indexer-new-error" aria-invalid="true" autofocus',
                     html)
    sent = form_of(html, "/settings/indexers")
    assert sent["name"] == data["name"] and sent["apiKey"] == ""  # the form as sent, but for its secret
    assert "Type the API key again:" in html
    htmx = user.post("/settings/indexers", data=data, headers=HTMX)
    assert htmx.status_code == 200 and message in htmx.get_data(as_text=True)
    assert "<html" not in htmx.get_data(as_text=True)
    assert runtime.providers.indexers() == ()
    assert_no_secret(plain, htmx)


def test_a_bad_edit_is_shown_in_its_form_and_nothing_changes(user: FlaskClient, token: str, runtime: Runtime) -> None:
    client_id = add_client(runtime)
    add_client(runtime, name="Taken", implementation="blackhole", torrent_folder="/tmp")
    before = runtime.providers.clients()
    action = f"/settings/download-clients/{client_id}"
    form = form_of(page(user), action)
    for changes, status, message in [
        ({"port": "80a"}, 400, "&#39;port&#39; must be a whole number"),
        ({"port": "70000"}, 400, "&#39;port&#39; must be an integer from 1 to 65535"),
        ({"name": "TAKEN"}, 409, "Download client name &#39;TAKEN&#39; is already taken (names ignore case)"),
        ({"implementation": "blackhole"}, 400, "A blackhole needs a &#39;torrentFolder&#39;, an &#39;nzbFolder&#39;"),
        ({"downloadFolder": "relative/path"}, 400, "&#39;downloadFolder&#39; must be empty or an absolute path"),
        ({"host": "http://qbittorrent/"}, 400, "&#39;host&#39; must be a host name or an IP address"),
        ({"name": "x\x00"}, 400, "&#39;name&#39; must be 1 to 100 printable characters"),
    ]:
        plain = user.post(action, data={**form, **changes, "password": "typed"})
        block = article(plain.get_data(as_text=True), f"client-{client_id}")
        assert plain.status_code == status, changes
        assert re.search(r'<p class="field-error" id="client-\d+-error" role="alert"[^>]*>' + re.escape(message), block)
        assert "<details open>" in block and "Type the password again:" in block and "typed" not in block
        htmx = user.post(action, data={**form, **changes}, headers=HTMX)
        assert htmx.status_code == 200 and message in article(htmx.get_data(as_text=True), f"client-{client_id}")
    assert runtime.providers.clients() == before


def test_an_unknown_provider_is_said_gone(user: FlaskClient, token: str) -> None:
    for action in ("/settings/indexers/99", "/settings/indexers/99/test", "/settings/download-clients/99/delete"):
        plain = user.post(action, data={"csrf_token": token, "confirm": "yes"}, follow_redirects=True)
        assert plain.status_code == 200 and "&#39;99&#39; not found" in plain.get_data(as_text=True), action
        htmx = user.post(action, data={"csrf_token": token, "confirm": "yes"}, headers=HTMX)
        assert htmx.status_code == 200 and re.search(r'role="alert" tabindex="-1" autofocus>[^<]+&#39;99&#39; not found',
                                                     htmx.get_data(as_text=True))
    assert user.post(f"/settings/indexers/{2**31}", data={"csrf_token": token}).status_code == 404


# --- delete ---------------------------------------------------------------------------------------


def test_delete_asks_first_without_javascript(user: FlaskClient, token: str, runtime: Runtime) -> None:
    indexer_id = add_indexer(runtime, name='<b>"Old"</b>')
    action = f"/settings/indexers/{indexer_id}/delete"
    confirm = user.post(action, data={"csrf_token": token})
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Delete the indexer “&lt;b&gt;&#34;Old&#34;&lt;/b&gt;”?" in html
    assert f'action="{action}"' in html and 'name="confirm" value="yes"' in html
    assert 'href="/settings/indexers">Keep it<' in html
    assert len(runtime.providers.indexers()) == 1

    done = user.post(action, data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 303 and done.headers["Location"] == "/settings/indexers"
    assert runtime.providers.indexers() == ()
    assert "Deleted the indexer “&lt;b&gt;" in page(user)


def test_delete_with_htmx_answers_the_section(user: FlaskClient, token: str, runtime: Runtime) -> None:
    client_id = add_client(runtime)
    html = page(user)
    assert 'hx-confirm="Delete the download client “qBittorrent”? This cannot be undone."' in html
    response = user.post(f"/settings/download-clients/{client_id}/delete", headers=HTMX,
                         data={**form_of(html, f"/settings/download-clients/{client_id}"), "confirm": "yes"})
    answer = response.get_data(as_text=True)
    assert response.status_code == 200 and answer.lstrip().startswith('<section id="download-clients"')
    assert "Deleted the download client “qBittorrent”" in answer and "No download clients yet." in answer
    assert runtime.providers.clients() == ()


# --- Test -----------------------------------------------------------------------------------------


def test_the_test_button_asks_the_indexer(user: FlaskClient, token: str, runtime: Runtime,
                                          fake_indexer: tuple[FakeIndexer, str]) -> None:
    fake, url = fake_indexer
    indexer_id = add_indexer(runtime, base_url=url, api_key=FAKE_KEY)
    action = f"/settings/indexers/{indexer_id}/test"
    form = form_of(page(user), f"/settings/indexers/{indexer_id}")  # the key left empty: the stored one is used
    htmx = user.post(action, data=form, headers=HTMX)
    answer = htmx.get_data(as_text=True)
    assert htmx.status_code == 200 and answer.startswith('<p class="test-answer test-passed" role="status">Test passed: ')
    assert fake.asked and "<section" not in answer

    plain = user.post(action, data={**form, "apiKey": "wrong-key"})  # tried in place of the stored key, not saved
    block = article(plain.get_data(as_text=True), f"indexer-{indexer_id}")
    assert plain.status_code == 200
    assert re.search(rf'<div id="indexer-{indexer_id}-answer" class="answer-slot"><p class="test-answer test-failed" '
                     r'role="alert">Test failed: ', block)
    assert runtime.providers.indexer(indexer_id).settings.api_key == FAKE_KEY
    assert runtime.providers.indexer(indexer_id).health.failures == 0  # a test never rests the indexer

    new = user.post("/settings/indexers/test", data={"csrf_token": token, **indexer_form(baseUrl=url, apiKey=FAKE_KEY)},
                    headers=HTMX)
    assert new.get_data(as_text=True).startswith('<p class="test-answer test-passed"')
    assert len(runtime.providers.indexers()) == 1  # tried, not added
    assert_no_secret(htmx, plain, new)


def test_a_test_against_a_closed_port_fails_in_place(user: FlaskClient, token: str, runtime: Runtime) -> None:
    port = closed_port()
    client_id = add_client(runtime, host="127.0.0.1", port=port)
    form = form_of(page(user), f"/settings/download-clients/{client_id}")
    htmx = user.post(f"/settings/download-clients/{client_id}/test", data=form, headers=HTMX)
    assert htmx.status_code == 200
    assert re.fullmatch(r'<p class="test-answer test-failed" role="alert">Test failed: [^<]+</p>', htmx.get_data(as_text=True))

    data = {"csrf_token": token, **indexer_form(baseUrl=f"http://127.0.0.1:{port}/")}
    plain = user.post("/settings/indexers/test", data=data)
    html = plain.get_data(as_text=True)
    assert plain.status_code == 200 and "<html" in html
    assert re.search(r'<div id="indexer-new-answer" class="answer-slot"><p class="test-answer test-failed" role="alert">'
                     r"Test failed: [^<]*could not be reached", html)
    assert form_of(html, "/settings/indexers")["baseUrl"] == data["baseUrl"]  # the values stay for another try
    assert "Type the API key again:" in html
    assert runtime.providers.indexers() == ()
    assert_no_secret(htmx, plain)


def test_a_blackhole_test_checks_its_folder_and_bad_values_are_not_tried(user: FlaskClient, token: str,
                                                                         tmp_path: Path) -> None:
    data = {"csrf_token": token, **client_form(implementation="blackhole", torrentFolder=str(tmp_path))}
    passed = user.post("/settings/download-clients/test", data=data, headers=HTMX).get_data(as_text=True)
    assert passed == (f'<p class="test-answer test-passed" role="status">Test passed: Blackhole folders are writable: '
                      f"{tmp_path} (torrent folder)</p>")
    missing = user.post("/settings/download-clients/test", headers=HTMX,
                        data={**data, "torrentFolder": str(tmp_path / "nope")}).get_data(as_text=True)
    assert "test-failed" in missing and "does not exist" in missing
    refused = user.post("/settings/download-clients/test", data={**data, "priority": "high"}, headers=HTMX)
    assert refused.status_code == 200 and refused.get_data(as_text=True) == (
        '<p class="test-answer test-refused" role="alert">Not tested: '
        "&#39;priority&#39; must be a whole number (at most 9 digits 0-9)</p>")
    plain = user.post("/settings/download-clients/test", data={**data, "priority": "high"})
    assert plain.status_code == 400 and "Not tested: &#39;priority&#39;" in plain.get_data(as_text=True)


# --- health ---------------------------------------------------------------------------------------


def test_an_indexers_health_is_shown(user: FlaskClient, runtime: Runtime) -> None:
    indexer_id = add_indexer(runtime)
    now = now_utc()
    runtime.providers.health.failed(indexer_id, "first <error>", now)
    runtime.providers.health.failed(indexer_id, "Prowlarr answered 503", now)
    until = runtime.providers.indexer(indexer_id).health.blocked_until
    assert until is not None and until - now == timedelta(minutes=5)
    block = article(page(user), f"indexer-{indexer_id}")
    clock = until.strftime("%H:%M") if until.date() == now.date() else until.strftime("%Y-%m-%d %H:%M")
    assert re.search(r'<span class="health-failing">2 failures in a row, resting until <time datetime="[^"]+Z" '
                     rf'title="[^"]+ UTC">{clock} UTC</time>: Prowlarr answered 503</span>', block), block

    runtime.providers.health.succeeded(indexer_id, now)
    block = article(page(user), f"indexer-{indexer_id}")
    assert ">healthy</span>" in block and "failure" not in block
    assert re.search(r'Last success</dt><dd><time datetime="[^"]+" title="[^"]+">just now</time>', block)


# --- CSRF and hostile values ----------------------------------------------------------------------


def test_every_form_needs_the_csrf_token(user: FlaskClient, runtime: Runtime) -> None:
    indexer_id, client_id = add_indexer(runtime), add_client(runtime)
    before = (runtime.providers.indexers(), runtime.providers.clients())
    actions = ["/settings/indexers", "/settings/indexers/test", f"/settings/indexers/{indexer_id}",
               f"/settings/indexers/{indexer_id}/test", f"/settings/indexers/{indexer_id}/delete",
               "/settings/download-clients", f"/settings/download-clients/{client_id}",
               f"/settings/download-clients/{client_id}/delete"]
    for action in actions:
        for headers in ({}, HTMX):
            for token in ({}, {"csrf_token": "forged"}):
                data = {**indexer_form(name="Sneaky"), "confirm": "yes", **token}
                assert user.post(action, data=data, headers=headers).status_code in (400, 403), action
    assert (runtime.providers.indexers(), runtime.providers.clients()) == before


def test_hostile_values_in_every_field_of_a_real_provider_are_answered(
    user: FlaskClient, token: str, runtime: Runtime, caplog: pytest.LogCaptureFixture,
) -> None:
    """test_hostile_forms.py posts to these routes with an id no provider has; here they have one."""
    indexer_id, client_id = add_indexer(runtime), add_client(runtime)
    fields = {*indexer_form(), *client_form(), "clearApiKey", "clearPassword"}
    actions = ["/settings/indexers", "/settings/indexers/test", f"/settings/indexers/{indexer_id}",
               f"/settings/indexers/{indexer_id}/test", "/settings/download-clients",
               "/settings/download-clients/test", f"/settings/download-clients/{client_id}",
               f"/settings/download-clients/{client_id}/test"]
    for value in HOSTILE_VALUES:
        for action in actions:
            headers = HTMX if len(action) % 2 else {}
            response = user.post(action, data={"csrf_token": token, **dict.fromkeys(fields, value)}, headers=headers)
            check_answer(response, caplog, (action, value))
            assert_no_secret(response)
    assert {indexer.settings.api_key for indexer in runtime.providers.indexers()} >= {SECRET}
