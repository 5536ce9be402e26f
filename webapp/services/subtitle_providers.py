"""Configured subtitle providers, their quota, and the wanted subtitle languages.

``SubtitleProviderService`` is the one way in for the API, the pages, the demo seed and the
runs, as ``ProviderService`` is for indexers and download clients, and with the same rules:
every value checked here (so every face refuses the same input with the same message), names
unique ignoring case, a secret not given kept and ``""`` clearing it, lists by priority then name.

Wanted languages: ``wanted_subtitle_languages`` keeps a ``min_score`` per language, which the
API does not show; a language set through ``set_languages`` gets 0, so that each provider's
``minimumScore`` decides. A higher ``min_score`` stored by other means stays a floor for every
provider: a result is taken at ``max(language's, provider's)``.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import Database
from ..errors import NotFound, ValidationError
from ..models import SubtitleProviderSetting, SubtitleProviderStatus, WantedLanguage
from ..providers.base import ProviderError, SubtitleProvider
from ..providers.subtitles import SubtitleSource, build_subtitle_provider, test_subtitle_provider
from ..releases.subtitles import score_offer
from ..providers.subtitles.languages import is_iso_639_1
from ..providers.subtitles.settings import (
    LOCAL, OPENSUBTITLES, SUBTITLE_IMPLEMENTATIONS, QuotaState, SubtitleProviderSettings,
)
from .names import name_taken, refuse_taken
from .provider_checks import (
    FOLDER_LENGTH, SECRET_LENGTH, check_base_url, check_between, check_choice, check_name, check_path, check_text, name_key,
)
from .providers import ProviderCheck

log = logging.getLogger("cinephage.providers")
LABEL = "Subtitle provider"  # as a sentence starts
MAX_LANGUAGES = 50
REASON_LENGTH = 2000
NOT_FOUND = "SUBTITLE_PROVIDER_NOT_FOUND"


def check_subtitle_provider(settings: SubtitleProviderSettings) -> SubtitleProviderSettings:
    """The rules of ``provider_checks``, with the fields of a subtitle provider."""
    check_name(settings.name)
    check_choice("implementation", settings.implementation, SUBTITLE_IMPLEMENTATIONS)
    check_between("priority", settings.priority, 1, 100)
    check_between("minimumScore", settings.minimum_score, 0, 100)
    check_base_url(settings.base_url)
    check_text("apiKey", settings.api_key, SECRET_LENGTH)
    check_text("username", settings.username, 200)
    check_text("password", settings.password, SECRET_LENGTH)
    check_path("folder", settings.folder, FOLDER_LENGTH)
    if settings.implementation == OPENSUBTITLES and not settings.api_key:
        raise ValidationError("OpenSubtitles needs an 'apiKey' (made on its site, under API consumers)",
                              "API_KEY_REQUIRED")
    if settings.implementation == LOCAL and not settings.folder:
        raise ValidationError("A local subtitle provider needs a 'folder'", "FOLDER_REQUIRED")
    return settings


@dataclass(frozen=True)
class ConfiguredSubtitleProvider:
    """A subtitle provider's settings and what it last said of its quota."""

    settings: SubtitleProviderSettings
    quota: QuotaState

    @property
    def id(self) -> int:
        assert self.settings.id is not None  # stored settings always have one
        return self.settings.id


