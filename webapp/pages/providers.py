"""``/settings/indexers`` and ``/settings/download-clients``: the configured providers, a page
per kind, through the same ``ProviderService`` calls as the API.

Each kind's page holds one section (``_indexers.html``, ``_download_clients.html``): its
providers, each with one form to edit, test or delete it, and a form to add one. Every form
works as a plain POST: a change answers with a flash and a 303 to the kind's page, a refusal
or a test with the whole page, the answer in place. htmx swaps the section alone, or
a Test's answer alone into the provider's answer slot, so that what is being typed stays.
Secrets (API keys, passwords) are never written into a page: an empty secret field keeps the
stored one, its "clear" box clears it. The service checks every value; this module only turns
form text into the service's types. Every answer is ``Cache-Control: no-store``.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from datetime import datetime
from typing import Any, ClassVar

from flask import flash, redirect, render_template, url_for
from flask_login import login_required
from htmx_flask import request
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ..api.provider_wire import CLIENT_FIELDS, CLIENT_REQUIRED, INDEXER_FIELDS, INDEXER_REQUIRED
from ..clock import iso, now_utc
from ..errors import AppError, NotFound, ValidationError
from ..parsing import whole_number
from ..providers.settings import (
    CLIENT_IMPLEMENTATIONS,
    INDEXER_IMPLEMENTATIONS,
    ClientSettings,
    HealthState,
    IndexerSettings,
)
from ..runtime import get_runtime
from ..services.provider_checks import USUAL_PORTS
from ..services.providers import ProviderCheck, ProviderService
from . import bp
from . import settings as settings_page
from .formatting import absolute

Settings = IndexerSettings | ClientSettings

# How a form field's text becomes the service's value; any other field is text as typed.
SECRETS = ("apiKey", "password")
INTEGERS = frozenset({"priority", "minimumSeeders", "port"})
FLAGS = frozenset({"enabled", "useSsl"})  # checkboxes: sent as "true" when ticked, not sent otherwise
NUMBER_LISTS = frozenset({"categories"})
NAMES = {
    "torznab": "Torznab (torrents)", "newznab": "Newznab (Usenet)", "qbittorrent": "qBittorrent",
    "transmission": "Transmission", "deluge": "Deluge", "sabnzbd": "SABnzbd", "nzbget": "NZBGet",
    "blackhole": "Blackhole folders",
}
USUAL_PORTS_TEXT = ", ".join(f"{NAMES[name]} {port}" for name, port in USUAL_PORTS.items())


@dataclass(frozen=True)
class Kind:
    """One kind of configured provider as the settings page shows it, and its service calls."""

    slug: str  # in its URLs and its section's id: "indexers"
    prefix: str  # of its element ids: "indexer-3-name", "indexer-new-name"
    noun: str  # in sentences: "indexer"
    template: str
    new: Callable[..., Settings]  # its settings class
    fields: Mapping[str, str]  # form field (named as in the API) -> settings field
    required: frozenset[str]
    implementations: tuple[str, ...]
    saved: Callable[[ProviderService], tuple[tuple[Settings, HealthState | None], ...]]
    get: Callable[[ProviderService, int], Settings]
    create: Callable[[ProviderService, Any, datetime], object]
    update: Callable[[ProviderService, int, Mapping[str, Any], datetime], Settings]
    delete: Callable[[ProviderService, int], None]
    test: Callable[[ProviderService, Any], ProviderCheck]
    test_saved: Callable[[ProviderService, int, Mapping[str, Any]], ProviderCheck]

    def options(self) -> tuple[tuple[str, str], ...]:
        """Its implementations, each with its name for people."""
        return tuple((value, self.name_of(value)) for value in self.implementations)

    def name_of(self, implementation: str) -> str:
        return NAMES.get(implementation, implementation)

    @property
    def endpoint(self) -> str:
        """Its page's endpoint: ``pages.indexers``, ``pages.download_clients``."""
        return f"pages.{self.slug.replace('-', '_')}"


