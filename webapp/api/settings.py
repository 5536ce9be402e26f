"""``/api/settings/delay``: how long an accepted release waits, per protocol, before it is grabbed;
``/api/settings/release-preferences``: the words and release groups a search favours, refuses or requires."""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ..clock import now_utc
from ..library.delay import Delay
from ..runtime import get_runtime
from ..services.delay import API_NAMES as DELAY_NAMES
from ..services.preferences import API_NAMES, as_api
from . import bp
from .params import json_object


def delay_json(delay: Delay) -> dict[str, Any]:
    return {wire: getattr(delay, name) for name, wire in DELAY_NAMES.items()}


@bp.get("/settings/delay")
def get_delay() -> Response:
    return jsonify(delay_json(get_runtime().delay.get()))


@bp.put("/settings/delay")
def put_delay() -> Response:
    """Partial: the fields given change, the others stay; the next searches hold releases by it."""
    body = json_object(set(DELAY_NAMES.values()))
    changes = {name: body[wire] for name, wire in DELAY_NAMES.items() if wire in body}
    return jsonify(delay_json(get_runtime().delay.update(changes, now_utc())))


@bp.get("/settings/release-preferences")
def get_release_preferences() -> Response:
    return jsonify(as_api(get_runtime().preferences.get()))


@bp.put("/settings/release-preferences")
def put_release_preferences() -> Response:
    """Each list given replaces the stored one; the lists not given stay. The next searches rank by them."""
    body = json_object(set(API_NAMES.values()))
    by_kind = {kind: body[wire] for kind, wire in API_NAMES.items() if wire in body}
    return jsonify(as_api(get_runtime().preferences.update(by_kind)))
