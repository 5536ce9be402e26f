"""The library folder, every file imported into it, and the finished downloads claimed for import."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class LibrarySetting(Base):
    """Where imported files go: one row, id 1; no row is the default (``<data dir>/library``)."""

    __tablename__ = "library_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root: Mapped[str] = mapped_column(String(1000))
    updated_at: Mapped[datetime]


class ImportRecord(Base):
    """One file imported: from where, to where, for which item, of what quality, and how.

    The item's columns are nulled, not cascaded, when it is deleted: the history outlives it.
    ``client_id``/``download_id`` say which download it came from, when it came from one.
    """

    __tablename__ = "import_history"
    __table_args__ = (Index("ix_import_history_imported_at", "imported_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    movie_id: Mapped[int | None] = mapped_column(ForeignKey("movies.id", ondelete="SET NULL"), index=True)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episodes.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(600))  # the item as people know it: "Dune (2021)", "Show S01E02"
    source_path: Mapped[str] = mapped_column(String(2000))
    destination: Mapped[str] = mapped_column(String(2000))
    quality: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    mode: Mapped[str] = mapped_column(String(16))  # hardlink | copy | move
    replaced: Mapped[bool] = mapped_column(default=False)
    client: Mapped[str | None] = mapped_column(String(100))
    client_id: Mapped[int | None] = mapped_column(Integer)
    download_id: Mapped[str | None] = mapped_column(String(500))
    imported_at: Mapped[datetime]


class CompletedDownload(Base):
    """A finished download of a client, claimed by the process that imports it.

    The unique (client, download id) pair is the claim: whichever process inserts it first
    imports the download, once. ``status``: importing, imported, unmatched, waiting (a file was
    still being written: tried again) or failed (tried again up to a limit, ``attempts``).
    """

    __tablename__ = "completed_downloads"
    __table_args__ = (UniqueConstraint("client_id", "download_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("download_clients.id", ondelete="CASCADE"))
    download_id: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(1000))
    path: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    message: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
