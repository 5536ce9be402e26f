"""``/settings/metadata``: the metadata source New Episodes asks (TMDB), through the same
``MetadataService`` calls as ``/api/settings/metadata``.

One form: Save, and Test (the form's values, saved or not). Like the provider pages, it works
as a plain POST (a save answers with a flash and a 303, a refusal or a test with the whole
page, the answer in place); htmx swaps the section alone, or a Test's answer alone into its
slot, so that what is being typed stays. The key is never written into the page: an empty key
field keeps the stored one, its "clear" box clears it. Every answer is ``Cache-Control: no-store``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import login_required
from htmx_flask import request
from werkzeug.wrappers import Response

from ..clock import now_utc
from ..errors import AppError
from ..providers.tmdb import DEFAULT_BASE_URL, METADATA_IMPLEMENTATIONS, MetadataSettings
from ..runtime import get_runtime
from ..services.metadata import API_NAMES
from . import bp
from . import settings as settings_page
from .providers import Answer, ProviderForm

KEY = "apiKey"
CLEAR_KEY = "clearApiKey"
NAMES = {"tmdb": "TMDB (The Movie Database)"}
_QUOTED_FIELD = re.compile(r"'(\w+)'")


@dataclass(frozen=True)
class MetadataSection:
    """The section as shown: its form, and what the last change said."""

    form: ProviderForm
    notice: str | None = None
    notice_error: bool = False
    default_base_url: str = DEFAULT_BASE_URL

    @staticmethod
    def options() -> tuple[tuple[str, str], ...]:
        return tuple((value, NAMES.get(value, value)) for value in METADATA_IMPLEMENTATIONS)


def _saved_form(settings: MetadataSettings, **state: Any) -> ProviderForm:
    values = {"implementation": settings.implementation, "baseUrl": settings.base_url}
    return ProviderForm(values, frozenset({KEY}) if settings.api_key else frozenset(), **state)


def _sent_form(**state: Any) -> ProviderForm:
    """The saved form with what the request sent, the key left out (the page asks for it again)."""
    saved = _saved_form(get_runtime().metadata.get())
    values = {**saved.values, **{wire: request.form[wire] for wire in saved.values if wire in request.form}}
    retype = frozenset({KEY}) if request.form.get(KEY) else frozenset()
    return ProviderForm(values, saved.stored, retype, **state)


def _changes() -> dict[str, Any]:
    """The settings fields the form sets; an empty key keeps the stored one unless "clear" is ticked."""
    changes: dict[str, Any] = {attr: request.form[wire] for attr, wire in API_NAMES.items()
                               if wire != KEY and wire in request.form}
    if request.form.get(CLEAR_KEY) == "true":
        changes["api_key"] = ""
    elif request.form.get(KEY):
        changes["api_key"] = request.form[KEY]
    return changes


def _field_of(error: AppError) -> str | None:
    named = _QUOTED_FIELD.match(error.message)
    return named.group(1) if named and named.group(1) in {*API_NAMES.values()} else None


def _html(html: str, status: int = 200) -> Response:
    return Response(html, status=status, headers=settings_page.NO_STORE, mimetype="text/html")


def _show(section: MetadataSection, status: int = 200) -> Response:
    """htmx: the section alone (always a 200: htmx swaps no other); else the whole page."""
    if request.htmx:
        return _html(render_template("_metadata.html", section=section))
    return _html(render_template("settings_metadata.html", section=section), status)


@bp.get("/settings/metadata")
@login_required
def metadata() -> Response:
    return _show(MetadataSection(_saved_form(get_runtime().metadata.get())))


@bp.post("/settings/metadata")
@login_required
def save_metadata() -> Response:
    try:
        get_runtime().metadata.update(_changes(), now_utc())
    except AppError as error:
        form = _sent_form(error=error.message, error_field=_field_of(error), open=True)
        return _show(MetadataSection(form), error.status)
    message = "Saved the metadata source: the next New Episodes run asks it"
    if request.htmx:
        return _show(MetadataSection(_saved_form(get_runtime().metadata.get()), notice=message))
    flash(message, "info")
    return redirect(url_for("pages.metadata"), 303)


@bp.post("/settings/metadata/test")
@login_required
def test_metadata() -> Response:
    """Tries the source with the form's values in place of the saved ones; saves nothing."""
    try:
        check = get_runtime().metadata.test(_changes())
        answer = Answer("passed" if check.passed else "failed", check.message)
    except AppError as error:
        answer = Answer("refused", error.message)
    if request.htmx:
        return _html(render_template("_provider_answer.html", answer=answer))
    refused = answer.outcome == "refused"
    return _show(MetadataSection(_sent_form(answer=answer, open=refused)), 400 if refused else 200)
