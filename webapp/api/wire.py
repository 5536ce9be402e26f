"""The Tasks API's JSON: the services' values in the field names and formats tasks-api.txt gives.

The CSV exports use these too, so a spreadsheet's columns are the API's fields.
"""
from __future__ import annotations

from typing import Any

from ..clock import iso
from ..services.history import Activity, Page, Run
from ..services.tasks import Task


def task_json(task: Task) -> dict[str, Any]:
    """A task as ``GET /api/tasks`` lists it."""
    return {
        "id": task.id,
        "name": task.name,
        "description": task.description,
        "type": task.type,
        "enabled": task.enabled,
        "interval": task.interval,
        "intervalUnit": task.interval_unit,
        "defaultInterval": task.default_interval,
        "defaultIntervalUnit": "minutes",
        "minInterval": task.min_interval,
        "maxInterval": task.max_interval,
        "lastRunAt": iso(task.last_run_at),
        "nextRunAt": iso(task.next_run_at),
        "status": task.status,
        "currentExecutionId": task.run_id,
        "supportsCancel": True,
        "supportsHistory": True,
    }


def run_json(run: Run) -> dict[str, Any]:
    """A run as a history entry."""
    return {
        "id": run.id,
        "taskId": run.task_id,
        "startedAt": iso(run.started_at),
        "completedAt": iso(run.completed_at),
        "duration": run.duration_ms,
        "status": run.status,
        "queued": run.queued,
        "itemsProcessed": run.items_processed,
        "itemsAffected": run.items_affected,
        "itemsTotal": run.items_total,
        "error": run.error,
        "trigger": run.trigger,
        "force": run.force,
        "queuedAt": iso(run.queued_at),
    }


def activity_json(activity: Activity) -> dict[str, Any]:
    """One activity row."""
    return {
        "id": str(activity.id),
        "historyId": activity.run_id,
        "mediaId": activity.media_id,
        "mediaTitle": activity.media_title,
        "action": activity.action,
        "status": activity.status,
        "message": activity.message,
        "timestamp": iso(activity.timestamp),
    }


def pagination_json(page: Page[Any]) -> dict[str, int]:
    return {"page": page.page, "limit": page.limit, "total": page.total, "totalPages": page.total_pages}
