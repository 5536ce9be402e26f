"""``/settings/releases``: how searches choose and hold releases, through the same services as the API.

Three sections, each one form: the delay (``/api/settings/delay``), the release preferences
(``/api/settings/release-preferences``) and the blocklist (``/api/blocklist``), newest first, each
entry with a Remove button. Every form works as a plain POST: a change answers with a flash and
a 303 back to the page, a refusal with the whole page, the typed text kept and the error beside
it. htmx swaps the section alone. The services check every value; this module only turns form
text into their types. Every answer is ``Cache-Control: no-store``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import login_required
from htmx_flask import request
from werkzeug.wrappers import Response

from ..clock import now_utc
from ..errors import AppError, ValidationError
from ..library.delay import MAX_DELAY_MINUTES, Delay
from ..library.preferences import GROUP, IGNORED, PREFERRED, REQUIRED
from ..parsing import whole_number
from ..releases import Preferences
from ..runtime import get_runtime
from ..services.blocklist import BlockedRelease
from ..services.delay import API_NAMES as DELAY_FIELDS
from ..services.preferences import API_NAMES as PREFERENCE_LISTS
from ..services.preferences import MAX_SCORE
from . import bp
from .settings import NO_STORE

BLOCKLIST_SHOWN = 200
SCORED = (PREFERRED, GROUP)
TEMPLATES = {"delay": "_release_delay.html", "preferences": "_release_preferences.html",
             "blocklist": "_blocklist.html"}


@dataclass(frozen=True)
class Form:
    """A section's form: its fields' text, and what its last use said."""

    values: Mapping[str, str]
    error: str | None = None
    notice: str | None = None


@dataclass(frozen=True)
class Page:
    delay: Form
    preferences: Form
    blocked: tuple[BlockedRelease, ...]
    blocked_count: int
    blocklist_notice: str | None = None
    notice_error: bool = False
    now: datetime = field(default_factory=now_utc)


@bp.get("/settings/releases")
@login_required
def releases() -> Response:
    return _render()


@bp.post("/settings/releases/delay")
@login_required
def save_delay() -> Response:
    values = {wire: request.form.get(wire, "") for wire in DELAY_FIELDS.values()}
    try:
        changes = {name: _delay_value(wire, values[wire]) for name, wire in DELAY_FIELDS.items()}
        get_runtime().delay.update(changes, now_utc())
    except AppError as error:
        return _refused("delay", delay=Form(values, error=error.message))
    return _done("delay", "Delay saved: the next searches hold releases by it")


@bp.post("/settings/releases/preferences")
@login_required
def save_preferences() -> Response:
    values = {kind: request.form.get(kind, "") for kind in PREFERENCE_LISTS}
    try:
        lists = {kind: _entries(kind, values[kind]) for kind in PREFERENCE_LISTS}
        get_runtime().preferences.update(lists)
    except AppError as error:
        return _refused("preferences", preferences=Form(values, error=error.message))
    return _done("preferences", "Release preferences saved: the next searches rank and refuse releases by them")


@bp.post("/settings/releases/blocklist/<int(max=2147483647):entry_id>/remove")
@login_required
def remove_blocked(entry_id: int) -> Response:
    try:
        removed = get_runtime().providers.blocklist.remove(entry_id)
    except AppError as error:
        return _refused("blocklist", blocklist_notice=error.message, notice_error=True)
    return _done("blocklist", f"Removed {removed.title} from the blocklist: it may be grabbed again")


# -- form text to the services' values ---------------------------------------------


def _delay_value(wire: str, text: str) -> int | bool:
    if wire == DELAY_FIELDS["bypass_if_highest"]:
        return text == "true"
    return whole_number(text.strip(), _DELAY_LABELS[wire], 0, MAX_DELAY_MINUTES)


_DELAY_LABELS = {"usenetDelay": "Usenet delay (minutes)", "torrentDelay": "Torrent delay (minutes)"}


def _entries(kind: str, text: str) -> list[Any]:
    """A textarea's lines as the API's list: ``term`` or, for a scored list, ``term score``."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if kind not in SCORED:
        return lines
    key = "term" if kind == PREFERRED else "name"
    return [{key: term, "score": score} for term, score in (_scored(key, line) for line in lines)]


def _scored(key: str, line: str) -> tuple[str, int]:
    """``DDP5.1 Atmos 25`` -> ("DDP5.1 Atmos", 25); the service checks the term and the score's range."""
    term, _, last = line.rpartition(" ")
    digits = last[1:] if last[:1] in "+-" else last
    try:
        number = whole_number(digits, key, 0, 10 * MAX_SCORE)
    except ValidationError:
        number = None
    if not term.strip() or number is None:
        raise ValidationError(
            f"“{line[:100]}”: each line needs the {key} and then its score, such as “x265 10” or “CAM -100”",
            "INVALID_FIELD",
        )
    return term.strip(), -number if last.startswith("-") else number


# -- what the page shows ------------------------------------------------------------------


def _delay_form(delay: Delay) -> Form:
    return Form({
        "usenetDelay": str(delay.usenet_minutes), "torrentDelay": str(delay.torrent_minutes),
        "bypassIfHighestQuality": "true" if delay.bypass_if_highest else "",
    })


def _preferences_form(preferences: Preferences) -> Form:
    return Form({
        PREFERRED: "\n".join(f"{term} {score}" for term, score in preferences.preferred.items()),
        IGNORED: "\n".join(preferences.ignored), REQUIRED: "\n".join(preferences.required),
        GROUP: "\n".join(f"{name} {score}" for name, score in preferences.release_groups.items()),
    })


def _page(**shown: Any) -> Page:
    runtime = get_runtime()
    blocklist = runtime.providers.blocklist
    shown.setdefault("delay", _delay_form(runtime.delay.get()))
    shown.setdefault("preferences", _preferences_form(runtime.preferences.get()))
    return Page(blocked=blocklist.list(limit=BLOCKLIST_SHOWN), blocked_count=blocklist.count(), **shown)


def _render(section: str | None = None, status: int = 200, **shown: Any) -> Response:
    """The page, or ``section`` alone for htmx."""
    template = TEMPLATES[section] if section and request.htmx else "settings_releases.html"
    html = render_template(template, page=_page(**shown))
    return Response(html, status=status, headers=NO_STORE, mimetype="text/html")


def _refused(section: str, **shown: Any) -> Response:
    """The form as it was sent, with the error beside it (htmx swaps only a 2xx answer)."""
    return _render(section, 200 if request.htmx else 400, **shown)


def _done(section: str, message: str) -> Response:
    if request.htmx:
        if section == "blocklist":
            return _render(section, blocklist_notice=message)
        form = _delay_form(get_runtime().delay.get()) if section == "delay" else _preferences_form(
            get_runtime().preferences.get())
        return _render(section, 200, **{section: Form(form.values, notice=message)})
    flash(message, "info")
    return redirect(url_for("pages.releases", _anchor=section), 303)