INDEXERS = Kind(
    "indexers", "indexer", "indexer", "_indexers.html", IndexerSettings,
    {wire: attr for wire, (attr, _) in INDEXER_FIELDS.items()}, INDEXER_REQUIRED, INDEXER_IMPLEMENTATIONS,
    saved=lambda service: tuple((indexer.settings, indexer.health) for indexer in service.indexers()),
    get=lambda service, indexer_id: service.indexer(indexer_id).settings,
    create=ProviderService.create_indexer,
    update=lambda service, indexer_id, changes, now: service.update_indexer(indexer_id, changes, now).settings,
    delete=ProviderService.delete_indexer, test=ProviderService.test_indexer,
    test_saved=ProviderService.test_saved_indexer,
)
CLIENTS = Kind(
    "download-clients", "client", "download client", "_download_clients.html", ClientSettings,
    {wire: attr for wire, (attr, _) in CLIENT_FIELDS.items()}, CLIENT_REQUIRED, CLIENT_IMPLEMENTATIONS,
    saved=lambda service: tuple((client, None) for client in service.clients()),
    get=ProviderService.client, create=ProviderService.create_client, update=ProviderService.update_client,
    delete=ProviderService.delete_client, test=ProviderService.test_client,
    test_saved=ProviderService.test_saved_client,
)


# -- what the page shows ----------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What a Test said: ``passed``, ``failed``, or ``refused`` (a value the service refused: not tried)."""

    outcome: str
    message: str


@dataclass(frozen=True)
class ProviderForm:
    """One provider's form (or the add form): its fields' text, and what its last use said.

    ``values`` never holds a secret; ``stored`` names the secrets the saved provider has,
    ``retype`` those typed into the form just sent, which the page asks for again.
    """

    values: Mapping[str, str]
    stored: frozenset[str] = frozenset()
    retype: frozenset[str] = frozenset()
    error: str | None = None
    error_field: str | None = None
    answer: Answer | None = None
    open: bool = False


@dataclass(frozen=True)
class Entry:
    """A saved provider as its block shows it."""

    id: int
    name: str
    implementation: str
    enabled: bool
    priority: int
    health: HealthState | None  # indexers only
    form: ProviderForm


@dataclass(frozen=True)
class Section:
    """One kind's section: its providers, by priority then name, and its add form."""

    kind: Kind
    entries: tuple[Entry, ...]
    new: ProviderForm
    now: datetime
    notice: str | None = None
    notice_error: bool = False
    usual_ports: ClassVar[str] = USUAL_PORTS_TEXT


def _section(kind: Kind, shown: tuple[int | None, ProviderForm] | None = None, notice: str | None = None,
             notice_error: bool = False) -> Section:
    """The section as saved; ``shown``: one form (``None``: the add form) as the request left it."""
    forms = dict([shown]) if shown else {}
    entries = tuple(
        Entry(_id(settings), settings.name, settings.implementation, settings.enabled, settings.priority, health,
              forms.get(settings.id) or _saved_form(kind, settings))
        for settings, health in kind.saved(get_runtime().providers)
    )
    new = forms.get(None) or _empty_form(kind)
    return Section(kind, entries, new, now_utc(), notice, notice_error)


def _id(settings: Settings) -> int:
    assert settings.id is not None  # read from the database
    return settings.id


def _saved_form(kind: Kind, settings: Settings) -> ProviderForm:
    values = {wire: _text(wire, getattr(settings, attr)) for wire, attr in kind.fields.items() if wire not in SECRETS}
    stored = frozenset(wire for wire in SECRETS if wire in kind.fields and getattr(settings, kind.fields[wire]))
    return ProviderForm(values, stored)


def _text(wire: str, value: object) -> str:
    """A settings value as its field shows it."""
    if isinstance(value, bool):
        return "true" if value else ""
    if isinstance(value, tuple):
        return ", ".join(str(item) for item in value)
    if wire == "port" and value == 0:
        return ""  # none given: the client's usual one, or none for a blackhole
    return str(value)


def _sent_form(kind: Kind, form: MultiDict[str, str], base: ProviderForm, **state: Any) -> ProviderForm:
    """``base`` (the saved form, or the empty one) with what the request sent, secrets left out."""
    values = dict(base.values)
    for wire in kind.fields:
        if wire in FLAGS:
            values[wire] = "true" if form.get(wire) == "true" else ""
        elif wire in form and wire not in SECRETS:
            values[wire] = form[wire]
    retype = frozenset(wire for wire in SECRETS if wire in kind.fields and form.get(wire))
    return ProviderForm(values, base.stored, retype, **state)


def _empty_form(kind: Kind) -> ProviderForm:
    """The add form before anything is typed: the settings' defaults."""
    return _saved_form(kind, kind.new(**_blanks(kind)))


def _blanks(kind: Kind) -> dict[str, Any]:
    """The required settings fields, empty: what a form that sends none of them asks for."""
    return {kind.fields[wire]: "" for wire in kind.required}


