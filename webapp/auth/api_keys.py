"""API keys: ``cinephage_`` and 64 hex digits (256 random bits), stored only as SHA-256.

A key has 256 bits of entropy, so a fast hash is as safe as a slow one here and keeps
every API request cheap; the stored hash is compared in constant time.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..db import Database
from ..errors import NotFound, ValidationError
from ..models import ApiKey

KEY_PREFIX = "cinephage_"
# A key given through CINEPHAGE_API_KEY may be any long printable token.
ACCEPTED_KEY = re.compile(r"^[\x21-\x7e]{16,256}$")
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 8
MAX_NAME_LENGTH = 100
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class KeyInfo:
    id: int
    name: str
    prefix: str
    source: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_hex(32)


def create_key(
    db: Database, name: str, now: datetime, *, key: str | None = None, source: str = "cli", unique_name: bool = True,
) -> str:
    """Stores a new key (or the given one) under ``name``; returns the key, shown only now.

    ``unique_name``: refuse a name that a live key already has (in any letter case).
    """
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH or not name.isprintable():
        raise ValidationError(f"Key name must be 1-{MAX_NAME_LENGTH} printable characters", "INVALID_NAME")
    key = key or generate_key()
    if not ACCEPTED_KEY.match(key):
        raise ValidationError("An API key is 16-256 printable characters without spaces", "INVALID_API_KEY")
    with db.write() as session:
        if unique_name and _live_name_taken(session, name):
            raise ValidationError(f"A live key is already named '{name}': choose another name", "DUPLICATE_NAME")
        session.add(ApiKey(name=name, prefix=key[:SHOWN_PREFIX_LENGTH], key_hash=digest(key), source=source, created_at=now))
    return key


def _live_name_taken(session: Session, name: str) -> bool:
    taken = select(ApiKey.id).where(func.lower(ApiKey.name) == name.lower(), ApiKey.revoked_at.is_(None))
    return session.scalar(taken.limit(1)) is not None


def ensure_key(db: Database, key: str, name: str, now: datetime) -> bool:
    """Registers ``key`` (hashed) unless known; True when it was new."""
    with db.read() as session:
        if session.scalar(select(ApiKey.id).where(ApiKey.key_hash == digest(key))) is not None:
            return False
    # A changed CINEPHAGE_API_KEY must still start the server, beside the old key of that name.
    create_key(db, name, now, key=key, source="env", unique_name=False)
    return True


def verify_key(db: Database, key: str, now: datetime) -> int | None:
    """The id of the live key this is, or None."""
    if not ACCEPTED_KEY.match(key):
        return None
    hashed = digest(key)
    with db.read() as session:
        row = session.execute(
            select(ApiKey.id, ApiKey.key_hash, ApiKey.last_used_at).where(
                ApiKey.key_hash == hashed, ApiKey.revoked_at.is_(None)
            )
        ).first()
    if row is None or not hmac.compare_digest(row.key_hash, hashed):
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        # Once a minute at most, so that busy clients do not turn every read into a write;
        # and only when no other writer holds the lock: a later request records the time.
        stamp = update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now)
        db.write_if_free(lambda session: session.execute(stamp))
    key_id: int = row.id  # a Row's named attributes are untyped
    return key_id


def hash_is_live(db: Database, hashed: str) -> bool:
    """Whether a live (unrevoked) key has this SHA-256 hex digest."""
    with db.read() as session:
        found = session.scalar(select(ApiKey.id).where(ApiKey.key_hash == hashed, ApiKey.revoked_at.is_(None)))
    return found is not None


def list_keys(db: Database) -> list[KeyInfo]:
    with db.read() as session:
        keys = session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)).all()
    return [_info(key) for key in keys]


def get_key(db: Database, key_id: int) -> KeyInfo:
    with db.read() as session:
        key = session.get(ApiKey, key_id)
        if key is None:
            raise NotFound("No such API key", "API_KEY_NOT_FOUND")
        return _info(key)


def revoke_key(db: Database, prefix: str, now: datetime) -> KeyInfo:
    """Revokes the one live key whose shown prefix starts with ``prefix`` (or that is ``prefix``)."""
    prefix = prefix.strip().rstrip("…")
    if len(prefix) < 8:
        raise ValidationError("Give at least 8 characters of the key's prefix", "INVALID_PREFIX")
    with db.write() as session:
        live = session.scalars(select(ApiKey).where(ApiKey.revoked_at.is_(None))).all()
        matching = [k for k in live if k.prefix.startswith(prefix) or k.key_hash == digest(prefix)]
        if not matching:
            raise NotFound(f"No live API key starts with '{prefix}'", "API_KEY_NOT_FOUND")
        if len(matching) > 1:
            raise ValidationError("Several keys share that prefix: give a longer one", "AMBIGUOUS_PREFIX")
        return _revoke(matching[0], now)


def revoke_key_id(db: Database, key_id: int, now: datetime) -> KeyInfo:
    """Revokes the live key with this id (the dashboard's way: two keys may share a prefix)."""
    with db.write() as session:
        key = session.get(ApiKey, key_id)
        if key is None or key.revoked_at is not None:
            raise NotFound("No live API key with that id: it may have been revoked already", "API_KEY_NOT_FOUND")
        return _revoke(key, now)


def _revoke(key: ApiKey, now: datetime) -> KeyInfo:
    key.revoked_at = now
    return _info(key)


def _info(key: ApiKey) -> KeyInfo:
    return KeyInfo(key.id, key.name, key.prefix, key.source, key.created_at, key.last_used_at, key.revoked_at)
