"""The delay setting as every face reads and changes it (``GET/PUT /api/settings/delay``, the settings page).

Field names in messages are the API's: ``usenetDelay`` and ``torrentDelay`` in minutes,
``bypassIfHighestQuality``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..db import Database
from ..errors import ValidationError
from ..library.delay import MAX_DELAY_MINUTES, Delay, load_delay, save_delay

# The value's fields by the names the API gives them.
API_NAMES = {"usenet_minutes": "usenetDelay", "torrent_minutes": "torrentDelay",
             "bypass_if_highest": "bypassIfHighestQuality"}


class DelayService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self) -> Delay:
        with self.db.read() as session:
            return load_delay(session)

    def update(self, changes: Mapping[str, Any], now: datetime) -> Delay:
        """Changes the fields given (by their Python names); the next searches hold releases by it."""
        unknown = sorted(set(changes) - set(API_NAMES))
        if unknown:
            raise ValidationError(f"Unknown field(s): {', '.join(unknown)}", "UNKNOWN_FIELD")
        for name, value in changes.items():
            _check(name, value)
        return save_delay(self.db, replace(self.get(), **changes), now)


def _check(name: str, value: Any) -> None:
    if name == "bypass_if_highest":
        if type(value) is not bool:
            raise ValidationError(f"'{API_NAMES[name]}' must be true or false", "INVALID_FIELD")
    elif type(value) is not int or not 0 <= value <= MAX_DELAY_MINUTES:
        raise ValidationError(
            f"'{API_NAMES[name]}' must be an integer from 0 to {MAX_DELAY_MINUTES} (minutes)", "INVALID_FIELD"
        )
