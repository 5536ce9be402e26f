"""The dashboard pages (server-rendered, htmx-enhanced) and their live-update stream."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pages", __name__)

from . import events, reports, routes, runs, settings  # noqa: E402,F401  (they register their views on ``bp``)
