"""Completed-download handling: each enabled download client asked for its finished downloads, each imported once.

A round asks every enabled client (a client that is down is logged and asked again next round:
nothing is lost, since it still lists the download then). Each finished download is claimed by
inserting its (client, download id) row: the unique pair lets one process, of all that share the
database, import it. A download whose files are still being written is let go ("waiting") and
claimed again next round; one that failed is tried again, up to ``RETRIES`` times.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import and_, or_, select, update

from ..clock import now_utc
from ..db import Database
from ..errors import AppError
from ..library.files import HARDLINK, MOVE
from ..library.grabs import settle
from ..library.importing import ImportOptions, ImportReport, Origin
from ..library.writes import insert_new
from ..models import CompletedDownload
from ..providers.base import ProviderError
from ..providers.clients import build_client
from ..providers.clients.finished import FinishedDownload, ListsFinished
from ..providers.settings import USENET_CLIENTS, ClientSettings
from .library import LibraryService
from .providers import ProviderService

log = logging.getLogger("cinephage.imports")

IMPORTING, IMPORTED, WAITING, UNMATCHED, SKIPPED, FAILED = (
    "importing", "imported", "waiting", "unmatched", "skipped", "failed")
RETRIES = 3
STALE_CLAIM = timedelta(hours=1)  # a claim this old was left by a process that died while importing
POLL_SECONDS = 60.0
FIRST_ROUND_SECONDS = 5.0


@dataclass(frozen=True)
class Handled:
    """What became of one finished download in a round."""

    client: str
    download: FinishedDownload
    status: str
    message: str


class CompletedDownloads:
    """One round of completed-download handling over the enabled clients."""

    def __init__(self, db: Database, library: LibraryService,
                 clients: Callable[[], list[tuple[ClientSettings, ListsFinished]]] | None = None,
                 prepare: Callable[[ClientSettings], object] | None = None) -> None:
        """``prepare`` is called with each enabled client's settings before it is asked (the demo's
        stand-in for a client watching its blackhole finishes the Demo Blackhole's grabs there)."""
        self.db = db
        self.library = library
        self._clients = clients or self._configured_clients
        self._prepare = prepare

    def handle(self, now: datetime) -> list[Handled]:
        handled: list[Handled] = []
        for settings, client in self._clients():
            try:
                finished = client.finished()
            except ProviderError as error:
                log.warning("Download client %s could not be asked for its finished downloads (asked again in a "
                            "minute): %s", settings.name, error)
                continue
            for download in self._unsettled(settings, finished):
                if self._claim(settings, download, now):
                    handled.append(self._import(settings, download, now))
        return handled

    def _configured_clients(self) -> list[tuple[ClientSettings, ListsFinished]]:
        chosen = []
        for settings in ProviderService(self.db).clients():
            if not settings.enabled or settings.id is None:
                continue
            if self._prepare is not None:
                self._prepare(settings)
            try:
                client = build_client(settings)
            except ProviderError as error:
                log.warning("Download client %s left out of completed-download handling: %s", settings.name, error)
                continue
            chosen.append((settings, cast(ListsFinished, client)))  # every client of clients/ lists them
        return chosen

    def _unsettled(self, settings: ClientSettings, finished: list[FinishedDownload]) -> list[FinishedDownload]:
        """The downloads not yet imported, passed over for good, or claimed by a live import."""
        with self.db.read() as session:
            settled = set(session.scalars(select(CompletedDownload.download_id).where(
                CompletedDownload.client_id == settings.id,
                CompletedDownload.status.in_((IMPORTED, UNMATCHED, SKIPPED)))))
        return [download for download in finished if download.download_id not in settled]

    def _claim(self, settings: ClientSettings, download: FinishedDownload, now: datetime) -> bool:
        """Whether this process may import the download: a new claim, or one let go for another try."""
        row = {"client_id": settings.id, "download_id": download.download_id[:500], "name": download.name[:1000],
               "path": download.path[:2000], "status": IMPORTING, "attempts": 1, "claimed_at": now}
        with self.db.write() as session:
            if insert_new(session, CompletedDownload, [row], ("client_id", "download_id"),
                          returning=(CompletedDownload.id,)).first() is not None:
                return True
            retried = session.execute(update(CompletedDownload).where(
                CompletedDownload.client_id == settings.id, CompletedDownload.download_id == row["download_id"],
                or_(CompletedDownload.status == WAITING,
                    and_(CompletedDownload.status == FAILED, CompletedDownload.attempts < RETRIES),
                    and_(CompletedDownload.status == IMPORTING, CompletedDownload.claimed_at < now - STALE_CLAIM)),
            ).values(status=IMPORTING, attempts=CompletedDownload.attempts + 1, claimed_at=now))
            return bool(retried.rowcount)  # type: ignore[attr-defined]

    def _import(self, settings: ClientSettings, download: FinishedDownload, now: datetime) -> Handled:
        mode = MOVE if settings.implementation in USENET_CLIENTS else HARDLINK  # a torrent keeps seeding
        options = ImportOptions(mode=mode, kind=download.kind,
                                origin=Origin(settings.name, settings.id, download.download_id))
        try:
            report = self.library.import_path(download.path, now, options)
        except AppError as error:
            status, message = FAILED, f"{error.message} (as {settings.name} names it: is it on this machine?)"
        except OSError as error:
            status, message = FAILED, f"{download.path}: {error.strerror or type(error).__name__}"
        else:
            status, message = _outcome(report)
        self._settle(settings, download, status, message, now)
        log_as = log.warning if status == FAILED else log.info
        log_as("Finished download %s of %s: %s — %s", download.name, settings.name, status, message)
        return Handled(settings.name, download, status, message)

    def _settle(self, settings: ClientSettings, download: FinishedDownload, status: str, message: str,
                now: datetime) -> None:
        with self.db.write() as session:
            session.execute(update(CompletedDownload).where(
                CompletedDownload.client_id == settings.id,
                CompletedDownload.download_id == download.download_id[:500],
            ).values(status=status, message=message, finished_at=now))
            if status == IMPORTED:
                assert settings.id is not None  # a stored client
                settle(session, settings.id, download.download_id, download.name, now)  # its items wait for nothing now


def _outcome(report: ImportReport) -> tuple[str, str]:
    reasons = [f"{passed.path.name}: {passed.reason}" for passed in (*report.unmatched, *report.skipped)][:3]
    said = report.summary() + (f" ({'; '.join(reasons)})" if reasons else "")
    if report.imported:
        return IMPORTED, said
    if report.busy:
        return WAITING, said
    if report.unmatched:
        return UNMATCHED, said
    if report.skipped:
        return SKIPPED, said
    return UNMATCHED, "no video file in it"


class CompletedDownloadWatcher:
    """A thread that runs a round of completed-download handling every ``interval`` seconds while the engine runs.

    Its own thread: an import copies files, which must not hold up the engine's lease heartbeats.
    """

    def __init__(self, handler: CompletedDownloads, interval: float = POLL_SECONDS,
                 first_round: float = FIRST_ROUND_SECONDS, clock: Callable[[], datetime] = now_utc) -> None:
        self.handler = handler
        self.interval = interval
        self.first_round = first_round
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="completed-downloads", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        delay = self.first_round
        while not self._stop.wait(delay):
            try:
                self.handler.handle(self.clock())
            except Exception:  # a database hiccup, say: the next round tries again
                log.exception("Completed-download handling failed; trying again next round")
            delay = self.interval
