"""The dashboard pages (server-rendered, htmx-enhanced)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from ..runtime import get_runtime
from ..services import tasks as service

bp = Blueprint("pages", __name__)


@bp.get("/")
@login_required
def index() -> str:
    runtime = get_runtime()
    return render_template("index.html", tasks=service.list_tasks(runtime.db, runtime.registry))
