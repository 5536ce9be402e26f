"""The media library the tasks select their work from."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class QualityProfile(Base):
    """Ordered qualities (rank 1 is the lowest), a cutoff and the upgrade policy."""

    __tablename__ = "quality_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    cutoff_quality: Mapped[str] = mapped_column(String(40))
    upgrades_allowed: Mapped[bool] = mapped_column(default=True)
    min_upgrade_increment: Mapped[int] = mapped_column(Integer, default=1)


class ProfileQuality(Base):
    __tablename__ = "profile_qualities"
    __table_args__ = (UniqueConstraint("profile_id", "quality"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("quality_profiles.id", ondelete="CASCADE"))
    quality: Mapped[str] = mapped_column(String(40))
    rank: Mapped[int] = mapped_column(Integer)


class Movie(Base):
    __tablename__ = "movies"
    __table_args__ = (Index("ix_movies_monitored_searched", "monitored", "last_searched_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tmdb_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(500))
    year: Mapped[int | None] = mapped_column(Integer)
    monitored: Mapped[bool] = mapped_column(default=True)
    quality_profile_id: Mapped[int] = mapped_column(ForeignKey("quality_profiles.id"), index=True)
    added_at: Mapped[datetime]
    last_searched_at: Mapped[datetime | None]


class Series(Base):
    __tablename__ = "series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tmdb_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(500))
    monitored: Mapped[bool] = mapped_column(default=True)
    quality_profile_id: Mapped[int] = mapped_column(ForeignKey("quality_profiles.id"), index=True)
    added_at: Mapped[datetime]
    last_refreshed_at: Mapped[datetime | None]


class Episode(Base):
    __tablename__ = "episodes"
    __table_args__ = (
        UniqueConstraint("series_id", "season_number", "episode_number"),
        Index("ix_episodes_monitored_air_date", "monitored", "air_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    season_number: Mapped[int] = mapped_column(Integer)
    episode_number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    air_date: Mapped[date | None] = mapped_column(Date)
    monitored: Mapped[bool] = mapped_column(default=True)
    added_at: Mapped[datetime]
    last_searched_at: Mapped[datetime | None]


class MediaFile(Base):
    """A file on disk for exactly one movie or one episode."""

    __tablename__ = "media_files"
    __table_args__ = (
        CheckConstraint("(movie_id IS NULL) <> (episode_id IS NULL)", name="one_owner"),
        Index("ix_media_files_movie_id", "movie_id"),
        Index("ix_media_files_episode_id", "episode_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    movie_id: Mapped[int | None] = mapped_column(ForeignKey("movies.id", ondelete="CASCADE"))
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(1000))
    quality: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    imported_at: Mapped[datetime]
    subtitles_searched_at: Mapped[datetime | None]


class WantedLanguage(Base):
    """A subtitle language every media file should have."""

    __tablename__ = "wanted_subtitle_languages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(8), unique=True)
    min_score: Mapped[int] = mapped_column(Integer, default=60)


class SubtitleFile(Base):
    __tablename__ = "subtitle_files"
    __table_args__ = (UniqueConstraint("media_file_id", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    media_file_id: Mapped[int] = mapped_column(ForeignKey("media_files.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    score: Mapped[int] = mapped_column(Integer)
    provider: Mapped[str | None] = mapped_column(String(50))
    path: Mapped[str | None] = mapped_column(String(1000))
    downloaded_at: Mapped[datetime]


class PendingRelease(Base):
    """A release held back by the delay until ``release_at``, with what a decision needs to judge it again.

    ``season_pack`` when it was found by a search for the item's whole season.
    """

    __tablename__ = "pending_releases"
    __table_args__ = (
        CheckConstraint("(movie_id IS NULL) <> (episode_id IS NULL)", name="one_owner"),
        Index("ix_pending_releases_status_release_at", "status", "release_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    movie_id: Mapped[int | None] = mapped_column(ForeignKey("movies.id", ondelete="CASCADE"), index=True)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    quality: Mapped[str] = mapped_column(String(40))
    score: Mapped[int] = mapped_column(Integer, default=0)
    indexer: Mapped[str | None] = mapped_column(String(100))
    download_url: Mapped[str | None] = mapped_column(String(2000))
    added_at: Mapped[datetime]
    release_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    protocol: Mapped[str] = mapped_column(String(16), default="torrent", server_default="torrent")
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    seeders: Mapped[int | None] = mapped_column(Integer)
    indexer_id: Mapped[int | None] = mapped_column(Integer)  # the configured indexer's, for its minimum seeders
    magnet_url: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    season_pack: Mapped[bool] = mapped_column(default=False, server_default=false())


class DelaySetting(Base):
    """How long a release waits after it was published before it is grabbed, by protocol: one row, id 1.

    No row is no delay. ``bypass_if_highest`` grabs a release of its profile's top quality at once.
    """

    __tablename__ = "delay_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    usenet_minutes: Mapped[int] = mapped_column(Integer, default=0)
    torrent_minutes: Mapped[int] = mapped_column(Integer, default=0)
    bypass_if_highest: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime]


class ImportQueueEntry(Base):
    """A media file imported since its last subtitle search."""

    __tablename__ = "import_queue"
    __table_args__ = (
        Index(
            "ix_import_queue_pending",
            "queued_at",
            sqlite_where=text("processed_at IS NULL"),
            postgresql_where=text("processed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    media_file_id: Mapped[int] = mapped_column(ForeignKey("media_files.id", ondelete="CASCADE"), index=True)
    queued_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
