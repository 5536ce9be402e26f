"""The metadata source as every face reads, changes and tries it (``/api/settings/metadata``, its page).

One setting, stored in one row: which implementation (TMDB), its base URL and its key. Every
value is checked here, with the patterns ``openapi.json`` gives, so that every face refuses the
same input with the same message. The key comes back only to the code that uses it: the API
and the page say whether one is stored, never what it is. Field names in messages are the API's.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import fields, replace
from datetime import datetime
from typing import Any

from ..db import Database
from ..errors import ValidationError
from ..models import MetadataSetting
from ..providers.base import ProviderError
from ..providers.testing import TEST_SECONDS, within
from ..providers.tmdb import METADATA_IMPLEMENTATIONS, MetadataSettings, TmdbSource
from .provider_checks import BASE_URL, NOT_IN_URL, SECRET_LENGTH, URL_LENGTH
from .providers import ProviderCheck

log = logging.getLogger("cinephage.providers")

SETTINGS_ID = 1
# The settings fields by the names the API gives them.
API_NAMES = {"implementation": "implementation", "base_url": "baseUrl", "api_key": "apiKey"}
KEY_PATTERN = r"[!-~]*"  # (whole key) TMDB's keys and tokens are visible ASCII: no space, nothing a header cannot carry
_UNPAIRED = "[\ud800-\udfff]"


class MetadataService:
    """The metadata source's settings, stored; what New Episodes' runs build their source from."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self) -> MetadataSettings:
        """As set; TMDB's public API and no key until something is set."""
        with self.db.read() as session:
            row = session.get(MetadataSetting, SETTINGS_ID)
            if row is None:
                return MetadataSettings()
            return MetadataSettings(row.implementation, row.base_url, row.api_key)

    def update(self, changes: Mapping[str, Any], now: datetime) -> MetadataSettings:
        """Changes the fields given (by their Python names); a key not given is kept, ``""`` clears it.

        The next New Episodes run uses the new settings; nothing is stored when any value is refused.
        """
        with self.db.write() as session:
            row = session.get(MetadataSetting, SETTINGS_ID, with_for_update=True)
            current = MetadataSettings() if row is None else MetadataSettings(
                row.implementation, row.base_url, row.api_key)
            settings = changed(current, changes)
            if row is None:
                row = MetadataSetting(id=SETTINGS_ID)
                session.add(row)
            row.implementation, row.base_url, row.api_key = settings.implementation, settings.base_url, settings.api_key
            row.updated_at = now
        log.info("Metadata source changed (%s)", ", ".join(API_NAMES[name] for name in sorted(changes)) or "nothing")
        return settings

    def test(self, changes: Mapping[str, Any] | None = None) -> ProviderCheck:
        """Tries the source as set, with ``changes`` (a form's edits, say) applied but not saved."""
        settings = changed(self.get(), changes or {})
        if not settings.configured:
            return ProviderCheck(False, "TMDB answers no request without an API key: enter one (TMDB account → "
                                        "Settings → API), then test again")
        try:
            return ProviderCheck(True, within(TEST_SECONDS, TmdbSource(settings).test, "TMDB"))
        except ProviderError as error:
            return ProviderCheck(False, str(error))
        except Exception as error:  # noqa: BLE001 - a library's surprise is still a failed test
            log.error("testing the metadata source failed unexpectedly: %s", type(error).__name__)
            return ProviderCheck(False, f"The test failed unexpectedly ({type(error).__name__})")


def changed(settings: MetadataSettings, changes: Mapping[str, Any]) -> MetadataSettings:
    """``settings`` with ``changes`` applied, every value checked; ValidationError names the first refused."""
    unknown = sorted(set(changes) - {field.name for field in fields(MetadataSettings)})
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(unknown)}", "UNKNOWN_FIELD")
    return check(replace(settings, **changes))


def check(settings: MetadataSettings) -> MetadataSettings:
    if settings.implementation not in METADATA_IMPLEMENTATIONS or type(settings.implementation) is not str:
        raise ValidationError(f"'implementation' must be one of: {', '.join(METADATA_IMPLEMENTATIONS)}",
                              "INVALID_FIELD")
    url = settings.base_url
    if type(url) is not str or len(url) > URL_LENGTH or not re.search(BASE_URL, url) or re.search(NOT_IN_URL, url) \
            or re.search(_UNPAIRED, url):
        raise ValidationError(
            f"'baseUrl' must be an http:// or https:// URL (a host name or IP address, an optional port and path) "
            f"of at most {URL_LENGTH} characters, such as https://api.themoviedb.org/3", "INVALID_FIELD",
        )
    key = settings.api_key
    if type(key) is not str or len(key) > SECRET_LENGTH or not re.fullmatch(KEY_PATTERN, key):
        raise ValidationError(
            f"'apiKey' must be at most {SECRET_LENGTH} visible ASCII characters (a TMDB API key or read access "
            "token), without spaces", "INVALID_FIELD",
        )
    return settings
