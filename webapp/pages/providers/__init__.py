"""``/settings/indexers``, ``/settings/download-clients`` and ``/settings/subtitles``: the configured
providers, a page per kind, through the same service calls as the API.

Each kind's page holds one section (``_indexers.html``, ``_download_clients.html``,
``_subtitle_providers.html``): its providers, each with one form to edit, test or delete it, and
a form to add one. What every kind shares is in ``forms`` (what a page shows, form text into
the service's values) and ``handlers`` (the answers and routes); ``kinds`` names each kind's
service calls and fields. The subtitles page adds the wanted languages (``languages``,
``subtitle_languages``).
Secrets (API keys, passwords) are never written into a page.
"""
from __future__ import annotations

from . import subtitle_languages  # noqa: F401  (its route registers on ``bp``)
from .forms import Answer, Entry, Kind, ProviderForm, Section
from .handlers import add_routes
from .kinds import CLIENTS, INDEXERS, SUBTITLES

add_routes(INDEXERS, "indexer")
add_routes(CLIENTS, "client")
add_routes(SUBTITLES, "subtitle")

__all__ = ["Answer", "CLIENTS", "Entry", "INDEXERS", "Kind", "ProviderForm", "SUBTITLES", "Section"]
