"""Releases handed to a download client, followed until their download is imported."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Grab(Base):
    """One release grabbed for a movie, an episode, or a whole season (``series_id`` and ``season_number``).

    While it is ``downloading`` (and not older than the wait the searches give it) the item is not
    searched again: the file is on its way. Completed-download handling marks it ``imported``
    when the client's download of that id was imported.
    """

    __tablename__ = "grabs"
    __table_args__ = (
        Index("ix_grabs_client_download", "client_id", "download_id"),
        Index("ix_grabs_series_season", "series_id", "season_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    movie_id: Mapped[int | None] = mapped_column(ForeignKey("movies.id", ondelete="CASCADE"), index=True)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    season_number: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    quality: Mapped[str] = mapped_column(String(40))
    indexer: Mapped[str | None] = mapped_column(String(100))
    client: Mapped[str] = mapped_column(String(100))
    client_id: Mapped[int | None] = mapped_column(Integer)
    download_id: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    grabbed_at: Mapped[datetime]
    settled_at: Mapped[datetime | None]
