"""Dashboard users: Argon2id password hashes, created by the CLI, the env or the first visit."""
from __future__ import annotations

import functools
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from ..db import Database
from ..errors import ValidationError
from ..models import User

hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 8


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this keeps an unknown user name as slow as a wrong password."""
    return hasher.hash("not a password")


def validate_credentials(username: str, password: str) -> None:
    if not username or len(username) > 150 or username != username.strip():
        raise ValidationError("User name must be 1-150 characters without surrounding spaces", "INVALID_USERNAME")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters", "WEAK_PASSWORD")


def create_user(db: Database, username: str, password: str, now: datetime) -> User:
    validate_credentials(username, password)
    with db.write() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise ValidationError(f"User '{username}' already exists", "USER_EXISTS")
        user = User(username=username, password_hash=hasher.hash(password), created_at=now)
        session.add(user)
    return user


def ensure_user(db: Database, username: str, password: str, now: datetime) -> bool:
    """Creates the user unless it exists; True when created."""
    with db.read() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            return False
    create_user(db, username, password, now)
    return True


def authenticate(db: Database, username: str, password: str, now: datetime) -> User | None:
    """The user whose name and password these are, or None (in the same time either way)."""
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
    try:
        hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    with db.write() as session:
        stored = session.get(User, user.id)
        if stored is not None:
            stored.last_login_at = now
            if hasher.check_needs_rehash(stored.password_hash):
                stored.password_hash = hasher.hash(password)
    return user


def load_user(db: Database, user_id: int) -> User | None:
    with db.read() as session:
        return session.get(User, user_id)


def user_count(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0
