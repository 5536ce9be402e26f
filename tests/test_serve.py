"""Real ``serve`` processes over sockets: the event stream, several processes on one database,
crashes, graceful stops and restarts.

Every test runs against SQLite and (with TEST_DATABASE_URL) PostgreSQL, and stops every process
it started (the ``harness`` fixture checks that none is left behind).
"""
from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, select

from servers import API_KEY, Harness, Server, SseEvent, open_raw_stream, open_streams, read_until, wait_until
from webapp.models import TaskRun, TaskSetting

pytestmark = pytest.mark.process

SUBTITLES = "task_missing_subtitles"  # ~80 items with a 300-item demo library
CLEANUP = "task_history_cleanup"  # no items: a run takes milliseconds
FINISHED = ("completed", "failed", "cancelled")
SLOW = "100"  # ms between items: a subtitle run lasts ~8 s
RACE_WAVES = 16  # the time-conflict check is a race: more waves, more chances to see one


def post(server: Server, path: str, body: dict[str, Any] | None = None) -> requests.Response:
    """A POST on its own connection (safe from many threads at once)."""
    with requests.Session() as session:
        return session.post(server.url(path), json=body or {}, headers={"x-api-key": API_KEY}, timeout=15)


def start_run(server: Server, task_id: str, **body: Any) -> str:
    response = server.post(f"/api/tasks/{task_id}/run", json=body)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["success"] is True
    assert payload["executionId"].startswith("exec_")
    return payload["executionId"]


def running_runs(server: Server, task_id: str) -> list[dict[str, Any]]:
    """The task's runs that have started and not ended (a queued run is listed ``running`` too)."""
    response = server.get(f"/api/tasks/{task_id}/history", params={"status": "running", "limit": 100})
    assert response.status_code == 200, response.text
    return [run for run in response.json()["history"] if run["status"] == "running" and run["startedAt"]]


def wait_started(server: Server, run_id: str) -> dict[str, Any]:
    """Waits until the run has started (not merely queued) and handled an item."""
    return wait_until(
        lambda: (entry := server.history_entry(run_id))["status"] == "running" and entry["startedAt"]
        and entry["itemsProcessed"] > 0 and entry,
        15, f"run {run_id} to start",
    )


def all_runs(server: Server, task_id: str) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    page = 1
    while True:
        body = server.get(f"/api/tasks/{task_id}/history", params={"page": page, "limit": 100}).json()
        runs.extend(body["history"])
        if page >= body["pagination"]["totalPages"]:
            return runs
        page += 1


def parse(moment: str) -> datetime:
    assert moment.endswith("Z"), moment
    return datetime.fromisoformat(moment[:-1] + "+00:00")


def run_row(database_url: str, run_id: str) -> Any:
    """The run as the database holds it, read without any server."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            run = connection.execute(
                select(TaskRun.status, TaskRun.error, TaskRun.completed_at, TaskRun.task_id).where(TaskRun.id == run_id)
            ).one()
            setting = connection.execute(
                select(TaskSetting.current_run_id, TaskSetting.queued_run_id).where(TaskSetting.id == run.task_id)
            ).one()
            return run, setting
    finally:
        engine.dispose()


def owner_pid(database_url: str, run_id: str) -> int:
    """The pid of the process holding the run (its owner is ``host:pid:token``)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            owner = connection.execute(select(TaskRun.owner).where(TaskRun.id == run_id)).scalar_one()
    finally:
        engine.dispose()
    return int(owner.rsplit(":", 2)[1])


def assert_ids_increase(events: list[SseEvent]) -> None:
    ids = [event.id for event in events]
    assert all(isinstance(i, int) for i in ids), ids
    assert all(a < b for a, b in zip(ids, ids[1:])), ids


# -- 1. the event stream ----------------------------------------------------------


