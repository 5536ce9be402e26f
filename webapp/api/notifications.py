"""``/api/notifications`` (providers-api.md): the notification targets, and a Test that sends one.

Parse, call the service, serialise, as the indexers' routes do. The URL is write-only (it holds
the target's credentials): an answer says ``hasUrl`` and the ``service`` its scheme names.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, jsonify

from ..clock import iso, now_utc
from ..errors import ValidationError
from ..runtime import get_runtime
from ..services.notifications import ConfiguredTarget, NotificationSettings
from . import bp
from .params import boolean, json_object, string
from .providers import tested

TARGET = "/notifications/<provider_id:target_id>"
FIELDS = frozenset({"name", "url", "events", "enabled"})
REQUIRED = frozenset({"name", "url"})


def _events(body: dict[str, Any], name: str) -> tuple[str, ...]:
    value = body.get(name)
    if type(value) is not list or any(type(item) is not str for item in value):
        raise ValidationError(f"'{name}' must be a JSON array of strings", "INVALID_FIELD")
    return tuple(value)


READERS: dict[str, Callable[[dict[str, Any], str], Any]] = {"name": string, "url": string, "events": _events, "enabled": boolean}


def changes(body: dict[str, Any]) -> dict[str, Any]:
    """The fields a body sets, read with their JSON types checked; the values are the service's to check."""
    return {name: READERS[name](body, name) for name in body}


def target_json(target: ConfiguredTarget) -> dict[str, Any]:
    settings = target.settings
    return {
        "id": str(settings.id),
        "name": settings.name,
        "service": target.service,
        "hasUrl": bool(settings.url),
        "events": list(settings.events),
        "enabled": settings.enabled,
        "lastSentAt": iso(target.last_sent_at),
        "lastError": target.last_error,
    }


@bp.get("/notifications")
def list_notifications() -> Response:
    return jsonify(notifications=[target_json(target) for target in get_runtime().notifications.targets()])


@bp.post("/notifications")
def create_notification() -> tuple[Response, int]:
    settings = NotificationSettings(**changes(json_object(FIELDS, REQUIRED)))
    created = get_runtime().notifications.create(settings, now_utc())
    return jsonify(success=True, notification=target_json(created)), 201


@bp.post("/notifications/test")
def try_new_notification() -> Response | tuple[Response, int]:
    """Sends a test notification to the target in the body (within 15 s); saves nothing."""
    settings = NotificationSettings(**changes(json_object(FIELDS, REQUIRED)))
    return tested(get_runtime().notifications.test(settings))


@bp.get(TARGET)
def get_notification(target_id: int) -> Response:
    return jsonify(notification=target_json(get_runtime().notifications.target(target_id)))


@bp.put(TARGET)
def update_notification(target_id: int) -> Response:
    """Partial: a field left out keeps its value, ``url`` included."""
    notifications = get_runtime().notifications
    notifications.target(target_id)  # an unknown id is a 404 whatever the body says
    fields = changes(json_object(FIELDS))
    return jsonify(success=True, notification=target_json(notifications.update(target_id, fields, now_utc())))


@bp.delete(TARGET)
def delete_notification(target_id: int) -> Response:
    get_runtime().notifications.delete(target_id)
    return jsonify(success=True)


@bp.post(f"{TARGET}/test")
def try_notification(target_id: int) -> Response | tuple[Response, int]:
    """Sends a test notification to the saved target; a body's fields are tried in place of the saved ones."""
    notifications = get_runtime().notifications
    notifications.target(target_id)
    return tested(notifications.test_saved(target_id, changes(json_object(FIELDS))))
