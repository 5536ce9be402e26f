"""The file-system side of an import: which files are whole videos, and how one goes into the library.

A file is taken only when it is a video (by extension) of a sane size, not a sample, not a
client's temporary name (``.part``, ``.!qB``, ``.!ut``...), not modified in the last few seconds,
and the same size and time at the moment it is moved as when it was found. A copy is written
under a hidden temporary name beside its destination and renamed into place, so the library
never holds half a file; a hard link or a move on one file system is a rename, atomic as well.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

HARDLINK, COPY, MOVE = "hardlink", "copy", "move"
VIDEO_EXTENSIONS = frozenset({
    ".mkv", ".mp4", ".m4v", ".avi", ".mov", ".wmv", ".ts", ".m2ts", ".webm", ".mpg", ".mpeg", ".vob", ".divx",
    ".flv", ".ogm",
})
# What clients name a file while they still write it: qBittorrent ``.!qB`` and ``.part``, µTorrent ``.!ut``,
# browsers ``.crdownload``, our own copies ``.partial``.
PARTIAL_SUFFIXES = (".part", ".!qb", ".!ut", ".partial", ".crdownload", ".tmp", ".download")
MIN_VIDEO_BYTES = 1_000_000  # less is a broken or placeholder file, never a film or an episode
NAME_BYTES = 240  # of a folder name we make (file systems take 255)
SETTLE_SECONDS = 5.0  # a file modified more recently than this may still be being written
_SAMPLE_WORD = re.compile(r"(?:^|[\s._\-\[(])sample(?:$|[\s._\-\])])", re.IGNORECASE)
# Characters a folder or file name may not hold on the file systems a library lives on (Windows shares included).
_UNSAFE = re.compile(r'[\x00-\x1f<>"/\\|?*]')


class TransferError(Exception):
    """A file could not be put into the library; the message says why, for a person."""


@dataclass(frozen=True)
class Found:
    """A video file as first seen: what it must still be when it is moved."""

    path: Path
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Passed:
    """A file not taken, and why (for the summary of an import)."""

    path: Path
    reason: str
    busy: bool = False  # still being written: worth another look later


def scan(root: Path, now: datetime, settle_seconds: float = SETTLE_SECONDS,
         min_bytes: int = MIN_VIDEO_BYTES) -> Iterator[Found | Passed]:
    """The video files under ``root`` (or ``root`` itself), in name order; other files are ignored."""
    for path in _files(root):
        verdict = look(path, now, settle_seconds, min_bytes)
        if verdict is not None:
            yield verdict


def look(path: Path, now: datetime, settle_seconds: float = SETTLE_SECONDS,
         min_bytes: int = MIN_VIDEO_BYTES) -> Found | Passed | None:
    """Whether one file is a whole video worth importing (None: not a video at all)."""
    lower = path.name.lower()
    if lower.endswith(PARTIAL_SUFFIXES):
        return Passed(path, "still being downloaded (temporary name)", busy=True) if _is_video_name(lower) else None
    if not _is_video_name(lower):
        return None
    if path.name.startswith("."):
        return Passed(path, "hidden file (a copy under way?)", busy=True)
    try:
        stat = path.stat()
    except OSError as error:
        return Passed(path, f"cannot be read: {error.strerror or type(error).__name__}")
    if is_sample(path):
        return Passed(path, "a sample")
    if stat.st_size < min_bytes:
        return Passed(path, f"too small to be a video ({stat.st_size:,} bytes)")
    age = now.timestamp() - stat.st_mtime
    if age < settle_seconds:
        return Passed(path, f"still being written (modified {max(age, 0):.0f} s ago)", busy=True)
    return Found(path, stat.st_size, stat.st_mtime_ns)


def is_sample(path: Path) -> bool:
    """``movie-sample.mkv``, ``Sample/movie.mkv``: the short extracts releases carry."""
    return bool(_SAMPLE_WORD.search(path.stem)) or path.parent.name.lower() in ("sample", "samples")


def safe_name(text: str) -> str:
    """A title as a folder name: ``AC/DC: Live`` -> ``ACDC - Live``; never empty, never ``.`` or ``..``."""
    cleaned = _UNSAFE.sub("", text.replace(":", " -"))
    cleaned = " ".join(cleaned.split())
    cleaned = cleaned.encode()[:NAME_BYTES].decode(errors="ignore").rstrip(". ")  # what a file system takes
    return cleaned if cleaned.strip(".") else "Unknown"


def transfer(found: Found, destination: Path, mode: str) -> str:
    """Puts the file at ``destination`` by ``mode`` (a hard link falls back to a copy across file
    systems, a move to a copy and a delete); returns the way it went. The file must be as found."""
    _unchanged(found, "before it was moved")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _failed(found, destination, error) from None
    if mode == MOVE:
        try:
            os.rename(found.path, destination)
            return MOVE
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise _failed(found, destination, error) from None
        _copy(found, destination)
        with contextlib.suppress(FileNotFoundError):
            found.path.unlink()
        return MOVE
    if mode == HARDLINK:
        temporary = _temporary(destination)
        try:
            os.link(found.path, temporary)
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES):
                raise _failed(found, destination, error) from None
        else:
            _into_place(temporary, destination, found)
            return HARDLINK
    _copy(found, destination)
    return COPY


def remove_quietly(path: str | Path) -> bool:
    """Deletes a file if it is there; whether it was."""
    try:
        os.remove(path)
        return True
    except FileNotFoundError:
        return False
    except OSError:
        return False


def _files(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for folder, folders, names in os.walk(root):
        folders.sort()
        for name in sorted(names):
            yield Path(folder) / name


def _is_video_name(lower: str) -> bool:
    stem = lower
    while stem.endswith(PARTIAL_SUFFIXES):
        stem = stem[:stem.rfind(".")]
    return os.path.splitext(stem)[1] in VIDEO_EXTENSIONS


def _unchanged(found: Found, when: str) -> None:
    try:
        stat = found.path.stat()
    except OSError as error:
        raise TransferError(f"{found.path} is gone {when} ({error.strerror})") from None
    if (stat.st_size, stat.st_mtime_ns) != (found.size, found.mtime_ns):
        raise TransferError(f"{found.path} is still being written (it changed {when})")


def _temporary(destination: Path) -> Path:
    return destination.with_name(f".{destination.name}.{secrets.token_hex(4)}.partial")


def _copy(found: Found, destination: Path) -> None:
    """Copies under a temporary name, checks the source did not change meanwhile, renames into place."""
    temporary = _temporary(destination)
    try:
        shutil.copyfile(found.path, temporary)
        shutil.copymode(found.path, temporary)
        _unchanged(found, "while it was copied")
    except OSError as error:
        remove_quietly(temporary)
        raise _failed(found, destination, error) from None
    except TransferError:
        remove_quietly(temporary)
        raise
    _into_place(temporary, destination, found)


def _into_place(temporary: Path, destination: Path, found: Found) -> None:
    try:
        os.replace(temporary, destination)
    except OSError as error:
        remove_quietly(temporary)
        raise _failed(found, destination, error) from None


def _failed(found: Found, destination: Path, error: OSError) -> TransferError:
    return TransferError(f"Could not put {found.path.name} into {destination.parent}: "
                         f"{error.strerror or type(error).__name__}")
