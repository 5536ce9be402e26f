"""The Tasks API routes: parse, call a service, serialise."""
from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from flask import Response, jsonify

from ..clock import UNIT_MINUTES, now_utc
from ..parsing import query_choice, query_int, query_text
from ..runtime import get_runtime
from ..services.history import ACTIVITY_STATUSES, HISTORY_STATUSES
from ..services.tasks import Task
from . import bp
from .params import boolean, choice, integer, json_object, mapping
from .wire import activity_json, pagination_json, run_json, task_json


@bp.get("/tasks")
def list_tasks() -> Response:
    """The hot path of every integration: the JSON is built once per change to any task."""
    return Response(get_runtime().tasks.derived("api", _task_list_json), mimetype="application/json")


def _task_list_json(tasks: tuple[Task, ...]) -> bytes:
    return json.dumps({"tasks": [task_json(task) for task in tasks]}, separators=(",", ":")).encode()


@bp.get("/tasks/<task_id>")
def get_task(task_id: str) -> Response:
    return jsonify(task=task_json(get_runtime().tasks.get(task_id)))


@bp.post("/tasks/<task_id>/run")
def run_task(task_id: str) -> Response:
    tasks = get_runtime().tasks
    tasks.definition(task_id)  # an unknown task is a 404 whatever the body says
    body = json_object({"force", "options"})
    force = boolean(body, "force", default=False)
    options = mapping(body, "options")
    accepted = tasks.run(task_id, force=force, options=options, now=now_utc())
    return jsonify(success=True, taskId=task_id, executionId=accepted.run_id, message=accepted.message)


@bp.post("/tasks/<task_id>/cancel")
def cancel_task(task_id: str) -> Response:
    tasks = get_runtime().tasks
    tasks.definition(task_id)
    json_object(set())
    run_id = tasks.cancel(task_id, now_utc())
    return jsonify(success=True, taskId=task_id, executionId=run_id, message="Task cancellation requested")


@bp.put("/tasks/<task_id>/enabled")
def set_enabled(task_id: str) -> Response:
    tasks = get_runtime().tasks
    tasks.definition(task_id)
    body = json_object({"enabled"}, required={"enabled"})
    task = task_json(tasks.set_enabled(task_id, boolean(body, "enabled"), now_utc()))
    return jsonify(success=True, taskId=task_id, enabled=task["enabled"], nextRunAt=task["nextRunAt"], task=task)


@bp.put("/tasks/<task_id>/interval")
def set_interval(task_id: str) -> Response:
    tasks = get_runtime().tasks
    tasks.definition(task_id)
    body = json_object({"interval", "unit"}, required={"interval", "unit"})
    interval, unit = integer(body, "interval"), choice(body, "unit", tuple(UNIT_MINUTES))
    task = task_json(tasks.set_interval(task_id, interval, unit, now_utc()))
    return jsonify(
        success=True, taskId=task_id, interval=task["interval"], intervalUnit=task["intervalUnit"],
        nextRunAt=task["nextRunAt"],
    )


@bp.get("/tasks/<task_id>/history")
def history(task_id: str) -> Response:
    runtime = get_runtime()
    runtime.tasks.definition(task_id)
    page = query_int("page", 1, 1, 999_999_999)
    limit = query_int("limit", 20, 1, 100)
    status = query_choice("status", HISTORY_STATUSES, blank_means_all=False)
    runs = runtime.history.runs(task_id, page, limit, status)
    return jsonify(history=[run_json(run) for run in runs.items], pagination=pagination_json(runs))


# The URL variables keep tasks-api.txt's name (``:historyId``), which its OpenAPI paths repeat;
# what they name is a run's id.
@bp.get("/tasks/history/<history_id>")
def run_summary(history_id: str) -> Response:
    return jsonify(history=run_json(get_runtime().history.run(history_id)))


@bp.get("/tasks/history/<history_id>/activity")
def activity(history_id: str) -> Response:
    page = query_int("page", 1, 1, 999_999_999)
    limit = query_int("limit", 50, 1, 500)
    status = query_choice("status", ACTIVITY_STATUSES, blank_means_all=False)
    search = query_text("search")
    rows = get_runtime().history.activity(history_id, page, limit, status, search)
    return jsonify(activity=[activity_json(row) for row in rows.items], pagination=pagination_json(rows))


@functools.cache
def _openapi_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(resources.files("webapp").joinpath("openapi.json").read_text())
    return document


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(_openapi_document())
