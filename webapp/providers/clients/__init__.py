"""Download clients: a grabbed release handed to qBittorrent, Transmission, Deluge, SABnzbd, NZBGet or a blackhole.

``build_client(settings)`` makes the client a ``ClientSettings`` describes. Its ``add`` fetches
the release's torrent file, magnet URI or NZB from the indexer (see ``payload``) and hands it over
in the category given; its ``test`` says, for people, whether the client answers as expected.
Everything that goes wrong ends in ``ProviderError``, whose message never holds a secret.
"""
from __future__ import annotations

from collections.abc import Callable

import httpx

from ..base import DownloadClient as GrabClient  # the protocol the tasks grab through
from ..base import ProviderError
from ..settings import ClientSettings
from .blackhole import Blackhole
from .connection import DEFAULT_TIMEOUT
from .deluge import Deluge
from .nzbget import NZBGet
from .payload import Payload, fetch_payload
from .qbittorrent import QBittorrent
from .sabnzbd import SABnzbd
from .transmission import Transmission

__all__ = ["DEFAULT_TIMEOUT", "GrabClient", "Payload", "build_client", "fetch_payload"]

_IMPLEMENTATIONS: dict[str, Callable[[ClientSettings, httpx.Client | None, float], GrabClient]] = {
    "qbittorrent": QBittorrent,
    "transmission": Transmission,
    "deluge": Deluge,
    "sabnzbd": SABnzbd,
    "nzbget": NZBGet,
    "blackhole": Blackhole,
}


def build_client(settings: ClientSettings, http: httpx.Client | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> GrabClient:
    """The client ``settings`` describe.

    ``http`` fetches releases from indexers and talks to the clients spoken to over plain httpx
    (without it, each call opens and closes its own); ``timeout`` bounds every connection and read.
    """
    try:
        implementation = _IMPLEMENTATIONS[settings.implementation]
    except KeyError:
        raise ProviderError(f"There is no download client called {settings.implementation!r}") from None
    return implementation(settings, http, timeout)
