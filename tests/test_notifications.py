"""Notifications through Apprise: the payload its ``json://`` target really sends to a loopback
receiver, a failed run of a real task in the engine telling every enabled target once, targets
that fail or never answer leaving the run alone and their last error behind, and opt-in events."""
from __future__ import annotations

import errno
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, request

from loopback import serving, silent_server
from webapp.clock import now_utc
from webapp.engine.scheduler import EndedRun
from webapp.providers import notify
from webapp.providers.base import RELEASE_GRABBED, RUN_COMPLETED, RUN_FAILED
from webapp.runtime import Runtime
from webapp.services.notifications import NotificationService, NotificationSettings

PUBLIC = "http://cinephage.example:3000"


@dataclass
class Receiver:
    """A webhook endpoint as a notification service runs one: it keeps what it was sent."""

    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> Flask:
        app = Flask("receiver")

        @app.post("/hook")
        def hook() -> tuple[str, int]:
            self.headers.append(dict(request.headers))
            self.received.append(request.get_json())
            return ("", 200) if self.status == 200 else ("Internal Server Error", self.status)
        return app


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    """A receiver and the Apprise URL of it (``json://127.0.0.1:<port>/hook``)."""
    found = Receiver()
    with serving(found.app()) as base:
        yield found, "json://" + base.removeprefix("http://") + "/hook"


