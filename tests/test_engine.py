"""The engine with the clock as a parameter: timers, claims, queued follow-ups, cancel, reaping."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from builders import FakeClock
from servers import wait_until
from webapp import create_app
from webapp.clock import Clock
from webapp.db import Database
from webapp.engine import scheduler
from webapp.engine.context import ContextSettings, RunContext
from webapp.engine.events import EventBroker, events_after
from webapp.engine.registry import TaskDefinition, TaskRegistry
from webapp.engine.runs import ClaimedRun, claim_queued, request_cancel, request_run
from webapp.engine.scheduler import INTERRUPTED, SHUTDOWN, Engine, EngineSettings
from webapp.models import TaskActivity, TaskEvent, TaskRun, TaskSetting
from webapp.runtime import runtime_of
from webapp.services.history import HistoryService
from webapp.services.tasks import TaskService



@dataclass(frozen=True)
class Item:
    media_id: str
    title: str


class Gate:
    """Lets a test hold a task body between items."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()


def make_registry(gate: Gate, items: int = 5) -> TaskRegistry:
    registry = TaskRegistry()

    def body(ctx: RunContext) -> None:
        for index in ctx.items([Item(f"movie_{n}", f"Movie {n}") for n in range(items)]):
            if index.media_id == "movie_1":
                gate.entered.set()
                gate.release.wait(10)
            ctx.record(index, "search", "skipped", "No indexer configured")

    def broken(ctx: RunContext) -> None:
        raise RuntimeError("indexer exploded")

    registry.add(TaskDefinition("task_gated", "Gated", "Waits on a gate", "monitoring", 60, 15, body))
    registry.add(TaskDefinition("task_broken", "Broken", "Always fails", "system", 120, 15, broken))
    return registry


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def engine(db: Database, gate: Gate, clock: FakeClock) -> Iterator[Engine]:
    registry = make_registry(gate)
    broker = EventBroker(db, poll_seconds=0.05)
    settings = EngineSettings(workers=2, max_sleep_seconds=86400, context=ContextSettings(cancel_check_seconds=0))
    engine = Engine(db, registry, broker, settings, clock=clock)
    TaskService(db, registry, broker, engine).ensure_rows(clock())
    yield engine
    gate.release.set()
    engine.shutdown(timeout=5)
    broker.stop()


def run_row(db: Database, run_id: str) -> TaskRun:
    with db.read() as session:
        run = session.get(TaskRun, run_id)
        assert run is not None
        return run


def setting_row(db: Database, task_id: str) -> TaskSetting:
    with db.read() as session:
        setting = session.get(TaskSetting, task_id)
        assert setting is not None
        return setting


def latest_run_id(db: Database, task_id: str) -> str:
    with db.read() as session:
        run_id = session.scalar(select(TaskRun.id).where(TaskRun.task_id == task_id).order_by(TaskRun.created_at.desc()))
    assert run_id is not None
    return run_id


def finished(db: Database, run_id: str) -> bool:
    return run_row(db, run_id).status in ("completed", "failed", "cancelled")


def test_new_install_schedules_every_task_one_interval_ahead(db: Database, engine: Engine, clock: FakeClock) -> None:
    setting = setting_row(db, "task_gated")
    assert setting.enabled and setting.interval == 60 and setting.interval_unit == "minutes"
    assert setting.next_run_at == clock() + timedelta(minutes=60)
    assert setting.last_run_at is None


def test_tick_sleeps_until_the_earliest_due_run(engine: Engine, clock: FakeClock) -> None:
    assert engine.tick(clock()) == pytest.approx(3600)
    clock.advance(minutes=59, seconds=30)
    assert engine.tick(clock()) == pytest.approx(30)


def test_due_run_starts_and_timer_restarts_from_its_start(db: Database, engine: Engine, gate: Gate, clock: FakeClock) -> None:
    gate.release.set()
    start = clock.advance(minutes=60)
    engine.tick(start)
    run_id = latest_run_id(db, "task_gated")
    wait_until(lambda: finished(db, run_id), 10, "the run to finish", 0.02)
    run = run_row(db, run_id)
    assert run.status == "completed" and run.trigger == "scheduled"
    assert run.items_processed == 5 and run.items_total == 5
    setting = setting_row(db, "task_gated")
    assert setting.last_run_at == start and setting.next_run_at == start + timedelta(minutes=60)
    assert setting.current_run_id is None and setting.last_status == "completed"


