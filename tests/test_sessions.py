"""Sessions that end: logout, "log out everywhere" and a new password revoke every cookie of the
user; the login throttle holds under concurrent guesses and across processes; an API key's
"last used" time never holds a request up."""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from webapp import create_app
from webapp.auth import api_keys, users
from webapp.auth.throttle import LoginThrottle
from webapp.clock import now_utc
from webapp.models import ApiKey
from webapp.runtime import Runtime, runtime_of

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple gun tangerine"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
COOKIES = ("session", "remember_token")


def csrf(client: FlaskClient, path: str = "/login") -> str:
    found = TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, f"no csrf_token on {path}"
    return found.group(1)


def log_in(
    client: FlaskClient, password: str = PASSWORD, *, remember: bool = False, address: str = "10.0.0.1",
) -> TestResponse:
    data = {"username": "owner", "password": password, "csrf_token": csrf(client)}
    if remember:
        data["remember"] = "on"
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})


def logged_in(app: Flask, *, remember: bool = False) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, remember=remember).status_code == 302
    return client


def with_cookie(app: Flask, name: str, value: str) -> FlaskClient:
    """A new client that sends this one cookie: a copy of it, replayed elsewhere."""
    client = app.test_client()
    client.set_cookie(name, value)
    return client


def is_logged_in(client: FlaskClient) -> bool:
    """Whether the dashboard and the API both take this client's cookies (they must agree)."""
    page, api = client.get("/"), client.get("/api/tasks")
    assert (page.status_code == 200) == (api.status_code == 200), (page.status_code, api.status_code)
    if page.status_code != 200:
        assert page.status_code == 302 and page.headers["Location"].startswith("/login")
        assert api.status_code == 401
    return page.status_code == 200


def cookie_values(client: FlaskClient) -> dict[str, str]:
    values = {name: client.get_cookie(name) for name in COOKIES}
    assert all(values.values()), values
    return {name: cookie.value for name, cookie in values.items() if cookie}


@pytest.fixture
def owner(runtime: Runtime) -> None:
    users.create_user(runtime.db, "owner", PASSWORD, now_utc())


@pytest.mark.usefixtures("owner")
def test_copied_cookies_stop_working_at_logout(app: Flask) -> None:
    client = logged_in(app, remember=True)
    copies = cookie_values(client)
    for name, value in copies.items():
        assert is_logged_in(with_cookie(app, name, value)), f"{name} alone should log in before the logout"

    assert client.post("/logout", data={"csrf_token": csrf(client, "/")}).status_code == 302
    assert not is_logged_in(client)
    for name, value in copies.items():
        assert not is_logged_in(with_cookie(app, name, value)), f"{name} replayed after the logout"


@pytest.mark.usefixtures("owner")
def test_the_remember_cookie_lasts_thirty_days(app: Flask) -> None:
    client = app.test_client()
    answer = log_in(client, remember=True)
    remember = next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", remember).group(1))  # type: ignore[union-attr]
    assert abs(expires - (datetime.now(timezone.utc) + timedelta(days=30))) < timedelta(minutes=5)


@pytest.mark.usefixtures("owner")
def test_each_login_starts_a_new_session_and_csrf_token(app: Flask) -> None:
    client = app.test_client()
    before = csrf(client)
    assert log_in(client).status_code == 302
    after = csrf(client, "/")
    assert after != before
    assert client.post("/logout", data={"csrf_token": before}).status_code in (400, 403)  # the old token is dead
    assert is_logged_in(client)


@pytest.mark.usefixtures("owner")
def test_log_out_everywhere_ends_every_browsers_session(app: Flask) -> None:
    here, elsewhere = logged_in(app), logged_in(app, remember=True)
    remembered = cookie_values(elsewhere)["remember_token"]
    page = here.get("/settings").get_data(as_text=True)
    assert 'action="/settings/log-out-everywhere"' in page and ">\n      Log out everywhere</button>" in page

    answer = here.post("/settings/log-out-everywhere", data={"csrf_token": csrf(here, "/settings")})
    assert answer.status_code == 303 and answer.headers["Location"] == "/login"
    assert "Logged out everywhere" in here.get("/login").get_data(as_text=True)
    assert not is_logged_in(here)
    assert not is_logged_in(elsewhere)
    assert not is_logged_in(with_cookie(app, "remember_token", remembered))
    assert is_logged_in(logged_in(app))  # the password still works


