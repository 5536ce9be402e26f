"""Login: sessions, safe redirects, and throttling that never locks the owner out."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from builders import FakeClock
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from webapp import create_app

from webapp.auth.routes import safe_next
from webapp.auth.throttle import LoginThrottle
from webapp.auth.users import create_user
from webapp.clock import now_utc
from webapp.db import Database
from webapp.models import LoginAttempts
from webapp.runtime import Runtime, runtime_of

PASSWORD = "correct horse battery"


def token(client: FlaskClient) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def log_in(client: FlaskClient, password: str, address: str = "10.0.0.1", next_: str = "") -> int:
    data = {"username": "owner", "password": password, "csrf_token": token(client)}
    url = f"/login?next={next_}" if next_ else "/login"
    return client.post(url, data=data, environ_base={"REMOTE_ADDR": address}).status_code


@pytest.fixture
def owner(runtime: Runtime) -> None:
    create_user(runtime.db, "owner", PASSWORD, now_utc())


def test_throttle_doubles_the_wait_after_the_free_attempts(db: Database, clock: FakeClock) -> None:
    throttle = LoginThrottle(db, free_attempts=3, base_delay=1, max_delay=8)
    key = ("10.0.0.9", "owner")
    waits = []  # what each failed attempt had to wait for its turn
    for _ in range(8):
        wait = throttle.reserve(key, clock.now)
        waits.append(wait)
        if wait:
            clock.advance(seconds=wait)
            assert throttle.reserve(key, clock.now) == 0  # its turn: reserved, and counted as failed
    assert waits == [0, 0, 0, 1, 2, 4, 8, 8]
    clock.advance(seconds=8)
    throttle.succeeded(key)
    assert throttle.reserve(key, clock.now) == 0  # a success starts the count again
    assert throttle.reserve(("10.0.0.9", "someone else"), clock.now) == 0
    assert throttle.delay(10_000) == timedelta(seconds=8)  # a count of days of guessing still computes


def test_throttle_forgets_old_counts(db: Database, clock: FakeClock) -> None:
    throttle = LoginThrottle(db, free_attempts=1, max_delay=60)
    for address in ("10.0.0.1", "10.0.0.2"):
        throttle.reserve((address, "owner"), clock.now)
        throttle.reserve((address, "owner"), clock.now)
    assert throttle.reserve(("10.0.0.1", "owner"), clock.now) > 0
    clock.advance(days=1, minutes=2)
    throttle.reserve(("10.0.0.3", "owner"), clock.now)  # any attempt prunes what is a day old
    with db.read() as session:
        assert session.scalars(select(LoginAttempts.address)).all() == ["10.0.0.3"]


def test_guessing_is_slowed_but_the_owner_elsewhere_is_not(client: FlaskClient, owner: None) -> None:
    for _ in range(5):
        assert log_in(client, "wrong guess", "203.0.113.5") == 401
    assert log_in(client, "wrong guess", "203.0.113.5") == 429
    assert log_in(client, PASSWORD, "203.0.113.5") == 429  # even the right password waits its turn
    assert log_in(client, PASSWORD, "198.51.100.7") == 302  # the owner, from home


def test_the_first_visit_creates_the_owner_account(client: FlaskClient, runtime: Runtime) -> None:
    assert "Create the first account" in client.get("/login").get_data(as_text=True)
    assert log_in(client, PASSWORD) == 302
    assert client.get("/").status_code == 200
    assert "Create the first account" not in FlaskClient(client.application).get("/login").get_data(as_text=True)


@pytest.mark.parametrize("target, expected", [
    ("/tasks", "/tasks"), ("https://evil.example/", "/"), ("//evil.example/", "/"), ("javascript:alert(1)", "/"),
    ("", "/"), (None, "/"),
])
def test_next_goes_only_to_local_paths(app, target: str | None, expected: str) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        assert safe_next(target) == expected


def test_logout_needs_the_csrf_token(client: FlaskClient, owner: None) -> None:
    assert log_in(client, PASSWORD) == 302
    assert client.post("/logout").status_code in (400, 403)
    assert client.get("/").status_code == 200  # still logged in
    page = client.get("/").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(("proxies", "base_url", "headers", "secure"), [
    (0, "http://localhost", {}, False),
    (0, "https://localhost", {}, True),  # TLS straight to the server
    (0, "http://localhost", {"X-Forwarded-Proto": "https"}, False),  # a header anyone can send
    (1, "http://localhost", {"X-Forwarded-Proto": "https"}, True),  # from the trusted proxy
    (1, "http://localhost", {}, False),
])
def test_cookies_are_secure_whenever_the_browser_came_over_https(
    app: Flask, owner: None, proxies: int, base_url: str, headers: dict[str, str], secure: bool,
) -> None:
    behind = create_app({**app.config, "TRUSTED_PROXIES": proxies})  # as CINEPHAGE_TRUSTED_PROXIES does
    try:
        client = behind.test_client()
        page = client.get("/login", base_url=base_url, headers=headers).get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        data = {"username": "owner", "password": PASSWORD, "remember": "on", "csrf_token": csrf}
        # Over HTTPS, Flask-WTF also wants a same-origin Referer, which browsers send here.
        origin = "https://localhost" if secure else base_url  # the address bar, before any proxy
        answer = client.post("/login", data=data, base_url=base_url, headers={**headers, "Referer": f"{origin}/login"})
    finally:
        runtime_of(behind).db.dispose()
    assert answer.status_code == 302
    cookies = answer.headers.getlist("Set-Cookie")
    assert {cookie.split("=", 1)[0] for cookie in cookies} == {"session", "remember_token"}
    assert [("; Secure" in cookie) for cookie in cookies] == [secure] * len(cookies), cookies
