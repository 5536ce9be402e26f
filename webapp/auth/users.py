"""Dashboard users: Argon2id password hashes, created by the CLI, the env or the first visit."""
from __future__ import annotations

import functools
import hmac
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update

from ..db import Database
from ..errors import NotFound, ValidationError
from ..models import User, new_session_token

hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 8


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this keeps an unknown user name as slow as a wrong password."""
    return hasher.hash("not a password")


def validate_credentials(username: str, password: str) -> None:
    # NUL: PostgreSQL cannot store it in a text column.
    if not username or len(username) > 150 or username != username.strip() or "\x00" in username:
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
        # No stored name holds a NUL (and PostgreSQL refuses one in a query): an unknown user.
        user = None if "\x00" in username else session.scalar(select(User).where(User.username == username))
    matches = password_matches(user.password_hash if user else _dummy_hash(), password)
    if user is None or not matches:
        return None
    with db.write() as session:
        stored = session.get(User, user.id)
        if stored is not None:
            stored.last_login_at = now
            if hasher.check_needs_rehash(stored.password_hash):
                stored.password_hash = hasher.hash(password)
    return user


def password_matches(password_hash: str, password: str) -> bool:
    """The one place a password is checked (slow on purpose: Argon2id)."""
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def load_user(db: Database, user_id: int) -> User | None:
    with db.read() as session:
        return session.get(User, user_id)


def load_session_user(db: Database, session_id: str) -> User | None:
    """The user a session or remember cookie names (``User.get_id()``), if its token is still current."""
    user_id, _, token = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) < 10 and token):
        return None
    user = load_user(db, int(user_id))
    if user is None or not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user


def end_sessions(db: Database, user_id: int) -> None:
    """Logs the user out everywhere: every session and remember cookie made so far stops working."""
    with db.write() as session:
        session.execute(update(User).where(User.id == user_id).values(session_token=new_session_token()))


def change_password(db: Database, user_id: int, current: str, new: str) -> User:
    """Sets a new password after checking the current one; every existing session of the user ends.

    Returns the user with its new session token, to start this browser's new session with.
    """
    user = load_user(db, user_id)
    if user is None:
        raise NotFound("No such user", "USER_NOT_FOUND")
    if not password_matches(user.password_hash, current):
        raise ValidationError("The current password is wrong", "WRONG_PASSWORD")
    validate_credentials(user.username, new)
    password_hash = hasher.hash(new)  # slow on purpose: outside the write transaction
    with db.write() as session:
        stored = session.get(User, user_id)
        if stored is None:
            raise NotFound("No such user", "USER_NOT_FOUND")
        stored.password_hash = password_hash
        stored.session_token = new_session_token()
    return stored


def user_count(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0