@pytest.mark.usefixtures("owner")
def test_log_out_everywhere_needs_the_csrf_token(app: Flask) -> None:
    client = logged_in(app)
    assert client.post("/settings/log-out-everywhere").status_code in (400, 403)
    assert is_logged_in(client)


def change_password(client: FlaskClient, current: str, new: str, again: str | None = None) -> TestResponse:
    data = {"current_password": current, "new_password": new, "new_password_again": new if again is None else again,
            "csrf_token": csrf(client, "/settings")}
    return client.post("/settings/password", data=data)


@pytest.mark.usefixtures("owner")
def test_a_new_password_ends_the_other_sessions_but_keeps_this_one(app: Flask) -> None:
    here, elsewhere = logged_in(app, remember=True), logged_in(app, remember=True)
    old_copies = cookie_values(elsewhere)

    answer = change_password(here, PASSWORD, NEW_PASSWORD)
    assert answer.status_code == 303 and answer.headers["Location"] == "/settings"
    assert "Password changed" in here.get("/settings").get_data(as_text=True)
    assert is_logged_in(here)
    for name, value in cookie_values(here).items():  # this browser's new cookies work alone too
        assert is_logged_in(with_cookie(app, name, value)), name

    assert not is_logged_in(elsewhere)
    for name, value in old_copies.items():
        assert not is_logged_in(with_cookie(app, name, value)), name
    assert log_in(app.test_client(), PASSWORD).status_code == 401
    assert log_in(app.test_client(), NEW_PASSWORD).status_code == 302


@pytest.mark.usefixtures("owner")
@pytest.mark.parametrize(("current", "new", "again", "message"), [
    ("wrong password", NEW_PASSWORD, None, "The current password is wrong"),
    (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!", "The new password and its repetition differ"),
    (PASSWORD, "short", None, "Password must be at least 8 characters"),
    (PASSWORD, "", None, "Password must be at least 8 characters"),
])
def test_a_refused_password_change_changes_nothing(
    app: Flask, current: str, new: str, again: str | None, message: str,
) -> None:
    here, elsewhere = logged_in(app), logged_in(app)
    answer = change_password(here, current, new, again)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and answer.headers["Cache-Control"] == "no-store"
    assert re.search(r'<p class="field-error" id="password-error" role="alert" tabindex="-1" autofocus>'
                     + re.escape(message), html)
    assert 'id="api-keys"' in html  # the whole settings page
    assert is_logged_in(here) and is_logged_in(elsewhere)
    assert log_in(app.test_client(), PASSWORD).status_code == 302


@pytest.mark.usefixtures("owner")
def test_guessing_the_current_password_is_throttled(app: Flask) -> None:
    client = logged_in(app)
    for _ in range(5):
        assert change_password(client, "wrong password", NEW_PASSWORD).status_code == 400
    answer = change_password(client, PASSWORD, NEW_PASSWORD)
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) >= 1
    assert "Too many failed attempts" in answer.get_data(as_text=True)
    assert log_in(app.test_client(), PASSWORD, address="10.0.0.2").status_code == 302  # unchanged


def counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the real password checks from now on: one item per call."""
    calls: list[int] = []
    check = users.password_matches

    def counted(password_hash: str, password: str) -> bool:
        calls.append(1)  # list.append is atomic: safe from many threads
        return check(password_hash, password)

    monkeypatch.setattr(users, "password_matches", counted)
    return calls


def run_together(actions: list[Callable[[], int]]) -> list[int]:
    """Runs every action in its own thread, released together; their answers' status codes."""
    start = threading.Barrier(len(actions))
    statuses: list[int] = []

    def run(action: Callable[[], int]) -> None:
        start.wait()
        statuses.append(action())

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return statuses


