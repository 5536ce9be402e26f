"""Import: video files matched to library items, put into the library folder and recorded.

Each file found whole (see ``files``) is matched to its movie or episodes (see ``matching``),
placed at ``<root>/<Title> (<Year>)/<file>`` or ``<root>/<Series>/Season NN/<file>``, and recorded
in one transaction: a ``MediaFile`` per item with the parsed quality, an import-history row each,
an import-queue entry each (for Subtitle Search on Import). A file is taken only where the item
has none, or has a worse one, which is then replaced: its row, its file and its subtitles go.
A file that matches nothing stays where it is, reported.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from ..db import Database
from ..models import ImportQueueEntry, ImportRecord, MediaFile
from .files import (
    HARDLINK, MIN_VIDEO_BYTES, MOVE, SETTLE_SECONDS, Found, Passed, TransferError, remove_quietly, safe_name, scan,
    transfer,
)
from .items import MOVIE, MediaItem
from .matching import LibraryFile, LibraryIndex, Match

log = logging.getLogger("cinephage.library")

PATH_LENGTH = 1000  # of ``media_files.path``


@dataclass(frozen=True)
class Origin:
    """The download client a download came from, and its id there."""

    client: str
    client_id: int | None
    download_id: str


@dataclass(frozen=True)
class Imported:
    """A file put into the library for its items; ``replaced`` counts the worse files it took the place of."""

    source: Path
    destination: Path
    titles: tuple[str, ...]
    quality: str
    mode: str
    replaced: int = 0


@dataclass
class ImportReport:
    """What an import did with each video file it found."""

    imported: list[Imported] = field(default_factory=list)
    skipped: list[Passed] = field(default_factory=list)
    unmatched: list[Passed] = field(default_factory=list)

    @property
    def replaced(self) -> int:
        return sum(1 for done in self.imported if done.replaced)

    @property
    def busy(self) -> bool:
        """A file was still being written: the folder is worth another look later."""
        return any(passed.busy for passed in self.skipped)

    def summary(self) -> str:
        """ "3 imported (1 replacing a worse file), 2 skipped, 1 unmatched"."""
        replaced = f" ({self.replaced} replacing a worse file)" if self.replaced else ""
        return (f"{len(self.imported)} imported{replaced}, {len(self.skipped)} skipped, "
                f"{len(self.unmatched)} unmatched")


@dataclass(frozen=True)
class ImportOptions:
    mode: str = HARDLINK  # or MOVE (a hard link falls back to a copy)
    kind: str | None = None  # MOVIE or EPISODE when a download's category says which
    origin: Origin | None = None
    settle_seconds: float = SETTLE_SECONDS
    min_bytes: int = MIN_VIDEO_BYTES


class Importer:
    """Imports into ``root``; one ``run`` reads the library once and imports the files of one folder."""

    def __init__(self, db: Database, root: Path) -> None:
        self.db = db
        self.root = root

    def run(self, source: Path, now: datetime, options: ImportOptions = ImportOptions()) -> ImportReport:
        report = ImportReport()
        with self.db.read() as session:
            index = LibraryIndex.load(session)
        base = source if source.is_dir() else source.parent
        for found in scan(source, now, options.settle_seconds, options.min_bytes):
            if isinstance(found, Passed):
                report.skipped.append(found)
                continue
            match = index.identify(found.path, base, options.kind)
            if isinstance(match, str):
                report.unmatched.append(Passed(found.path, match))
                continue
            self._one(found, match, index, options, now, report)
        return report

    def _one(self, found: Found, match: Match, index: LibraryIndex, options: ImportOptions, now: datetime,
             report: ImportReport) -> None:
        destination = self.destination(match, found.path.name)
        old = _distinct(file for item in match.items for file in index.files_of(item))
        try:
            refusal = _refusal(found, destination, match, index, old)
            if refusal:
                report.skipped.append(Passed(found.path, refusal))
                return
            mode = transfer(found, destination, options.mode)
        except TransferError as error:
            report.skipped.append(Passed(found.path, str(error), busy="still being written" in str(error)))
            return
        except OSError as error:  # a name the library's file system does not take, say
            report.skipped.append(Passed(found.path, f"cannot go to {destination}: {error.strerror}"))
            return
        new_ids = self._record(found, destination, match, mode, old, options.origin, now)
        for item, file_id in zip(match.items, new_ids):
            index.files[(item.kind, item.id)] = [LibraryFile(file_id, str(destination), match.quality)]
        _remove_files(old, keep=destination)
        titles = tuple(item.title for item in match.items)
        report.imported.append(Imported(found.path, destination, titles, match.quality, mode, len(old)))
        log.info("Imported %s (%s) → %s by %s%s", ", ".join(titles), match.quality, destination, mode,
                 f", replacing {len(old)} worse file(s)" if old else "")

    def destination(self, match: Match, name: str) -> Path:
        """``<root>/<Title> (<Year>)/<name>`` for a movie, ``<root>/<Series>/Season NN/<name>`` for episodes."""
        item = match.items[0]
        if match.is_movie:
            folder = f"{item.name} ({item.year})" if item.year else item.name
            return self.root / safe_name(folder) / name
        return self.root / safe_name(item.name) / f"Season {item.season:02d}" / name

    def _record(self, found: Found, destination: Path, match: Match, mode: str, old: list[LibraryFile],
                origin: Origin | None, now: datetime) -> list[int]:
        """The new files, their history and their queue entries, and the old files' rows gone: one transaction."""
        with self.db.write() as session:
            if old:
                session.execute(delete(MediaFile).where(MediaFile.id.in_([file.id for file in old])))
            ids = [_add_file(session, item, destination, match.quality, found.size, now) for item in match.items]
            session.execute(insert(ImportQueueEntry), [
                {"media_file_id": file_id, "queued_at": now, "processed_at": None} for file_id in ids])
            session.execute(insert(ImportRecord), [
                _history(item, found, destination, match.quality, mode, bool(old), origin, now)
                for item in match.items])
        return ids