# -- form text into the service's values ------------------------------------------


def _changes(kind: Kind, form: MultiDict[str, str]) -> dict[str, Any]:
    """The settings fields the form sets, by their settings names, as the service's types.

    A field not sent is left out, but for a checkbox (HTML sends none that is unticked); so
    is a secret left empty, which keeps the stored one, unless its "clear" box is ticked.
    """
    changes: dict[str, Any] = {}
    for wire, attr in kind.fields.items():
        raw = form.get(wire)
        if wire in FLAGS:
            changes[attr] = _flag(wire, raw)
        elif wire in SECRETS:
            if form.get(_clear_name(wire)) == "true":
                changes[attr] = ""
            elif raw:
                changes[attr] = raw
        elif raw is not None:
            changes[attr] = _value(wire, raw)
    return changes


def _new_settings(kind: Kind, form: MultiDict[str, str]) -> Settings:
    return kind.new(**{**_blanks(kind), **_changes(kind, form)})


def _clear_name(wire: str) -> str:
    """The name of a secret's "clear" checkbox: ``clearApiKey``."""
    return f"clear{wire[0].upper()}{wire[1:]}"


def _flag(wire: str, raw: str | None) -> bool:
    if raw not in (None, "true"):
        raise ValidationError(f"'{wire}' must be ticked or not", "INVALID_FIELD")
    return raw == "true"


def _value(wire: str, raw: str) -> object:
    if wire == "port" and raw == "":
        return 0  # the client's usual port
    if wire in INTEGERS:
        return _whole(raw, f"'{wire}' must be a whole number (at most 9 digits 0-9)")
    if wire in NUMBER_LISTS:
        message = f"'{wire}' must be whole numbers separated by commas"
        return tuple(_whole(part.strip(), message) for part in raw.split(",") if part.strip())
    return raw


def _whole(raw: str, message: str) -> int:
    """ASCII digits as an int; what range it must be in is the service's to say."""
    try:
        return whole_number(raw, "number")
    except ValidationError:
        raise ValidationError(message, "INVALID_FIELD") from None


_QUOTED_FIELD = re.compile(r"'(\w+)'")
_FIELD_OF_CODE = {"NAME_TAKEN": "name", "FOLDER_REQUIRED": "torrentFolder"}


def _field_of(kind: Kind, error: AppError) -> str | None:
    """The form field an error is about: the service names it first, as the API spells it."""
    named = _QUOTED_FIELD.match(error.message)
    field = named.group(1) if named else _FIELD_OF_CODE.get(error.code)
    return field if field in kind.fields else None


# -- answers ----------------------------------------------------------------------


def _html(html: str, status: int = 200) -> Response:
    return Response(html, status=status, headers=settings_page.NO_STORE, mimetype="text/html")


def _show(kind: Kind, section: Section, status: int = 200) -> Response:
    """htmx: the section alone (always a 200: htmx swaps no other); else the whole page."""
    if request.htmx:
        return _html(render_template(kind.template, section=section))
    return _html(render_template("settings_providers.html", section=section), status)


def _done(kind: Kind, message: str) -> Response:
    """A change made: htmx gets the section with the notice; a plain form a flash and a 303."""
    if request.htmx:
        return _show(kind, _section(kind, notice=message))
    flash(message, "info")
    return redirect(url_for(kind.endpoint), 303)


def _gone(kind: Kind, error: AppError) -> Response:
    """The provider is not there (deleted meanwhile, or never was)."""
    if request.htmx:
        return _show(kind, _section(kind, notice=error.message, notice_error=True))
    flash(error.message, "error")
    return redirect(url_for(kind.endpoint), 303)


def _refused(kind: Kind, provider_id: int | None, error: AppError) -> Response:
    """The form again as sent, the error in it; nothing was changed."""
    form = _sent_form(kind, request.form, _base_form(kind, provider_id), error=error.message,
                      error_field=_field_of(kind, error), open=True)
    return _show(kind, _section(kind, (provider_id, form)), error.status)


def _tested(kind: Kind, provider_id: int | None, answer: Answer) -> Response:
    """htmx: the answer alone, for the form's answer slot; else the page with the answer in the form."""
    if request.htmx:
        return _html(render_template("_provider_answer.html", answer=answer))
    form = _sent_form(kind, request.form, _base_form(kind, provider_id), answer=answer,
                      open=answer.outcome == "refused")
    return _show(kind, _section(kind, (provider_id, form)), 400 if answer.outcome == "refused" else 200)


