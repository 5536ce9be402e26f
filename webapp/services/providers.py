"""Configured indexers and download clients, an indexer's health, and the blocklist.

``ProviderService`` is the one way in for the API, the pages and the tasks. It returns the
settings values the provider clients read (``IndexerSettings``, ``ClientSettings``), secrets
included: each face decides what it shows of them (the API shows none). Every value is checked
here (``provider_checks``), so that every face refuses the same input with the same message.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import Database
from ..errors import NotFound, ValidationError
from ..models import DownloadClientSetting, IndexerSetting, IndexerStatus
from ..models.providers import ProviderSetting
from ..providers import testing
from ..providers.base import ProviderError
from ..providers.settings import ClientSettings, HealthState, IndexerSettings, backoff
from .blocklist import Blocklist
from .names import name_taken, refuse_taken
from .provider_checks import check_client, check_indexer, name_key

log = logging.getLogger("cinephage.providers")
S = TypeVar("S", IndexerSettings, ClientSettings)
ERROR_LENGTH = 2000  # of an indexer's last error, as kept


@dataclass(frozen=True)
class ConfiguredIndexer:
    """An indexer's settings and how it has fared lately."""

    settings: IndexerSettings
    health: HealthState

    @property
    def id(self) -> int:
        assert self.settings.id is not None  # stored settings always have one
        return self.settings.id


@dataclass(frozen=True)
class ProviderCheck:
    """What trying a provider once said: ``passed``, and a message for a person either way."""

    passed: bool
    message: str


@dataclass(frozen=True)
class _Kind(Generic[S]):
    """One kind of configured provider: its table, its settings value and its checks."""

    model: type[IndexerSetting] | type[DownloadClientSetting]
    settings: type[S]
    label: str  # "Indexer", as a sentence starts
    not_found: str  # the NotFound code
    check: Callable[[S], S]
    attempt: Callable[[S], str]  # tries the provider once; raises ProviderError


INDEXERS = _Kind(IndexerSetting, IndexerSettings, "Indexer", "INDEXER_NOT_FOUND", check_indexer, testing.test_indexer)
CLIENTS = _Kind(
    DownloadClientSetting, ClientSettings, "Download client", "DOWNLOAD_CLIENT_NOT_FOUND", check_client,
    testing.test_client,
)


