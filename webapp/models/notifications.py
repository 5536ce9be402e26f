"""Notification targets (Apprise URLs) and the demo inbox that the demo target posts to."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class NotificationTarget(Base):
    """Where notifications go: an Apprise URL (it holds the credentials) and the events asked for.

    ``name_key`` is the name case-folded, unique like the providers' (see ``ProviderSetting``).
    ``last_sent_at`` / ``last_error`` say how the last delivery went, whichever process made it.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(400), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class DemoNotification(Base):
    """A notification the demo target delivered to the app's own ``/demo/notifications``."""

    __tablename__ = "demo_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime]
    title: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(20))