def test_missed_runs_are_coalesced_into_one(db: Database, engine: Engine, gate: Gate, clock: FakeClock) -> None:
    gate.release.set()
    now = clock.advance(days=3)  # 72 runs missed while "down"
    engine.tick(now)
    run_id = latest_run_id(db, "task_gated")
    wait_until(lambda: finished(db, run_id), 10, "the run to finish", 0.02)
    engine.tick(now)
    with db.read() as session:
        runs = session.scalars(select(TaskRun).where(TaskRun.task_id == "task_gated")).all()
    assert len(runs) == 1
    assert setting_row(db, "task_gated").next_run_at == now + timedelta(minutes=60)


def test_disabled_task_is_not_started_by_the_scheduler(db: Database, engine: Engine, clock: FakeClock) -> None:
    with db.write() as session:
        session.execute(update(TaskSetting).where(TaskSetting.id == "task_gated").values(enabled=False))
    engine.tick(clock.advance(days=1))
    assert setting_row(db, "task_gated").current_run_id is None


def test_run_request_while_running_returns_the_run_in_progress(db: Database, engine: Engine, gate: Gate, clock: FakeClock) -> None:
    first = request_run(db, "task_gated", force=False, options={}, now=clock())
    engine.tick(clock())
    gate.entered.wait(5)
    again = request_run(db, "task_gated", force=False, options={}, now=clock())
    assert again.run_id == first.run_id and again.message == "Task already running" and not again.created
    gate.release.set()
    wait_until(lambda: finished(db, first.run_id), 10, "the run to finish", 0.02)


def test_force_while_running_queues_one_follow_up(db: Database, engine: Engine, gate: Gate, clock: FakeClock) -> None:
    first = request_run(db, "task_gated", force=False, options={}, now=clock())
    engine.tick(clock())
    gate.entered.wait(5)
    follow_up = request_run(db, "task_gated", force=True, options={}, now=clock())
    second_force = request_run(db, "task_gated", force=True, options={}, now=clock())
    assert follow_up.created and follow_up.run_id != first.run_id
    assert second_force.run_id == follow_up.run_id and not second_force.created
    assert run_row(db, follow_up.run_id).status == "queued"
    gate.release.set()
    wait_until(lambda: finished(db, first.run_id), 10, "the run to finish", 0.02)
    engine.tick(clock())  # in `serve`, the finishing run wakes the scheduler loop to do this
    wait_until(lambda: finished(db, follow_up.run_id), 10, "the run to finish", 0.02)
    assert run_row(db, follow_up.run_id).status == "completed"
    assert run_row(db, follow_up.run_id).started_at >= run_row(db, first.run_id).completed_at  # type: ignore[operator]


def test_cancel_stops_the_run_at_its_next_item(db: Database, engine: Engine, gate: Gate, clock: FakeClock) -> None:
    accepted = request_run(db, "task_gated", force=False, options={}, now=clock())
    engine.tick(clock())
    gate.entered.wait(5)
    request_cancel(db, "task_gated", clock())  # through the database only, as from another process
    gate.release.set()
    started = time.monotonic()
    wait_until(lambda: finished(db, accepted.run_id), 10, "the run to finish", 0.02)
    assert time.monotonic() - started < 1.0
    run = run_row(db, accepted.run_id)
    assert run.status == "cancelled" and run.error is None
    assert run.items_processed == 2  # movie_0 and movie_1; never movie_2
    with db.read() as session:
        titles = session.scalars(select(TaskActivity.media_title).where(TaskActivity.run_id == run.id)).all()
    assert sorted(titles) == ["Movie 0", "Movie 1"]


def test_cancel_on_an_idle_task_is_refused(db: Database, engine: Engine, clock: FakeClock) -> None:
    from webapp.errors import InvalidState

    with pytest.raises(InvalidState):
        request_cancel(db, "task_gated", clock())


def test_a_failing_body_ends_the_run_failed_and_the_task_in_error(db: Database, engine: Engine, clock: FakeClock) -> None:
    accepted = request_run(db, "task_broken", force=False, options={}, now=clock())
    engine.tick(clock())
    wait_until(lambda: finished(db, accepted.run_id), 10, "the run to finish", 0.02)
    run = run_row(db, accepted.run_id)
    assert run.status == "failed" and run.error == "RuntimeError: indexer exploded"
    assert setting_row(db, "task_broken").last_status == "failed"