class SubtitleProviderService:
    """The subtitle providers of one app, their quota, and the languages every file should have."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.quota = DatabaseQuota(db)

    # -- providers --------------------------------------------------------------

    def providers(self) -> tuple[ConfiguredSubtitleProvider, ...]:
        """Every subtitle provider, by priority (1 first) then name."""
        with self.db.read() as session:
            rows = session.scalars(select(SubtitleProviderSetting)).all()
            found = [_settings_of(row) for row in rows]
            states = {status.provider_id: _quota(status) for status in session.scalars(select(SubtitleProviderStatus))}
        found.sort(key=lambda s: (s.priority, name_key(s.name), s.id or 0))
        return tuple(ConfiguredSubtitleProvider(s, states.get(s.id or 0, QuotaState())) for s in found)

    def provider(self, provider_id: int) -> ConfiguredSubtitleProvider:
        with self.db.read() as session:
            settings = _settings_of(_row(session, provider_id))
        return ConfiguredSubtitleProvider(settings, self.quota.load(provider_id))

    def create(self, settings: SubtitleProviderSettings, now: datetime) -> ConfiguredSubtitleProvider:
        settings = check_subtitle_provider(settings)
        try:
            with self.db.write() as session:
                refuse_taken(session, SubtitleProviderSetting, LABEL, settings.name, None)
                row = SubtitleProviderSetting(created_at=now)
                _store(row, settings, now)
                session.add(row)
                session.flush()
                created = _settings_of(row)
        except IntegrityError:  # another writer took the name between our look and our insert
            raise name_taken(LABEL, settings.name) from None
        log.info("Subtitle provider %r added (%s)", created.name, created.implementation)
        return ConfiguredSubtitleProvider(created, QuotaState())

    def update(self, provider_id: int, changes: Mapping[str, Any], now: datetime) -> ConfiguredSubtitleProvider:
        """Changes the fields given; a secret not given is kept, ``""`` clears it."""
        try:
            with self.db.write() as session:
                row = _row(session, provider_id, lock=True)
                settings = _changed(_settings_of(row), changes)
                refuse_taken(session, SubtitleProviderSetting, LABEL, settings.name, provider_id)
                _store(row, settings, now)
        except IntegrityError:
            raise name_taken(LABEL, str(changes.get("name"))) from None
        log.info("Subtitle provider %r changed (%s)", settings.name, ", ".join(sorted(changes)) or "nothing")
        return ConfiguredSubtitleProvider(settings, self.quota.load(provider_id))

    def delete(self, provider_id: int) -> None:
        with self.db.write() as session:
            row = _row(session, provider_id, lock=True)
            session.delete(row)
        log.info("Subtitle provider %r deleted", row.name)

    def test(self, settings: SubtitleProviderSettings) -> ProviderCheck:
        """Tries a provider that is not saved; nothing is stored, its quota included."""
        settings = check_subtitle_provider(settings)
        try:
            return ProviderCheck(True, test_subtitle_provider(settings))
        except ProviderError as error:
            return ProviderCheck(False, str(error))
        except Exception as error:  # noqa: BLE001 - a surprise is still a failed test
            log.error("testing subtitle provider %r failed unexpectedly: %s", settings.name, type(error).__name__)
            return ProviderCheck(False, f"Subtitle provider test failed unexpectedly ({type(error).__name__})")

    def test_saved(self, provider_id: int, changes: Mapping[str, Any] | None = None) -> ProviderCheck:
        """Tries a saved provider, with ``changes`` (say, a form's edits) applied but not saved."""
        return self.test(_changed(self.provider(provider_id).settings, changes or {}))

    # -- wanted languages -----------------------------------------------------------

    def languages(self) -> tuple[str, ...]:
        """The wanted subtitle languages, in the order they were given."""
        with self.db.read() as session:
            return tuple(session.scalars(select(WantedLanguage.language).order_by(WantedLanguage.id)))

    def set_languages(self, languages: Sequence[str]) -> tuple[str, ...]:
        """Makes ``languages`` (ISO 639-1 codes, repeats dropped) the wanted ones; each provider's score decides."""
        wanted = check_languages(languages)
        with self.db.write() as session:
            session.execute(delete(WantedLanguage).where(WantedLanguage.language.not_in(wanted)))
            kept = set(session.scalars(select(WantedLanguage.language)))
            session.execute(update(WantedLanguage).values(min_score=0))
            session.add_all(WantedLanguage(language=code, min_score=0) for code in wanted if code not in kept)
        log.info("Wanted subtitle languages: %s", ", ".join(wanted) or "none")
        return self.languages()


def check_languages(languages: Sequence[str]) -> tuple[str, ...]:
    if len(languages) > MAX_LANGUAGES:
        raise ValidationError(f"'languages' holds at most {MAX_LANGUAGES} codes", "INVALID_FIELD")
    wrong = [code for code in languages if not is_iso_639_1(code)]
    if wrong:
        raise ValidationError(
            f"'languages' must be ISO 639-1 codes in lower case (\"en\", \"fr\"); not: {', '.join(map(repr, wrong[:5]))}",
            "INVALID_FIELD",
        )
    return tuple(dict.fromkeys(languages))


class DatabaseQuota:
    """``QuotaStore`` on ``subtitle_provider_status``: one quota and one rest, seen by every process."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def load(self, provider_id: int | None) -> QuotaState:
        if provider_id is None:
            return QuotaState()
        with self.db.read() as session:
            status = session.get(SubtitleProviderStatus, provider_id)
        return QuotaState() if status is None else _quota(status)

    def save(self, provider_id: int | None, state: QuotaState) -> None:
        if provider_id is None:
            return
        with self.db.write() as session:
            exists_now = session.scalar(select(SubtitleProviderSetting.id).where(
                SubtitleProviderSetting.id == provider_id).with_for_update())
            if exists_now is None:
                return  # deleted meanwhile
            status = session.get(SubtitleProviderStatus, provider_id) or SubtitleProviderStatus(provider_id=provider_id)
            status.downloads_remaining, status.resets_at = state.downloads_remaining, state.resets_at
            status.resting_until = state.resting_until
            status.reason = None if state.reason is None else state.reason.replace("\x00", "")[:REASON_LENGTH]
            session.add(status)


def _quota(status: SubtitleProviderStatus) -> QuotaState:
    return QuotaState(status.downloads_remaining, status.resets_at, status.resting_until, status.reason)


def _row(session: Session, provider_id: int, lock: bool = False) -> SubtitleProviderSetting:
    statement = select(SubtitleProviderSetting).where(SubtitleProviderSetting.id == provider_id)
    row = session.scalars(statement.with_for_update() if lock else statement).one_or_none()
    if row is None:
        raise NotFound(f"Subtitle provider '{provider_id}' not found", NOT_FOUND)
    return row


def _settings_of(row: SubtitleProviderSetting) -> SubtitleProviderSettings:
    return SubtitleProviderSettings(**{field.name: getattr(row, field.name) for field in fields(SubtitleProviderSettings)})


def _store(row: SubtitleProviderSetting, settings: SubtitleProviderSettings, now: datetime) -> None:
    for field in fields(settings):
        if field.name != "id":
            setattr(row, field.name, getattr(settings, field.name))
    row.name_key = name_key(settings.name)
    row.updated_at = now


def _changed(settings: SubtitleProviderSettings, changes: Mapping[str, Any]) -> SubtitleProviderSettings:
    known = {field.name for field in fields(SubtitleProviderSettings)} - {"id"}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(unknown)}", "UNKNOWN_FIELD")
    return check_subtitle_provider(replace(settings, **changes))






class KeptSubtitleProviders:
    """The enabled subtitle providers by priority, as each run starts (``ConfiguredProviders`` calls it).

    A provider object is kept while its settings stay the same, as indexers are, so that an
    OpenSubtitles token carries over from run to run; its quota lives in the database.
    """

    def __init__(self, db: Database) -> None:
        self._service = SubtitleProviderService(db)
        self._kept: dict[SubtitleProviderSettings, SubtitleSource] = {}
        self._lock = threading.Lock()

    def __call__(self) -> list[SubtitleProvider]:
        configured = [provider.settings for provider in self._service.providers() if provider.settings.enabled]
        with self._lock:
            kept: dict[SubtitleProviderSettings, SubtitleSource] = {}
            for settings in configured:
                try:
                    kept[settings] = self._kept.get(settings) or build_subtitle_provider(settings, self._service.quota, score_offer)
                except ProviderError as error:  # stored by an older version, say: the others still work
                    log.warning("Subtitle provider %r left out: %s", settings.name, error)
            self._kept = kept
            return list(kept.values())