@pytest.mark.usefixtures("owner")
def test_sixty_guesses_at_once_get_five_password_checks(
    app: Flask, runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A long first wait: no wait may end while the sixty are still arriving on a slow machine.
    app.extensions["cinephage.login_throttle"] = LoginThrottle(runtime.db, base_delay=600)
    clients = [app.test_client() for _ in range(60)]
    forms = [{"username": "Owner", "password": f"guess {n}", "csrf_token": csrf(c)} for n, c in enumerate(clients)]
    checks = counting(monkeypatch)

    def guess(client: FlaskClient, form: dict[str, str]) -> Callable[[], int]:
        return lambda: client.post("/login", data=form, environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code

    statuses = run_together([guess(client, form) for client, form in zip(clients, forms)])
    assert sorted(statuses) == [401] * 5 + [429] * 55
    assert len(checks) == 5
    assert log_in(app.test_client(), address="198.51.100.7").status_code == 302  # the owner, from home


@pytest.mark.usefixtures("owner")
def test_every_app_on_the_database_shares_the_throttle(app: Flask) -> None:
    other = create_app({**app.config})  # a second server process, as far as the database can tell
    try:
        for _ in range(5):
            assert log_in(app.test_client(), "wrong guess", address="203.0.113.5").status_code == 401
        answer = log_in(other.test_client(), "wrong guess", address="203.0.113.5")
        assert answer.status_code == 429 and answer.headers["Retry-After"] == "1"
        assert log_in(other.test_client(), "wrong guess", address="198.51.100.7").status_code == 401
    finally:
        runtime_of(other).db.dispose()


@pytest.mark.usefixtures("owner")
def test_a_success_clears_the_count(app: Flask) -> None:
    for _ in range(4):
        assert log_in(app.test_client(), "wrong guess").status_code == 401
    assert log_in(app.test_client()).status_code == 302
    for _ in range(5):
        assert log_in(app.test_client(), "wrong guess").status_code == 401


def test_a_held_write_lock_does_not_hold_up_an_api_request(app: Flask, runtime: Runtime) -> None:
    key = api_keys.create_key(runtime.db, "sonarr", now_utc())
    stale = now_utc() - timedelta(minutes=5)
    with runtime.db.write() as session:
        session.execute(update(ApiKey).where(ApiKey.name == "sonarr").values(last_used_at=stale))
    answers: list[int] = []
    request = threading.Thread(
        target=lambda: answers.append(app.test_client().get("/api/tasks", headers={"X-Api-Key": key}).status_code)
    )
    # Another writer holds the lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: the key's row).
    with runtime.db.write() as session:
        session.execute(update(ApiKey).where(ApiKey.name == "sonarr").values(name="sonarr"))
        started = time.monotonic()
        request.start()
        request.join(timeout=5)
        elapsed = time.monotonic() - started
    request.join()  # the lock is free now: a request that waited for it ends too
    assert answers == [200] and elapsed < 1, (answers, elapsed)
    assert last_used(runtime) == stale  # skipped: a later request records it

    app.extensions["cinephage.recent_keys"].clear()  # so the next request verifies the key again
    assert app.test_client().get("/api/tasks", headers={"X-Api-Key": key}).status_code == 200
    assert last_used(runtime) > stale


def last_used(runtime: Runtime) -> datetime | None:
    with runtime.db.read() as session:
        return session.scalar(select(ApiKey.last_used_at).where(ApiKey.name == "sonarr"))


@pytest.mark.usefixtures("owner")
@pytest.mark.parametrize("username", ["own\x00er", "owner\x00", "\x00"])
def test_a_nul_in_the_user_name_is_just_a_wrong_login(app: Flask, username: str) -> None:
    client = app.test_client()
    data = {"username": username, "password": PASSWORD, "csrf_token": csrf(client)}
    assert client.post("/login", data=data).status_code == 401
