"""Dashboard users, API keys, and the login throttle's counts."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


def new_session_token() -> str:
    """A random token that every session and remember cookie of a user carries (256 bits)."""
    return secrets.token_hex(32)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    # Replaced at logout, password change and "log out everywhere": every cookie made with
    # the old one (session or remember-me) stops working at once, in every process.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and signs into the remember cookie."""
        return f"{self.id}:{self.session_token}"


class ApiKey(Base):
    """An API key, kept only as its SHA-256 (the key itself is 256 random bits)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(32), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(16), default="cli")
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginAttempts(Base):
    """Failed logins (and ones being checked) per client address and lower-cased user name.

    Kept in the database so that every server process counts the same guesses.
    """

    __tablename__ = "login_attempts"

    address: Mapped[str] = mapped_column(String(100), primary_key=True)
    username: Mapped[str] = mapped_column(String(150), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    # The next attempt is refused before this moment; old rows are pruned by it.
    retry_at: Mapped[datetime] = mapped_column(index=True)
