"""The dashboard pages (server-rendered, htmx-enhanced) and their live-update stream."""
from __future__ import annotations

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

bp = Blueprint("pages", __name__)


@bp.record_once
def _init(state: BlueprintSetupState) -> None:
    from . import kept, rows

    rows.init_app(state.app)
    kept.init_app(state.app)


from . import (  # noqa: E402,F401  (they register their views on ``bp``)
    events, library, metadata, notifications, providers, releases, reports, routes, runs, settings,
)
