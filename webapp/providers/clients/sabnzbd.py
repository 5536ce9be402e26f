"""SABnzbd, through its HTTP API (``<url base>/api``).

Every call is a POST whose form carries ``apikey``, ``mode`` and ``output=json``: SABnzbd reads
its parameters from the query or the body alike, and in the body the key stays out of every URL
an HTTP library might log. SABnzbd answers its errors with HTTP 200 and
``{"status": false, "error": "..."}``.
"""
from __future__ import annotations

import logging
from typing import Any

import httpx

from ..base import ProviderError, ReleaseRefused, Release
from .connection import ConfiguredClient
from .finished import FinishedDownload, kind_of
from .payload import fetch_payload

log = logging.getLogger("cinephage.providers")

HISTORY_LIMIT = 200  # the newest jobs of a category looked at, each round


class SABnzbd(ConfiguredClient):
    product = "SABnzbd"
    default_port = 8080

    def add(self, release: Release, category: str) -> str:
        """Uploads the NZB (``mode=addfile``) in ``category``; returns SABnzbd's nzo_id."""
        self._require_api_key()
        with self.connection() as http:
            payload = fetch_payload(release, http, self._timeout)
            answer = self._api(http, "addfile", {"cat": category, "nzbname": release.title},
                               files={"name": (payload.file_name, payload.data, "application/x-nzb")})
        ids = answer.get("nzo_ids")
        if answer.get("status") is not True or not isinstance(ids, list) or not ids:
            raise ReleaseRefused(f"SABnzbd did not take the NZB of {release.title} (it added no job)")
        log.info("Handed %s to SABnzbd %s in category %s: %s", release.title, self.name, category, ids[0])
        return str(ids[0])

    def finished(self) -> list[FinishedDownload]:
        """The jobs of our categories that SABnzbd's history says Completed, with their ``storage`` folder."""
        self._require_api_key()
        found = []
        with self.connection() as http:
            for category in dict.fromkeys((self.settings.movie_category, self.settings.tv_category)):
                history = self._api(http, "history", {"category": category, "limit": str(HISTORY_LIMIT)}).get("history")
                slots = history.get("slots") if isinstance(history, dict) else None
                if not isinstance(slots, list):
                    raise ProviderError("SABnzbd answered mode=history without its list of jobs")
                found += [FinishedDownload(str(slot["nzo_id"]), str(slot.get("name", "")), category,
                                           str(slot["storage"]), kind_of(self.settings, category))
                          for slot in slots if _is_complete(slot, category)]
        return found

    def test(self) -> str:
        """Asks the version (needs no key), then the categories (needs the full API key)."""
        self._require_api_key()
        with self.connection() as http:
            version = self.brief(self._api(http, "version").get("version", "(version unknown)"))
            config = self._api(http, "get_config", {"section": "categories"}).get("config")
        categories = config.get("categories") if isinstance(config, dict) else None
        names = {str(c.get("name")) for c in categories if isinstance(c, dict)} if isinstance(categories, list) else set()
        missing = [name for name in (self.settings.movie_category, self.settings.tv_category) if name not in names]
        if missing:
            raise ProviderError(f"SABnzbd {version} answered, but has no category {' or '.join(missing)}: "
                                "add it under Config → Categories")
        return f"SABnzbd {version} answered"

    def _api(self, http: httpx.Client, mode: str, fields: dict[str, str] | None = None,
             files: dict[str, tuple[str, bytes, str]] | None = None) -> dict[str, Any]:
        form = {"mode": mode, "output": "json", "apikey": self.settings.api_key, **(fields or {})}
        body = self.post_json(http, f"{self.url}/api", credentials="API key", data=form, files=files)
        if not isinstance(body, dict):
            raise ProviderError(f"SABnzbd answered mode={mode} with something that is not its JSON")
        if body.get("status") is False and body.get("error"):
            said = self.brief(body["error"])
            if "api key" in said.lower():
                raise ProviderError(f"SABnzbd refused the API key ({said})")
            raise ProviderError(f"SABnzbd refused mode={mode}: {said}")
        return body

    def _require_api_key(self) -> None:
        if not self.settings.api_key:
            raise ProviderError("SABnzbd needs its API key (Config → General → Security)")


def _is_complete(slot: object, category: str) -> bool:
    """A history job that completed in the category asked for (SABnzbd 2 and older ignore the filter)."""
    return (isinstance(slot, dict) and slot.get("status") == "Completed" and slot.get("category") == category
            and bool(slot.get("nzo_id")) and bool(slot.get("storage")))
