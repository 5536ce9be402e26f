"""A subtitle file's name: what release it was made for."""
from __future__ import annotations

import os

SUBTITLE_EXTENSIONS = (".srt", ".ass", ".ssa", ".sub", ".vtt")


def release_name(file_name: str) -> str:
    """A subtitle file's name without its extension: what it was named after."""
    stem, extension = os.path.splitext(file_name)
    return stem if extension.lower() in SUBTITLE_EXTENSIONS else file_name
