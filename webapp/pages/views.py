"""What the task templates show: relative times and a rendered ``_task_row.html``."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import render_template

from ..clock import UNIT_MINUTES
from ..errors import AppError
from ..runtime import Runtime
from ..services import tasks as service

_STEPS = ((86400, "day"), (3600, "hour"), (60, "minute"))


def parse_iso(text: str | None) -> datetime | None:
    """A timestamp as ``clock.iso`` writes it (``...Z``), back as an aware datetime."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


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


def progress_of(runtime: Runtime, task: dict[str, Any]) -> dict[str, Any] | None:
    """Processed/total of a running task, as its run last recorded them."""
    if task["status"] != "running":
        return None
    try:
        run = service.get_run(runtime.db, task["currentExecutionId"])
    except AppError:
        return None
    return {"processed": run["itemsProcessed"] or 0, "total": run["itemsTotal"] or 0, "currentItem": None}


def render_row(runtime: Runtime, task: dict[str, Any], now: datetime, *, error: str | None = None) -> str:
    """One task's ``_task_row.html``."""
    return render_template(
        "_task_row.html", task=task, now=now, error=error, units=tuple(UNIT_MINUTES), progress=progress_of(runtime, task),
    )


def render_progress(runtime: Runtime, task_id: str, event: dict[str, Any]) -> str:
    """A running task's ``_task_progress.html`` from a ``task:progress`` event (no database read)."""
    definition = service.definition_of(runtime.registry, task_id)
    progress = {"processed": event.get("processed") or 0, "total": event.get("total") or 0,
                "currentItem": event.get("currentItem")}
    return render_template("_task_progress.html", task={"id": task_id, "name": definition.name}, progress=progress)