class ProviderService:
    """The configured indexers and download clients of one app, their health and the blocklist."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.health = DatabaseHealth(db)
        self.blocklist = Blocklist(db)

    # -- indexers ---------------------------------------------------------------

    def indexers(self) -> tuple[ConfiguredIndexer, ...]:
        """Every indexer, by priority (1 first) then name."""
        states = self.health.states()
        return tuple(ConfiguredIndexer(s, states.get(_id(s), HealthState())) for s in self._list(INDEXERS))

    def indexer(self, indexer_id: int) -> ConfiguredIndexer:
        settings = self._get(INDEXERS, indexer_id)
        return ConfiguredIndexer(settings, self.health.state(indexer_id))

    def create_indexer(self, settings: IndexerSettings, now: datetime) -> ConfiguredIndexer:
        return ConfiguredIndexer(self._create(INDEXERS, settings, now), HealthState())

    def update_indexer(self, indexer_id: int, changes: Mapping[str, Any], now: datetime) -> ConfiguredIndexer:
        """Changes the fields given; a secret not given is kept, ``""`` clears it."""
        settings = self._update(INDEXERS, indexer_id, changes, now)
        return ConfiguredIndexer(settings, self.health.state(indexer_id))

    def delete_indexer(self, indexer_id: int) -> None:
        self._delete(INDEXERS, indexer_id)

    def test_indexer(self, settings: IndexerSettings) -> ProviderCheck:
        """Tries an indexer that is not saved; nothing is stored, its health included."""
        return _try(INDEXERS, settings)

    def test_saved_indexer(self, indexer_id: int, changes: Mapping[str, Any] | None = None) -> ProviderCheck:
        """Tries a saved indexer, with ``changes`` (say, a form's edits) applied but not saved."""
        return _try(INDEXERS, _changed(INDEXERS, self._get(INDEXERS, indexer_id), changes or {}))

    # -- download clients -------------------------------------------------------

    def clients(self) -> tuple[ClientSettings, ...]:
        """Every download client, by priority (1 first) then name."""
        return self._list(CLIENTS)

    def client(self, client_id: int) -> ClientSettings:
        return self._get(CLIENTS, client_id)

    def create_client(self, settings: ClientSettings, now: datetime) -> ClientSettings:
        return self._create(CLIENTS, settings, now)

    def update_client(self, client_id: int, changes: Mapping[str, Any], now: datetime) -> ClientSettings:
        """Changes the fields given; a secret not given is kept, ``""`` clears it."""
        return self._update(CLIENTS, client_id, changes, now)

    def delete_client(self, client_id: int) -> None:
        self._delete(CLIENTS, client_id)

    def test_client(self, settings: ClientSettings) -> ProviderCheck:
        """Tries a download client that is not saved."""
        return _try(CLIENTS, settings)

    def test_saved_client(self, client_id: int, changes: Mapping[str, Any] | None = None) -> ProviderCheck:
        """Tries a saved download client, with ``changes`` applied but not saved."""
        return _try(CLIENTS, _changed(CLIENTS, self._get(CLIENTS, client_id), changes or {}))

    # -- either kind ------------------------------------------------------------

    def _list(self, kind: _Kind[S]) -> tuple[S, ...]:
        with self.db.read() as session:
            found = [_settings_of(row, kind) for row in session.scalars(select(kind.model))]
        # Sorted here, not by the database: collations would order names differently on each.
        return tuple(sorted(found, key=lambda s: (s.priority, name_key(s.name), _id(s))))

    def _get(self, kind: _Kind[S], provider_id: int) -> S:
        with self.db.read() as session:
            return _settings_of(_row(session, kind, provider_id), kind)

    def _create(self, kind: _Kind[S], settings: S, now: datetime) -> S:
        settings = kind.check(settings)
        try:
            with self.db.write() as session:
                refuse_taken(session, kind.model, kind.label, settings.name, None)
                row = kind.model(created_at=now)
                _store(row, settings, now)
                session.add(row)
                session.flush()
                created = _settings_of(row, kind)
        except IntegrityError:  # another writer took the name between our look and our insert
            raise name_taken(kind.label, settings.name) from None
        log.info("%s %r added (%s)", kind.label, created.name, created.implementation)
        return created

    def _update(self, kind: _Kind[S], provider_id: int, changes: Mapping[str, Any], now: datetime) -> S:
        try:
            with self.db.write() as session:
                row = _row(session, kind, provider_id, lock=True)
                settings = _changed(kind, _settings_of(row, kind), changes)
                refuse_taken(session, kind.model, kind.label, settings.name, provider_id)
                _store(row, settings, now)
        except IntegrityError:
            raise name_taken(kind.label, str(changes.get("name"))) from None
        log.info("%s %r changed (%s)", kind.label, settings.name, ", ".join(sorted(changes)) or "nothing")
        return settings

    def _delete(self, kind: _Kind[S], provider_id: int) -> None:
        with self.db.write() as session:
            row = _row(session, kind, provider_id, lock=True)
            session.delete(row)
        log.info("%s %r deleted", kind.label, row.name)


def _id(settings: IndexerSettings | ClientSettings) -> int:
    assert settings.id is not None  # read from the database
    return settings.id


def _row(session: Session, kind: _Kind[S], provider_id: int, lock: bool = False) -> ProviderSetting:
    statement = select(kind.model).where(kind.model.id == provider_id)
    row = session.scalars(statement.with_for_update() if lock else statement).one_or_none()
    if row is None:
        raise NotFound(f"{kind.label} '{provider_id}' not found", kind.not_found)
    return row


def _settings_of(row: ProviderSetting, kind: _Kind[S]) -> S:
    values = {field.name: getattr(row, field.name) for field in fields(kind.settings)}
    if isinstance(values.get("categories"), list):
        values["categories"] = tuple(values["categories"])
    return kind.settings(**values)


def _store(row: ProviderSetting, settings: IndexerSettings | ClientSettings, now: datetime) -> None:
    for field in fields(settings):
        if field.name != "id":
            value = getattr(settings, field.name)
            setattr(row, field.name, list(value) if isinstance(value, tuple) else value)
    row.name_key = name_key(settings.name)
    row.updated_at = now


def _changed(kind: _Kind[S], settings: S, changes: Mapping[str, Any]) -> S:
    """``settings`` with ``changes`` applied and checked."""
    known = {field.name for field in fields(kind.settings)} - {"id"}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(unknown)}", "UNKNOWN_FIELD")
    return kind.check(replace(settings, **changes))






