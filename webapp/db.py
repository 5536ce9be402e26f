"""The database: one engine per app, short sessions for reads and for writes.

SQLite runs in WAL mode with a busy timeout and foreign keys on. A write
transaction on SQLite starts with ``BEGIN IMMEDIATE`` so that two processes never
both read and then fail to upgrade to a write lock; reads stay deferred and never
wait for a writer.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

if TYPE_CHECKING:
    from .models.base import Base

SQLITE_BUSY_TIMEOUT_MS = 10_000


class Database:
    """Owns the engine and hands out sessions for one unit of work each."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._reads = sessionmaker(self.engine, expire_on_commit=False)
        writer = self.engine.execution_options(begin_immediate=True)
        self._writes = sessionmaker(writer, expire_on_commit=False)
        no_wait = self.engine.execution_options(begin_immediate=True, busy_timeout_ms=0)
        self._no_wait_writes = sessionmaker(no_wait, expire_on_commit=False)

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed."""
        with self._reads() as session:
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A short write transaction, committed when the block ends cleanly."""
        with self._writes() as session, session.begin():
            yield session

    def write_if_free(self, work: Callable[[Session], object]) -> bool:
        """Runs ``work`` in a write transaction only if no other writer holds the lock now.

        For writes that may be skipped (a "last used" time): False, at once, instead of
        waiting for the lock or failing with "database is locked".
        """
        try:
            with self._no_wait_writes() as session, session.begin():
                if not self.is_sqlite:
                    session.execute(text("SET LOCAL lock_timeout = 1"))  # 1 ms: 0 would mean "forever"
                work(session)
        except OperationalError as error:
            if _is_lock_busy(error):
                return False
            raise
        return True

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - any failure means "not answering"
            return False

    @contextlib.contextmanager
    def migration_lock(self, data_dir: Path) -> Iterator[None]:
        """Serialises schema upgrades between processes starting together."""
        if self.is_sqlite:
            data_dir.mkdir(parents=True, exist_ok=True)
            with open(data_dir / ".migrate.lock", "w") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                yield
            return
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(727274)"))
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(727274)"))
                conn.commit()

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, pool_recycle=1800)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN, so writes can ask for IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        _set_busy_timeout(conn, options.get("busy_timeout_ms", SQLITE_BUSY_TIMEOUT_MS))
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("begin_immediate") else "BEGIN")


def _set_busy_timeout(conn: Connection, milliseconds: int) -> None:
    """Sets how long SQLite waits for a lock on this connection, remembering it to skip needless PRAGMAs."""
    info = conn.connection.info
    if info.get("busy_timeout_ms", SQLITE_BUSY_TIMEOUT_MS) != milliseconds:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(milliseconds)}")
        info["busy_timeout_ms"] = milliseconds


def _is_lock_busy(error: OperationalError) -> bool:
    """SQLite's "database is locked", or PostgreSQL's lock_timeout (lock_not_available)."""
    original = error.orig
    if isinstance(original, sqlite3.OperationalError):
        return getattr(original, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return getattr(original, "sqlstate", None) == "55P03"


def insert_for(session: Session) -> Callable[[type[Base]], postgresql.Insert | sqlite.Insert]:
    """The INSERT construct of the session's dialect: it knows ON CONFLICT on both databases."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'cinephage.db'}"


def init_app(app: Flask) -> Database:
    """Creates the app's database from ``DATABASE_URL`` and registers it."""
    database = Database(app.config["DATABASE_URL"])
    app.extensions["cinephage.db"] = database
    return database


def get_db() -> Database:
    """The current app's database."""
    database: Database = current_app.extensions["cinephage.db"]
    return database


def is_process_alive(pid: int) -> bool:
    """True when a process with this id runs on this host (a zombie, dead but not yet waited for, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc to ask: the signal's answer is all there is
    return state not in ("Z", "X")
