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
from ..services import tasks as service
from . import bp
from .params import boolean, choice, integer, json_object, mapping


@bp.get("/tasks")
def list_tasks() -> Response:
    """Answered from the runtime's cache: the hot path of every integration."""
    return Response(get_runtime().task_list_json(), mimetype="application/json")


@bp.get("/tasks/<task_id>")
def get_task(task_id: str) -> Response:
    runtime = get_runtime()
    return jsonify(task=service.get_task(runtime.db, runtime.registry, task_id))


@bp.post("/tasks/<task_id>/run")
def run_task(task_id: str) -> Response:
    runtime = get_runtime()
    service.definition_of(runtime.registry, task_id)
    body = json_object({"force", "options"})
    force = boolean(body, "force", default=False)
    options = mapping(body, "options")
    accepted = service.run_task(runtime.db, runtime.registry, task_id, force=force, options=options, now=now_utc())
    runtime.changed()
    return jsonify(success=True, taskId=task_id, executionId=accepted.run_id, message=accepted.message)


@bp.post("/tasks/<task_id>/cancel")
def cancel_task(task_id: str) -> Response:
    runtime = get_runtime()
    json_object(set())
    run_id = service.cancel_task(runtime.db, runtime.registry, task_id, now_utc())
    runtime.engine.cancel_local(run_id)
    runtime.changed()
    return jsonify(success=True, taskId=task_id, executionId=run_id, message="Task cancellation requested")


@bp.put("/tasks/<task_id>/enabled")
def set_enabled(task_id: str) -> Response:
    runtime = get_runtime()
    service.definition_of(runtime.registry, task_id)
    body = json_object({"enabled"}, required={"enabled"})
    task = service.set_enabled(runtime.db, runtime.registry, task_id, boolean(body, "enabled"), now_utc())
    runtime.changed()
    return jsonify(success=True, taskId=task_id, enabled=task["enabled"], nextRunAt=task["nextRunAt"], task=task)


@bp.put("/tasks/<task_id>/interval")
def set_interval(task_id: str) -> Response:
    runtime = get_runtime()
    service.definition_of(runtime.registry, task_id)
    body = json_object({"interval", "unit"}, required={"interval", "unit"})
    interval, unit = integer(body, "interval"), choice(body, "unit", tuple(UNIT_MINUTES))
    task = service.set_interval(runtime.db, runtime.registry, task_id, interval, unit, now_utc())
    runtime.changed()
    return jsonify(
        success=True, taskId=task_id, interval=task["interval"], intervalUnit=task["intervalUnit"],
        nextRunAt=task["nextRunAt"],
    )


@bp.get("/tasks/<task_id>/history")
def history(task_id: str) -> Response:
    runtime = get_runtime()
    service.definition_of(runtime.registry, task_id)
    page = query_int("page", 1, 1, 999_999_999)
    limit = query_int("limit", 20, 1, 100)
    status = query_choice("status", service.HISTORY_STATUSES, blank_means_all=False)
    result = service.history(runtime.db, runtime.registry, task_id, page, limit, status)
    return jsonify(history=result.items, pagination=result.pagination())


@bp.get("/tasks/history/<history_id>")
def run_summary(history_id: str) -> Response:
    return jsonify(history=service.get_run(get_runtime().db, history_id))


@bp.get("/tasks/history/<history_id>/activity")
def activity(history_id: str) -> Response:
    page = query_int("page", 1, 1, 999_999_999)
    limit = query_int("limit", 50, 1, 500)
    status = query_choice("status", service.ACTIVITY_STATUSES, blank_means_all=False)
    search = query_text("search")
    result = service.activity(get_runtime().db, history_id, page, limit, status, search)
    return jsonify(activity=result.items, pagination=result.pagination())


@functools.cache
def _openapi_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(resources.files("webapp").joinpath("openapi.json").read_text())
    return document


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(_openapi_document())
