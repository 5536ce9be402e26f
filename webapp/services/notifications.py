"""Notification targets: Apprise URLs told of failed runs (always) and of the events each asks for.

``NotificationService`` is the one way in for the API, the pages, the engine's end of a run and
the tasks' ``Notifier``. It returns settings with the URL in them (it is what delivery needs):
each face decides what it shows of it, and none shows it. Every value is checked here, so every
face refuses the same input with the same message; a URL is checked by asking Apprise whether it
can read it, and the message names at most its scheme.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import Database
from ..engine.scheduler import EndedRun
from ..errors import NotFound, ValidationError
from ..models import RUN_COMPLETED, RUN_FAILED, NotificationTarget  # a run's statuses
from ..providers import notify
from ..providers.base import NOTIFICATION_EVENTS, NoNotifier, Notifier, ProviderError
from ..providers.base import RUN_COMPLETED as COMPLETED_EVENT, RUN_FAILED as FAILED_EVENT
from . import provider_checks
from .names import name_taken, refuse_taken
from .provider_checks import NOT_IN_URL, URL_LENGTH, name_key
from .providers import ProviderCheck

log = logging.getLogger("cinephage.notifications")
LABEL = "Notification target"  # as a sentence starts
TEST_TITLE = "Cinephage: test notification"
KNOWN_FIELDS = frozenset({"name", "url", "events", "enabled"})


@dataclass(frozen=True)
class NotificationSettings:
    """A target as stored: ``url`` is its Apprise URL (a secret), ``events`` those it asked for."""

    name: str
    url: str
    events: tuple[str, ...] = (FAILED_EVENT,)
    enabled: bool = True
    id: int | None = None


@dataclass(frozen=True)
class ConfiguredTarget:
    """A stored target, the service its URL names (its scheme) and how its last delivery went."""

    settings: NotificationSettings
    service: str
    last_sent_at: datetime | None = None
    last_error: str | None = None

    @property
    def id(self) -> int:
        assert self.settings.id is not None  # read from the database
        return self.settings.id


def check_target(settings: NotificationSettings) -> NotificationSettings:
    """The settings tidied (events once each, in their documented order), or a ``ValidationError``."""
    provider_checks.check_name(settings.name)  # the same name rules as every provider kind
    url = settings.url
    if not url or len(url) > URL_LENGTH or re.search(NOT_IN_URL, url) or re.search("[\ud800-\udfff]", url):
        raise ValidationError(f"'url' must be an Apprise URL of 1 to {URL_LENGTH} characters, without spaces",
                              "INVALID_FIELD")
    try:
        notify.service_of(url)
    except ProviderError as error:
        raise ValidationError(str(error), "INVALID_URL") from None
    if type(settings.enabled) is not bool:
        raise ValidationError("'enabled' must be true or false", "INVALID_FIELD")
    unknown = [event for event in settings.events if event not in NOTIFICATION_EVENTS]
    if unknown:
        raise ValidationError(
            f"'events' has an unknown event ({str(unknown[0])[:40]!r}): each must be one of "
            f"{', '.join(NOTIFICATION_EVENTS)}", "INVALID_FIELD",
        )
    return replace(settings, events=tuple(event for event in NOTIFICATION_EVENTS if event in settings.events))


class NotificationService:
    """The notification targets of one app, their last results, and the notifiers built from them.

    ``public_url`` (``http://host:port``) makes the link to a failed run's page absolute;
    ``sender`` is the process's own unless a test gives another.
    """

    def __init__(self, db: Database, sender: notify.Sender | None = None, public_url: str | None = None) -> None:
        self.db = db
        self.sender = sender
        self.public_url = public_url

    # -- the targets ------------------------------------------------------------

    def targets(self) -> tuple[ConfiguredTarget, ...]:
        """Every target, by name (ignoring case)."""
        with self.db.read() as session:
            found = [_configured(row) for row in session.scalars(select(NotificationTarget))]
        return tuple(sorted(found, key=lambda target: (name_key(target.settings.name), target.id)))

    def target(self, target_id: int) -> ConfiguredTarget:
        with self.db.read() as session:
            return _configured(_row(session, target_id))

    def create(self, settings: NotificationSettings, now: datetime) -> ConfiguredTarget:
        settings = check_target(settings)
        try:
            with self.db.write() as session:
                refuse_taken(session, NotificationTarget, LABEL, settings.name, None)
                row = NotificationTarget(created_at=now)
                _store(row, settings, now)
                session.add(row)
                session.flush()
                created = _configured(row)
        except IntegrityError:  # another writer took the name between our look and our insert
            raise name_taken(LABEL, settings.name) from None
        log.info("Notification target %r added (%s)", created.settings.name, created.service)
        return created

    def update(self, target_id: int, changes: Mapping[str, Any], now: datetime) -> ConfiguredTarget:
        """Changes the fields given; ``url`` not given is kept (it is never shown, so never sent back)."""
        try:
            with self.db.write() as session:
                row = _row(session, target_id, lock=True)
                settings = _changed(_settings(row), changes)
                refuse_taken(session, NotificationTarget, LABEL, settings.name, target_id)
                _store(row, settings, now)
                if "url" in changes:
                    row.last_error = None  # it was the old URL's
                updated = _configured(row)
        except IntegrityError:
            raise name_taken(LABEL, str(changes.get("name"))) from None
        log.info("Notification target %r changed (%s)", settings.name, ", ".join(sorted(changes)) or "nothing")
        return updated

    def delete(self, target_id: int) -> None:
        with self.db.write() as session:
            row = _row(session, target_id, lock=True)
            session.delete(row)
        log.info("Notification target %r deleted", row.name)

    # -- trying one -------------------------------------------------------------

    def test(self, settings: NotificationSettings) -> ProviderCheck:
        """Sends a test notification to a target not saved (within 15 s); nothing is stored."""
        settings = check_target(settings)
        message = notify.Message("test", TEST_TITLE, f"“{settings.name}” is set up: Cinephage Tasks can reach it.")
        try:
            notify.deliver(settings.url, message)
        except ProviderError as error:
            return ProviderCheck(False, f"The target did not take the notification: {error}")
        return ProviderCheck(True, f"Sent a test notification to {notify.service_name(settings.url)}")

    def test_saved(self, target_id: int, changes: Mapping[str, Any] | None = None) -> ProviderCheck:
        """Tries a saved target with ``changes`` (a form's edits) applied, not saved."""
        return self.test(_changed(self.target(target_id).settings, changes or {}))

    # -- delivering -------------------------------------------------------------

    def record(self, target_id: int, error: str | None, when: datetime) -> None:
        """A delivery's outcome becomes the target's last result (a deleted target is let be)."""
        values: dict[str, Any] = {"last_error": error} if error else {"last_sent_at": when, "last_error": None}
        with self.db.write() as session:
            session.execute(update(NotificationTarget).where(NotificationTarget.id == target_id).values(**values))

    def notifier(self) -> Notifier:
        """The enabled targets as they are now, for one run; ``NoNotifier`` when there is none."""
        targets = [
            notify.Target(target.id, target.settings.name, target.settings.url, frozenset(target.settings.events))
            for target in self.targets() if target.settings.enabled
        ]
        if not targets:
            return NoNotifier()
        return notify.AppriseNotifier(targets, self.record, self.sender)

    def run_ended(self, ended: EndedRun) -> None:
        """The engine ended a run: a failure goes to every enabled target, a completion to those that asked."""
        if ended.status not in (RUN_FAILED, RUN_COMPLETED):
            return
        link = f"{self.public_url.rstrip('/')}/runs/{ended.run_id}" if self.public_url else None
        if ended.status == RUN_FAILED:
            event, title = FAILED_EVENT, f"Cinephage: {ended.task_name} failed"
            body = f"{ended.task_name} failed: {ended.error or 'no error was recorded'}"
        else:
            event, title, body = COMPLETED_EVENT, f"Cinephage: {ended.task_name} completed", f"{ended.task_name} completed."
        self.notifier().notify(event, title, f"{body}\nRun {ended.run_id}", link)


def _row(session: Session, target_id: int, lock: bool = False) -> NotificationTarget:
    statement = select(NotificationTarget).where(NotificationTarget.id == target_id)
    row = session.scalars(statement.with_for_update() if lock else statement).one_or_none()
    if row is None:
        raise NotFound(f"Notification target '{target_id}' not found", "NOTIFICATION_NOT_FOUND")
    return row


def _settings(row: NotificationTarget) -> NotificationSettings:
    return NotificationSettings(row.name, row.url, tuple(row.events), row.enabled, row.id)


def _configured(row: NotificationTarget) -> ConfiguredTarget:
    scheme = row.url.partition("://")[0].lower()
    return ConfiguredTarget(_settings(row), scheme, row.last_sent_at, row.last_error)


def _store(row: NotificationTarget, settings: NotificationSettings, now: datetime) -> None:
    row.name, row.name_key, row.url = settings.name, name_key(settings.name), settings.url
    row.events, row.enabled, row.updated_at = list(settings.events), settings.enabled, now


def _changed(settings: NotificationSettings, changes: Mapping[str, Any]) -> NotificationSettings:
    unknown = sorted(set(changes) - KNOWN_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(unknown)}", "UNKNOWN_FIELD")
    return check_target(replace(settings, **changes))




