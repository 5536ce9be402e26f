"""A download a client reports finished, in one of our categories: what completed-download handling imports.

Each client lists them from its own protocol's fields (see its ``finished`` method): qBittorrent's
progress and ``content_path``, Transmission's percentDone and labels, Deluge's label and
``is_finished``, SABnzbd's history ``storage``, NZBGet's history ``DestDir``, a blackhole's folder.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Protocol

from ..settings import ClientSettings

MOVIES, TV = "movie", "episode"  # what a category says a download holds (the library's item kinds)


@dataclass(frozen=True)
class FinishedDownload:
    """A finished download: the client's id of it, its name, its category and where its files are.

    ``kind`` is ``movie`` or ``episode`` as the category says, None when the client keeps no category
    (a blackhole's folder). ``path`` is a file or a folder, as the client's machine names it.
    """

    download_id: str
    name: str
    category: str | None
    path: str
    kind: str | None


class ListsFinished(Protocol):
    """A download client that can say which of its downloads are finished."""

    name: str
    settings: ClientSettings

    def finished(self) -> list[FinishedDownload]: ...


def kind_of(settings: ClientSettings, category: str) -> str | None:
    """``movie`` for the client's movie category, ``episode`` for its TV one, None for any other."""
    if category == settings.movie_category:
        return MOVIES
    if category == settings.tv_category:
        return TV
    return None


def joined(folder: str, name: str) -> str:
    """A download's path from its client's folder and its name (the client's paths are POSIX or Windows alike)."""
    if not folder:
        return name
    separator = "\\" if "\\" in folder and "/" not in folder else "/"
    return folder.rstrip("/\\") + separator + name if separator == "\\" else posixpath.join(folder, name)
