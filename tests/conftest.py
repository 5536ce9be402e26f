"""Fixtures: an app on a fresh database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set).

The schema is built by the migrations once per test process: a SQLite file copied for each
test, a PostgreSQL schema emptied for each (``tests/test_migrations.py`` runs them from
scratch); passwords are hashed at Argon2's lowest cost in this process.
"""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from browser import chromium
from builders import PASSWORD, FakeClock, csrf_of
from servers import API_KEY, Harness
from webapp import create_app
from webapp.auth import users
from webapp.bootstrap import bootstrap
from webapp.clock import now_utc
from webapp.db import Database
from webapp.migrate import upgrade
from webapp.models import Base
from webapp.runtime import Runtime, runtime_of

ENV_NAMES = (
    "DATABASE_URL", "CINEPHAGE_API_KEY", "CINEPHAGE_ADMIN_USER", "CINEPHAGE_ADMIN_PASSWORD",
    "CINEPHAGE_SECRET_KEY", "CINEPHAGE_DATA_DIR",
)


def pytest_configure(config: pytest.Config) -> None:
    """Refuses xdist's scope-keyed modes: they key tests by node id, and schemathesis gives every
    operation of ``test_each_operation_does_what_the_description_says`` the same one, so all
    but one of those would silently not run. ``-n 2`` (``--dist load`` or ``worksteal``) runs each of them."""
    dist = getattr(config.option, "dist", "no")
    if dist in ("loadscope", "loadfile", "loadgroup"):
        raise pytest.UsageError(f"--dist {dist} would skip tests that share a node id; use --dist worksteal")


def postgres_schema_url(base: str, schema: str) -> str:
    """The URL of a PostgreSQL database whose search_path is one test's own schema.

    Commits do not wait for the disk (``synchronous_commit=off``): what a transaction sees and
    locks is the same, only a power cut could lose the last ones, which a test never has.
    """
    url = make_url(base)
    options = f"-csearch_path={schema} -csynchronous_commit=off"
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2id at its lowest cost in the test process (0.3 s a hash at full cost).

    Servers started as processes keep the full cost; they verify these hashes all the same.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        users._dummy_hash.cache_clear()
        yield
    users._dummy_hash.cache_clear()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CINEPHAGE_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Every database test runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""
    if request.param == "postgresql" and not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL is not set")
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database: a file not made yet, or a PostgreSQL schema of its own."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'cinephage.db'}"
        return
    with postgres_schema(os.environ["TEST_DATABASE_URL"]) as url:
        yield url


@contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    """A new, empty schema, dropped on exit."""
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(base, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield postgres_schema_url(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file the migrations brought to head, once per test process."""
    path = tmp_path_factory.mktemp("migrated") / "cinephage.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database, path.parent)
    database.dispose()  # the last connection checkpoints the WAL: the file alone is the database
    return path


@pytest.fixture(scope="session")
def migrated_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL schema the migrations brought to head, once per test process (one test at a time)."""
    with postgres_schema(os.environ["TEST_DATABASE_URL"]) as url:
        database = Database(url)
        upgrade(database, tmp_path_factory.mktemp("migrated-postgres"))
        database.dispose()
        yield url


def empty_tables(url: str) -> None:
    """Every model's table emptied and every id sequence restarted: a fresh database.

    DELETE, not TRUNCATE: the tables hold a test's few rows, and TRUNCATE makes new files
    for every table and index (a quarter of a second here, for each test).
    """
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '10s'"))  # a connection a test left in a transaction: fail
        for table in reversed(Base.metadata.sorted_tables):  # children before the rows they point to
            conn.execute(table.delete())
        for sequence in conn.scalars(text(
            "SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = current_schema()"
        )):
            conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
    engine.dispose()


@pytest.fixture
def migrated_url(request: pytest.FixtureRequest, backend: str) -> str:
    """A database at the newest revision: the migrated SQLite file copied, or the PostgreSQL schema emptied."""
    if backend == "sqlite":
        url: str = request.getfixturevalue("database_url")
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), str(make_url(url).database))
        return url
    url = request.getfixturevalue("migrated_postgres")
    empty_tables(url)
    return url


@pytest.fixture
def db(migrated_url: str) -> Iterator[Database]:
    """A migrated database, without an app."""
    database = Database(migrated_url)
    yield database
    database.dispose()


@pytest.fixture
def app(migrated_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": migrated_url,
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
def user(client: FlaskClient, runtime: Runtime) -> FlaskClient:
    """A client logged in through the login form as ``owner``."""
    users.create_user(runtime.db, "owner", PASSWORD, now_utc())
    token = csrf_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "owner", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


@pytest.fixture
def token(user: FlaskClient) -> str:
    """The logged-in client's CSRF token."""
    return csrf_of(user.get("/").get_data(as_text=True))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for every browser test; each test opens its own context."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def harness(tmp_path: Path, migrated_url: str) -> Iterator[Harness]:
    """Real ``serve`` processes for one test, on a migrated database; none may outlive it."""
    harness = Harness(tmp_path, migrated_url)
    try:
        yield harness
    finally:
        leaked = harness.close()
        assert not leaked, f"serve processes still alive: {leaked}"
