"""The demo library's files on disk: small placeholders where its media files say they are.

Each is sparse (its size is the one recorded, yet it takes no room), so that subtitles are
written beside real files and an import that replaces one removes a real file. Made only where
missing: seeding again writes nothing.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .files import safe_name
from .items import MOVIE

SUBTITLE_TEXT = "1\n00:00:01,000 --> 00:00:04,000\n(Demo subtitle)\n"


def media_path(root: Path | None, kind: str, title: str, season: int | None, quality: str) -> str:
    """``<root>/<Title (Year)>/<Title (Year)> [<quality>].mkv`` or ``<root>/<Series>/Season NN/<Series SxxEyy> [...].mkv``.

    Without a root, the path the demo always gave (no file is made there).
    """
    name = f"{title} [{quality}].mkv"
    if root is None:
        return f"/media/demo/{name}"
    if kind == MOVIE:
        return str(root / safe_name(title) / safe_name(name))
    series = title.rsplit(" ", 1)[0]
    return str(root / safe_name(series) / f"Season {season:02d}" / safe_name(name))


def subtitle_path(media: str, language: str) -> str:
    stem, _ = os.path.splitext(media)
    return f"{stem}.{language}.srt"


def write_placeholders(root: Path, files: Iterable[dict[str, Any]], subtitles: Iterable[dict[str, Any]]) -> int:
    """Makes each file under ``root`` that is missing; returns how many were made."""
    made = 0
    for row in files:
        made += _make(root, Path(row["path"]), lambda handle, size=row["size_bytes"] or 0: handle.truncate(size))
    for row in subtitles:
        if row.get("path"):
            made += _make(root, Path(row["path"]), lambda handle: handle.write(SUBTITLE_TEXT.encode()))
    return made


def _make(root: Path, path: Path, fill: Any) -> int:
    if root not in path.parents or path.exists():
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "xb") as handle:
            fill(handle)
    except FileExistsError:  # another seed made it meanwhile
        return 0
    return 1