def test_stream_run_events_keepalive_replay_and_reset(harness: Harness) -> None:
    harness.seed()
    server = harness.start(
        harness.env(CINEPHAGE_ITEM_DELAY_MS="30", CINEPHAGE_STREAM_KEEPALIVE_SECONDS="0.5"), "serve"
    )
    first = harness.stream(server)
    wait_until(lambda: first.retry is not None, 5, "the retry: line sent on connect")
    assert first.retry is not None and first.retry > 0

    run_id = start_run(server, SUBTITLES)
    done = first.wait_for(lambda e: e.type == "task:completed" and e.data.get("executionId") == run_id, timeout=40)

    # keep-alive comments keep coming once the stream is idle
    seen = len(first.comments)
    wait_until(lambda: len(first.comments) >= seen + 2, 5, "two keep-alive comments")

    events = first.snapshot()
    assert_ids_increase(events)
    for event in events:
        assert event.data.get("taskId") == SUBTITLES and event.data.get("timestamp", "").endswith("Z"), event
    run_events = list(first.of_run(run_id))
    types = [e.type for e in run_events]
    assert types[:2] == ["task:queued", "task:started"], types
    assert types[-1] == "task:completed", types
    assert set(types[2:-1]) == {"task:progress"}, types

    progress = [e.data for e in run_events if e.type == "task:progress"]
    for data in progress:
        assert isinstance(data["processed"], int) and isinstance(data["total"], int), data
        assert 0 <= data["processed"] <= data["total"], data
        assert isinstance(data["currentItem"], str) and data["currentItem"], data
    assert [d["processed"] for d in progress] == sorted(d["processed"] for d in progress)
    assert progress[-1]["total"] >= 50  # the seeded library has ~80 items missing subtitles

    entry = server.history_entry(run_id)
    assert entry["status"] == "completed"
    completed = done.data
    assert completed["itemsProcessed"] == entry["itemsProcessed"] == progress[-1]["total"]
    assert completed["itemsAffected"] == entry["itemsAffected"]
    assert isinstance(completed["duration"], int) and completed["duration"] == entry["duration"]
    assert completed["nextRunAt"] == server.task(SUBTITLES)["nextRunAt"] is not None
    # "at most a few per second per run"
    assert len(progress) <= completed["duration"] / 1000 * 5 + 2, len(progress)

    # A reconnect with Last-Event-ID = task:started replays exactly what followed it.
    started = next(e for e in run_events if e.type == "task:started")
    last = events[-1]
    second = harness.stream(server, last_event_id=started.id)
    second.wait_for(lambda e: e.id is not None and e.id >= last.id, timeout=10)
    replayed = second.snapshot()
    assert_ids_increase(replayed)
    assert all(e.id is not None and e.id > started.id for e in replayed)
    assert [e for e in replayed if e.id is not None and e.id <= last.id] == [e for e in events if e.id > started.id]
    assert second.retry is not None

    # At the log's end nothing is replayed: the next live event is the first one sent.
    third = harness.stream(server, last_event_id=last.id)
    wait_until(lambda: third.retry is not None, 5, "the retry: line")
    response = server.put(f"/api/tasks/{SUBTITLES}/interval", json={"interval": 8, "unit": "hours"})
    assert response.status_code == 200, response.text
    updated = third.wait_for(lambda e: e.type == "task:updated")
    assert third.snapshot()[0] == updated and updated.id is not None and updated.id > last.id

    # Beyond the log's end: a reset.
    fourth = harness.stream(server, last_event_id=updated.id + 1000)
    reset = fourth.wait_for(lambda e: e.type == "reset")
    assert fourth.snapshot()[0] == reset


# -- 2. two servers on one database -------------------------------------------------


