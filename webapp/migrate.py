"""Schema migrations (Alembic), applied by ``db upgrade`` and on every start."""
from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .db import Database

log = logging.getLogger("cinephage.migrate")
SCRIPTS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    return config


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@functools.cache
def head_revision() -> str | None:
    """The newest revision of the migrations this code ships (read once per process: they do not change)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(db: Database, data_dir: Path) -> str | None:
    """Brings the schema to the newest revision; safe when several processes start at once."""
    with db.migration_lock(data_dir):
        if current_revision(db) == head_revision():
            return None
        config = alembic_config()
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        revision = head_revision()
        log.info("database upgraded to %s", revision)
        return revision


def revision(db: Database, message: str) -> None:
    """Writes a new migration from the models' difference with the database (developers only)."""
    config = alembic_config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.revision(config, message=message, autogenerate=True)
