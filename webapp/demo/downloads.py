"""The demo's download client: what turns a grab of the Demo Blackhole into a finished download.

A real blackhole is a folder some torrent or usenet client watches: it takes each ``.torrent``,
``.magnet`` or ``.nzb`` written there, downloads it and leaves the result in its download folder.
The demo has no such client and no network, so this stands in for it, for the Demo Blackhole
only: each grab file becomes ``<download folder>/<release>/<release>.mkv`` (a season pack, a file
per episode), a small placeholder video (sparse: it takes no room on disk), timed as finished
when it was grabbed; the grab file is taken away, as a watching client does. Completed-download
handling then finds it in the download folder and imports it, as it would a real client's.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
from pathlib import Path

from ..providers.settings import BLACKHOLE, ClientSettings

log = logging.getLogger("cinephage.demo")

DEMO_CLIENT = "Demo Blackhole"  # the name ``seed-demo`` gives it (``demo.providers``)
GRAB_SUFFIXES = (".torrent", ".magnet", ".nzb")
DOWNLOAD_BYTES = 1_400_000_000  # a placeholder's size: within every demo quality's bounds for its running time
SEASON_EPISODES = 8  # episodes in a demo season (``library.demo``)
_SEASON_ONLY = re.compile(r"(?i)(?<![a-z0-9])S(\d{1,2})(?![0-9E])")


def is_demo_client(settings: ClientSettings) -> bool:
    """The Demo Blackhole ``seed-demo`` made: its name, and its folders under a ``demo/blackhole`` folder."""
    folder = Path(settings.download_folder or "/")
    return (settings.implementation == BLACKHOLE and settings.name.casefold() == DEMO_CLIENT.casefold()
            and folder.parent.name == "blackhole" and folder.parent.parent.name == "demo")


def finish_demo_grabs(settings: ClientSettings) -> list[Path]:
    """Turns every grab file of the Demo Blackhole into a finished download; returns the downloads made.

    Other clients are left alone (a real client does this work for a real blackhole).
    """
    if not is_demo_client(settings):
        return []
    made = []
    for folder in (settings.torrent_folder, settings.nzb_folder):
        for grab in _grabs(folder):
            try:
                made.append(_download(grab, Path(settings.download_folder)))
            except OSError as error:
                log.warning("The demo download of %s failed: %s", grab.name, error.strerror or error)
    return made


def _grabs(folder: str) -> list[Path]:
    if not folder or not os.path.isdir(folder):
        return []
    return sorted(path for path in Path(folder).iterdir()
                  if path.suffix in GRAB_SUFFIXES and not path.name.startswith(".") and path.is_file())


def _download(grab: Path, downloads: Path) -> Path:
    """``<downloads>/<title>/`` with its video file(s), made under a hidden name and renamed whole into place."""
    title = grab.stem
    finished_at = grab.stat().st_mtime
    target = downloads / title
    staging = downloads / f".{title[:200]}.{secrets.token_hex(4)}.demo"
    staging.mkdir(parents=True)
    for name in _video_names(title):
        video = staging / f"{name}.mkv"
        with open(video, "wb") as file:
            file.truncate(DOWNLOAD_BYTES)
        os.utime(video, (finished_at, finished_at))
    if target.exists():  # grabbed twice: the first download stands
        for video in staging.iterdir():
            video.unlink()
        staging.rmdir()
    else:
        os.rename(staging, target)
    grab.unlink()
    log.info("Demo download finished: %s → %s", grab.name, target)
    return target


def _video_names(title: str) -> list[str]:
    """The release's one file, or for a season pack (``Show.S01.1080p...``) one file per episode."""
    season = _SEASON_ONLY.search(title)
    if season is None:
        return [title]
    return [_SEASON_ONLY.sub(f"S{int(season.group(1)):02d}E{number:02d}", title, count=1)
            for number in range(1, SEASON_EPISODES + 1)]
