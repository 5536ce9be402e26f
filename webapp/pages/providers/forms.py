"""What a provider settings page shows, and form text turned into the service's values, for every kind.

A kind (``Kind``) names its service calls and its fields; everything here works for any kind:
the section as saved or as a request left it, secrets never written into a page (an empty
secret field keeps the stored one, its "clear" box clears it), checkboxes that HTML does not
send when unticked, whole numbers and lists of them. The service checks every value; this
module only turns form text into the service's types.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from werkzeug.datastructures import MultiDict

from ...clock import now_utc
from ...errors import AppError, ValidationError
from ...parsing import whole_number
from ...runtime import Runtime, get_runtime
from ...services.provider_checks import USUAL_PORTS
from ...services.providers import ProviderCheck

# How a form field's text becomes the service's value; any other field is text as typed.
SECRETS = ("apiKey", "password")
INTEGERS = frozenset({"priority", "minimumSeeders", "port", "minimumScore"})
FLAGS = frozenset({"enabled", "useSsl"})  # checkboxes: sent as "true" when ticked, not sent otherwise
NUMBER_LISTS = frozenset({"categories"})
NAMES = {
    "torznab": "Torznab (torrents)", "newznab": "Newznab (Usenet)", "qbittorrent": "qBittorrent",
    "transmission": "Transmission", "deluge": "Deluge", "sabnzbd": "SABnzbd", "nzbget": "NZBGet",
    "blackhole": "Blackhole folders", "opensubtitles": "OpenSubtitles.com", "local": "Local folder",
}
USUAL_PORTS_TEXT = ", ".join(f"{NAMES[name]} {port}" for name, port in USUAL_PORTS.items())


@dataclass(frozen=True)
class Kind:
    """One kind of configured provider as its settings page shows it, and its service's calls.

    ``service`` picks the kind's service from the runtime; every other call takes that service.
    ``saved`` gives each provider with what its block shows besides (an indexer's health, a
    subtitle provider's quota). ``page`` is the whole page's template; ``page_context`` what it
    needs beyond the section.
    """

    slug: str  # in its URLs and its section's id: "indexers"
    prefix: str  # of its element ids: "indexer-3-name", "indexer-new-name"
    noun: str  # in sentences: "indexer"
    template: str
    new: Callable[..., Any]  # its settings class
    fields: Mapping[str, str]  # form field (named as in the API) -> settings field
    required: frozenset[str]
    implementations: tuple[str, ...]
    service: Callable[[Runtime], Any]
    saved: Callable[[Any], tuple[tuple[Any, Any], ...]]
    get: Callable[[Any, int], Any]
    create: Callable[[Any, Any, datetime], object]
    update: Callable[[Any, int, Mapping[str, Any], datetime], Any]
    delete: Callable[[Any, int], None]
    test: Callable[[Any, Any], ProviderCheck]
    test_saved: Callable[[Any, int, Mapping[str, Any]], ProviderCheck]
    page: str = "settings_providers.html"
    page_context: Callable[[], Mapping[str, Any]] = field(default=lambda: {})

    def options(self) -> tuple[tuple[str, str], ...]:
        """Its implementations, each with its name for people."""
        return tuple((value, self.name_of(value)) for value in self.implementations)

    def name_of(self, implementation: str) -> str:
        return NAMES.get(implementation, implementation)

    @property
    def endpoint(self) -> str:
        """Its page's endpoint: ``pages.indexers``, ``pages.download_clients``."""
        return f"pages.{self.slug.replace('-', '_')}"

    def current(self) -> Any:
        """The kind's service, in this app."""
        return self.service(get_runtime())


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
    """A saved provider as its block shows it; ``state`` is the kind's own (health, quota) or None."""

    id: int
    name: str
    implementation: str
    enabled: bool
    priority: int
    state: Any
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


def section(kind: Kind, shown: tuple[int | None, ProviderForm] | None = None, notice: str | None = None,
            notice_error: bool = False) -> Section:
    """The section as saved; ``shown``: one form (``None``: the add form) as the request left it."""
    forms = dict([shown]) if shown else {}
    entries = tuple(
        Entry(settings.id, settings.name, settings.implementation, settings.enabled, settings.priority, state,
              forms.get(settings.id) or saved_form(kind, settings))
        for settings, state in kind.saved(kind.current())
    )
    new = forms.get(None) or empty_form(kind)
    return Section(kind, entries, new, now_utc(), notice, notice_error)


def saved_form(kind: Kind, settings: Any) -> ProviderForm:
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


def sent_form(kind: Kind, form: MultiDict[str, str], base: ProviderForm, **state: Any) -> ProviderForm:
    """``base`` (the saved form, or the empty one) with what the request sent, secrets left out."""
    values = dict(base.values)
    for wire in kind.fields:
        if wire in FLAGS:
            values[wire] = "true" if form.get(wire) == "true" else ""
        elif wire in form and wire not in SECRETS:
            values[wire] = form[wire]
    retype = frozenset(wire for wire in SECRETS if wire in kind.fields and form.get(wire))
    return ProviderForm(values, base.stored, retype, **state)


def empty_form(kind: Kind) -> ProviderForm:
    """The add form before anything is typed: the settings' defaults."""
    return saved_form(kind, kind.new(**_blanks(kind)))


def _blanks(kind: Kind) -> dict[str, Any]:
    """The required settings fields, empty: what a form that sends none of them asks for."""
    return {kind.fields[wire]: "" for wire in kind.required}


def changes(kind: Kind, form: MultiDict[str, str]) -> dict[str, Any]:
    """The settings fields the form sets, by their settings names, as the service's types.

    A field not sent is left out, but for a checkbox (HTML sends none that is unticked); so
    is a secret left empty, which keeps the stored one, unless its "clear" box is ticked.
    """
    found: dict[str, Any] = {}
    for wire, attr in kind.fields.items():
        raw = form.get(wire)
        if wire in FLAGS:
            found[attr] = _flag(wire, raw)
        elif wire in SECRETS:
            if form.get(_clear_name(wire)) == "true":
                found[attr] = ""
            elif raw:
                found[attr] = raw
        elif raw is not None:
            found[attr] = _value(wire, raw)
    return found


def new_settings(kind: Kind, form: MultiDict[str, str]) -> Any:
    return kind.new(**{**_blanks(kind), **changes(kind, form)})


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
_FIELD_OF_CODE = {"NAME_TAKEN": "name", "FOLDER_REQUIRED": "torrentFolder", "API_KEY_REQUIRED": "apiKey"}


def field_of(kind: Kind, error: AppError) -> str | None:
    """The form field an error is about: the service names it first, as the API spells it."""
    named = _QUOTED_FIELD.match(error.message)
    found = named.group(1) if named else _FIELD_OF_CODE.get(error.code)
    if found not in kind.fields and error.code == "FOLDER_REQUIRED":
        found = "folder"  # a subtitle provider's one folder
    return found if found in kind.fields else None
