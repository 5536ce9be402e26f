"""The library folder and imports, as every face uses them (``/api/settings/library``, ``import``, the watcher).

An import that put anything into the library asks for a run of Subtitle Search on Import at once
(as the API's run route does; a follow-up run when one is under way) and tells the notification
targets that asked for ``import:completed``.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ..db import Database
from ..errors import ValidationError
from ..library.importing import ImportOptions, ImportReport, Importer
from ..models import ImportRecord, LibrarySetting
from ..providers.base import IMPORT_COMPLETED, Notifier
from .tasks import TaskService

log = logging.getLogger("cinephage.library")

SETTINGS_ID = 1
ROOT_LENGTH = 500  # leaves room under it for a title's folder and a file's name in 1,000 characters
ON_IMPORT_TASK = "task_subtitle_search_on_import"


class LibraryService:
    """The library root (a setting, ``<data dir>/library`` until set) and imports into it."""

    def __init__(self, db: Database, data_dir: Path, tasks: TaskService | None = None,
                 notifier: Callable[[], Notifier] | None = None) -> None:
        self.db = db
        self.data_dir = data_dir
        self._tasks = tasks
        self._notifier = notifier

    # -- the root ---------------------------------------------------------------

    def root(self) -> Path:
        with self.db.read() as session:
            row = session.get(LibrarySetting, SETTINGS_ID)
        return Path(row.root) if row is not None else self.data_dir.resolve() / "library"

    def set_root(self, value: Any, now: datetime) -> Path:
        """Stores a new root: absolute, an existing writable folder or one that can be made (made when first used)."""
        root = checked_root(value)
        with self.db.write() as session:
            row = session.get(LibrarySetting, SETTINGS_ID, with_for_update=True)
            if row is None:
                session.add(LibrarySetting(id=SETTINGS_ID, root=str(root), updated_at=now))
            else:
                row.root, row.updated_at = str(root), now
        log.info("Library folder set to %s", root)
        return root

    # -- importing --------------------------------------------------------------

    def import_path(self, path: str, now: datetime, options: ImportOptions = ImportOptions()) -> ImportReport:
        """Imports the video files under ``path`` (a folder or one file); see ``library.importing``."""
        source = Path(path).expanduser()
        if not source.is_absolute():
            source = Path.cwd() / source
        if not source.exists():
            raise ValidationError(f"{path} does not exist", "PATH_NOT_FOUND")
        if not (source.is_dir() or source.is_file()):
            raise ValidationError(f"{path} is neither a folder nor a file", "PATH_NOT_FOUND")
        report = Importer(self.db, self.root()).run(source, now, options)
        if report.imported:
            self.imported(report, now)
        return report

    def imported(self, report: ImportReport, now: datetime) -> None:
        """After an import that put files into the library: subtitles searched at once, targets told."""
        self._search_subtitles(now)
        titles = ", ".join(title for done in report.imported[:5] for title in done.titles[:1])
        more = f" and {len(report.imported) - 5} more" if len(report.imported) > 5 else ""
        files = "1 file" if len(report.imported) == 1 else f"{len(report.imported)} files"
        self._notify(f"Imported {files}", f"{report.summary()}: {titles}{more}")

    def history(self, page: int = 1, limit: int = 50) -> tuple[list[ImportRecord], int]:
        """Import history, newest first, and how many rows there are."""
        with self.db.read() as session:
            total = session.scalar(select(func.count()).select_from(ImportRecord)) or 0
            rows = session.scalars(select(ImportRecord).order_by(ImportRecord.imported_at.desc(), ImportRecord.id.desc())
                                   .offset((page - 1) * limit).limit(limit)).all()
        return list(rows), total

    def _search_subtitles(self, now: datetime) -> None:
        if self._tasks is None:
            return
        try:
            busy = self._tasks.get(ON_IMPORT_TASK).busy  # a follow-up run, so the files imported now are in it
            accepted = self._tasks.run(ON_IMPORT_TASK, force=busy, options={}, now=now)
            log.info("Subtitle Search on Import requested after an import: %s", accepted.run_id)
        except Exception:  # the import is done and recorded; the task's timer still picks the queue up
            log.exception("Subtitle Search on Import could not be started after an import")

    def _notify(self, title: str, body: str) -> None:
        if self._notifier is None:
            return
        try:
            self._notifier().notify(IMPORT_COMPLETED, title, body)
        except Exception:  # a notifier never fails an import
            log.exception("Telling the notification targets of an import failed")


def checked_root(value: Any) -> Path:
    """The library root ``value`` names, or a ``ValidationError`` saying what is wrong with it."""
    if type(value) is not str or not value.strip():
        raise ValidationError("'root' must be a non-empty JSON string (an absolute path)", "INVALID_FIELD")
    if "\x00" in value or len(value) > ROOT_LENGTH:
        raise ValidationError(f"'root' must be a path of at most {ROOT_LENGTH} characters", "INVALID_FIELD")
    if not os.path.isabs(value):
        raise ValidationError(f"'root' must be an absolute path, not {value!r}", "INVALID_FIELD")
    root = Path(os.path.normpath(value))
    try:
        existing = _nearest_existing(root)
    except OSError as error:  # a name longer than the file system takes, say
        raise ValidationError(f"The library folder {root} cannot be made: {error.strerror}",
                              "LIBRARY_ROOT_UNUSABLE") from None
    if not existing.is_dir():
        raise ValidationError(f"{existing} is not a folder: the library cannot be in it", "LIBRARY_ROOT_UNUSABLE")
    if not os.access(existing, os.W_OK | os.X_OK):
        what = "is not writable" if existing == root else f"cannot be made: {existing} is not writable"
        raise ValidationError(f"The library folder {root} {what}", "LIBRARY_ROOT_UNUSABLE")
    return root


def _nearest_existing(path: Path) -> Path:
    """``path`` if it exists, else its nearest existing parent; OSError for a path no file system takes."""
    for name in path.parts:
        if len(os.fsencode(name)) > 255:
            raise OSError(36, "a folder name is longer than 255 bytes")
    while not path.exists():
        path = path.parent
    return path
