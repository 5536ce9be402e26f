"""The rules a configured indexer or download client must follow, in one place for every face.

Each check takes a settings value and returns it tidied (categories without repeats, a
client's usual port) or raises ``ValidationError`` naming the field as the API spells it.
The patterns are those ``openapi.json`` gives, character for character: what the description
accepts, the service accepts, and nothing else.
"""
from __future__ import annotations

import re
from dataclasses import replace

from ..errors import ValidationError
from ..providers.settings import (
    BLACKHOLE,
    CLIENT_IMPLEMENTATIONS,
    INDEXER_IMPLEMENTATIONS,
    ClientSettings,
    IndexerSettings,
)

# The patterns are written for both Python's ``re`` and the ECMA dialect of JSON Schema, so
# they name their characters: ``\s`` and ``.`` mean slightly different things in each.
CONTROLS = r"\u0000-\u001f\u007f-\u009f"
SPACES = r" \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"  # besides \t\n\v\f\r, controls
NOT_PRINTABLE = f"[{CONTROLS}]"
VISIBLE = f"[^{SPACES}{CONTROLS}]"
NOT_IN_URL = f"[{SPACES}{CONTROLS}]"
NOT_IN_HOST = f"[{SPACES}/?#@\\\\{CONTROLS}]"
_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
BASE_URL = r"^https?://([A-Za-z0-9._\-]+|\[[0-9A-Fa-f:.]+\])(:" + _PORT + r")?(/" + VISIBLE + r"*)?$"
# Lone surrogates are no text at all (no UTF-8, no PostgreSQL): refused everywhere, and
# beyond what a pattern of the description can say.
_UNPAIRED = "[\ud800-\udfff]"
NAME_LENGTH, URL_LENGTH, SECRET_LENGTH, HOST_LENGTH, FOLDER_LENGTH = 100, 2000, 500, 255, 1000
MAX_CATEGORY = 999_999  # Newznab's standard categories are 4 digits; indexers' own ones 6
MAX_CATEGORIES = 100
MAX_SEEDERS = 999_999_999
# Where each client listens unless told otherwise; a blackhole listens nowhere.
USUAL_PORTS = {"qbittorrent": 8080, "transmission": 9091, "deluge": 8112, "sabnzbd": 8080, "nzbget": 6789}


def name_key(name: str) -> str:
    """What two names that differ only in case (or in spaces around them) have in common."""
    return name.strip().casefold()


def check_indexer(settings: IndexerSettings) -> IndexerSettings:
    check_name(settings.name)
    check_choice("implementation", settings.implementation, INDEXER_IMPLEMENTATIONS)
    check_base_url(settings.base_url)
    check_text("apiKey", settings.api_key, SECRET_LENGTH)
    check_between("priority", settings.priority, 1, 100)
    check_between("minimumSeeders", settings.minimum_seeders, 0, MAX_SEEDERS)
    return replace(settings, categories=_categories(settings.categories))


def check_client(settings: ClientSettings) -> ClientSettings:
    check_name(settings.name)
    check_choice("implementation", settings.implementation, CLIENT_IMPLEMENTATIONS)
    check_between("priority", settings.priority, 1, 100)
    if not 1 <= len(settings.host) <= HOST_LENGTH or _unprintable(settings.host, NOT_IN_HOST):
        raise ValidationError(
            "'host' must be a host name or an IP address (no scheme, path or spaces)", "INVALID_FIELD"
        )
    port = settings.port or USUAL_PORTS.get(settings.implementation, 0)  # 0: none given
    if settings.implementation != BLACKHOLE or port:
        check_between("port", port, 1, 65535)
    check_path("urlBase", settings.url_base, 200, NOT_IN_URL)
    check_text("username", settings.username, 200)
    check_text("password", settings.password, SECRET_LENGTH)
    check_text("apiKey", settings.api_key, SECRET_LENGTH)
    check_text("movieCategory", settings.movie_category, 100)
    check_text("tvCategory", settings.tv_category, 100)
    check_path("torrentFolder", settings.torrent_folder, FOLDER_LENGTH)
    check_path("nzbFolder", settings.nzb_folder, FOLDER_LENGTH)
    check_path("downloadFolder", settings.download_folder, FOLDER_LENGTH)
    if settings.implementation == BLACKHOLE and not (settings.torrent_folder or settings.nzb_folder):
        raise ValidationError("A blackhole needs a 'torrentFolder', an 'nzbFolder', or both", "FOLDER_REQUIRED")
    return replace(settings, port=port)


def check_name(name: str) -> None:
    if not 1 <= len(name) <= NAME_LENGTH or _unprintable(name, NOT_PRINTABLE) or not re.search(VISIBLE, name):
        raise ValidationError(
            f"'name' must be 1 to {NAME_LENGTH} printable characters, not only spaces", "INVALID_FIELD"
        )


def _unprintable(value: str, forbidden: str) -> bool:
    return bool(re.search(forbidden, value) or re.search(_UNPAIRED, value))


def check_choice(field: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValidationError(f"'{field}' must be one of: {', '.join(choices)}", "INVALID_FIELD")


def check_between(field: str, value: int, minimum: int, maximum: int) -> None:
    if type(value) is not int or not minimum <= value <= maximum:
        raise ValidationError(f"'{field}' must be an integer from {minimum} to {maximum}", "INVALID_FIELD")


def check_text(field: str, value: str, length: int) -> None:
    if len(value) > length or _unprintable(value, NOT_PRINTABLE):
        raise ValidationError(f"'{field}' must be at most {length} printable characters", "INVALID_FIELD")


def check_path(field: str, value: str, length: int, forbidden: str = NOT_PRINTABLE) -> None:
    """Empty, or an absolute path: ``/`` and at most ``length`` characters, none ``forbidden``."""
    if value and (len(value) > length or not value.startswith("/") or _unprintable(value, forbidden)):
        raise ValidationError(
            f"'{field}' must be empty or an absolute path (starting with '/') of at most {length} characters",
            "INVALID_FIELD",
        )


def check_base_url(value: str) -> None:
    if len(value) > URL_LENGTH or not re.search(BASE_URL, value) or _unprintable(value, NOT_IN_URL):
        raise ValidationError(
            f"'baseUrl' must be an http:// or https:// URL (a host name or IP address, an optional port "
            f"and path) of at most {URL_LENGTH} characters", "INVALID_FIELD",
        )


def _categories(categories: tuple[int, ...]) -> tuple[int, ...]:
    if len(categories) > MAX_CATEGORIES or any(
        type(category) is not int or not 0 <= category <= MAX_CATEGORY for category in categories
    ):
        raise ValidationError(
            f"'categories' must be at most {MAX_CATEGORIES} integers from 0 to {MAX_CATEGORY}", "INVALID_FIELD"
        )
    return tuple(dict.fromkeys(categories))  # repeats dropped, the order kept
