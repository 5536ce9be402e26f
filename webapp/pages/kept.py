"""Pages that only a task event can change, rendered once per change and shared.

A task's history and an ended run's activity change only when a task or a run does, and
every such change appends to the event log. So such a page is kept per URL and reader
while the log's last id (one primary-key lookup) and the ``ROW_STAMP_SECONDS`` stamp stay
the same: its relative times are then at most that old, as on the task list. Like the
shared rows, a kept page holds the CSRF slot where its forms' token goes, and each answer
fills in the reader's own. A page with a flash message waiting is never kept nor served
from here: the flash belongs to one answer.
"""
from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app, session
from flask.sansio.app import App
from flask_wtf.csrf import generate_csrf

from ..clock import now_utc
from ..runtime import Runtime
from .rows import ROW_STAMP_SECONDS

KEPT_PAGES = 512
EXTENSION = "cinephage.kept_pages"

# Renders the page with ``slot`` for its CSRF token; says whether the page may be kept.
Build = Callable[[str], tuple[str, bool]]


class KeptPages:
    """This process's kept pages, the least recently used dropped first."""

    def __init__(self, size: int = KEPT_PAGES) -> None:
        self._slot = f"csrf-{secrets.token_hex(16)}"  # random per process, so no content can spell it
        self._size = size
        self._lock = threading.Lock()
        self._pages: OrderedDict[Hashable, tuple[tuple[int, int], str]] = OrderedDict()

    def page(self, runtime: Runtime, key: Hashable, build: Build) -> str:
        """The page ``key`` names, built again only after a task event or a new stamp."""
        if "_flashes" in session:
            html, _ = build(generate_csrf())
            return html
        version = (runtime.tasks.version(), int(now_utc().timestamp() // ROW_STAMP_SECONDS))
        with self._lock:
            kept = self._pages.get(key)
            if kept is not None and kept[0] == version:
                self._pages.move_to_end(key)
                return kept[1].replace(self._slot, generate_csrf())
        html, keep = build(self._slot)
        if keep:
            with self._lock:
                self._pages[key] = (version, html)
                self._pages.move_to_end(key)
                if len(self._pages) > self._size:
                    self._pages.popitem(last=False)
        return html.replace(self._slot, generate_csrf())


def init_app(app: App) -> None:
    app.extensions[EXTENSION] = KeptPages()


def kept_pages() -> KeptPages:
    pages: KeptPages = current_app.extensions[EXTENSION]
    return pages
