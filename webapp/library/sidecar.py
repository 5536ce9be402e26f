"""Where downloaded subtitles go by default: beside their media file."""
from __future__ import annotations

from pathlib import Path


def sidecar_path(media_path: str, language: str, format: str) -> Path:
    """``/tv/Show S01E02.mkv`` -> ``/tv/Show S01E02.en.srt``."""
    media = Path(media_path)
    return media.with_name(f"{media.stem}.{language}.{format}")


class SidecarSubtitles:
    """A subtitle store that writes each subtitle next to its media file."""

    def save(self, media_path: str, language: str, content: bytes, format: str) -> str:
        path = sidecar_path(media_path, language, format)
        path.write_bytes(content)
        return str(path)
