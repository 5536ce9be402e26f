"""Login throttling: failures slow down further guesses, never lock the owner out.

Failures are counted per (client address, lower-cased user name). After ``free_attempts``
failures each further try must wait twice as long as the last (1 s, 2 s, 4 s … up to 5 min),
so a guesser gets a few dozen tries an hour while the owner, coming from another address,
is not slowed at all. A success clears the count.

The counts live in the database, so every server process sees the same ones. An attempt is
*reserved* (counted as a failure) in one short locked transaction before its password is
checked: however many arrive at once, no more of them reach the password check than the
count allows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select, tuple_, update
from sqlalchemy.orm import Session

from ..db import Database, insert_for
from ..errors import AppError
from ..models import LoginAttempts

Key = tuple[str, str]


class TooManyAttempts(AppError):
    status = 429
    code = "TOO_MANY_ATTEMPTS"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed attempts: try again in {retry_after} seconds")
        self.retry_after = retry_after


def throttle_key(address: str, username: str) -> Key:
    """The key an attempt is counted under, cut to the columns' sizes (and without NUL, which
    PostgreSQL cannot store)."""
    return address[:100], username.strip().lower().replace("\x00", "\ufffd")[:150]


@dataclass(frozen=True)
class LoginThrottle:
    """The throttle's policy, over the counts kept in ``db``."""

    db: Database
    free_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 300.0
    # A count untouched this long is forgotten, so the table keeps only recent guessers.
    forget_after: timedelta = timedelta(days=1)

    def reserve(self, key: Key, now: datetime) -> float:
        """Counts an attempt as failed until ``succeeded``; or, when it must wait, the seconds to wait."""
        with self.db.write() as session:
            failures, retry_at = _lock_row(session, key, now)
            if retry_at > now:
                return (retry_at - now).total_seconds()
            failures += 1
            session.execute(
                update(LoginAttempts).where(*_matches(key)).values(failures=failures, retry_at=now + self.delay(failures))
            )
            self._prune(session, now)
        return 0.0

    def succeeded(self, key: Key) -> None:
        with self.db.write() as session:
            session.execute(delete(LoginAttempts).where(*_matches(key)))

    def delay(self, failures: int) -> timedelta:
        """How long to wait after this many failures in a row."""
        if failures < self.free_attempts:
            return timedelta(0)
        doublings = min(failures - self.free_attempts, 64)  # a guesser's count grows for days: no float overflow
        return timedelta(seconds=min(self.base_delay * 2**doublings, self.max_delay))

    def _prune(self, session: Session, now: datetime) -> None:
        # SKIP LOCKED (PostgreSQL; SQLite has one writer anyway): never wait on, nor deadlock
        # with, another attempt that holds its row.
        stale = (
            select(LoginAttempts.address, LoginAttempts.username)
            .where(LoginAttempts.retry_at < now - self.forget_after)
            .with_for_update(skip_locked=True)
        )
        session.execute(delete(LoginAttempts).where(tuple_(LoginAttempts.address, LoginAttempts.username).in_(stale)))


def _lock_row(session: Session, key: Key, now: datetime) -> tuple[int, datetime]:
    """The key's count and retry time, its row created if new and locked until the transaction ends."""
    upsert = insert_for(session)(LoginAttempts).values(address=key[0], username=key[1], failures=0, retry_at=now)
    # Updating a column to itself locks an existing row on PostgreSQL (SQLite's write
    # transaction already excludes every other writer), and RETURNING reads it.
    statement = upsert.on_conflict_do_update(
        index_elements=["address", "username"], set_={"failures": LoginAttempts.failures}
    ).returning(LoginAttempts.failures, LoginAttempts.retry_at)
    row = session.execute(statement).one()
    return row.failures, row.retry_at


def _matches(key: Key) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return LoginAttempts.address == key[0], LoginAttempts.username == key[1]
