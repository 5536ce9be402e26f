"""How the pages write times and durations for people: relative, absolute, short."""
from __future__ import annotations

from datetime import datetime, timezone

from markupsafe import Markup, escape

from ..clock import iso

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
    """``2024-06-20 10:00:00 UTC``."""
    return moment.astimezone(timezone.utc).isoformat(sep=" ", timespec="seconds")[:19] + " UTC"


def moment(value: datetime | None, now: datetime, empty: str) -> Markup:
    """A time as ``<time>``: relative text, absolute UTC on hover; ``empty`` when there is none.

    A function rather than a template macro: tables call it on every row.
    """
    if value is None:
        return Markup(f'<span class="muted">{escape(empty)}</span>')
    # Nothing to escape: every part is written here from the datetime.
    return Markup(f'<time datetime="{iso(value)}" title="{absolute(value)}">{relative(value, now)}</time>')
