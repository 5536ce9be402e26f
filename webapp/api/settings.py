"""``/api/settings/delay``: how long an accepted release waits, per protocol, before it is grabbed."""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ..clock import now_utc
from ..library.delay import Delay
from ..runtime import get_runtime
from ..services.delay import API_NAMES
from . import bp
from .params import json_object


def delay_json(delay: Delay) -> dict[str, Any]:
    return {wire: getattr(delay, name) for name, wire in API_NAMES.items()}


@bp.get("/settings/delay")
def get_delay() -> Response:
    return jsonify(delay_json(get_runtime().delay.get()))


@bp.put("/settings/delay")
def put_delay() -> Response:
    """Partial: the fields given change, the others stay; the next searches hold releases by it."""
    body = json_object(set(API_NAMES.values()))
    changes = {name: body[wire] for name, wire in API_NAMES.items() if wire in body}
    return jsonify(delay_json(get_runtime().delay.update(changes, now_utc())))
