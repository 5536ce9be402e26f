"""``/settings/notifications``: the notification targets, through the same ``NotificationService``
calls as the API, and the demo inbox while the demo target exists.

Shaped like the provider pages (``pages/providers.py``): one section (``_notifications.html``)
with each target's form (save, test, delete) and an add form. Every form works as a plain POST (a
change answers with a flash and a 303, a refusal or a test with the whole page, the answer in
place); htmx swaps the section, or a Test's answer alone into its slot. A target's URL holds its
credentials: it is never written into a page, and an empty URL field keeps the stored one.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from flask import flash, redirect, render_template, url_for
from flask_login import login_required
from htmx_flask import request
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ..clock import now_utc
from ..demo.notifications import demo_target, inbox
from ..errors import AppError, NotFound, ValidationError
from ..models import DemoNotification
from ..providers.base import NOTIFICATION_EVENTS, RUN_FAILED
from ..runtime import get_runtime
from ..services.notifications import ConfiguredTarget, NotificationSettings
from ..services.providers import ProviderCheck
from . import bp
from . import settings as settings_page
from .providers import Answer

EVENT_NAMES = {
    RUN_FAILED: "A run failed (always sent)", "run:completed": "A run completed",
    "release:grabbed": "A release was grabbed", "subtitle:downloaded": "A subtitle was downloaded",
    "import:completed": "An import completed",
}
CHOSEN_EVENTS = tuple(event for event in NOTIFICATION_EVENTS if event != RUN_FAILED)  # the ones a form ticks


@dataclass(frozen=True)
class Kind:
    """What the shared provider templates ask of a kind."""

    noun: str = "notification target"
    slug: str = "notifications"
    endpoint: str = "pages.notifications"


KIND = Kind()


@dataclass(frozen=True)
class TargetForm:
    """A target's form (or the add form) as text; ``stored``/``retype`` as the provider forms' secrets."""

    values: Mapping[str, str]
    events: frozenset[str]
    stored: frozenset[str] = frozenset()
    retype: frozenset[str] = frozenset()
    error: str | None = None
    error_field: str | None = None
    answer: Answer | None = None
    open: bool = False


@dataclass(frozen=True)
class Entry:
    id: int
    name: str
    enabled: bool
    target: ConfiguredTarget
    form: TargetForm


@dataclass(frozen=True)
class Section:
    entries: tuple[Entry, ...]
    new: TargetForm
    now: datetime
    inbox: tuple[DemoNotification, ...] | None  # None: no demo target
    notice: str | None = None
    notice_error: bool = False
    kind: ClassVar[Kind] = KIND
    event_names: ClassVar[Mapping[str, str]] = EVENT_NAMES
    chosen_events: ClassVar[tuple[str, ...]] = CHOSEN_EVENTS


def _section(shown: tuple[int | None, TargetForm] | None = None, notice: str | None = None,
             notice_error: bool = False) -> Section:
    runtime = get_runtime()
    forms = dict([shown]) if shown else {}
    targets = runtime.notifications.targets()
    entries = tuple(Entry(t.id, t.settings.name, t.settings.enabled, t, forms.get(t.id) or _saved_form(t))
                    for t in targets)
    demo = demo_target(runtime.notifications) is not None
    return Section(entries, forms.get(None) or _empty_form(), now_utc(), inbox(runtime.db) if demo else None,
                   notice, notice_error)


def _saved_form(target: ConfiguredTarget) -> TargetForm:
    settings = target.settings
    return TargetForm({"name": settings.name, "enabled": "true" if settings.enabled else ""},
                      frozenset(settings.events), frozenset({"url"}))


def _empty_form() -> TargetForm:
    return TargetForm({"name": "", "enabled": "true"}, frozenset({RUN_FAILED}))


def _sent_form(form: MultiDict[str, str], base: TargetForm, **state: Any) -> TargetForm:
    """``base`` with what the request sent; the URL is never sent back, but asked for again."""
    values = {"name": form.get("name", base.values["name"]), "enabled": "true" if form.get("enabled") == "true" else ""}
    retype = frozenset({"url"}) if form.get("url") else frozenset()
    return TargetForm(values, frozenset(_events(form)), base.stored, retype, **state)


def _events(form: MultiDict[str, str]) -> tuple[str, ...]:
    """The ticked events; a failed run is always told."""
    return (RUN_FAILED, *form.getlist("events"))


def _changes(form: MultiDict[str, str]) -> dict[str, Any]:
    """What the form sets: an empty URL keeps the stored one; unticked boxes are sent as nothing."""
    if form.get("enabled") not in (None, "true"):
        raise ValidationError("'enabled' must be ticked or not", "INVALID_FIELD")
    changes: dict[str, Any] = {"events": _events(form), "enabled": form.get("enabled") == "true"}
    if "name" in form:
        changes["name"] = form["name"]
    if form.get("url"):
        changes["url"] = form["url"]
    return changes


def _new_settings(form: MultiDict[str, str]) -> NotificationSettings:
    return NotificationSettings(**{"name": "", "url": "", **_changes(form)})


_QUOTED_FIELD = re.compile(r"'(\w+)'")


def _field_of(error: AppError) -> str | None:
    named = _QUOTED_FIELD.match(error.message)
    field = named.group(1) if named else ("name" if error.code == "NAME_TAKEN" else None)
    return field if field in ("name", "url", "events", "enabled") else None


# -- answers ----------------------------------------------------------------------


def _html(html: str, status: int = 200) -> Response:
    return Response(html, status=status, headers=settings_page.NO_STORE, mimetype="text/html")


def _show(section: Section, status: int = 200) -> Response:
    if request.htmx:
        return _html(render_template("_notifications.html", section=section))
    return _html(render_template("settings_notifications.html", section=section), status)


def _done(message: str, error: bool = False) -> Response:
    if request.htmx:
        return _show(_section(notice=message, notice_error=error))
    flash(message, "error" if error else "info")
    return redirect(url_for(KIND.endpoint), 303)


def _refused(target_id: int | None, error: AppError) -> Response:
    form = _sent_form(request.form, _base_form(target_id), error=error.message, error_field=_field_of(error), open=True)
    return _show(_section((target_id, form)), error.status)


def _tested(target_id: int | None, answer: Answer) -> Response:
    if request.htmx:
        return _html(render_template("_provider_answer.html", answer=answer))
    refused = answer.outcome == "refused"
    form = _sent_form(request.form, _base_form(target_id), answer=answer, open=refused)
    return _show(_section((target_id, form)), 400 if refused else 200)


def _base_form(target_id: int | None) -> TargetForm:
    if target_id is not None:
        try:
            return _saved_form(get_runtime().notifications.target(target_id))
        except NotFound:
            pass
    return _empty_form()


def _answer_of(check: Callable[[], ProviderCheck]) -> Answer:
    try:
        result = check()
    except AppError as error:
        return Answer("refused", error.message)
    return Answer("passed" if result.passed else "failed", result.message)


# -- routes -----------------------------------------------------------------------

SAVED = f"/settings/notifications/<int(max={settings_page.MAX_ID}):target_id>"


@bp.get("/settings/notifications")
@login_required
def notifications() -> Response:
    return _show(_section())


@bp.post("/settings/notifications")
@login_required
def create_notification() -> Response:
    try:
        settings = _new_settings(request.form)
        get_runtime().notifications.create(settings, now_utc())
    except AppError as error:
        return _refused(None, error)
    return _done(f"Added the notification target “{settings.name}”")


@bp.post("/settings/notifications/test")
@login_required
def test_new_notification() -> Response:
    return _tested(None, _answer_of(lambda: get_runtime().notifications.test(_new_settings(request.form))))


@bp.post(SAVED)
@login_required
def update_notification(target_id: int) -> Response:
    service = get_runtime().notifications
    try:
        service.target(target_id)
        updated = service.update(target_id, _changes(request.form), now_utc())
    except NotFound as error:
        return _done(error.message, error=True)
    except AppError as error:
        return _refused(target_id, error)
    return _done(f"Saved the notification target “{updated.settings.name}”")


@bp.post(f"{SAVED}/test")
@login_required
def test_notification(target_id: int) -> Response:
    service = get_runtime().notifications
    try:
        service.target(target_id)
    except NotFound as error:
        return _done(error.message, error=True)
    return _tested(target_id, _answer_of(lambda: service.test_saved(target_id, _changes(request.form))))


@bp.post(f"{SAVED}/delete")
@login_required
def delete_notification(target_id: int) -> Response:
    """Without ``confirm=yes`` (a plain form, no JavaScript): the confirmation page first."""
    service = get_runtime().notifications
    try:
        target = service.target(target_id)
        if request.form.get("confirm") != "yes":
            return _html(render_template("settings_delete_notification.html", target=target, action=request.path))
        service.delete(target_id)
    except AppError as error:
        return _done(error.message, error=True)
    return _done(f"Deleted the notification target “{target.settings.name}”")
