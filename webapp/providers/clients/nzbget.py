"""NZBGet, through its JSON-RPC (``<url base>/jsonrpc``) with HTTP basic authentication.

``append`` takes the NZB's content in base64 and answers the new queue item's NZBID (0 or less
when NZBGet refused it); errors come as ``{"error": {"name": "JSONRPCError", "code", "message"}}``.
"""
from __future__ import annotations

import base64
import logging
from typing import Any

import httpx

from ..base import ProviderError, ReleaseRefused, Release
from .connection import ConfiguredClient
from .finished import FinishedDownload, kind_of
from .payload import fetch_payload

log = logging.getLogger("cinephage.providers")

NORMAL_PRIORITY = 0


class NZBGet(ConfiguredClient):
    product = "NZBGet"
    default_port = 6789

    def add(self, release: Release, category: str) -> str:
        """Appends the NZB to the queue in ``category``, not paused; returns its NZBID."""
        with self.connection() as http:
            payload = fetch_payload(release, http, self._timeout)
            content = base64.b64encode(payload.data).decode("ascii")
            # NZBFilename, Content, Category, Priority, AddToTop, AddPaused, DupeKey, DupeScore, DupeMode, PPParameters
            nzb_id = self._call(http, "append", [payload.file_name, content, category, NORMAL_PRIORITY,
                                                 False, False, "", 0, "SCORE", []])
        if isinstance(nzb_id, bool) or not isinstance(nzb_id, int) or nzb_id <= 0:
            raise ReleaseRefused(f"NZBGet refused the NZB of {release.title} (append answered {self.brief(nzb_id)})")
        log.info("Handed %s to NZBGet %s in category %s: %s", release.title, self.name, category, nzb_id)
        return str(nzb_id)

    def finished(self) -> list[FinishedDownload]:
        """The NZBs of our categories whose history Status is SUCCESS/..., with their ``FinalDir`` or ``DestDir``."""
        with self.connection() as http:
            history = self._call(http, "history", [False])  # False: without the hidden (duplicate) entries
        if not isinstance(history, list):
            raise ProviderError("NZBGet answered history with something that is not a list")
        ours = (self.settings.movie_category, self.settings.tv_category)
        return [FinishedDownload(str(entry["NZBID"]), str(entry.get("Name", "")), entry["Category"],
                                 str(entry.get("FinalDir") or entry["DestDir"]), kind_of(self.settings, entry["Category"]))
                for entry in history if _is_complete(entry, ours)]

    def test(self) -> str:
        with self.connection() as http:
            version = self._call(http, "version", [])
        return f"Connected to NZBGet {self.brief(version)}"

    def _call(self, http: httpx.Client, method: str, params: list[Any]) -> Any:
        body = self.post_json(http, f"{self.url}/jsonrpc",
                              auth=(self.settings.username, self.settings.password),
                              json={"version": "1.1", "method": method, "params": params, "id": 1})
        if not isinstance(body, dict) or not ("result" in body or "error" in body):
            raise ProviderError(f"NZBGet answered {method} with something that is not JSON-RPC")
        error = body.get("error")
        if error:
            message = error.get("message") if isinstance(error, dict) else error
            raise ProviderError(f"NZBGet refused {method}: {self.brief(message or 'no explanation')}")
        return body["result"]


def _is_complete(entry: object, categories: tuple[str, ...]) -> bool:
    """An NZB (not a URL or a duplicate) of one of ``categories`` that succeeded ("SUCCESS/UNPACK", "SUCCESS/ALL")."""
    return (isinstance(entry, dict) and entry.get("Kind", "NZB") == "NZB" and entry.get("Category") in categories
            and str(entry.get("Status", "")).startswith("SUCCESS") and "NZBID" in entry
            and bool(entry.get("FinalDir") or entry.get("DestDir")))