def test_two_servers_share_one_database(harness: Harness) -> None:
    harness.seed()
    # One worker each: a cancel sent to the other server is then surely sent to another process.
    a, b = harness.start_together(harness.env(CINEPHAGE_ITEM_DELAY_MS=SLOW), ("a", "b"), "--workers", "1")

    # Waves of ~20 concurrent run requests for one quick task, split across both servers
    # (half of them with force, which queues a follow-up while a run is under way).
    stop = threading.Event()
    most_running: list[int] = []
    statuses: set[str] = set()

    def watch() -> None:
        while not stop.is_set():
            for server in (a, b):
                most_running.append(len(running_runs(server, CLEANUP)))
                statuses.add(server.task(CLEANUP)["status"])

    def fire(index: int, barrier: threading.Barrier) -> requests.Response:
        barrier.wait(timeout=10)
        return post((a, b)[index % 2], f"/api/tasks/{CLEANUP}/run", {"force": index % 4 < 2})

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    accepted: set[str] = set()
    try:
        for _wave in range(RACE_WAVES):
            barrier = threading.Barrier(20)
            with ThreadPoolExecutor(20) as pool:
                answers = list(pool.map(fire, range(20), [barrier] * 20))
            for answer in answers:
                assert answer.status_code == 200, answer.text
                assert answer.json()["success"] is True, answer.text
            accepted |= {answer.json()["executionId"] for answer in answers}
            wait_until(lambda: all(s.task(CLEANUP)["status"] == "idle" for s in (a, b)), 15, "the runs to end")
    finally:
        stop.set()
        watcher.join(timeout=15)
    assert most_running and max(most_running) <= 1, most_running
    assert statuses <= {"idle", "queued", "running"}, statuses

    runs = all_runs(b, CLEANUP)
    assert {run["id"] for run in runs} == accepted  # every answer names a history entry, and only those
    assert all(run["status"] == "completed" for run in runs), runs
    assert len(runs) >= RACE_WAVES
    # The recorded times never overlap: for every pair, one's completedAt <= the other's startedAt
    # (sorted by start, each run must end before the next one starts), and no run starts
    # before it was accepted.
    spans = sorted((parse(r["startedAt"]), parse(r["completedAt"]), parse(r["queuedAt"]), r["id"]) for r in runs)
    problems = [f"{run} started at {begin:%H:%M:%S.%f}, before it was queued at {queued:%H:%M:%S.%f}"
                for begin, _, queued, run in spans if begin < queued]
    problems += [f"{run} ended at {end:%H:%M:%S.%f}, before it started at {begin:%H:%M:%S.%f}"
                 for begin, end, _, run in spans if end < begin]
    problems += [
        f"{earlier} ran {b1:%H:%M:%S.%f}..{e1:%H:%M:%S.%f}, {later} started at {b2:%H:%M:%S.%f}"
        for (b1, e1, _, earlier), (b2, _, _, later) in zip(spans, spans[1:]) if e1 > b2
    ]
    # (asserted at the end, so that a conflict does not hide what the rest of the test checks)

    # Start a run via one server and cancel it, once via the process that does not hold it and
    # once via the one that does: it ends cancelled within ~2 s either way. Whichever process
    # claims a run is a race, so the canceller is chosen after the claim. Streams on both
    # servers see the same events of the run.
    stream_a, stream_b = harness.stream(a), harness.stream(b)
    wait_until(lambda: stream_a.retry is not None and stream_b.retry is not None, 5, "both streams")
    for requester, cancel_across in ((a, True), (b, False)):
        run_id = start_run(requester, SUBTITLES)
        wait_started(requester, run_id)
        for stream in (stream_a, stream_b):
            stream.wait_for(lambda e: e.type == "task:progress" and e.data.get("executionId") == run_id)
        for server in (a, b):
            assert [run["id"] for run in running_runs(server, SUBTITLES)] == [run_id]
            assert server.task(SUBTITLES)["status"] == "running"
        holder = owner_pid(harness.database_url, run_id)
        assert holder in a.worker_pids() + b.worker_pids()
        holding, other = (a, b) if holder in a.worker_pids() else (b, a)
        canceller = other if cancel_across else holding
        cancelled_at = time.monotonic()
        response = post(canceller, f"/api/tasks/{SUBTITLES}/cancel")
        assert response.status_code == 200, response.text
        assert response.json()["executionId"] == run_id
        entry = requester.wait_run(run_id, FINISHED, timeout=10)
        took = time.monotonic() - cancelled_at
        assert entry["status"] == "cancelled", entry
        assert took <= 2.0, f"cancelled after {took:.1f} s"
        assert entry["itemsProcessed"] < 80, entry

        for stream in (stream_a, stream_b):
            stream.wait_for(lambda e: e.type == "task:cancelled" and e.data.get("executionId") == run_id)
        seen_a, seen_b = list(stream_a.of_run(run_id)), list(stream_b.of_run(run_id))
        assert [e.type for e in seen_a][:2] == ["task:queued", "task:started"], seen_a
        assert "task:progress" in {e.type for e in seen_a}
        assert seen_b == seen_a
    assert_ids_increase(stream_a.snapshot())
    assert_ids_increase(stream_b.snapshot())

    assert not problems, f"{len(problems)} time conflicts among {len(runs)} runs:\n" + "\n".join(problems)


