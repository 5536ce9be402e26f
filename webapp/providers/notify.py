"""Notifications through Apprise: what a target's URL names, one delivery with a deadline, and
the sender every process runs them on.

Apprise speaks ntfy, email, Discord, Gotify, plain JSON webhooks and a hundred more, each from
one URL that holds its credentials. So a URL is never logged, and what Apprise says of a failure
is scrubbed of the URL's parts before it is kept or logged. Deliveries happen on one daemon
thread per process, from a bounded queue: whoever notifies (a run, a grab) never waits for a
target, and a target that fails, hangs or raises only leaves its own last error behind.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

from ..clock import now_utc
from .base import NOTIFICATION_EVENTS, RUN_FAILED, ProviderError

if TYPE_CHECKING:
    import apprise

log = logging.getLogger("cinephage.notifications")

SEND_TIMEOUT_SECONDS = 15.0  # a Test, or one delivery, never takes longer
QUEUE_SIZE = 1000  # deliveries waiting in one process; beyond it a notification is dropped, and said so
ERROR_LENGTH = 500
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]{0,31})://")


class UnknownService(ProviderError):
    """The URL is no Apprise URL, or names a service Apprise does not know."""


@dataclass(frozen=True)
class Message:
    """One notification: its event (one of ``NOTIFICATION_EVENTS``), a title and a body for people."""

    event: str
    title: str
    body: str
    link: str | None = None

    @property
    def text(self) -> str:
        return f"{self.body}\n\n{self.link}" if self.link else self.body

    @property
    def kind(self) -> str:
        """Apprise's type of the message: a failure is ``failure``, anything else ``success`` or ``info``."""
        if self.event == RUN_FAILED:
            return "failure"
        return "success" if self.event in NOTIFICATION_EVENTS else "info"


# -- what a URL names -------------------------------------------------------------


def service_of(url: str) -> str:
    """The scheme of an Apprise URL that Apprise can read (``ntfy``, ``json``, ``mailto``...).

    Raises ``UnknownService`` with a message that names the scheme at most, never the rest
    of the URL (it holds credentials).
    """
    found = _SCHEME.match(url)
    if found is None:
        raise UnknownService("'url' must be an Apprise URL such as ntfy://topic, json://host/path or mailto://…")
    scheme = found.group(1).lower()
    if scheme not in _schemes():
        raise UnknownService(f"'url' names a service Apprise does not know ({scheme}://)")
    if _plugin(url) is None:
        raise UnknownService(f"'url' is not a usable {scheme}:// URL: see the service's page in Apprise's wiki")
    return scheme


def service_name(url: str) -> str:
    """The service a stored URL goes to, for people: ``JSON``, ``ntfy``, ``Discord``; the scheme if unreadable."""
    found = _SCHEME.match(url)
    scheme = found.group(1).lower() if found else "unknown"
    plugin = _plugin(url) if scheme in _schemes() else None
    return str(getattr(plugin, "service_name", None) or scheme)


def _plugin(url: str) -> object | None:
    asset = _asset()
    import apprise

    return apprise.Apprise.instantiate(url, asset=asset)


# -- one delivery -----------------------------------------------------------------


