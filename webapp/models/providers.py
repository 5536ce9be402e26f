"""Configured indexers and download clients, an indexer's health, and the releases never to grab again."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ProviderSetting(Base):
    """The columns every configured provider has.

    ``name_key`` is the name case-folded: its unique constraint is what keeps two providers of
    one kind from sharing a name that differs only in case, whichever process adds them.
    """

    __abstract__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(400), unique=True)  # case folding can lengthen a name
    implementation: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(default=True)
    priority: Mapped[int] = mapped_column(Integer, default=25)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class IndexerSetting(ProviderSetting):
    """A Torznab or Newznab feed."""

    __tablename__ = "indexers"

    base_url: Mapped[str] = mapped_column(String(2000))
    api_key: Mapped[str] = mapped_column(String(500), default="")
    categories: Mapped[list[int]] = mapped_column(JSON)
    minimum_seeders: Mapped[int] = mapped_column(Integer, default=1)


class DownloadClientSetting(ProviderSetting):
    """A torrent or usenet client, or a blackhole folder."""

    __tablename__ = "download_clients"

    host: Mapped[str] = mapped_column(String(255), default="localhost")
    port: Mapped[int] = mapped_column(Integer, default=0)
    use_ssl: Mapped[bool] = mapped_column(default=False)
    url_base: Mapped[str] = mapped_column(String(200), default="")
    username: Mapped[str] = mapped_column(String(200), default="")
    password: Mapped[str] = mapped_column(String(500), default="")
    api_key: Mapped[str] = mapped_column(String(500), default="")
    movie_category: Mapped[str] = mapped_column(String(100), default="movies")
    tv_category: Mapped[str] = mapped_column(String(100), default="tv")
    torrent_folder: Mapped[str] = mapped_column(String(1000), default="")
    nzb_folder: Mapped[str] = mapped_column(String(1000), default="")
    download_folder: Mapped[str] = mapped_column(String(1000), default="")


class IndexerStatus(Base):
    """An indexer's failures in a row and its rest; no row is a healthy indexer never heard from."""

    __tablename__ = "indexer_status"

    indexer_id: Mapped[int] = mapped_column(ForeignKey("indexers.id", ondelete="CASCADE"), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    resting_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None]


class BlocklistEntry(Base):
    """A release of one movie or episode that failed or was refused: never grabbed for it again."""

    __tablename__ = "blocklist"
    __table_args__ = (
        CheckConstraint("(movie_id IS NULL) <> (episode_id IS NULL)", name="one_owner"),
        Index("ix_blocklist_title", "title"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    movie_id: Mapped[int | None] = mapped_column(ForeignKey("movies.id", ondelete="CASCADE"), index=True)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"), index=True)
    indexer: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime]
