"""``/settings/library``: the library folder (the same ``LibraryService.set_root`` as ``/api/settings/library``)
and the import history, newest first. A plain form: a change answers with a flash and a 303, a
refusal with the page and the reason beside the field."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from ..clock import now_utc
from ..errors import AppError
from ..runtime import get_runtime
from . import bp
from . import settings as settings_page

PAGE_SIZE = 50


def _page(error: str | None = None, sent: str | None = None, status: int = 200) -> Response:
    library = get_runtime().library
    number = request.args.get("page", "1")
    page = int(number) if number.isascii() and number.isdigit() and 0 < int(number) < 100_000 else 1
    records, total = library.history(page, PAGE_SIZE)
    html = render_template(
        "settings_library.html", root=sent if sent is not None else str(library.root()), error=error,
        records=records, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)), now=now_utc())
    return Response(html, status=status, headers=settings_page.NO_STORE, mimetype="text/html")


@bp.get("/settings/library")
@login_required
def library() -> Response:
    return _page()


@bp.post("/settings/library")
@login_required
def set_library() -> Response:
    sent = request.form.get("root", "")
    try:
        root = get_runtime().library.set_root(sent, now_utc())
    except AppError as error:
        return _page(error.message, sent, status=400)
    flash(f"Imports now go to {root}", "info")
    return redirect(url_for("pages.library"), 303)