def _base_form(kind: Kind, provider_id: int | None) -> ProviderForm:
    """The form as saved: the provider's, or the empty add form (also once the provider is gone)."""
    if provider_id is not None:
        try:
            return _saved_form(kind, kind.get(get_runtime().providers, provider_id))
        except NotFound:
            pass
    return _empty_form(kind)


def _answer_of(check: ProviderCheck) -> Answer:
    return Answer("passed" if check.passed else "failed", check.message)


# -- the handlers, for either kind ------------------------------------------------


def _show_saved(kind: Kind) -> Response:
    return _show(kind, _section(kind))


def _create(kind: Kind) -> Response:
    try:
        settings = _new_settings(kind, request.form)
        kind.create(get_runtime().providers, settings, now_utc())
    except AppError as error:
        return _refused(kind, None, error)
    return _done(kind, f"Added the {kind.noun} “{settings.name}”")


def _test_new(kind: Kind) -> Response:
    try:
        answer = _answer_of(kind.test(get_runtime().providers, _new_settings(kind, request.form)))
    except AppError as error:
        answer = Answer("refused", error.message)
    return _tested(kind, None, answer)


def _update(kind: Kind, provider_id: int) -> Response:
    providers = get_runtime().providers
    try:
        kind.get(providers, provider_id)  # an unknown id is gone, whatever the form says
        settings = kind.update(providers, provider_id, _changes(kind, request.form), now_utc())
    except NotFound as error:
        return _gone(kind, error)
    except AppError as error:
        return _refused(kind, provider_id, error)
    return _done(kind, f"Saved the {kind.noun} “{settings.name}”")


def _test_saved(kind: Kind, provider_id: int) -> Response:
    """Tries the saved provider with the form's values in place of the saved ones; saves nothing."""
    providers = get_runtime().providers
    try:
        kind.get(providers, provider_id)
        answer = _answer_of(kind.test_saved(providers, provider_id, _changes(kind, request.form)))
    except NotFound as error:
        return _gone(kind, error)
    except AppError as error:
        answer = Answer("refused", error.message)
    return _tested(kind, provider_id, answer)


def _delete(kind: Kind, provider_id: int) -> Response:
    """Without ``confirm=yes`` (a plain form, no JavaScript): the confirmation page first."""
    providers = get_runtime().providers
    try:
        settings = kind.get(providers, provider_id)
        if request.form.get("confirm") != "yes":
            html = render_template("settings_delete_provider.html", kind=kind, settings=settings, action=request.path)
            return _html(html)
        kind.delete(providers, provider_id)
    except AppError as error:
        return _gone(kind, error)
    return _done(kind, f"Deleted the {kind.noun} “{settings.name}”")


# -- for the templates ------------------------------------------------------------


@bp.app_template_global()
def clock_time(moment: datetime, now: datetime) -> Markup:
    """``14:05 UTC`` as ``<time>`` (the date too when not today), the full time on hover."""
    text = absolute(moment)[11:16] if moment.date() == now.date() else absolute(moment)[:16]
    return Markup(f'<time datetime="{iso(moment)}" title="{absolute(moment)}">{text} UTC</time>')


# -- routes -----------------------------------------------------------------------


def _add_routes(kind: Kind, one: str) -> None:
    """The kind's routes, ``pages.create_indexer`` and so on; a provider's id is ``provider_id``."""
    listed, saved = f"/settings/{kind.slug}", f"/settings/{kind.slug}/<int(max={settings_page.MAX_ID}):provider_id>"
    routes: tuple[tuple[str, str, Callable[..., Response], str], ...] = (
        (listed, kind.slug.replace("-", "_"), _show_saved, "GET"),  # the page, or the section alone for htmx
        (listed, f"create_{one}", _create, "POST"),
        (f"{listed}/test", f"test_new_{one}", _test_new, "POST"),
        (saved, f"update_{one}", _update, "POST"),
        (f"{saved}/test", f"test_{one}", _test_saved, "POST"),
        (f"{saved}/delete", f"delete_{one}", _delete, "POST"),
    )
    for rule, endpoint, handler, method in routes:
        bp.add_url_rule(rule, endpoint, login_required(partial(handler, kind)), methods=[method])


_add_routes(INDEXERS, "indexer")
_add_routes(CLIENTS, "client")
