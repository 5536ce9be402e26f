"""``GET /healthz``: unauthenticated, 200 when the database answers."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify

from .db import get_db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    if get_db().ping():
        return jsonify(status="ok"), 200
    return jsonify(status="unavailable", success=False, error="The database does not answer",
                   code="DATABASE_UNAVAILABLE"), 503
