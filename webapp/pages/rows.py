"""The task list's rows (``_task_row.html``), rendered once and shared.

Every open dashboard shows the same rows, so each process renders a task's row once per
event, and every row once per ``ROW_STAMP_SECONDS`` while nothing changes, and each page
and stream copies the text. The one part of a row that belongs to its reader is the forms'
CSRF token: a shared row holds ``slot`` instead (random per process, so no content can
spell it) and each reader puts its own token there.
"""
from __future__ import annotations

import json
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template
from flask.sansio.app import App
from flask_wtf.csrf import generate_csrf

from ..clock import UNIT_MINUTES, now_utc
from ..engine.events import Event
from ..errors import AppError
from ..runtime import Runtime
from ..services.tasks import Task

ROW_STAMP_SECONDS = 10  # a shared row's relative times ("in 4 minutes") are at most this old
KEPT_EVENTS = 256  # rendered event messages kept for streams that read a little behind
EXTENSION = "cinephage.rows"


@dataclass(frozen=True)
class Progress:
    processed: int
    total: int
    current_item: str | None = None


@dataclass(frozen=True)
class RowSet:
    """Every task's row at one moment: as HTML for the page, as SSE messages for a stream."""

    html: str
    messages: str


def sse(event_name: str, html: str, event_id: int | None = None) -> str:
    """One SSE message; every line of the fragment gets its own ``data:`` prefix."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    data = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
    return f"{head}event: {event_name}\n{data}\n"


def progress_of(runtime: Runtime, task: Task) -> Progress | None:
    """Processed/total of a running task, as its run last recorded them."""
    if task.status != "running" or task.run_id is None:
        return None
    try:
        run = runtime.history.run(task.run_id)
    except AppError:
        return None
    return Progress(run.items_processed or 0, run.items_total or 0)


def render_row(
    runtime: Runtime, task: Task, now: datetime, *, csrf: str | None = None, error: str | None = None
) -> str:
    """One task's ``_task_row.html``, its forms carrying ``csrf`` (the session's token by default)."""
    return render_template(
        "_task_row.html", task=task, now=now, error=error, units=tuple(UNIT_MINUTES),
        progress=progress_of(runtime, task), csrf=csrf or generate_csrf(),
    )


def render_progress(task_id: str, name: str, progress: Progress) -> str:
    return render_template("_task_progress.html", task_id=task_id, name=name, progress=progress)


class SharedRows:
    """This process's rendered rows: one per task event, and the whole set."""

    def __init__(self) -> None:
        self.slot = f"csrf-{secrets.token_hex(16)}"
        self._lock = threading.Lock()  # one renderer of an event at a time: the others wait and copy
        self._events: OrderedDict[int, str] = OrderedDict()

    def every_row(self, runtime: Runtime) -> RowSet:
        """Every row as it is now (at most ``ROW_STAMP_SECONDS`` old while no task changes)."""
        now = now_utc()
        stamp = int(now.timestamp() // ROW_STAMP_SECONDS)
        return runtime.tasks.derived("page-rows", lambda tasks: self._render_all(runtime, tasks, now), stamp)

    def event_message(self, runtime: Runtime, event: Event) -> str:
        """The SSE message for one task event: the task's fresh row, or its progress alone."""
        with self._lock:
            message = self._events.get(event.id)
            if message is None:
                message = self._events[event.id] = self._render_event(runtime, event)
                if len(self._events) > KEPT_EVENTS:
                    self._events.popitem(last=False)
        return message

    def _render_all(self, runtime: Runtime, tasks: tuple[Task, ...], now: datetime) -> RowSet:
        rows = [(task.id, render_row(runtime, task, now, csrf=self.slot)) for task in tasks]
        return RowSet("\n".join(html for _, html in rows), "".join(sse(f"task-{id_}", html) for id_, html in rows))

    def _render_event(self, runtime: Runtime, event: Event) -> str:
        task_id = event.task_id or ""
        try:
            if event.type == "task:progress":
                fields = json.loads(event.data)
                progress = Progress(fields.get("processed") or 0, fields.get("total") or 0, fields.get("currentItem"))
                html = render_progress(task_id, runtime.tasks.definition(task_id).name, progress)
                return sse(f"progress-{task_id}", html, event.id)
            task = runtime.tasks.get(task_id)
        except AppError:  # a task this version does not know: nothing to show
            return f"id: {event.id}\n\n"
        return sse(f"task-{task_id}", render_row(runtime, task, now_utc(), csrf=self.slot), event.id)


def init_app(app: App) -> None:
    app.extensions[EXTENSION] = SharedRows()


def shared_rows() -> SharedRows:
    rows: SharedRows = current_app.extensions[EXTENSION]
    return rows
