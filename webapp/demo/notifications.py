"""The demo's notification target, "Demo Notifications", and the inbox it delivers to.

``seed-demo`` adds an Apprise ``json://`` target whose URL points at this app's own
``/demo/notifications``, with an API key of its own sent as the ``X-Api-Key`` header (its only
copy is in the URL, which no answer shows). The inbox answers only while the demo target exists
and only to a live key; it keeps what it receives in ``demo_notifications`` (the newest
``KEPT`` rows), which the notifications page shows as the "Demo inbox". As with the demo
indexer, each server points the target at its own address when it starts.
"""
from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from flask import Response, abort, jsonify, request
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from ..auth import api_keys, csrf
from ..clock import now_utc
from ..db import Database, get_db
from ..errors import AppError
from ..models import DemoNotification
from ..providers.base import NOTIFICATION_EVENTS
from ..runtime import get_runtime
from ..services.notifications import ConfiguredTarget, NotificationService, NotificationSettings
from ..services.provider_checks import name_key
from . import bp
from .common import DEFAULT_ADDRESS, demo_key, local_url

log = logging.getLogger("cinephage.demo")

DEMO_TARGET = "Demo Notifications"
INBOX_PATH = "/demo/notifications"
KEY_SOURCE = "demo-inbox"  # its API key's source, as ``api-key list`` shows it
KEPT, SHOWN = 100, 20
TEXT_LENGTH = 10_000  # of a received title or message, as kept


def seed_demo_notifications(service: NotificationService, now: datetime) -> list[str]:
    """Adds the demo target (or gives it a new key if its own was revoked); what it did."""
    target = demo_target(service)
    if target is not None and _key_is_live(service.db, target.settings.url):
        return []
    url = f"json://{urlsplit(DEFAULT_ADDRESS).netloc}{INBOX_PATH}?+X-Api-Key={demo_key(service.db, DEMO_TARGET, KEY_SOURCE, now)}"
    if target is not None:
        service.update(target.id, {"url": url}, now)
        return [f"{DEMO_TARGET} given a new API key (its own was revoked)"]
    service.create(NotificationSettings(DEMO_TARGET, url, NOTIFICATION_EVENTS), now)
    return [f"{DEMO_TARGET} added (every event goes to the Demo inbox on the notifications page)"]


def demo_target(service: NotificationService) -> ConfiguredTarget | None:
    """The demo target, if there is one: the target of that name that posts to this app's inbox."""
    for target in service.targets():
        parts = urlsplit(target.settings.url)
        if name_key(target.settings.name) == name_key(DEMO_TARGET) and (parts.scheme, parts.path) == ("json", INBOX_PATH):
            return target
    return None


def point_inbox_at_server(service: NotificationService, address: str, now: datetime) -> None:
    """Points the demo target (if any) at this server's ``address``; a failure is logged, the server starts."""
    try:
        target = demo_target(service)
        if target is None:
            return
        parts = urlsplit(target.settings.url)
        url = urlunsplit(parts._replace(netloc=urlsplit(local_url(address)).netloc))
        if url != target.settings.url:
            service.update(target.id, {"url": url}, now)
            log.info("%s now posts to this server's demo inbox (%s)", DEMO_TARGET, address)
    except (AppError, SQLAlchemyError) as error:
        log.warning("%s could not be pointed at this server (%s): %s", DEMO_TARGET, address, error)


def inbox(db: Database, limit: int = SHOWN) -> tuple[DemoNotification, ...]:
    """The newest notifications the demo inbox received, newest first."""
    with db.read() as session:
        statement = select(DemoNotification).order_by(DemoNotification.id.desc()).limit(limit)
        return tuple(session.scalars(statement))


@bp.post("/notifications")
def receive() -> Response | tuple[Response, int]:
    """What Apprise's ``json://`` sends: ``{"version", "title", "message", "attachments", "type"}``."""
    if demo_target(get_runtime().notifications) is None:
        abort(404)
    if api_keys.verify_key(get_db(), request.headers.get("X-Api-Key", "").strip(), now_utc()) is None:
        return jsonify(success=False, error="A live API key is needed in X-Api-Key", code="AUTH_REQUIRED"), 401
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not all(isinstance(body.get(key), str) for key in ("title", "message", "type")):
        return jsonify(success=False, error="Expected Apprise's JSON: title, message and type",
                       code="INVALID_JSON"), 400
    _keep(get_db(), body["title"], body["message"], body["type"], now_utc())
    return jsonify(success=True)


csrf.exempt(receive)  # authenticated by an API key header, never by a cookie: nothing to forge


def _keep(db: Database, title: str, message: str, kind: str, now: datetime) -> None:
    with db.write() as session:
        session.add(DemoNotification(received_at=now, title=_text(title), message=_text(message), type=_text(kind)[:20]))
        session.flush()
        newest = select(DemoNotification.id).order_by(DemoNotification.id.desc()).offset(KEPT - 1).limit(1)
        oldest_kept = session.scalar(newest)
        if oldest_kept is not None:
            session.execute(delete(DemoNotification).where(DemoNotification.id < oldest_kept))


def _text(value: str) -> str:
    return value.replace("\x00", "")[:TEXT_LENGTH]  # PostgreSQL keeps no NUL in text


def _key_is_live(db: Database, url: str) -> bool:
    key = dict(pair.split("=", 1) for pair in urlsplit(url).query.split("&") if "=" in pair).get("+X-Api-Key", "")
    return bool(key) and api_keys.hash_is_live(db, api_keys.digest(key))

