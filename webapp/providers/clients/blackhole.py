"""A blackhole: the grabbed torrent, magnet or NZB is written to a folder that a client watches.

A torrent goes to the torrent folder as ``<release title>.torrent`` (or ``.magnet``, holding the
magnet URI), an NZB to the NZB folder as ``<release title>.nzb``. Each file is written under a
hidden temporary name in the same folder and renamed into place, so that a watcher never picks
up half a file. The category plays no part.
"""
from __future__ import annotations

import contextlib
import logging
import os
import tempfile

import httpx

from ..base import ProviderError, Release
from ..settings import TORRENT, USENET, ClientSettings
from .connection import DEFAULT_TIMEOUT, ConfiguredClient
from .finished import FinishedDownload
from .payload import fetch_payload

log = logging.getLogger("cinephage.providers")

FOLDER_NAMES = {TORRENT: "torrent folder", USENET: "NZB folder"}


class Blackhole(ConfiguredClient):
    product = "Blackhole"

    def __init__(self, settings: ClientSettings, http: httpx.Client | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(settings, http, timeout)
        self._folders = {TORRENT: settings.torrent_folder, USENET: settings.nzb_folder}
        # It takes the releases of the protocols it has a folder for.
        self.protocols = tuple(protocol for protocol in settings.protocols if self._folders.get(protocol))

    def add(self, release: Release, category: str) -> str:
        """Writes the release's file into its folder; returns the file's path."""
        folder = self._writable_folder(release.protocol)
        with self.connection() as http:
            payload = fetch_payload(release, http, self._timeout)
        path = os.path.join(folder, payload.file_name)
        _write_atomically(path, payload.data)
        log.info("Wrote %s for blackhole %s: %s", release.title, self.name, path)
        return path

    def finished(self) -> list[FinishedDownload]:
        """Each file or folder in the download folder (where the watching client puts what it finished).

        Hidden names are left out (a client's work in progress). A blackhole knows no category:
        the import tells movies from episodes by name. Its id is its path.
        """
        folder = self.settings.download_folder
        if not folder:
            return []
        try:
            names = sorted(os.listdir(folder))
        except OSError as error:
            raise ProviderError(f"The blackhole's download folder {folder} cannot be read: "
                                f"{error.strerror or type(error).__name__}") from None
        return [FinishedDownload(os.path.join(folder, name), name, None, os.path.join(folder, name), None)
                for name in names if not name.startswith(".")]

    def test(self) -> str:
        if not self.protocols:
            raise ProviderError("The blackhole has neither a torrent folder nor an NZB folder set")
        folders = [f"{self._writable_folder(protocol)} ({FOLDER_NAMES[protocol]})" for protocol in self.protocols]
        return f"Blackhole folders are writable: {', '.join(folders)}"

    def _writable_folder(self, protocol: str) -> str:
        name = FOLDER_NAMES.get(protocol, f"{protocol} folder")
        folder = self._folders.get(protocol, "")
        if not folder:
            raise ProviderError(f"The blackhole {self.name} has no {name} set")
        if not os.path.isabs(folder):
            raise ProviderError(f"The blackhole's {name} {folder} is not an absolute path")
        if not os.path.isdir(folder):
            raise ProviderError(f"The blackhole's {name} {folder} does not exist or is not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ProviderError(f"The blackhole's {name} {folder} is not writable")
        return folder


def _write_atomically(path: str, data: bytes) -> None:
    """Writes a hidden temporary file beside ``path``, then renames it to ``path``."""
    fd, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".cinephage-", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide it from a client running as another user
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise ProviderError(f"Could not write {path}: {error.strerror or type(error).__name__}") from None
