"""Where downloaded subtitles go by default: beside their media file, written atomically."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

# The formats a subtitle beside a media file may have: the one a language had before is removed
# when another format replaces it, so that a player never finds two.
SUBTITLE_FORMATS = ("srt", "ass", "ssa", "sub", "vtt")


def sidecar_path(media_path: str, language: str, format: str) -> Path:
    """``/tv/Show S01E02.mkv`` -> ``/tv/Show S01E02.en.srt``."""
    media = Path(media_path)
    return media.with_name(f"{media.stem}.{language}.{format}")


def write_atomically(path: Path, content: bytes) -> None:
    """Writes a temporary file in the same folder, flushed to disk, then renames it over ``path``.

    A reader (a media player, a scan) sees the old file or the whole new one, never half of one;
    a failure leaves no temporary file behind.
    """
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_replaced(media_path: str, language: str, kept: Path, previous: str | None) -> None:
    """Removes the subtitle that ``kept`` replaces: the one recorded before (``previous``) if it sits
    beside the media file under another name, so no orphan is left (``.en.ass`` replaced by ``.en.srt``)."""
    if previous is None or Path(previous) == kept:
        return
    old = Path(previous)
    if old.parent == kept.parent and old.name in {sidecar_path(media_path, language, f).name for f in SUBTITLE_FORMATS}:
        old.unlink(missing_ok=True)


class SidecarSubtitles:
    """A subtitle store that writes each subtitle next to its media file."""

    def save(self, media_path: str, language: str, content: bytes, format: str) -> str:
        path = sidecar_path(media_path, language, format)
        write_atomically(path, content)
        return str(path)