def test_interval_change_moves_the_timer_from_the_last_run(db: Database, engine: Engine, gate: Gate, clock: FakeClock) -> None:
    gate.release.set()
    start = clock.advance(minutes=60)
    engine.tick(start)
    wait_until(lambda: setting_row(db, "task_gated").current_run_id is None, 10, "the run to let go of its task", 0.02)
    tasks = TaskService(db, engine.registry, engine.broker, engine)
    tasks.set_interval("task_gated", 3, "hours", clock.advance(minutes=10))
    assert setting_row(db, "task_gated").next_run_at == start + timedelta(hours=3)


def test_runs_of_a_dead_process_are_ended_interrupted(db: Database, engine: Engine, clock: FakeClock) -> None:
    with db.write() as session:
        session.add(TaskRun(
            id="exec_dead", task_id="task_gated", status="running", trigger="manual", created_at=clock(),
            started_at=clock(), owner=f"{engine.host}:999999:dead", lease_expires_at=clock() + timedelta(minutes=5),
        ))
        session.execute(update(TaskSetting).where(TaskSetting.id == "task_gated").values(current_run_id="exec_dead"))
    assert engine.reap(clock()) == ["exec_dead"]
    run = run_row(db, "exec_dead")
    assert run.status == "failed" and run.error == INTERRUPTED
    assert setting_row(db, "task_gated").current_run_id is None


def test_runs_of_another_host_are_reaped_only_when_the_lease_expires(db: Database, engine: Engine, clock: FakeClock) -> None:
    with db.write() as session:
        session.add(TaskRun(
            id="exec_far", task_id="task_gated", status="running", trigger="manual", created_at=clock(),
            started_at=clock(), owner="elsewhere:1:abcd", lease_expires_at=clock() + timedelta(seconds=30),
        ))
        session.execute(update(TaskSetting).where(TaskSetting.id == "task_gated").values(current_run_id="exec_far"))
    assert engine.reap(clock()) == []
    assert engine.reap(clock.advance(seconds=31)) == ["exec_far"]


def test_shutdown_cancels_and_records_local_runs(db: Database, engine: Engine, gate: Gate, clock: FakeClock) -> None:
    accepted = request_run(db, "task_gated", force=False, options={}, now=clock())
    engine.tick(clock())
    gate.entered.wait(5)
    threading.Timer(0.2, gate.release.set).start()
    engine.shutdown(timeout=5)
    run = run_row(db, accepted.run_id)
    assert run.status == "cancelled" and run.error == SHUTDOWN


