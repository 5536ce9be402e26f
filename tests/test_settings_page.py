"""The settings page at test-client level: API keys created once, listed by prefix, revoked with a
confirmation (and refused at once), validation, CSRF, login; plain forms and htmx alike."""
from __future__ import annotations

import json
import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp.auth import api_keys
from webapp.clock import now_utc
from webapp.errors import ValidationError
from webapp.runtime import Runtime

KEY = re.compile(r"cinephage_[0-9a-f]{64}")
HTMX = {"HX-Request": "true"}


def live_keys(runtime: Runtime) -> list[api_keys.KeyInfo]:
    return [key for key in api_keys.list_keys(runtime.db) if key.revoked_at is None]


def by_name(runtime: Runtime, name: str) -> api_keys.KeyInfo:
    return next(key for key in api_keys.list_keys(runtime.db) if key.name == name)


def api_status(app: Flask, key: str) -> int:
    """``GET /api/tasks`` with this key, from a client with no session."""
    return app.test_client().get("/api/tasks", headers={"X-Api-Key": key}).status_code


def session_data(app: Flask, client: FlaskClient) -> dict:  # type: ignore[type-arg]
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)  # type: ignore[attr-defined]


def test_settings_needs_a_login(client: FlaskClient, runtime: Runtime) -> None:
    before = api_keys.list_keys(runtime.db)
    response = client.get("/settings")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.post("/settings/api-keys", data={"name": "x"}).status_code in (302, 400, 403)
    assert client.post(f"/settings/api-keys/{before[0].id}/revoke", data={"confirm": "yes"}).status_code in (302, 400, 403)
    assert api_keys.list_keys(runtime.db) == before


def test_a_new_key_is_shown_once_and_works(
    app: Flask, user: FlaskClient, token: str, runtime: Runtime, caplog: pytest.LogCaptureFixture,  # noqa: F811
) -> None:
    caplog.set_level(logging.DEBUG)
    response = user.post("/settings/api-keys", data={"csrf_token": token, "name": "  Sonarr  "})
    assert response.status_code == 200 and "Location" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    keys = KEY.findall(html)
    assert len(set(keys)) == 1
    key = keys[0]
    assert f'value="{key}"' in html and "you will not see it again" in html
    assert "<html" in html and 'aria-current="page">Settings<' in html  # the whole page, without JavaScript

    created = by_name(runtime, "Sonarr")
    assert created.source == "dashboard" and key.startswith(created.prefix)
    assert api_status(app, key) == 200

    listing = user.get("/settings").get_data(as_text=True)
    assert key not in listing and f"<code>{created.prefix}…</code>" in listing
    assert key not in json.dumps(session_data(app, user))
    assert key not in response.headers.get("Set-Cookie", "")
    assert all(key not in record.getMessage() for record in caplog.records)