def wait_for(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def add_target(service: NotificationService, name: str, url: str, events: tuple[str, ...] = (RUN_FAILED,)) -> int:
    return service.create(NotificationSettings(name, url, events), now_utc()).id


# -- Apprise on the wire -------------------------------------------------------------


def test_apprise_json_sends_title_message_and_type(receiver: tuple[Receiver, str]) -> None:
    found, url = receiver
    notify.deliver(url + "?+X-Token=abc", notify.Message(RUN_FAILED, "Cinephage: X failed", "X failed: boom", "http://h/runs/1"))
    assert found.received == [{"version": "1.0", "title": "Cinephage: X failed", "message": "X failed: boom\n\nhttp://h/runs/1",
                               "attachments": [], "type": "failure"}]
    assert found.headers[0]["X-Token"] == "abc"  # a header in the URL, as the demo target sends its key


def test_a_refusal_is_a_provider_error_without_the_url_credentials(receiver: tuple[Receiver, str]) -> None:
    found, url = receiver
    found.status = 500
    secret_url = url.replace("json://", "json://admin:hunter2secret@")
    with pytest.raises(notify.ProviderError) as failed:
        notify.deliver(secret_url, notify.Message(RUN_FAILED, "t", "b"))
    assert "500" in str(failed.value) and "hunter2secret" not in str(failed.value)


def test_a_target_that_never_answers_is_given_up_in_time() -> None:
    with silent_server() as base:
        started = time.monotonic()
        with pytest.raises(notify.ProviderError, match="did not answer within 1 s"):
            notify.deliver("json://" + base.removeprefix("http://") + "/x", notify.Message(RUN_FAILED, "t", "b"), 1)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(("url", "said"), [
    ("not a url", "must be an Apprise URL"),
    ("nosuchservice://token@host", "does not know (nosuchservice://)"),
    ("json://", "not a usable json:// URL"),
])
def test_service_of_refuses_what_apprise_cannot_read(url: str, said: str) -> None:
    with pytest.raises(notify.UnknownService, match=said.replace("(", r"\(").replace(")", r"\)")):
        notify.service_of(url)


def test_scrub_keeps_the_host_name_and_drops_credentials() -> None:
    url = "discord://123456789/tokensecret?avatar_url=private"
    assert notify.scrub("to 123456789 with tokensecret and private, at discord.com", url) == "to … with … and …, at discord.com"


# -- the sender ---------------------------------------------------------------------


def test_the_sender_never_holds_up_the_caller_and_records_each_outcome() -> None:
    outcomes: list[tuple[int, str | None]] = []
    sender = notify.Sender(timeout=1)
    with silent_server() as base:
        targets = [notify.Target(1, "Silent", "json://" + base.removeprefix("http://") + "/x", frozenset())]
        notifier = notify.AppriseNotifier(targets, lambda target, error, when: outcomes.append((target, error)), sender)
        started = time.monotonic()
        notifier.notify(RUN_FAILED, "t", "b")
        assert time.monotonic() - started < 0.2  # queued, not sent on the caller's thread
        assert sender.wait_idle(10)
    assert outcomes == [(1, "The target did not answer within 1 s")]


def test_a_full_queue_drops_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    gate = threading.Event()
    sender = notify.Sender(queue_size=1)
    blocked = notify.Delivery("first", "json://127.0.0.1:9/x", notify.Message(RUN_FAILED, "t", "b"),
                              lambda error, when: gate.wait(5))
    second = notify.Delivery("second", "json://127.0.0.1:9/x", notify.Message(RUN_FAILED, "t", "b"), lambda e, w: None)
    assert sender.submit(blocked)
    wait_for(lambda: not sender._waiting)  # the first is being sent
    assert sender.submit(second)
    assert not sender.submit(second)
    gate.set()
    assert sender.wait_idle(10)
    assert "dropped" in caplog.text


# -- the engine: a failed run tells every enabled target, once --------------------------


def test_a_failed_run_of_a_real_task_sends_one_notification_with_task_error_and_link(
    runtime: Runtime, receiver: tuple[Receiver, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    found, url = receiver
    service = runtime.notifications
    service.sender, service.public_url = notify.Sender(timeout=10), PUBLIC
    target = add_target(service, "Webhook", url)  # asked for nothing: a failure is sent anyway
    off = add_target(service, "Off", url.replace("/hook", "/off"))
    service.update(off, {"enabled": False}, now_utc())

    def disk_full(*args: object) -> tuple[int, int]:
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr("webapp.tasks.system.delete_expired_runs", disk_full)
    accepted = runtime.tasks.run("task_history_cleanup", force=True, options={}, now=now_utc())
    try:
        runtime.engine.tick(now_utc())
        wait_for(lambda: runtime.history.run(accepted.run_id).status == "failed")
        # The listeners hear of the run after its end is recorded: wait for the delivery to be recorded too.
        wait_for(lambda: service.target(target).last_sent_at is not None or bool(service.target(target).last_error))
        assert service.sender.wait_idle(20)
    finally:
        runtime.engine.shutdown(timeout=2)
    [sent] = found.received
    assert sent["type"] == "failure" and sent["title"] == "Cinephage: History Cleanup failed"
    assert "History Cleanup failed: OSError: [Errno 28] No space left on device" in sent["message"]
    assert sent["message"].endswith(f"{PUBLIC}/runs/{accepted.run_id}")
    assert service.target(target).last_sent_at is not None and service.target(target).last_error is None


def test_a_failing_target_leaves_the_run_failed_as_it_was_and_keeps_its_error(
    runtime: Runtime, receiver: tuple[Receiver, str],
) -> None:
    found, url = receiver
    found.status = 500
    service = runtime.notifications
    service.sender = notify.Sender(timeout=5)
    target = add_target(service, "Broken", url)
    service.run_ended(EndedRun("task_upgrade", "Quality Upgrade", "exec_1", "failed", "RuntimeError: x"))
    assert service.sender.wait_idle(20)
    assert len(found.received) == 1
    error = service.target(target).last_error
    assert error is not None and "500" in error and url not in error


def test_other_events_are_opt_in(runtime: Runtime, receiver: tuple[Receiver, str]) -> None:
    found, url = receiver
    service = runtime.notifications
    service.sender = notify.Sender(timeout=5)
    add_target(service, "Failures only", url)
    add_target(service, "Everything", url.replace("/hook", "/hook?all=1"), (RUN_FAILED, RUN_COMPLETED, RELEASE_GRABBED))
    service.run_ended(EndedRun("task_upgrade", "Quality Upgrade", "exec_2", "completed", None))
    service.run_ended(EndedRun("task_upgrade", "Quality Upgrade", "exec_3", "cancelled", "Cancelled"))
    service.notifier().notify(RELEASE_GRABBED, "Cinephage: grabbed X", "X.2019.1080p → Demo Blackhole")
    assert service.sender.wait_idle(20)
    assert sorted(sent["title"] for sent in found.received) == [
        "Cinephage: Quality Upgrade completed", "Cinephage: grabbed X"]


def test_a_listener_that_raises_never_changes_the_run(runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    def broken(ended: EndedRun) -> None:
        raise RuntimeError("listener bug")
    runtime.engine.add_run_listener(broken)
    accepted = runtime.tasks.run("task_history_cleanup", force=True, options={}, now=now_utc())
    try:
        runtime.engine.tick(now_utc())
        wait_for(lambda: runtime.history.run(accepted.run_id).status != "running")
    finally:
        runtime.engine.shutdown(timeout=2)
    assert runtime.history.run(accepted.run_id).status == "completed"
    assert "listener" in caplog.text