def _refusal(found: Found, destination: Path, match: Match, index: LibraryIndex, old: list[LibraryFile]) -> str:
    """Why the file is not taken for its items ("" when it is)."""
    if len(str(destination)) > PATH_LENGTH:
        return f"its place in the library would be a path of more than {PATH_LENGTH} characters"
    if any(Path(file.path) == destination for file in old) and _same_file(found.path, destination):
        return "already in the library"
    if destination.exists() and not any(Path(file.path) == destination for file in old):
        return f"{destination} exists and is no file of the library's: left alone"
    item = match.items[0]
    best = max(old, key=lambda file: index.rank(item, file.quality), default=None)
    if best is not None and index.rank(item, match.quality) <= index.rank(item, best.quality):
        return f"not an upgrade: {item.title} has {best.quality}, this is {match.quality}"
    return ""


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.samefile(other)
    except OSError:
        return False


def _distinct(files: Iterable[LibraryFile]) -> list[LibraryFile]:
    seen: dict[int, LibraryFile] = {}
    for file in files:
        seen.setdefault(file.id, file)
    return list(seen.values())


def _owner(item: MediaItem) -> dict[str, int | None]:
    return {"movie_id": item.id, "episode_id": None} if item.kind == MOVIE else {"movie_id": None, "episode_id": item.id}


def _add_file(session: Session, item: MediaItem, destination: Path, quality: str, size: int, now: datetime) -> int:
    row = MediaFile(**_owner(item), path=str(destination), quality=quality, size_bytes=size, imported_at=now,
                    subtitles_searched_at=None)
    session.add(row)
    session.flush()
    return row.id


def _history(item: MediaItem, found: Found, destination: Path, quality: str, mode: str, replaced: bool,
             origin: Origin | None, now: datetime) -> dict[str, object]:
    return {
        **_owner(item), "title": item.title[:600], "source_path": str(found.path), "destination": str(destination),
        "quality": quality, "size_bytes": found.size, "mode": mode, "replaced": replaced,
        "client": origin.client if origin else None, "client_id": origin.client_id if origin else None,
        "download_id": origin.download_id if origin else None, "imported_at": now,
    }


def _remove_files(old: list[LibraryFile], keep: Path) -> None:
    """The replaced files and their subtitles, off the disk (the new file may have taken the same name)."""
    for file in old:
        for subtitle in file.subtitles:
            remove_quietly(subtitle)
        if Path(file.path) != keep and remove_quietly(file.path):
            log.info("Removed %s, replaced by %s", file.path, keep)


__all__ = ["HARDLINK", "MOVE", "ImportOptions", "ImportReport", "Imported", "Importer", "Origin"]