# -- 3. SIGKILL, then restart --------------------------------------------------------


def test_sigkill_mid_run_then_restart(harness: Harness) -> None:
    harness.seed()
    first = harness.start(harness.env(CINEPHAGE_ITEM_DELAY_MS=SLOW), "killed")
    run_id = start_run(first, SUBTITLES)
    wait_started(first, run_id)
    assert first.history_entry(run_id)["status"] == "running"
    first.signal(signal.SIGKILL)
    assert first.wait(5) == -signal.SIGKILL

    restarted = harness.start(harness.env(CINEPHAGE_ITEM_DELAY_MS="0"), "restarted")
    entry = restarted.wait_run(run_id, FINISHED, timeout=5)
    assert entry["status"] == "failed", entry
    assert "Interrupted" in (entry["error"] or ""), entry
    assert entry["completedAt"] is not None
    task = restarted.task(SUBTITLES)
    assert task["status"] != "running" and task["currentExecutionId"] is None, task

    again = start_run(restarted, SUBTITLES)
    assert again != run_id
    final = restarted.wait_run(again, FINISHED, timeout=30)
    assert final["status"] == "completed", final
    assert final["itemsProcessed"] >= 50


# -- 4. SIGTERM mid-run -----------------------------------------------------------------


def test_sigterm_mid_run_cancels_and_exits(harness: Harness) -> None:
    harness.seed()
    server = harness.start(harness.env(CINEPHAGE_ITEM_DELAY_MS=SLOW), "serve", "--workers", "2")
    run_id = start_run(server, SUBTITLES)
    wait_started(server, run_id)
    stopping = time.monotonic()
    server.signal(signal.SIGTERM)
    code = server.wait(12)
    took = time.monotonic() - stopping
    assert code == 0, server.log()[-2000:]
    assert took < 10, f"exited after {took:.1f} s"

    run, setting = run_row(harness.database_url, run_id)
    assert run.status == "cancelled", run
    assert "shut down" in (run.error or ""), run
    assert run.completed_at is not None
    assert setting.current_run_id is None and setting.queued_run_id is None, setting


# -- 5. a restart keeps the timers ------------------------------------------------------


def test_restart_keeps_next_run_at(harness: Harness) -> None:
    env = harness.env()
    server = harness.start(env, "before")
    start_run(server, CLEANUP)  # a task that has run: its timer counts from lastRunAt
    wait_until(lambda: server.task(CLEANUP)["status"] == "idle" and server.task(CLEANUP)["lastRunAt"], 10, "a run")
    response = server.put("/api/tasks/task_subtitle_upgrade/interval", json={"interval": 3, "unit": "days"})
    assert response.status_code == 200, response.text
    assert server.put("/api/tasks/task_upgrade/enabled", json={"enabled": False}).status_code == 200

    def timers(s: Server) -> dict[str, tuple[Any, ...]]:
        return {t["id"]: (t["nextRunAt"], t["lastRunAt"], t["interval"], t["intervalUnit"], t["enabled"])
                for t in s.get("/api/tasks").json()["tasks"]}

    before = timers(server)
    assert len(before) == 9
    assert before["task_subtitle_upgrade"][2:4] == (3, "days")
    assert before["task_upgrade"][0] is None
    assert before[CLEANUP][1] is not None
    server.signal(signal.SIGTERM)
    assert server.wait(10) == 0

    restarted = harness.start(env, "after")
    assert timers(restarted) == before


# -- 6. the survivor reaps ----------------------------------------------------------------