def _try(kind: _Kind[S], settings: S) -> ProviderCheck:
    """Tries the provider once, checked first; a failure is an answer, not an error."""
    settings = kind.check(settings)
    try:
        return ProviderCheck(True, kind.attempt(settings))
    except ProviderError as error:
        return ProviderCheck(False, str(error))
    except Exception as error:  # noqa: BLE001 - a client library's surprise is still a failed test
        # Only the type is logged: a library's message may hold the URL, and the URL the key.
        log.error("testing %s %r failed unexpectedly: %s", kind.label.lower(), settings.name, type(error).__name__)
        return ProviderCheck(False, f"{kind.label} test failed unexpectedly ({type(error).__name__})")


# -- health ---------------------------------------------------------------------


class DatabaseHealth:
    """``IndexerHealth`` on the ``indexer_status`` table: one rest shared by every process.

    Each change is one short write transaction that holds the indexer's row, so two
    processes counting failures of one indexer count both, and a deleted indexer is let be.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def state(self, indexer_id: int) -> HealthState:
        with self.db.read() as session:
            status = session.get(IndexerStatus, indexer_id)
        return HealthState() if status is None else _health(status)

    def states(self) -> dict[int, HealthState]:
        """Every indexer's health that differs from a fresh one's."""
        with self.db.read() as session:
            return {status.indexer_id: _health(status) for status in session.scalars(select(IndexerStatus))}

    def failed(self, indexer_id: int, message: str, now: datetime, rest: timedelta | None = None) -> None:
        """One more failure in a row: the indexer rests for ``backoff(failures)``, or the ``rest`` it asked for.

        Kept in the database, so every process leaves a resting indexer alone.
        """
        with self.db.write() as session:
            status = _locked_status(session, indexer_id)
            if status is None:
                return
            status.failures += 1
            status.resting_until = now + max(backoff(status.failures), rest or timedelta(0))
            # PostgreSQL keeps no NUL in text, and an indexer's reply may carry one.
            status.last_error = message.replace("\x00", "")[:ERROR_LENGTH]

    def succeeded(self, indexer_id: int, now: datetime) -> None:
        """The indexer answered: its failures are forgotten."""
        with self.db.write() as session:
            status = _locked_status(session, indexer_id)
            if status is None:
                return
            status.failures, status.resting_until, status.last_error = 0, None, None
            status.last_success_at = now


def _locked_status(session: Session, indexer_id: int) -> IndexerStatus | None:
    """The indexer's status row (made if missing) with the indexer locked; None if it is gone."""
    locked = select(IndexerSetting.id).where(IndexerSetting.id == indexer_id).with_for_update()
    if session.scalar(locked) is None:
        return None
    status = session.get(IndexerStatus, indexer_id)
    if status is None:
        status = IndexerStatus(indexer_id=indexer_id, failures=0)
        session.add(status)
    return status


def _health(status: IndexerStatus) -> HealthState:
    return HealthState(status.failures, status.resting_until, status.last_error, status.last_success_at)
