"""Helpers of the import tests: real video files (sparse: sized, taking no room) in temporary folders."""
from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import select

from builders import HD, Library
from webapp.db import Database
from webapp.models import ImportQueueEntry, ImportRecord, MediaFile

VIDEO_BYTES = 1_500_000_000  # an episode or a film's size; sparse, so it costs nothing


def video(path: Path, size: int = VIDEO_BYTES, age: float = 60.0) -> Path:
    """A file of ``size`` bytes last modified ``age`` seconds ago (settled, as a finished download is)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as file:
        file.truncate(size)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def small_library(db: Database) -> dict[str, int]:
    """A profile, three films (two of one name) and a series with its first season: ids by name."""
    library = Library(db)
    profile = library.profile(qualities=HD + ("Remux-1080p",))
    ids = {"profile": profile}
    ids["matrix"] = library.movie("The Matrix", profile, year=1999)
    ids["amelie"] = library.movie("Amélie", profile, year=2001)
    ids["dune_1984"] = library.movie("Dune", profile, year=1984)
    ids["dune_2021"] = library.movie("Dune", profile, year=2021)
    ids["spirited"] = library.movie("千と千尋の神隠し", profile, year=2001)
    ids["bad"] = library.series("Breaking Bad", profile)
    for number in range(1, 8):
        ids[f"bad_s01e{number:02d}"] = library.episode(ids["bad"], 1, number, None)
    return ids


def files_of(db: Database, movie: int | None = None, episode: int | None = None) -> list[MediaFile]:
    with db.read() as session:
        owner = MediaFile.movie_id == movie if movie is not None else MediaFile.episode_id == episode
        return list(session.scalars(select(MediaFile).where(owner)))


def history(db: Database) -> list[ImportRecord]:
    with db.read() as session:
        return list(session.scalars(select(ImportRecord).order_by(ImportRecord.id)))


def queued_files(db: Database) -> set[int]:
    with db.read() as session:
        return set(session.scalars(select(ImportQueueEntry.media_file_id).where(ImportQueueEntry.processed_at.is_(None))))
