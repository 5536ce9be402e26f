"""Fixtures: an app on a fresh database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from browser import chromium
from servers import Harness
from webapp import create_app
from webapp.bootstrap import bootstrap
from webapp.db import Database
from webapp.migrate import upgrade
from webapp.runtime import Runtime, runtime_of

API_KEY = "cinephage_" + "0123456789abcdef" * 4
ENV_NAMES = (
    "DATABASE_URL", "CINEPHAGE_API_KEY", "CINEPHAGE_ADMIN_USER", "CINEPHAGE_ADMIN_PASSWORD",
    "CINEPHAGE_SECRET_KEY", "CINEPHAGE_DATA_DIR",
)


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2024, 6, 20, 10, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def postgres_schema_url(base: str, schema: str) -> str:
    """The URL of a PostgreSQL database whose search_path is one test's own schema."""
    url = make_url(base)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CINEPHAGE_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cinephage.db'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield postgres_schema_url(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db(database_url: str, tmp_path: Path) -> Iterator[Database]:
    """A migrated database, without an app."""
    database = Database(database_url)
    upgrade(database, tmp_path)
    yield database
    database.dispose()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "DATA_DIR": tmp_path / "data",
        "API_KEY": API_KEY,
        "EVENT_POLL_SECONDS": 0.05,
        "STREAM_KEEPALIVE_SECONDS": 0.2,
    })
    bootstrap(app)
    yield app
    runtime = runtime_of(app)
    runtime.broker.stop()
    runtime.db.dispose()


@pytest.fixture
def runtime(app: Flask) -> Runtime:
    return runtime_of(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def api(client: FlaskClient) -> FlaskClient:
    """A client that sends the API key on every request."""
    client.environ_base["HTTP_X_API_KEY"] = API_KEY
    return client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for every browser test; each test opens its own context."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def harness(tmp_path: Path, database_url: str) -> Iterator[Harness]:
    """Real ``serve`` processes for one test; none may outlive it."""
    harness = Harness(tmp_path, database_url)
    try:
        yield harness
    finally:
        leaked = harness.close()
        assert not leaked, f"serve processes still alive: {leaked}"
