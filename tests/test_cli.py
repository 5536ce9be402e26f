"""The command line of operations.md on a fresh data dir: the commands in this process through
click's runner, and ``python -m webapp`` once as a real process."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from servers import cli, cli_process, server_env
from webapp.auth.users import authenticate
from webapp.clock import now_utc
from webapp.db import Database
from webapp.models import ApiKey, Movie, TaskRun, User

@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    environment = server_env(tmp_path / "data", database_url)
    del environment["CINEPHAGE_API_KEY"]
    return environment


@pytest.fixture
def plain_db(database_url: str):  # type: ignore[no-untyped-def]
    """The database the commands create (not migrated beforehand: the commands do it)."""
    database = Database(database_url)
    yield database
    database.dispose()


def test_db_upgrade_is_idempotent(env: dict[str, str]) -> None:
    assert cli(env, "db", "upgrade").startswith("upgraded to ")
    assert cli(env, "db", "upgrade").startswith("already at ")


def test_create_user_reads_the_password_from_stdin_and_hashes_it(env: dict[str, str], plain_db: Database) -> None:
    cli(env, "create-user", "owner", "--password-stdin", input="correct horse battery\n")
    with plain_db.read() as session:
        user = session.scalar(select(User).where(User.username == "owner"))
    assert user is not None and user.password_hash.startswith("$argon2id$")
    assert "correct horse" not in user.password_hash
    assert authenticate(plain_db, "owner", "correct horse battery", now_utc()) is not None
    assert authenticate(plain_db, "owner", "wrong", now_utc()) is None


def test_create_user_refuses_a_duplicate_with_a_clear_error(env: dict[str, str]) -> None:
    cli(env, "create-user", "owner", "--password-stdin", input="correct horse battery\n")
    with pytest.raises(RuntimeError, match="error: User 'owner' already exists"):
        cli(env, "create-user", "owner", "--password-stdin", input="another password\n")


@pytest.mark.process
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_python_m_webapp_runs_a_command_and_reports_a_domain_error_on_stderr(env: dict[str, str]) -> None:
    cli(env, "create-user", "owner", "--password-stdin", input="correct horse battery\n")  # in this process
    refused = cli_process(env, "create-user", "owner", "--password-stdin", input="another password\n")
    assert refused.returncode == 2 and "error: User 'owner' already exists" in refused.stderr, refused.stderr


def test_api_key_create_list_revoke(env: dict[str, str], plain_db: Database) -> None:
    key = cli(env, "api-key", "create", "sonarr").strip()
    assert re.fullmatch(r"cinephage_[0-9a-f]{64}", key)
    listing = cli(env, "api-key", "list")
    assert key[:18] in listing and "sonarr" in listing and "active" in listing and key not in listing
    with plain_db.read() as session:
        stored = session.scalar(select(ApiKey))
    assert stored is not None and stored.key_hash != key and key not in stored.key_hash
    cli(env, "api-key", "revoke", key[:18])
    assert "revoked" in cli(env, "api-key", "list")
    with pytest.raises(RuntimeError, match="No live API key"):
        cli(env, "api-key", "revoke", key[:18])


def test_seed_demo_is_idempotent(env: dict[str, str], plain_db: Database) -> None:
    said = cli(env, "seed-demo", "--items", "120")
    assert "demo history: 3 runs older than 30 days, for History Cleanup to delete" in said
    with plain_db.read() as session:
        first = session.scalar(select(func.count()).select_from(Movie))
    assert "demo history" not in cli(env, "seed-demo", "--items", "120")
    with plain_db.read() as session:
        assert session.scalar(select(func.count()).select_from(Movie)) == first
        assert session.scalar(select(func.count()).select_from(TaskRun)) == 3
