"""The offline demo: the demo indexer's Torznab feed, served by the app itself, and the demo providers."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("demo", __name__, url_prefix="/demo")

from . import torznab  # noqa: E402,F401  (routes register on bp)
