"""Print views and CSV exports of the history and activity tables: every filtered row, not one
screen page, streamed while the database is read in batches (a run may hold 100,000 rows)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, tzinfo
from typing import Any

from flask import stream_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from ..api.wire import activity_json, run_json  # the exports' columns are the API's fields
from ..clock import now_utc
from ..runtime import get_runtime
from . import bp
from .queries import activity_query, history_query, page_errors

CHUNK_CHARS = 64 * 1024  # what one write to the client holds, rather than one per template piece
HISTORY_COLUMNS = (
    "id", "taskId", "status", "queued", "trigger", "force", "queuedAt", "startedAt", "completedAt", "duration",
    "itemsProcessed", "itemsAffected", "itemsTotal", "error",
)
ACTIVITY_COLUMNS = ("id", "historyId", "timestamp", "mediaId", "mediaTitle", "action", "status", "message")
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@bp.get("/tasks/<task_id>/history/print")
@login_required
def history_print(task_id: str) -> Response:
    runtime = get_runtime()
    with page_errors():
        task = runtime.tasks.get(task_id)
        query = history_query()
        runs = runtime.history.all_runs(task_id, query.status)
    return _streamed_page(
        "history_print.html", task=task, query=query, runs=runs,
        back=url_for("pages.history", task_id=task_id, **query.args(page=None)),
        csv=url_for("pages.history_csv", task_id=task_id, **query.args(page=None)),
    )


@bp.get("/runs/<run_id>/print")
@login_required
def run_print(run_id: str) -> Response:
    runtime = get_runtime()
    with page_errors():
        run = runtime.history.run(run_id)
        task = runtime.tasks.get(run.task_id)
        query = activity_query()
        rows = runtime.history.all_activity(run_id, query.status, query.search)
    filters = query.args(page=None)
    return _streamed_page(
        "run_print.html", run=run, task=task, query=query, rows=rows,
        back=url_for("pages.run_page", run_id=run_id, **filters),
        csv=url_for("pages.activity_csv", run_id=run_id, **filters),
    )


@bp.get("/tasks/<task_id>/history.csv")
@login_required
def history_csv(task_id: str) -> Response:
    runtime = get_runtime()
    with page_errors():
        query = history_query()
        runs = runtime.history.all_runs(task_id, query.status)
    name = "-".join(filter(None, (task_id, "history", query.status, _stamp(now_utc()))))
    return _csv_download(f"{name}.csv", HISTORY_COLUMNS, map(run_json, runs))


@bp.get("/runs/<run_id>/activity.csv")
@login_required
def activity_csv(run_id: str) -> Response:
    runtime = get_runtime()
    with page_errors():
        query = activity_query()
        rows = runtime.history.all_activity(run_id, query.status, query.search)
    name = "-".join(filter(None, (run_id, "activity", query.status, _stamp(now_utc()))))
    return _csv_download(f"{name}.csv", ACTIVITY_COLUMNS, map(activity_json, rows))


def server_time(moment: datetime, zone: tzinfo | None = None) -> str | None:
    """``moment`` in the server's time zone (``zone`` in tests), or None when that zone is UTC."""
    local = moment.astimezone(zone)
    if local.utcoffset() == timedelta(0):
        return None
    return local.strftime("%Y-%m-%d %H:%M:%S %Z")


def csv_cell(value: object) -> object:
    """A value as one CSV cell: booleans as ``true``/``false``, text that a spreadsheet would
    run as a formula behind a ``'`` that makes it plain text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A byte-order mark (spreadsheets then read UTF-8), a header row, then one line per row, in chunks."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row[column]) for column in columns])
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _csv_download(filename: str, columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    return Response(csv_text(columns, rows), mimetype="text/csv", headers=headers)


def _streamed_page(template: str, **context: Any) -> Response:
    """A page sent while it renders, its table read batch by batch."""
    now = now_utc()
    pieces = stream_template(template, now=now, server_time=server_time(now), **context)
    return Response(_chunks(pieces), mimetype="text/html")


def _chunks(pieces: Iterable[str]) -> Iterator[str]:
    """Template output regrouped into writes of about ``CHUNK_CHARS``."""
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARS:
            yield "".join(buffer)
            buffer, size = [], 0
    yield "".join(buffer)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")
