"""The offline demo: what the demo providers read, served by the app itself under ``/demo/`` (a Torznab feed,
an OpenSubtitles- and a TMDB-shaped API, a notification inbox), and the demo providers."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("demo", __name__, url_prefix="/demo")

from . import metadata, notifications, opensubtitles, torznab  # noqa: E402,F401  (routes register on bp)
