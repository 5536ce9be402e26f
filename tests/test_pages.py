"""The dashboard pages at test-client level: the list, the plain-form and htmx actions, the
live row stream, CSRF and escaping."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from flask.testing import FlaskClient

from builders import PASSWORD, csrf_of, read_until, task
from webapp.clock import now_utc

from webapp.engine.events import append_event
from webapp.pages.formatting import relative
from webapp.pages.rows import Progress, render_progress, sse
from webapp.runtime import Runtime

CLEANUP = "task_history_cleanup"
SUBTITLES = "task_missing_subtitles"


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-task-id="([^"]+)"', html)


def test_unauthenticated_pages_redirect_to_login(client: FlaskClient) -> None:
    for path in ("/", "/events/tasks"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    assert client.post(f"/tasks/{CLEANUP}/run").status_code in (302, 403)


def test_the_list_shows_the_nine_tasks_with_their_controls(user: FlaskClient, runtime: Runtime) -> None:
    response = user.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert sorted(rows(html)) == sorted(t.id for t in runtime.tasks.list())
    assert len(rows(html)) == 9
    assert 'sse-connect="/events/tasks"' in html and 'hx-ext="sse"' in html
    # settle:0ms: htmx then wires the swapped-in row at once, so an event right behind
    # (cancelling, then cancelled) is not lost while the new row waits to settle.
    assert f'sse-swap="task-{CLEANUP}" hx-swap="outerHTML settle:0ms"' in html
    for action in ("run", "enabled", "interval"):
        assert f'action="/tasks/{CLEANUP}/{action}"' in html
    assert "/cancel" not in html  # nothing runs yet
    assert re.search(r'<time datetime="[^"]+Z" title="[^"]+ UTC">in \d+ (minute|hour|day)s?</time>', html)
    assert html.count(">never<") == 9
    assert 'aria-pressed="true"' in html
    assert "style=" not in html and "<script>" not in html.split("</head>")[1]


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(seconds=10), "just now"),
    (timedelta(minutes=3), "in 3 minutes"),
    (-timedelta(minutes=1), "1 minute ago"),
    (timedelta(hours=5), "in 5 hours"),
    (-timedelta(days=2, hours=1), "2 days ago"),
])
def test_relative_times(delta: timedelta, text: str) -> None:
    now = datetime(2024, 6, 20, 10, 0, tzinfo=timezone.utc)
    assert relative(now + delta, now) == text


def test_run_and_cancel_through_plain_forms(user: FlaskClient, token: str, runtime: Runtime) -> None:
    response = user.post(f"/tasks/{CLEANUP}/run", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert task(runtime, CLEANUP).status == "queued"  # no engine runs in the test app
    page = user.get("/").get_data(as_text=True)
    assert "Task queued for execution" in page
    assert f'action="/tasks/{CLEANUP}/cancel"' in page

    response = user.post(f"/tasks/{CLEANUP}/cancel", data={"csrf_token": token})
    assert response.status_code == 303
    assert task(runtime, CLEANUP).status == "idle"
    assert "Task cancellation requested" in user.get("/").get_data(as_text=True)


def test_cancel_of_an_idle_task_is_a_flashed_error(user: FlaskClient, token: str) -> None:
    response = user.post(f"/tasks/{CLEANUP}/cancel", data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    assert re.search(r'class="flash flash-error" role="alert">Task \S+ is not running<', response.get_data(as_text=True))


def test_enable_and_interval_through_plain_forms(user: FlaskClient, token: str, runtime: Runtime) -> None:
    response = user.post(f"/tasks/{CLEANUP}/enabled", data={"csrf_token": token, "enabled": "false"})
    assert response.status_code == 303
    assert task(runtime, CLEANUP).enabled is False and task(runtime, CLEANUP).next_run_at is None
    page = user.get("/").get_data(as_text=True)
    assert ">disabled<" in page

    response = user.post(f"/tasks/{SUBTITLES}/interval", data={"csrf_token": token, "interval": "3", "unit": "hours"})
    assert response.status_code == 303
    assert (task(runtime, SUBTITLES).interval, task(runtime, SUBTITLES).interval_unit) == (3, "hours")
    assert "now runs every 3 hours" in user.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("interval", "unit", "message"), [
    ("1", "minutes", "below this task&#39;s minimum"),
    ("400", "days", "above the maximum"),
    ("abc", "hours", "&#39;interval&#39; must be an integer from 1 to 525600"),
    ("5", "weeks", "Unit must be minutes, hours or days"),
])
def test_bad_intervals_show_the_error_and_change_nothing(
    user: FlaskClient, token: str, runtime: Runtime, interval: str, unit: str, message: str,
) -> None:
    before = task(runtime, SUBTITLES)
    data = {"csrf_token": token, "interval": interval, "unit": unit}
    response = user.post(f"/tasks/{SUBTITLES}/interval", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    htmx = user.post(f"/tasks/{SUBTITLES}/interval", data=data, headers={"HX-Request": "true"})
    assert htmx.status_code == 200
    assert re.search(r'role="alert">[^<]*' + re.escape(message), htmx.get_data(as_text=True))
    assert task(runtime, SUBTITLES) == before


def test_htmx_actions_answer_with_the_row_alone(user: FlaskClient, token: str, runtime: Runtime) -> None:
    headers = {"HX-Request": "true"}
    # Run and cancel: the event stream brings the row (in order); the answer swaps nothing.
    response = user.post(f"/tasks/{CLEANUP}/run", data={"csrf_token": token}, headers=headers)
    assert response.status_code == 204 and response.data == b""
    assert task(runtime, CLEANUP).status == "queued"
    response = user.post(f"/tasks/{CLEANUP}/cancel", data={"csrf_token": token}, headers=headers)
    assert response.status_code == 204
    assert task(runtime, CLEANUP).status == "idle"
    html = user.post(f"/tasks/{CLEANUP}/cancel", data={"csrf_token": token}, headers=headers).get_data(as_text=True)
    assert rows(html) == [CLEANUP] and "<html" not in html
    assert re.search(r'role="alert">Task \S+ is not running<', html)

    html = user.post(f"/tasks/{CLEANUP}/enabled", data={"csrf_token": token, "enabled": "false"},
                     headers=headers).get_data(as_text=True)
    assert rows(html) == [CLEANUP] and 'aria-pressed="false"' in html
    assert task(runtime, CLEANUP).enabled is False

    html = user.post(f"/tasks/{CLEANUP}/interval", data={"csrf_token": token, "interval": "2", "unit": "days"},
                     headers=headers).get_data(as_text=True)
    assert rows(html) == [CLEANUP] and '<option value="days" selected>' in html
    assert task(runtime, CLEANUP).interval == 2


def test_posts_without_the_csrf_token_are_refused(user: FlaskClient, runtime: Runtime) -> None:
    before = runtime.tasks.list()
    for action, data in (("run", {}), ("enabled", {"enabled": "false"}), ("interval", {"interval": "9", "unit": "days"})):
        assert user.post(f"/tasks/{CLEANUP}/{action}", data=data).status_code in (400, 403)
        bad = {**data, "csrf_token": "forged"}
        assert user.post(f"/tasks/{CLEANUP}/{action}", data=bad, headers={"HX-Request": "true"}).status_code in (400, 403)
    assert runtime.tasks.list() == before


def test_unknown_task_is_404(user: FlaskClient, token: str) -> None:
    for action in ("run", "cancel", "enabled", "interval"):
        assert user.post(f"/tasks/task_nope/{action}", data={"csrf_token": token}).status_code == 404


def test_progress_is_shown_and_titles_are_escaped(app: Flask, runtime: Runtime) -> None:
    progress = Progress(7, 80, "<script>alert(1)</script> & co")
    with app.test_request_context("/"):
        html = render_progress(SUBTITLES, "Missing Subtitles", progress)
    assert f'sse-swap="progress-{SUBTITLES}"' in html
    assert '<progress max="80" value="7"' in html and "7 / 80" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html and "<script>" not in html


def test_sse_prefixes_every_line() -> None:
    assert sse("task-a", "<tr>\n<td>x</td>\n</tr>", 5) == (
        "id: 5\nevent: task-a\ndata: <tr>\ndata: <td>x</td>\ndata: </tr>\n\n"
    )


def test_the_event_stream_sends_rendered_rows(user: FlaskClient, runtime: Runtime) -> None:
    response = user.get("/events/tasks")
    try:
        assert response.status_code == 200 and response.mimetype == "text/event-stream"
        chunks = iter(response.response)
        assert read_until(chunks, ": connected").startswith("retry: ")
        runtime.tasks.run(CLEANUP, force=False, options={}, now=now_utc())
        text = read_until(chunks, "</tr>")
        message = text[text.index(f"event: task-{CLEANUP}"):]
        lines = message[:message.index("\n\n")].split("\n")
        assert all(line.startswith("data: ") for line in lines[1:])
        assert f'data: <tr data-task-id="{CLEANUP}"' in message and "badge-queued" in message

        with runtime.db.write() as db_session:
            append_event(db_session, "task:progress", SUBTITLES, now_utc(), executionId="r", processed=3, total=9,
                         currentItem="Heat (1995)")
        runtime.broker.notify()
        text = read_until(chunks, "Heat (1995)")
        assert f"event: progress-{SUBTITLES}\n" in text and 'data: <progress max="9" value="3"' in text.replace("  ", "")
    finally:
        response.close()
    assert runtime.broker.subscriber_count() == 0


def test_a_reconnect_gets_every_row_again(user: FlaskClient, runtime: Runtime) -> None:
    response = user.get("/events/tasks", headers={"Last-Event-ID": "0"})
    try:
        chunks = iter(response.response)
        text = read_until(chunks, "task-task_")
        while text.count("</tr>") < 9:
            text += next(chunks).decode()
        assert len(set(re.findall(r"event: (task-\w+)", text))) == 9
    finally:
        response.close()


def test_a_page_that_fails_answers_an_html_error_without_details(
    user: FlaskClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(runtime.tasks, "derived", explode)
    response = user.get("/", headers={"Accept": "text/html"})
    assert response.status_code == 500 and response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "Error 500" in body and "secret internals" not in body and "Traceback" not in body


def queue_and_cancel(runtime: Runtime, task_id: str, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        ids.append(runtime.tasks.run(task_id, force=False, options={}, now=now_utc()).run_id)
        runtime.tasks.cancel(task_id, now_utc())
    return ids


def test_history_pages_newest_first_with_a_status_filter(user: FlaskClient, runtime: Runtime) -> None:
    ids = queue_and_cancel(runtime, "task_upgrade", 27)
    first = user.get("/tasks/task_upgrade/history").get_data(as_text=True)
    shown = re.findall(r'data-run-id="([^"]+)"', first)
    assert shown == ids[::-1][:25]
    assert "27 runs" in first and "Page 1 of 2" in first and 'rel="next"' in first
    second = user.get("/tasks/task_upgrade/history?page=2").get_data(as_text=True)
    assert re.findall(r'data-run-id="([^"]+)"', second) == ids[1::-1]
    completed = user.get("/tasks/task_upgrade/history?status=completed").get_data(as_text=True)
    assert re.findall(r'data-run-id="([^"]+)"', completed) == [] and "No runs with status completed" in completed
    assert user.get("/").get_data(as_text=True).count('/history"') == 9  # every row links to its history


def test_a_kept_history_page_shows_the_next_run_and_carries_each_readers_own_token(
    user: FlaskClient, app: Flask, runtime: Runtime
) -> None:
    first = queue_and_cancel(runtime, "task_upgrade", 1)
    page = user.get("/tasks/task_upgrade/history").get_data(as_text=True)
    assert re.findall(r'data-run-id="([^"]+)"', page) == first
    other = app.test_client()
    login = csrf_of(other.get("/login").get_data(as_text=True))
    other.post("/login", data={"username": "owner", "password": PASSWORD, "csrf_token": login})
    theirs = other.get("/tasks/task_upgrade/history").get_data(as_text=True)
    assert "csrf-" not in theirs  # the kept page's slot is always filled
    # A token is signed with the time it was made: its first part is the session's own secret.
    assert session_part(theirs) == session_part(other.get("/settings").get_data(as_text=True)) != session_part(page)
    second = queue_and_cancel(runtime, "task_upgrade", 1)
    again = user.get("/tasks/task_upgrade/history").get_data(as_text=True)
    assert re.findall(r'data-run-id="([^"]+)"', again) == second + first
    assert session_part(again) == session_part(page)


def session_part(html: str) -> str:
    return csrf_of(html).split(".")[0]


@pytest.mark.parametrize("query, status", [("page=0", 400), ("page=x", 400), ("status=done", 400)])
def test_history_refuses_bad_queries(user: FlaskClient, query: str, status: int) -> None:
    assert user.get(f"/tasks/task_upgrade/history?{query}").status_code == status


def test_history_of_an_unknown_task_is_404_and_needs_login(user: FlaskClient, client: FlaskClient) -> None:
    assert user.get("/tasks/nope/history").status_code == 404
    user.post("/logout", data={"csrf_token": csrf_of(user.get("/").get_data(as_text=True))})
    assert client.get("/tasks/task_upgrade/history").status_code == 302
