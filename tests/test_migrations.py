"""The Alembic revisions build exactly the schema the models describe."""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from webapp.db import Database
from webapp.migrate import alembic_config, current_revision, head_revision, upgrade
from webapp.models import Base


def test_upgrade_from_empty_matches_the_models(database_url: str, tmp_path: Path) -> None:
    db = Database(database_url)
    try:
        assert upgrade(db, tmp_path) == head_revision()
        assert current_revision(db) == head_revision()
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert upgrade(db, tmp_path) is None  # already there: nothing to do
    finally:
        db.dispose()


def test_existing_users_get_a_session_token_each(database_url: str, tmp_path: Path) -> None:
    db = Database(database_url)
    try:
        config = alembic_config()
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0002")  # before users had session tokens
            for name in ("owner", "guest"):
                conn.execute(text("INSERT INTO users (username, password_hash, created_at) VALUES (:name, 'x', :now)"),
                             {"name": name, "now": datetime(2024, 6, 20)})
        upgrade(db, tmp_path)
        with db.engine.connect() as conn:
            tokens = conn.execute(text("SELECT session_token FROM users")).scalars().all()
    finally:
        db.dispose()
    assert len(set(tokens)) == 2 and all(re.fullmatch(r"[0-9a-f]{64}", token) for token in tokens)


def test_the_schema_other_tests_get_is_the_migrated_one(db: Database) -> None:
    """``db`` and ``app`` copy a migrated database instead of migrating each time: the same schema."""
    assert current_revision(db) == head_revision()
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