def deliver(url: str, message: Message, timeout: float = SEND_TIMEOUT_SECONDS) -> None:
    """Sends ``message`` to the target now, taking at most ``timeout`` seconds; raises ``ProviderError``."""
    asset = _asset()
    import apprise

    sender = apprise.Apprise(asset=asset)
    if not sender.add(url):
        raise UnknownService("Apprise could not read the target's URL")
    try:
        result = sender.notify(body=message.text, title=message.title, notify_type=message.kind, timeout=timeout)
    except Exception as error:  # noqa: BLE001 - a plugin's surprise is a failed delivery, not ours
        raise ProviderError(f"Apprise failed unexpectedly ({type(error).__name__})") from None
    if result:
        return
    if result.status == apprise.AppriseResultStatus.TIMEOUT:
        raise ProviderError(f"The target did not answer within {timeout:g} s")
    said = [entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR", "CRITICAL")]
    reason = "; ".join(dict.fromkeys(said)) or f"Apprise reported {result.status.name.lower()}"
    raise ProviderError(scrub(reason, url)[:ERROR_LENGTH])


def scrub(text: str, url: str) -> str:
    """``text`` without any part of ``url`` that may be a credential: user, password, path, query values.

    A host is kept when it has a dot (a real host name or an address); many Apprise URLs put a
    token where the host goes (``discord://id/token``, ``tgram://bot-token/chat``).
    """
    parts = urlsplit(url)
    secret = [parts.username, parts.password, *parts.path.split("/"), *(value for _, value in parse_qsl(parts.query))]
    host = parts.netloc.rpartition("@")[2]
    if "." not in host:
        secret.append(host)
    for piece in sorted({p for s in secret if s for p in (s, unquote(s))}, key=len, reverse=True):
        if len(piece) >= 4:
            text = text.replace(piece, "…")
    return text


@cache
def _asset() -> apprise.AppriseAsset:
    """The settings every delivery shares, made on first use: Apprise is imported here, never at start
    (it takes a tenth of a second). Every function that uses Apprise calls this first."""
    with warnings.catch_warnings():
        # Python 3.11 warns of a module the email plugin imports (imghdr); it is there until 3.13,
        # where Apprise brings its own. The plugins load on first use: here, under this filter.
        warnings.filterwarnings("ignore", "'imghdr' is deprecated", DeprecationWarning)
        import apprise
        from apprise.manager_plugins import NotificationManager

        NotificationManager().load_modules()  # type: ignore[no-untyped-call]

    # What Apprise logs (request URLs, payloads) stays with it: a failure reaches our log scrubbed.
    logging.getLogger("apprise").propagate = False
    return apprise.AppriseAsset(storage_mode="memory", app_id="Cinephage", app_desc="Cinephage Tasks")


@cache
def _schemes() -> frozenset[str]:
    _asset()
    from apprise.manager_plugins import NotificationManager

    manager = NotificationManager()  # type: ignore[no-untyped-call]  # Apprise's plugin registry
    return frozenset(scheme.lower() for scheme in manager.schemas())  # type: ignore[no-untyped-call]


# -- the sender -------------------------------------------------------------------

Recorder = Callable[[str | None, datetime], None]  # the error (None: sent) and when


@dataclass(frozen=True)
class Delivery:
    """One message for one target; ``record`` is told how it went."""

    target: str  # the target's name, for the log
    url: str
    message: Message
    record: Recorder


class Sender:
    """One daemon thread that delivers what is submitted, in order, each within ``timeout``."""

    def __init__(self, timeout: float = SEND_TIMEOUT_SECONDS, queue_size: int = QUEUE_SIZE) -> None:
        self.timeout = timeout
        self.queue_size = queue_size
        self._waiting: deque[Delivery] = deque()
        self._busy = 0  # submitted and not yet recorded
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, delivery: Delivery) -> bool:
        """Queues the delivery (never waits); False when the queue is full and it was dropped."""
        with self._changed:
            if len(self._waiting) >= self.queue_size:
                log.warning("Notification to %r dropped: %d already waiting", delivery.target, len(self._waiting))
                return False
            self._waiting.append(delivery)
            self._busy += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="notifications", daemon=True)
                self._thread.start()
            self._changed.notify_all()
        return True

    def wait_idle(self, timeout: float) -> bool:
        """Waits until every submitted delivery is recorded; False if ``timeout`` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._busy == 0, timeout)

    def _loop(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._waiting))
                delivery = self._waiting.popleft()
            try:
                self._send(delivery)
            finally:
                with self._changed:
                    self._busy -= 1
                    self._changed.notify_all()

    def _send(self, delivery: Delivery) -> None:
        error: str | None = None
        try:
            deliver(delivery.url, delivery.message, self.timeout)
        except ProviderError as failure:
            error = str(failure)
            log.warning("Notification %s to %r failed: %s", delivery.message.event, delivery.target, error)
        try:
            delivery.record(error, now_utc())
        except Exception:  # noqa: BLE001 - the next delivery goes on whatever recording this one did
            log.exception("recording the notification to %r failed", delivery.target)


_process_sender: tuple[int, Sender] | None = None
_process_lock = threading.Lock()


def process_sender() -> Sender:
    """This process's sender, made on first use (a forked worker makes its own)."""
    global _process_sender
    with _process_lock:
        if _process_sender is None or _process_sender[0] != os.getpid():
            _process_sender = (os.getpid(), Sender())
        return _process_sender[1]


# -- the Notifier the tasks use ---------------------------------------------------


@dataclass(frozen=True)
class Target:
    """An enabled target as a run sees it: a failed run goes to every one, other events to those that asked."""

    id: int
    name: str
    url: str
    events: frozenset[str]

    def wants(self, event: str) -> bool:
        return event == RUN_FAILED or event in self.events


class AppriseNotifier:
    """``Notifier`` over the given targets: queues a delivery per target that wants the event.

    ``record(target_id, error, when)`` keeps each delivery's outcome (the target's last result).
    """

    def __init__(self, targets: Iterable[Target], record: Callable[[int, str | None, datetime], None],
                 sender: Sender | None = None) -> None:
        self.targets = tuple(targets)
        self._record = record
        self._sender = sender or process_sender()

    def notify(self, event: str, title: str, body: str, link: str | None = None) -> None:
        message = Message(event, title, body, link)
        for target in self.targets:
            if target.wants(event):
                self._sender.submit(Delivery(target.name, target.url, message, self._recorder(target.id)))

    def _recorder(self, target_id: int) -> Recorder:
        def record(error: str | None, when: datetime) -> None:
            self._record(target_id, error, when)
        return record
