"""Where New Episodes learns of a series' episodes: the metadata source's settings, one row."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class MetadataSetting(Base):
    """The metadata source (TMDB) as set: one row, id 1; no row is TMDB's public API without a key.

    ``api_key`` is a TMDB v3 API key or a v4 read access token; it is never shown back.
    """

    __tablename__ = "metadata_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    implementation: Mapped[str] = mapped_column(String(16), default="tmdb")
    base_url: Mapped[str] = mapped_column(String(2000))
    api_key: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime]
