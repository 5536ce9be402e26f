"""``/api/settings/library``: the folder imports go into (``<data dir>/library`` until set)."""
from __future__ import annotations

from pathlib import Path

from flask import Response, jsonify

from ..clock import now_utc
from ..runtime import get_runtime
from . import bp
from .params import json_object


def library_json(root: Path) -> dict[str, str]:
    return {"root": str(root)}


@bp.get("/settings/library")
def get_library() -> Response:
    return jsonify(library_json(get_runtime().library.root()))


@bp.put("/settings/library")
def put_library() -> Response:
    """The next imports go there; files already imported stay where they are."""
    body = json_object({"root"}, required={"root"})
    return jsonify(library_json(get_runtime().library.set_root(body["root"], now_utc())))
