"""A local folder of subtitle files named after releases: ``<release>.<language>.srt`` (or ``.ass``, ``.ssa``).

A file fits a media file when its release name reads as the same title (and season and
episode) through the release parser; it is scored as any subtitle is (the ``Scorer`` it is given). The folder
is listed at most once a minute, and every file read stays inside it.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..base import Offer, ProviderError, Scorer, SubtitleRequest, SubtitleResult
from .languages import iso_639_1
from .settings import SubtitleProviderSettings

FORMATS = (".srt", ".ass", ".ssa")
LISTING_SECONDS = 60.0
MAX_FILES = 100_000
SUBTITLE_LIMIT = 8 * 1024 * 1024


@dataclass(frozen=True)
class LocalSubtitle:
    path: str
    release: str
    language: str
    format: str


class LocalFolder:
    """One configured folder; its listing is kept for a minute, so a run reads it once."""

    def __init__(self, settings: SubtitleProviderSettings, scorer: Scorer,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._score = scorer
        self.name = settings.name
        self.minimum_score = settings.minimum_score
        self._clock = clock
        self._listed: tuple[float, tuple[LocalSubtitle, ...]] | None = None
        self._lock = threading.Lock()

    def search(self, request: SubtitleRequest) -> list[SubtitleResult]:
        results: list[SubtitleResult] = []
        for subtitle in self._subtitles():
            if subtitle.language != request.language:
                continue
            points = self._score(request, Offer(release=subtitle.release))
            if points > 0:
                results.append(SubtitleResult(self.name, subtitle.language, points, subtitle.path, subtitle.release,
                                              subtitle.format))
        return results

    def download(self, result: SubtitleResult) -> bytes:
        path = Path(result.reference)
        if not _inside(path, Path(self.settings.folder)):
            raise ProviderError(f"{result.reference} is not in the folder {self.settings.folder}")
        try:
            with path.open("rb") as file:
                content = file.read(SUBTITLE_LIMIT + 1)
        except OSError as error:
            raise ProviderError(f"Could not read {path}: {error.strerror or type(error).__name__}") from None
        if len(content) > SUBTITLE_LIMIT:
            raise ProviderError(f"{path} is larger than {SUBTITLE_LIMIT // (1024 * 1024)} MB: not a subtitle")
        return content

    def test(self) -> str:
        subtitles = _scan(self.settings.folder)
        languages = sorted({subtitle.language for subtitle in subtitles})
        return (f"The folder {self.settings.folder} holds {len(subtitles)} subtitle files"
                + (f" ({', '.join(languages)})" if languages else ""))

    def _subtitles(self) -> tuple[LocalSubtitle, ...]:
        with self._lock:
            now = self._clock()
            if self._listed is None or now - self._listed[0] > LISTING_SECONDS:
                self._listed = (now, _scan(self.settings.folder))
            return self._listed[1]


def _scan(folder: str) -> tuple[LocalSubtitle, ...]:
    """Every subtitle file under ``folder`` whose name ends in a language code and a known format."""
    if not os.path.isdir(folder):
        raise ProviderError(f"The subtitle folder {folder} does not exist or is not a folder")
    found: list[LocalSubtitle] = []
    try:
        for root, _dirs, names in os.walk(folder, onerror=_raise):
            for name in names:
                subtitle = read_name(os.path.join(root, name))
                if subtitle is not None:
                    found.append(subtitle)
                    if len(found) >= MAX_FILES:
                        return tuple(found)
    except OSError as error:
        raise ProviderError(f"Could not list the subtitle folder {folder}: {error.strerror or error}") from None
    return tuple(sorted(found, key=lambda subtitle: subtitle.path))


def read_name(path: str) -> LocalSubtitle | None:
    """``/subs/Show.S01E02.720p-GRP.en.srt`` -> release ``Show.S01E02.720p-GRP``, language ``en``, format ``srt``."""
    stem, extension = os.path.splitext(os.path.basename(path))
    if extension.lower() not in FORMATS:
        return None
    release, _, code = stem.rpartition(".")
    language = iso_639_1(code) if release else None
    if language is None:
        return None
    return LocalSubtitle(path, release, language, extension.lower().lstrip("."))


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def _raise(error: OSError) -> None:
    raise error
