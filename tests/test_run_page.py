"""The run page, the print views and the CSV exports at test-client level: summary, paged and
filtered activity, live wiring and its partials, whole filtered tables, escaping, 400/404, login."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, update

from builders import T0, UPGRADE, add_run, read_until
from webapp.clock import now_utc
from webapp.engine.events import append_event
from webapp.errors import NotFound
from webapp.models import TaskRun
from webapp.pages.reports import csv_cell, server_time
from webapp.runtime import Runtime
from webapp.services.history import EXPORT_BATCH


def shown_activity(html: str) -> list[str]:
    return re.findall(r'data-activity-id="(\d+)"', html)


def shown_titles(html: str) -> list[str]:
    return re.findall(r"<td>(Item \d+)</td>", html)


def shown_runs(html: str) -> list[str]:
    return re.findall(r'data-run-id="([^"]+)"', html)


def csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


# --- the run page ---------------------------------------------------------------------------------


def test_a_finished_run_shows_its_summary_and_the_first_page_of_activity(user: FlaskClient, runtime: Runtime) -> None:
    run_id = add_run(runtime.db, rows=120, error="Provider <Acme> timed out & gave up")
    html = user.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "Run of Quality Upgrade" in html and run_id in html
    assert 'data-run-status="completed"' in html and "badge-completed" in html
    assert "1 min 15 s" in html and "2024-06-20 10:00:00 UTC" in html and "2024-06-20 10:01:15 UTC" in html
    assert "120</span> of 120" in html and "<dt>Affected</dt><dd>7</dd>" in html and "scheduled" in html
    assert "Provider &lt;Acme&gt; timed out &amp; gave up" in html
    assert shown_titles(html) == [f"Item {i}" for i in range(119, 69, -1)]  # newest first, 50 a page
    assert "120 rows" in html and "Page 1 of 3" in html
    assert f'href="/runs/{run_id}?page=2"' in html and 'rel="prev"' not in html
    assert "sse-connect" not in html and "hx-get" not in html  # finished: nothing live
    assert f'href="/runs/{run_id}/print"' in html and f'href="/runs/{run_id}/activity.csv"' in html


def test_activity_pages_filters_and_search(user: FlaskClient, runtime: Runtime) -> None:
    run_id = add_run(runtime.db, rows=120)
    last = user.get(f"/runs/{run_id}?page=3").get_data(as_text=True)
    assert shown_titles(last) == [f"Item {i}" for i in range(19, -1, -1)]
    assert "Page 3 of 3" in last and 'rel="next"' not in last and f'href="/runs/{run_id}?page=2"' in last

    failed = user.get(f"/runs/{run_id}?status=failed").get_data(as_text=True)
    assert shown_titles(failed) == [f"Item {i}" for i in range(119, 0, -4)][:50]
    assert "30 rows (status failed)" in failed and '<option value="failed" selected>' in failed
    assert "Page 1 of 1" not in failed  # one page: no pager

    found = user.get(f"/runs/{run_id}?search=item 11&status=failed").get_data(as_text=True)
    assert shown_titles(found) == ["Item 119", "Item 115", "Item 111", "Item 11"]
    assert 'value="item 11"' in found and "4 rows (status failed, title contains “item 11”)" in found
    assert "print?status=failed&amp;search=item+11" in found


def test_search_treats_like_wildcards_as_text_and_titles_are_escaped(user: FlaskClient, runtime: Runtime) -> None:
    titles = ["100% <script>alert(1)</script>", "1000 Ways", "snake_case", "snakeXcase", None]
    run_id = add_run(runtime.db, titles=titles)
    html = user.get(f"/runs/{run_id}?search=100%25").get_data(as_text=True)
    assert len(shown_activity(html)) == 1 and "100% &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert len(shown_activity(user.get(f"/runs/{run_id}?search=snake_").get_data(as_text=True))) == 1
    assert "no item" in user.get(f"/runs/{run_id}").get_data(as_text=True)  # a row about no media item


@pytest.mark.parametrize("query", ["page=0", "page=x", "status=done", "search=" + "x" * 201])
@pytest.mark.parametrize("path", ["", "/print", "/activity.csv"])
def test_bad_queries_are_400(user: FlaskClient, runtime: Runtime, path: str, query: str) -> None:
    run_id = add_run(runtime.db, rows=1)
    response = user.get(f"/runs/{run_id}{path}?{query}", headers={"Accept": "text/html"})
    assert response.status_code == 400 and response.mimetype == "text/html"


@pytest.mark.parametrize("path", [
    "/runs/exec_nope", "/runs/exec_nope/print", "/runs/exec_nope/activity.csv",
    "/tasks/task_nope/history/print", "/tasks/task_nope/history.csv",
])
def test_unknown_runs_and_tasks_are_404(user: FlaskClient, path: str) -> None:
    assert user.get(path, headers={"Accept": "text/html"}).status_code == 404


def test_every_new_page_needs_login(client: FlaskClient, runtime: Runtime) -> None:
    run_id = add_run(runtime.db, rows=1)
    for path in (f"/runs/{run_id}", f"/runs/{run_id}/print", f"/runs/{run_id}/activity.csv",
                 f"/tasks/{UPGRADE}/history/print", f"/tasks/{UPGRADE}/history.csv"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path


# --- live while it runs ---------------------------------------------------------------------------


def test_a_running_run_listens_to_its_own_events_and_refreshes_page_one(user: FlaskClient, runtime: Runtime) -> None:
    run_id = add_run(runtime.db, status="running", rows=60)
    html = user.get(f"/runs/{run_id}").get_data(as_text=True)
    assert f'id="run-live" class="run-live" hx-ext="sse" sse-connect="/events/runs/{run_id}"' in html
    here = f'hx-get="/runs/{run_id}?page=1"'
    progress = 'hx-trigger="sse:progress throttle:1s"'
    # The run's events refresh the summary at once, from an element no throttle holds back.
    assert re.search(rf'id="run-summary"[^>]*{re.escape(here)} hx-trigger="sse:run, htmx:sseOpen', html)
    assert f'<span hidden {here} {progress} hx-target="#run-summary"' in html
    assert re.search(rf'id="run-activity"[^>]*{re.escape(here)} {progress} hx-target="this"', html)
    later = user.get(f"/runs/{run_id}?page=2&status=failed").get_data(as_text=True)
    assert later.count("hx-trigger=") == 2  # page 2 stays put; only the summary refreshes
    assert 'id="run-activity" aria-label="Activity">' in later
    assert f'hx-get="/runs/{run_id}?page=2&amp;status=failed"' in later


def test_htmx_asks_for_one_piece_and_an_ended_run_drops_the_stream(user: FlaskClient, runtime: Runtime) -> None:
    run_id = add_run(runtime.db, status="running", rows=3)

    def part(target: str) -> tuple[str, dict[str, str]]:
        response = user.get(f"/runs/{run_id}?page=1", headers={"HX-Request": "true", "HX-Target": target})
        assert response.status_code == 200
        return response.get_data(as_text=True), dict(response.headers)

    summary, headers = part("run-summary")
    assert "<html" not in summary and summary.lstrip().startswith("<dl") and "HX-Retarget" not in headers
    assert 'data-run-status="running"' in summary and "<progress" in summary
    activity, _ = part("run-activity")
    assert activity.count("data-activity-id") == 3 and "<dl" not in activity and "<html" not in activity

    with runtime.db.write() as session:
        session.execute(update(TaskRun).where(TaskRun.id == run_id).values(status="failed", error="Interrupted"))
    ended, headers = part("run-summary")
    assert headers["HX-Retarget"] == "#run-live" and headers["HX-Reswap"] == "outerHTML"
    assert ended.lstrip().startswith('<div id="run-live"') and "sse-connect" not in ended and "hx-trigger" not in ended
    assert 'data-run-status="failed"' in ended and "Interrupted" in ended and ended.count("data-activity-id") == 3


def test_a_queued_run_is_live_and_shown_queued(user: FlaskClient, runtime: Runtime) -> None:
    run_id = runtime.tasks.run(UPGRADE, force=True, options={}, now=now_utc()).run_id
    html = user.get(f"/runs/{run_id}").get_data(as_text=True)
    assert 'data-run-status="queued"' in html and "sse-connect" in html
    assert "manual, forced" in html and "not yet" in html and "No activity yet." in html


def test_the_run_stream_sends_its_own_run_events_only(user: FlaskClient, runtime: Runtime) -> None:
    run_id, other = add_run(runtime.db, status="running"), add_run(runtime.db)
    assert user.get("/events/runs/exec_nope").status_code == 404
    response = user.get(f"/events/runs/{run_id}")
    try:
        chunks = iter(response.response)
        read_until(chunks, ": connected")
        with runtime.db.write() as session:
            for execution in (other, run_id):
                append_event(session, "task:progress", UPGRADE, now_utc(), executionId=execution, processed=1, total=2)
            append_event(session, "task:updated", UPGRADE, now_utc(), enabled=False)
            append_event(session, "task:cancelled", UPGRADE, now_utc(), executionId=run_id, status="cancelled")
        runtime.broker.notify()
        text = read_until(chunks, "event: run\n")
        assert text.count("event: ") == 2 and text.index("event: progress\n") < text.index("event: run\n")
        assert f"data: {run_id}\n" in text and other not in text
    finally:
        response.close()
    assert runtime.broker.subscriber_count() == 0


# --- history page links and print views -----------------------------------------------------------


def cancelled_and_completed(runtime: Runtime, count: int) -> list[str]:
    """``count`` runs a minute apart, every third one cancelled; their ids newest first."""
    ids = [add_run(runtime.db, status="cancelled" if i % 3 == 0 else "completed", created=T0 + timedelta(minutes=i))
           for i in range(count)]
    return ids[::-1]


def test_history_rows_link_to_their_runs_and_offer_print_and_csv(user: FlaskClient, runtime: Runtime) -> None:
    ids = cancelled_and_completed(runtime, 3)
    html = user.get(f"/tasks/{UPGRADE}/history?status=completed").get_data(as_text=True)
    for run_id in ids[:2]:
        assert f'<a href="/runs/{run_id}">' in html
    assert f'href="/tasks/{UPGRADE}/history/print?status=completed"' in html
    assert f'href="/tasks/{UPGRADE}/history.csv?status=completed"' in html


def test_history_print_view_holds_every_filtered_run(user: FlaskClient, runtime: Runtime) -> None:
    ids = cancelled_and_completed(runtime, 61)  # more than two screen pages of 25
    response = user.get(f"/tasks/{UPGRADE}/history/print")
    assert response.status_code == 200 and response.is_streamed
    html = response.get_data(as_text=True)
    assert shown_runs(html) == ids
    assert "<h1>History of Quality Upgrade</h1>" in html and "<dd>all runs</dd>" in html
    assert re.search(r"<dt>Printed</dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", html)
    assert "61 runs." in html and 'class="pager"' not in html and "data-print hidden" in html
    assert "2024-06-20 11:00:00 UTC" in html and "ago</time>" not in html  # absolute times on paper

    cancelled = user.get(f"/tasks/{UPGRADE}/history/print?status=cancelled").get_data(as_text=True)
    assert shown_runs(cancelled) == [run_id for i, run_id in enumerate(ids[::-1]) if i % 3 == 0][::-1]
    assert "<dd>status cancelled</dd>" in cancelled and "21 runs." in cancelled
    assert f'href="/tasks/{UPGRADE}/history?status=cancelled">← Back' in cancelled


def test_run_print_view_holds_every_filtered_row_and_the_summary(user: FlaskClient, runtime: Runtime) -> None:
    run_id = add_run(runtime.db, rows=130)
    html = user.get(f"/runs/{run_id}/print").get_data(as_text=True)
    assert shown_titles(html) == [f"Item {i}" for i in range(129, -1, -1)]
    assert "130 activity rows." in html and 'data-run-status="completed"' in html and "<dd>all activity</dd>" in html
    found = user.get(f"/runs/{run_id}/print?status=grabbed&search=Item 1").get_data(as_text=True)
    expected = [f"Item {i}" for i in range(129, -1, -1) if i % 4 == 0 and "Item 1" in f"Item {i}"]
    assert shown_titles(found) == expected and len(expected) > 1
    assert "<dd>status grabbed, title contains “Item 1”</dd>" in found


def test_print_views_escape_titles(user: FlaskClient, runtime: Runtime) -> None:
    run_id = add_run(runtime.db, titles=["<img src=x onerror=alert(1)>"], error="<b>bad</b>")
    html = user.get(f"/runs/{run_id}/print?search=<img").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert "&lt;b&gt;bad&lt;/b&gt;" in html and "title contains “&lt;img”" in html


@pytest.mark.parametrize(("zone", "text"), [
    (ZoneInfo("Europe/Paris"), "2024-06-20 12:00:00 CEST"),
    (ZoneInfo("America/New_York"), "2024-06-20 06:00:00 EDT"),
    (timezone.utc, None),
])
def test_the_printed_time_names_the_server_zone_when_it_is_not_utc(zone: ZoneInfo, text: str | None) -> None:
    assert server_time(T0, zone) == text


# --- CSV ------------------------------------------------------------------------------------------


def test_history_csv_is_every_filtered_run(user: FlaskClient, runtime: Runtime) -> None:
    ids = cancelled_and_completed(runtime, 30)
    response = user.get(f"/tasks/{UPGRADE}/history.csv?status=completed")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="task_upgrade-history-completed-\d{8}T\d{6}Z\.csv"', disposition)
    assert response.data.startswith("\ufeffid,taskId,status,".encode())
    rows = csv_rows(response.data)
    assert [row["id"] for row in rows] == [run_id for i, run_id in enumerate(ids[::-1]) if i % 3][::-1]
    first = rows[0]
    assert (first["status"], first["queued"], first["trigger"], first["force"]) == ("completed", "false", "scheduled", "false")
    assert (first["duration"], first["itemsAffected"], first["error"]) == ("75000", "7", "")
    assert first["startedAt"] == "2024-06-20T10:29:00Z"


def test_activity_csv_is_every_filtered_row_with_formulas_defused(user: FlaskClient, runtime: Runtime) -> None:
    titles = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+2", "-3", "@SUM(A1)", "\tTab", "\rReturn",
              "Plain, \"quoted\" — ünïcode", None] + [f"Item {i}" for i in range(8, 1200)]
    run_id = add_run(runtime.db, titles=titles)
    response = user.get(f"/runs/{run_id}/activity.csv")
    assert response.status_code == 200 and response.is_streamed
    assert re.fullmatch(rf'attachment; filename="{run_id}-activity-\d{{8}}T\d{{6}}Z\.csv"',
                        response.headers["Content-Disposition"])
    rows = csv_rows(response.data)
    assert len(rows) == 1200 and list(rows[0]) == ["id", "historyId", "timestamp", "mediaId", "mediaTitle",
                                                    "action", "status", "message"]
    by_title = [row["mediaTitle"] for row in rows[::-1]][:8]
    assert by_title == ["'=HYPERLINK(\"http://evil\",\"x\")", "'+1+2", "'-3", "'@SUM(A1)", "'\tTab", "'\rReturn",
                        "Plain, \"quoted\" — ünïcode", ""]
    assert rows[0]["mediaTitle"] == "Item 1199" and rows[-1]["message"] == "message 0"
    searched = csv_rows(user.get(f"/runs/{run_id}/activity.csv?search=item 119&status=skipped").data)
    assert [(row["mediaTitle"], row["status"]) for row in searched] == [
        ("Item 1198", "skipped"), ("Item 1194", "skipped"), ("Item 1190", "skipped")]


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("a=b", "a=b"), ("", ""), (None, None), (42, 42), (True, "true"), (False, "false"),
])
def test_csv_cells(value: object, cell: object) -> None:
    assert csv_cell(value) == cell


# --- the whole-table reads ------------------------------------------------------------------------


def test_whole_table_reads_match_the_pages_across_batch_edges(runtime: Runtime) -> None:
    run_id = add_run(runtime.db, rows=23)
    paged = [row for page in (1, 2, 3) for row in runtime.history.activity(run_id, page, 10, None).items]
    assert list(runtime.history.all_activity(run_id, None, batch=5)) == paged
    assert list(runtime.history.all_activity(run_id, None, batch=23)) == paged
    skipped = runtime.history.activity(run_id, 1, 50, "skipped", "Item 1").items
    assert list(runtime.history.all_activity(run_id, "skipped", "Item 1", batch=2)) == skipped

    same_moment = [add_run(runtime.db, created=T0 + timedelta(hours=1)) for _ in range(7)]  # ties on created_at
    paged_runs = [run for page in (1, 2, 3) for run in
                  runtime.history.runs(UPGRADE, page, 3, None).items]
    assert len(paged_runs) == 8 and {run.id for run in paged_runs[:7]} == set(same_moment)
    assert list(runtime.history.all_runs(UPGRADE, None, batch=2)) == paged_runs


def test_whole_table_reads_check_their_run_or_task_at_once(runtime: Runtime) -> None:
    with pytest.raises(NotFound):
        runtime.history.all_activity("exec_nope", None)
    with pytest.raises(NotFound):
        runtime.history.all_runs("task_nope", None)



@pytest.mark.parametrize("path", ["/print", "/activity.csv"])
def test_whole_tables_are_sent_while_they_are_read(user: FlaskClient, runtime: Runtime, path: str) -> None:
    run_id = add_run(runtime.db, rows=3 * EXPORT_BATCH)
    batches: list[str] = []

    def count(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if "FROM task_activity" in statement and "ORDER BY" in statement:
            batches.append(statement)

    event.listen(runtime.db.engine, "before_cursor_execute", count)
    try:
        response = user.get(f"/runs/{run_id}{path}", buffered=False)
        chunks = iter(response.response)
        first = next(chunks)
        assert 1 <= len(batches) < 3 and len(first) < 200_000
        rest = b"".join(chunks)
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", count)
        response.close()
    assert len(batches) == 4  # three full batches, and the empty one that ends the table
    assert (first + rest).count(b"Item ") == 3 * EXPORT_BATCH
