"""The engine: a scheduler thread, a bounded worker pool and in-process housekeeping.

The database owns every timer. The scheduler sleeps until the earliest due run, or
until something changes (a local request, or an event of another process read by
the event broker), then claims what is due through the database and hands it to a
worker. ``schedule`` drives the housekeeping that only this process cares about:
lease heartbeats, reaping runs whose process died, and trimming the event log.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import schedule
from sqlalchemy import select

from ..clock import Clock, now_utc
from ..db import Database, is_process_alive
from ..models import RUN_CANCELLED, RUN_COMPLETED, RUN_FAILED, TaskRun, TaskSetting
from .context import ContextSettings, RunContext, RunStopped
from .events import Event, EventBroker, trim_events
from .registry import TaskDefinition, TaskRegistry
from .runs import (
    ClaimedRun, RunOutcome, claim_due, claim_queued, end_interrupted, extend_leases, finish_run, interrupted_runs,
)

log = logging.getLogger("cinephage.engine")

INTERRUPTED = "Interrupted: the process running this task stopped before the run finished"
SHUTDOWN = "Cancelled: the server shut down during the run"
WAKING_EVENTS = {"task:queued", "task:updated", "task:completed", "task:error", "task:cancelled"}
Claim = Callable[[Database, str, str, Clock, timedelta], ClaimedRun | None]  # ``claim_queued`` or ``claim_due``


@dataclass(frozen=True)
class EngineSettings:
    workers: int = 4
    lease_seconds: float = 30.0
    heartbeat_seconds: int = 5  # whole seconds: housekeeping jobs run on ``schedule``, which counts in ints
    reap_seconds: int = 10
    max_sleep_seconds: float = 60.0
    event_retention: timedelta = timedelta(days=1)
    context: ContextSettings = field(default_factory=ContextSettings)  # what every run is handed

    def __post_init__(self) -> None:
        if self.heartbeat_seconds < 1 or self.reap_seconds < 1:
            raise ValueError("heartbeat_seconds and reap_seconds must be whole seconds of 1 or more")
        if self.lease_seconds <= self.heartbeat_seconds:
            raise ValueError(
                f"lease_seconds ({self.lease_seconds}) must exceed heartbeat_seconds ({self.heartbeat_seconds}), "
                "or other processes end runs that are still alive"
            )


@dataclass(frozen=True)
class EndedRun:
    """A run this process ended (ran to its end, or reaped): what a listener is told."""

    task_id: str
    task_name: str
    run_id: str
    status: str
    error: str | None


RunListener = Callable[[EndedRun], None]


class Companion(Protocol):
    """A loop on a thread of its own that runs while the engine does."""

    def start(self) -> None: ...

    def stop(self, timeout: float = 2.0) -> None: ...


@dataclass
class ActiveRun:
    claimed: ClaimedRun
    context: RunContext | None = None
    future: Future[None] | None = None


class Engine:
    """Runs the registry's tasks on their timers, one run per task across all processes."""

    def __init__(
        self, db: Database, registry: TaskRegistry, broker: EventBroker,
        settings: EngineSettings | None = None, clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.db = db
        self.registry = registry
        self.broker = broker
        self.settings = settings or EngineSettings()
        self.clock = clock
        self.host = socket.gethostname()
        self.owner = f"{self.host}:{os.getpid()}:{secrets.token_hex(4)}"
        self._lock = threading.Lock()
        self._active: dict[str, ActiveRun] = {}
        self._claiming = 0  # claims under way outside the lock; they count toward ``workers``
        self._claims_settled = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=self.settings.workers, thread_name_prefix="task-worker")
        self._threads: list[threading.Thread] = []
        self._housekeeping = schedule.Scheduler()
        self._run_listeners: list[RunListener] = []
        self._companions: list[Companion] = []

    # -- life cycle -------------------------------------------------------------

    def start(self) -> None:
        """Ends runs left by dead processes, then starts the scheduler and housekeeping."""
        self.reap(self.clock())
        self.broker.add_listener(self._on_event)
        self.broker.start()
        every = self._housekeeping.every
        every(self.settings.heartbeat_seconds).seconds.do(self.heartbeat)
        every(self.settings.reap_seconds).seconds.do(lambda: self.reap(self.clock()))
        every(10).minutes.do(lambda: trim_events(self.db, self.clock() - self.settings.event_retention))
        for name, target in (("scheduler", self.loop), ("housekeeping", self._housekeeping_loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        for companion in self._companions:
            companion.start()

    def attach(self, companion: Companion) -> None:
        """A loop of its own that starts and stops with the engine (completed-download handling)."""
        self._companions.append(companion)

    def add_run_listener(self, listener: RunListener) -> None:
        """``listener`` is told of each run this process ends, once (the notifications of a failed run)."""
        self._run_listeners.append(listener)

    def wake(self) -> None:
        """Something changed: look at the timers and queued runs now."""
        self._wake.set()

    def shutdown(self, timeout: float = 8.0) -> None:
        """Stops claiming, cancels this process's runs and records them before ``timeout``."""
        deadline = time.monotonic() + timeout
        self._stop.set()
        self._wake.set()
        for companion in self._companions:
            companion.stop(timeout=1.0)
        active = self._runs_once_claims_settle(deadline)
        for run in active:
            if run.context is not None:
                run.context.stop_reason = SHUTDOWN
                run.context.local_cancel.set()
        for run in active:
            if run.future is not None:
                try:
                    run.future.result(timeout=max(0.0, deadline - time.monotonic()))
                except Exception:  # noqa: BLE001 - the run is recorded below either way
                    pass
        for run in active:
            context = run.context
            processed, affected = (context.processed, context.affected) if context else (0, 0)
            outcome = RunOutcome(RUN_CANCELLED, processed, affected, SHUTDOWN)
            finish_run(self.db, run.claimed.run_id, outcome, self.clock)
        self._pool.shutdown(wait=False, cancel_futures=True)
        for thread in self._threads:
            thread.join(timeout=2)

    def _runs_once_claims_settle(self, deadline: float) -> list[ActiveRun]:
        """This process's runs, once no claim is under way (or at ``deadline``).

        A claim made as the stop began is either among them or recorded cancelled by
        ``_claim_and_start`` itself; waiting here keeps the process up until it is.
        """
        with self._claims_settled:
            self._claims_settled.wait_for(lambda: self._claiming == 0, max(0.0, deadline - time.monotonic()))
            return list(self._active.values())

    # -- scheduling -------------------------------------------------------------

    def loop(self) -> None:
        while not self._stop.is_set():
            try:
                delay = self.tick(self.clock())
            except Exception:
                log.exception("scheduler tick failed; retrying")
                delay = 1.0
            self._wake.wait(delay)
            self._wake.clear()

    def tick(self, now: datetime) -> float:
        """Starts every queued or due run there is room for; returns seconds until the next is due."""
        with self.db.read() as session:
            settings = session.scalars(select(TaskSetting).order_by(TaskSetting.next_run_at)).all()
        delay = self.settings.max_sleep_seconds
        for setting in settings:
            definition = self.registry.get(setting.id)
            if definition is None or self._stop.is_set():
                continue
            if setting.current_run_id is None and setting.queued_run_id is not None:
                self._claim_and_start(definition, claim_queued)
            elif setting.enabled and setting.current_run_id is None and setting.next_run_at is not None:
                if setting.next_run_at <= now:
                    self._claim_and_start(definition, claim_due)
                else:
                    delay = min(delay, (setting.next_run_at - now).total_seconds())
        return max(delay, 0.0)

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.settings.lease_seconds)

    def _claim_and_start(self, definition: TaskDefinition, claim: Claim) -> None:
        """Claims a run through the database and hands it to a worker, if a worker is free.

        The claim may wait seconds for the database's lock, so only the worker slot is
        reserved under ``_lock``: ``cancel_local``, on the event reader's thread that feeds
        every stream, never waits on the database.
        """
        if not self._reserve_slot():
            return  # a finishing run wakes the loop again
        try:
            claimed = claim(self.db, definition.id, self.owner, self.clock, self._lease)
            if claimed is not None and not self._hand_to_worker(claimed, definition):
                finish_run(self.db, claimed.run_id, RunOutcome(RUN_CANCELLED, 0, 0, SHUTDOWN), self.clock)
        finally:
            self._release_slot()

    def _reserve_slot(self) -> bool:
        with self._lock:
            if self._stop.is_set() or len(self._active) + self._claiming >= self.settings.workers:
                return False
            self._claiming += 1
            return True

    def _release_slot(self) -> None:
        with self._claims_settled:
            self._claiming -= 1
            self._claims_settled.notify_all()

    def _hand_to_worker(self, claimed: ClaimedRun, definition: TaskDefinition) -> bool:
        """Submits the claimed run to a worker; False once the engine is stopping."""
        with self._lock:
            if self._stop.is_set():
                return False
            active = ActiveRun(claimed)
            active.future = self._pool.submit(self.execute, active, definition)
            self._active[claimed.run_id] = active  # before the run can end: its end takes the lock
        self.broker.notify()
        return True

    def _on_event(self, event: Event) -> None:
        if event.type == "task:cancelling":
            self.cancel_local(json.loads(event.data)["executionId"])
        elif event.type in WAKING_EVENTS:
            self._wake.set()

    # -- running ----------------------------------------------------------------

    def execute(self, active: ActiveRun, definition: TaskDefinition) -> None:
        """Runs one claimed run to its end and records how it ended."""
        claimed = active.claimed
        context = RunContext(
            db=self.db, run_id=claimed.run_id, task_id=claimed.task_id, force=claimed.force,
            options=claimed.options, clock=self.clock, deadline=time.monotonic() + definition.timeout_seconds,
            settings=self.settings.context,
        )
        active.context = context
        if self._stop.is_set():
            context.stop_reason = SHUTDOWN
            context.local_cancel.set()
        try:
            outcome = self._outcome(definition, context)
            if finish_run(self.db, claimed.run_id, outcome, self.clock):
                self._tell_listeners(EndedRun(claimed.task_id, definition.name, claimed.run_id, outcome.status,
                                              outcome.error))
        except Exception:
            log.exception("recording the end of run %s failed; its lease will expire", claimed.run_id)
        finally:
            with self._lock:
                self._active.pop(claimed.run_id, None)
            self.broker.notify()
            self._wake.set()

    def _outcome(self, definition: TaskDefinition, context: RunContext) -> RunOutcome:
        status, error = RUN_COMPLETED, None
        try:
            context.check_stop()
            definition.body(context)
        except RunStopped as stop:
            status, error = stop.status, stop.error
        except Exception as exc:
            log.exception("task %s failed", definition.id)
            status, error = RUN_FAILED, f"{type(exc).__name__}: {exc}"
        try:
            context.flush()
        except Exception:
            log.exception("writing the last activity of %s failed", context.run_id)
        return RunOutcome(status, context.processed, context.affected, error)

    def _tell_listeners(self, ended: EndedRun) -> None:
        """Each listener in turn; one that raises is logged and keeps neither the run nor the others waiting."""
        for listener in self._run_listeners:
            try:
                listener(ended)
            except Exception:
                log.exception("a listener of the end of run %s failed", ended.run_id)

    def cancel_local(self, run_id: str) -> None:
        """Stops a run of this process at once (the database flag reaches the others)."""
        with self._lock:
            active = self._active.get(run_id)
        if active is not None and active.context is not None:
            active.context.local_cancel.set()

    def active_runs(self) -> list[str]:
        with self._lock:
            return list(self._active)

    # -- housekeeping -----------------------------------------------------------

    def heartbeat(self) -> None:
        extend_leases(self.db, self.active_runs(), self.clock(), self._lease)

    def reap(self, now: datetime) -> list[str]:
        """Ends runs whose process is gone: lease expired, or a dead process on this host."""
        reaped = [run_id for run_id in interrupted_runs(self.db, now, self._is_dead_owner)
                  if end_interrupted(self.db, run_id, self.clock, INTERRUPTED)]
        for run_id in reaped:
            self._tell_reaped(run_id)
        if reaped:
            log.warning("ended %d interrupted run(s): %s", len(reaped), ", ".join(reaped))
            self.broker.notify()
        return reaped

    def _tell_reaped(self, run_id: str) -> None:
        """A reaped run failed too: its listeners hear of it from the process that ended it."""
        with self.db.read() as session:
            task_id = session.scalar(select(TaskRun.task_id).where(TaskRun.id == run_id))
        definition = self.registry.get(task_id) if task_id else None
        if task_id and definition is not None:
            self._tell_listeners(EndedRun(task_id, definition.name, run_id, RUN_FAILED, INTERRUPTED))

    def _is_dead_owner(self, owner: str | None) -> bool:
        if not owner or owner == self.owner:
            return False
        host, pid, _token = owner.rsplit(":", 2)
        if host != self.host:
            return False  # another host's process: only its lease can tell
        return int(pid) == os.getpid() or not is_process_alive(int(pid))

    def _housekeeping_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._housekeeping.run_pending()
            except Exception:
                log.exception("housekeeping failed; retrying")
            idle = self._housekeeping.idle_seconds
            self._stop.wait(max(idle if idle is not None else 1.0, 0.05))
