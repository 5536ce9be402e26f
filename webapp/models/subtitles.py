"""Configured subtitle providers, and what each last said of its download quota."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base
from .providers import ProviderSetting


class SubtitleProviderSetting(ProviderSetting):
    """An OpenSubtitles.com account or a local folder of subtitles; ``minimum_score`` 0-100."""

    __tablename__ = "subtitle_providers"

    base_url: Mapped[str] = mapped_column(String(2000), default="")
    api_key: Mapped[str] = mapped_column(String(500), default="")
    username: Mapped[str] = mapped_column(String(200), default="")
    password: Mapped[str] = mapped_column(String(500), default="")
    folder: Mapped[str] = mapped_column(String(1000), default="")
    minimum_score: Mapped[int] = mapped_column(Integer, default=60)


class SubtitleProviderStatus(Base):
    """A provider's downloads left and their reset, and a rest (quota used up, 429): shared by every process.

    No row: nothing heard yet. The session token is not kept here: each process logs in once.
    """

    __tablename__ = "subtitle_provider_status"

    provider_id: Mapped[int] = mapped_column(
        ForeignKey("subtitle_providers.id", ondelete="CASCADE"), primary_key=True
    )
    downloads_remaining: Mapped[int | None] = mapped_column(Integer)
    resets_at: Mapped[datetime | None]
    resting_until: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