def test_htmx_create_answers_the_key_section_alone(user: FlaskClient, token: str, runtime: Runtime) -> None:  # noqa: F811
    response = user.post("/settings/api-keys", data={"csrf_token": token, "name": "radarr"}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "<html" not in html
    assert re.search(r'<section id="api-keys"[^>]* hx-target="this" hx-swap="outerHTML"', html)
    key = KEY.search(html)
    assert key and 'autofocus' in html
    assert by_name(runtime, "radarr").prefix == key.group(0)[:18]
    assert 'value=""' in html  # the name field is empty again


def test_the_list_shows_name_prefix_and_times(app: Flask, user: FlaskClient, runtime: Runtime) -> None:  # noqa: F811
    key = api_keys.create_key(runtime.db, "from the cli", now_utc())  # what ``api-key create`` calls
    html = user.get("/settings").get_data(as_text=True)
    assert user.get("/settings").headers["Cache-Control"] == "no-store"
    row = re.search(r'<tr data-key-id="\d+" class="key">\s*<th scope="row" data-label="Name">from the cli</th>(.*?)</tr>',
                    html, re.S)
    assert row, html
    assert f"<code>{key[:18]}…</code>" in row.group(1) and key not in html
    assert re.search(r'<time datetime="[^"]+Z" title="[^"]+ UTC">just now</time>', row.group(1))
    assert ">never<" in row.group(1) and "badge-active" in row.group(1)
    assert "from CINEPHAGE_API_KEY" in html  # the key of the environment, named as such
    assert "Quality profiles will appear on this page too" in html

    assert api_status(app, key) == 200
    used = re.search(r'data-label="Last used"><time datetime="[^"]+" title="[^"]+">just now</time>',
                     user.get("/settings").get_data(as_text=True))
    assert used


def test_navigation_marks_the_current_page(user: FlaskClient) -> None:  # noqa: F811
    tasks, settings = user.get("/").get_data(as_text=True), user.get("/settings").get_data(as_text=True)
    assert '<nav class="site-nav" aria-label="Main">' in tasks
    assert '<a href="/" aria-current="page">Tasks</a>' in tasks and '<a href="/settings">Settings</a>' in tasks
    assert '<a href="/" >' not in settings and '<a href="/settings" aria-current="page">Settings</a>' in settings
    assert "style=" not in settings and "<script>" not in settings.split("</head>")[1]


def test_revoke_asks_first_then_the_key_is_refused_at_once(
    app: Flask, user: FlaskClient, token: str, runtime: Runtime,  # noqa: F811
) -> None:
    key = api_keys.create_key(runtime.db, "doomed", now_utc())
    assert api_status(app, key) == 200  # now in this process's cache of recently verified keys
    key_id = by_name(runtime, "doomed").id

    confirm = user.post(f"/settings/api-keys/{key_id}/revoke", data={"csrf_token": token})
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Revoke the key “doomed”?" in page
    assert 'name="confirm" value="yes"' in page and 'href="/settings">Keep it<' in page
    assert by_name(runtime, "doomed").revoked_at is None and api_status(app, key) == 200

    response = user.post(f"/settings/api-keys/{key_id}/revoke", data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 303 and response.headers["Location"] == "/settings"
    assert api_status(app, key) == 401  # at once: not after the cache's few seconds
    assert by_name(runtime, "doomed").revoked_at is not None
    listing = user.get("/settings").get_data(as_text=True)
    assert "Revoked the key “doomed”" in listing and "badge-revoked" in listing
    assert f'/settings/api-keys/{key_id}/revoke"' not in listing  # nothing left to revoke


def test_htmx_revoke_answers_the_section_with_a_notice(
    app: Flask, user: FlaskClient, token: str, runtime: Runtime,  # noqa: F811
) -> None:
    key = api_keys.create_key(runtime.db, "doomed", now_utc())
    key_id = by_name(runtime, "doomed").id
    html = user.post(f"/settings/api-keys/{key_id}/revoke", data={"csrf_token": token, "confirm": "yes"},
                     headers=HTMX).get_data(as_text=True)
    assert "<html" not in html and 'id="api-keys"' in html
    assert re.search(r'role="status"\s+tabindex="-1" autofocus>Revoked the key “doomed”', html)
    assert api_status(app, key) == 401

    again = user.post(f"/settings/api-keys/{key_id}/revoke", data={"csrf_token": token, "confirm": "yes"}, headers=HTMX)
    assert again.status_code == 200 and 'role="alert"' in again.get_data(as_text=True)
    plain = user.post(f"/settings/api-keys/{key_id}/revoke", data={"csrf_token": token}, follow_redirects=True)
    assert plain.status_code == 200 and "The key “doomed” is already revoked" in plain.get_data(as_text=True)
    missing = user.post("/settings/api-keys/999999/revoke", data={"csrf_token": token, "confirm": "yes"},
                        follow_redirects=True)
    assert missing.status_code == 200 and "No live API key with that id" in missing.get_data(as_text=True)
    huge = user.post(f"/settings/api-keys/{10**20}/revoke", data={"csrf_token": token, "confirm": "yes"})
    assert huge.status_code == 404


@pytest.mark.parametrize(("name", "message"), [
    ("", "Key name must be 1-100 printable characters"),
    ("   ", "Key name must be 1-100 printable characters"),
    ("x" * 101, "Key name must be 1-100 printable characters"),
    ("tab\there", "Key name must be 1-100 printable characters"),
    ("TAKEN", "A live key is already named &#39;TAKEN&#39;: choose another name"),
])
def test_bad_names_show_the_error_and_change_nothing(
    user: FlaskClient, token: str, runtime: Runtime, name: str, message: str,  # noqa: F811
) -> None:
    api_keys.create_key(runtime.db, "taken", now_utc())
    before = api_keys.list_keys(runtime.db)
    response = user.post("/settings/api-keys", data={"csrf_token": token, "name": name})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and not KEY.search(html)
    assert re.search(r'<p class="field-error" id="key-name-error" role="alert">' + re.escape(message), html)
    assert 'aria-invalid="true" aria-describedby="key-name-error" autofocus' in html
    htmx = user.post("/settings/api-keys", data={"csrf_token": token, "name": name}, headers=HTMX)
    assert htmx.status_code == 200 and message in htmx.get_data(as_text=True) and "<html" not in htmx.get_data(as_text=True)
    assert api_keys.list_keys(runtime.db) == before


def test_a_revoked_name_can_be_used_again(runtime: Runtime) -> None:
    api_keys.create_key(runtime.db, "sonarr", now_utc())
    with pytest.raises(ValidationError, match="already named"):
        api_keys.create_key(runtime.db, "Sonarr", now_utc())  # the CLI gets the same refusal
    api_keys.revoke_key_id(runtime.db, by_name(runtime, "sonarr").id, now_utc())
    api_keys.create_key(runtime.db, "Sonarr", now_utc())
    assert [key.name for key in live_keys(runtime)] == ["CINEPHAGE_API_KEY", "Sonarr"]


def test_a_changed_environment_key_still_registers(runtime: Runtime) -> None:
    assert api_keys.ensure_key(runtime.db, "cinephage_" + "f" * 64, "CINEPHAGE_API_KEY", now_utc())
    assert [key.name for key in live_keys(runtime)] == ["CINEPHAGE_API_KEY", "CINEPHAGE_API_KEY"]


def test_posts_without_the_csrf_token_are_refused(user: FlaskClient, runtime: Runtime) -> None:  # noqa: F811
    key = api_keys.create_key(runtime.db, "kept", now_utc())
    key_id = by_name(runtime, "kept").id
    before = api_keys.list_keys(runtime.db)
    for headers in ({}, HTMX):
        assert user.post("/settings/api-keys", data={"name": "sneaky"}, headers=headers).status_code in (400, 403)
        forged = {"name": "sneaky", "csrf_token": "forged"}
        assert user.post("/settings/api-keys", data=forged, headers=headers).status_code in (400, 403)
        revoke = {"confirm": "yes", "csrf_token": "forged"}
        assert user.post(f"/settings/api-keys/{key_id}/revoke", data=revoke, headers=headers).status_code in (400, 403)
    assert api_keys.list_keys(runtime.db) == before
    assert api_status(user.application, key) == 200


def test_names_are_escaped_everywhere(user: FlaskClient, token: str, runtime: Runtime) -> None:  # noqa: F811
    name = '<script>alert("x")</script> & co'
    user.post("/settings/api-keys", data={"csrf_token": token, "name": name})
    key_id = by_name(runtime, name).id
    pages = [user.get("/settings").get_data(as_text=True),
             user.post(f"/settings/api-keys/{key_id}/revoke", data={"csrf_token": token}).get_data(as_text=True)]
    for html in pages:
        assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in html
