"""How the pages write times and durations for people: relative, absolute, short."""
from __future__ import annotations

from datetime import datetime, timezone

_STEPS = ((86400, "day"), (3600, "hour"), (60, "minute"))


def relative(moment: datetime, now: datetime) -> str:
    """``in 5 hours``, ``3 minutes ago``, ``just now``: the largest whole unit."""
    seconds = (moment - now).total_seconds()
    span = abs(seconds)
    if span < 45:
        return "just now"
    for size, unit in _STEPS:
        if span >= size:
            count = round(span / size)
            break
    else:
        count, unit = 1, "minute"
    words = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"in {words}" if seconds > 0 else f"{words} ago"


def duration(milliseconds: int | None) -> str:
    """``850 ms``, ``12.4 s``, ``3 min 5 s``, ``2 h 4 min``; an empty string while unknown."""
    if milliseconds is None:
        return ""
    if milliseconds < 1000:
        return f"{milliseconds} ms"
    seconds = milliseconds / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def absolute(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
