"""The JSON API under ``/api``: the Tasks API, the providers API, the settings and the OpenAPI description."""
from __future__ import annotations

from flask import Blueprint, request

from ..auth import require_api_auth

bp = Blueprint("api", __name__, url_prefix="/api")
PUBLIC_ENDPOINTS = {"api.openapi"}


@bp.before_request
def _authenticate() -> None:
    if request.endpoint not in PUBLIC_ENDPOINTS:
        require_api_auth()


from . import routes  # noqa: E402,F401  (routes register on bp)
from . import providers, settings  # noqa: E402,F401
from . import library, metadata, notifications, subtitle_providers  # noqa: E402,F401  (after providers: its id converter)