def test_two_engines_on_one_database_never_run_a_task_twice(db: Database, gate: Gate, clock: FakeClock) -> None:
    registry = make_registry(gate)
    engines = [Engine(db, registry, EventBroker(db), EngineSettings(workers=2), clock=clock) for _ in range(2)]
    TaskService(db, registry, engines[0].broker, engines[0]).ensure_rows(clock())
    try:
        due = clock.advance(minutes=60)
        threads = [threading.Thread(target=e.tick, args=(due,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        gate.entered.wait(5)
        with db.read() as session:
            running = session.scalars(select(TaskRun).where(TaskRun.task_id == "task_gated")).all()
        assert len(running) == 1
        assert sum(len(e.active_runs()) for e in engines) == 1  # one engine holds it, the other lost the claim
    finally:
        gate.release.set()
        for e in engines:
            e.shutdown(timeout=5)
            e.broker.stop()


class HeldClaim:
    """``claim_queued`` held at the door, as if waiting seconds for the database's write lock."""

    def __init__(self) -> None:
        self.waiting = threading.Event()
        self.proceed = threading.Event()

    def __call__(self, db: Database, task_id: str, owner: str, clock: Clock, lease: timedelta) -> ClaimedRun | None:
        self.waiting.set()
        self.proceed.wait(10)
        return claim_queued(db, task_id, owner, clock, lease)

    def tick_until_claiming(self, db: Database, engine: Engine, clock: FakeClock) -> tuple[str, threading.Thread]:
        """Queues a run and starts a tick that is held in its claim; returns the run's id and the tick."""
        accepted = request_run(db, "task_gated", force=False, options={}, now=clock())
        ticking = threading.Thread(target=engine.tick, args=(clock(),))
        ticking.start()
        assert self.waiting.wait(5)
        return accepted.run_id, ticking


def test_a_claim_waiting_on_the_database_holds_up_no_cancel(
    db: Database, engine: Engine, gate: Gate, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    held = HeldClaim()
    monkeypatch.setattr(scheduler, "claim_queued", held)
    run_id, ticking = held.tick_until_claiming(db, engine, clock)
    cancelling = threading.Thread(target=engine.cancel_local, args=(run_id,))  # as the event reader does
    cancelling.start()
    cancelling.join(1)
    assert not cancelling.is_alive(), "cancel_local waited on a claim"
    held.proceed.set()
    ticking.join(5)
    assert engine.active_runs() == [run_id]
    gate.release.set()
    wait_until(lambda: finished(db, run_id), 10, "the run to finish", 0.02)


def test_a_run_claimed_as_the_engine_stops_is_recorded_cancelled(
    db: Database, engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    held = HeldClaim()
    monkeypatch.setattr(scheduler, "claim_queued", held)
    run_id, ticking = held.tick_until_claiming(db, engine, clock)
    stopping = threading.Thread(target=engine.shutdown, kwargs={"timeout": 5})
    stopping.start()
    wait_until(engine._stop.is_set, 5, "the stop to begin", 0.01)
    assert stopping.is_alive()  # it waits for the claim under way
    held.proceed.set()
    stopping.join(5)
    ticking.join(5)
    run = run_row(db, run_id)
    assert run.status == "cancelled" and run.error == SHUTDOWN
    assert engine.active_runs() == [] and setting_row(db, "task_gated").current_run_id is None


@pytest.mark.parametrize("fields", [
    {"reap_seconds": 0}, {"heartbeat_seconds": 0}, {"heartbeat_seconds": 5, "lease_seconds": 5},
])
def test_engine_settings_refuse_intervals_that_cannot_work(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        EngineSettings(**fields)


def test_the_environment_sets_the_reap_and_lease_intervals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CINEPHAGE_REAP_SECONDS", "1")
    monkeypatch.setenv("CINEPHAGE_HEARTBEAT_SECONDS", "2")
    monkeypatch.setenv("CINEPHAGE_LEASE_SECONDS", "6.5")
    app = create_app({"TESTING": True})
    try:
        settings = runtime_of(app).engine.settings
        assert (settings.reap_seconds, settings.heartbeat_seconds, settings.lease_seconds) == (1, 2, 6.5)
    finally:
        runtime_of(app).db.dispose()


def test_every_transition_is_logged_as_an_event(db: Database, engine: Engine, gate: Gate, clock: FakeClock) -> None:
    gate.release.set()
    accepted = request_run(db, "task_gated", force=False, options={}, now=clock())
    engine.tick(clock())
    wait_until(lambda: finished(db, accepted.run_id), 10, "the run to finish", 0.02)
    with db.read() as session:
        types = [e.type for e in events_after(session, 0) if e.task_id == "task_gated"]
        assert session.scalar(select(TaskEvent.id).limit(1)) is not None
    assert types[0] == "task:queued" and types[1] == "task:started" and types[-1] == "task:completed"


def test_activity_counters_match_the_rows_across_flushes(db: Database, engine: Engine, clock: FakeClock) -> None:
    from webapp.models import TaskActivityCount

    accepted = request_run(db, "task_gated", force=False, options={}, now=clock())
    with db.write() as session:
        session.execute(update(TaskRun).where(TaskRun.id == accepted.run_id).values(status="running"))
    context = RunContext(db=db, run_id=accepted.run_id, task_id="task_gated", force=False, options={}, clock=clock,
                         deadline=time.monotonic() + 60, settings=ContextSettings(batch_size=3))
    statuses = ["skipped", "success", "skipped", "failed", "skipped", "success", "skipped"]
    for n, status in enumerate(statuses):
        context.record(Item(f"movie_{n}", f"Movie {n}"), "search", status, "")
    context.flush()
    with db.read() as session:
        kept = dict(session.execute(select(TaskActivityCount.status, TaskActivityCount.count)).all())
    assert kept == {"skipped": 4, "success": 2, "failed": 1}
    activity = HistoryService(db, engine.registry).activity
    assert activity(accepted.run_id, 1, 50, None).total == 7
    assert activity(accepted.run_id, 1, 50, "success").total == 2
    assert activity(accepted.run_id, 1, 50, "no_results").total == 0
    assert activity(accepted.run_id, 1, 50, None, search="Movie 1").total == 1