def test_survivor_reaps_a_killed_process_run(harness: Harness) -> None:
    harness.seed()
    # A run of ~40 s: still under way however long B takes to start. B looks for dead runs every second.
    env = harness.env(CINEPHAGE_ITEM_DELAY_MS="500", CINEPHAGE_REAP_SECONDS="1")
    a = harness.start(env, "a")
    run_id = start_run(a, SUBTITLES)  # only A is up: A holds the run
    wait_started(a, run_id)
    b = harness.start(env, "b")
    assert b.history_entry(run_id)["status"] == "running"
    a.signal(signal.SIGKILL)
    a.wait(5)  # reaped by us, so the pid is really gone (not a zombie)
    killed = time.monotonic()

    entry = b.wait_run(run_id, FINISHED, timeout=10)
    took = time.monotonic() - killed
    assert entry["status"] == "failed", entry
    assert "Interrupted" in (entry["error"] or ""), entry
    assert took <= 6, f"reaped after {took:.1f} s"
    task = b.task(SUBTITLES)
    assert task["status"] != "running" and task["currentExecutionId"] is None, task


def test_one_server_holds_hundreds_of_streams(harness: Harness) -> None:
    server = harness.start(harness.env(), "streams")
    conns = open_streams(server, 300)
    try:
        started = time.monotonic()
        assert server.get("/api/tasks").status_code == 200  # requests still get a thread
        assert time.monotonic() - started < 2
        assert server.put(f"/api/tasks/{CLEANUP}/enabled", json={"enabled": False}).status_code == 200
        for conn in conns:
            assert b"event: task:updated" in read_until(conn, b"task:updated", 20)
    finally:
        for conn in conns:
            conn.close()


# -- 7. the HTTP front: Granian's WSGI interface to Flask --------------------------------


def test_front_passes_bodies_paths_and_headers_and_refuses_oversized_bodies(harness: Harness) -> None:
    server = harness.start(harness.env(), "front")

    chunked = server.put(  # a generator body goes out chunked, with no Content-Length
        f"/api/tasks/{CLEANUP}/interval", data=(part for part in (b'{"interval": 9,', b' "unit": "hours"}')),
        headers={"content-type": "application/json"},
    )
    assert chunked.status_code == 200, chunked.text
    assert (chunked.json()["interval"], chunked.json()["intervalUnit"]) == (9, "hours")

    oversized = server.put(f"/api/tasks/{CLEANUP}/interval", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                           headers={"content-type": "application/json"})
    assert oversized.status_code == 413, oversized.text
    assert oversized.json()["success"] is False and oversized.json()["code"], oversized.text
    assert server.task(CLEANUP)["interval"] == 9  # nothing changed

    encoded = server.get("/api/tasks/" + CLEANUP.replace("_", "%5F"))
    assert encoded.status_code == 200 and encoded.json()["task"]["id"] == CLEANUP
    once = server.get("/api/tasks/t%2541%20%C3%A9")  # decoded once: "t%41 é", not "tA é"
    assert once.status_code == 404 and "'t%41 é'" in once.json()["error"], once.text
    head = server.session.head(server.url("/healthz"), timeout=5)
    assert head.status_code == 200 and head.content == b""


def test_a_closed_stream_frees_its_slot(harness: Harness) -> None:
    env = harness.env(CINEPHAGE_MAX_STREAMS="2", CINEPHAGE_STREAM_KEEPALIVE_SECONDS="0.5")
    server = harness.start(env, "slots", "--workers", "1")  # one process: its slots are all there is
    first, second = open_raw_stream(server), open_raw_stream(server)
    try:
        for conn in (first, second):
            assert b"retry:" in read_until(conn, b"retry:", 10)
        refused = server.get("/api/tasks/stream", stream=True)
        assert refused.status_code == 503 and refused.json()["code"] == "TOO_MANY_STREAMS"
        first.close()  # the server sees it at its next write, a keep-alive at the latest
        wait_until(lambda: server.get("/api/tasks/stream", stream=True).status_code == 200, 10, "a freed slot")
    finally:
        first.close()
        second.close()
