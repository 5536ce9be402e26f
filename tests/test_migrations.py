"""The Alembic revisions build exactly the schema the models describe."""
from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from webapp.db import Database
from webapp.migrate import current_revision, head_revision, upgrade
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
