"""The dashboard in Chromium against a real ``serve`` process: log in, watch a run live,
cancel it, re-time and toggle tasks, the no-JavaScript path and CSRF refusal."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from browser import Session, dashboard_server, logged_in, open_session
from servers import Server, wait_until

pytestmark = pytest.mark.browser

SUBTITLES = "task_missing_subtitles"  # ~8 s with 300 items and 100 ms per item
CLEANUP = "task_history_cleanup"  # no items: finishes at once
UPGRADE = "task_upgrade"  # minimum interval 60 minutes


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with dashboard_server(tmp_path_factory.mktemp("browser"), 300, CINEPHAGE_ITEM_DELAY_MS="100") as server:
        yield server


@pytest.fixture
def session(browser: Browser, server: Server) -> Iterator[Session]:
    with logged_in(browser, server) as session:
        yield session


def wait_api(server: Server, task_id: str, predicate, timeout: float = 10) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The task as the API shows it, once ``predicate`` accepts it."""

    def accepted() -> dict | None:  # type: ignore[type-arg]
        task = server.task(task_id)
        return task if predicate(task) else None

    return wait_until(accepted, timeout, f"the API to show {task_id} changed")


def progress_value(session: Session, task_id: str) -> int:
    return int(session.row(task_id).locator("progress").get_attribute("value") or 0)


def test_login_shows_the_nine_tasks(session: Session, server: Server) -> None:
    expect(session.page.locator("[data-task-id]")).to_have_count(9)
    ids = {t["id"] for t in server.get("/api/tasks").json()["tasks"]}
    assert set(session.page.locator("[data-task-id]").evaluate_all("rows => rows.map(r => r.dataset.taskId)")) == ids
    expect(session.row(SUBTITLES).locator(".badge")).to_have_text("idle")


def test_a_run_updates_live_and_can_be_cancelled(session: Session, server: Server) -> None:
    page, row = session.page, session.row(SUBTITLES)
    page.evaluate("window.notReloaded = true")
    row.get_by_role("button", name="Run now").click()
    expect(row.locator(".badge")).to_have_text("running", timeout=10_000)
    expect(row.locator("progress")).to_be_visible(timeout=5_000)
    first = progress_value(session, SUBTITLES)
    wait_until(lambda: progress_value(session, SUBTITLES) > first, 5, "the progress bar to move", 0.1)
    expect(row.locator(".progress .count")).to_contain_text(" / ")
    run_id = server.task(SUBTITLES)["currentExecutionId"]
    assert run_id

    row.get_by_role("button", name="Cancel").click()
    expect(row.locator(".badge")).to_have_text("idle", timeout=10_000)
    expect(row.locator("progress")).to_have_count(0)
    expect(row.get_by_role("button", name="Run now")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    assert server.wait_run(run_id, ("cancelled",))["status"] == "cancelled"
    # Each worker's task list is cached until its broker reads the run's events (every 0.1 s here).
    wait_api(server, SUBTITLES, lambda t: t["status"] == "idle", 5)


def test_retime_and_toggle_from_the_page(session: Session, server: Server) -> None:
    row = session.row(UPGRADE)
    row.get_by_label("Interval of").fill("3")
    row.get_by_label("Unit").select_option("days")
    row.get_by_role("button", name="Save").click()
    wait_api(server, UPGRADE, lambda t: (t["interval"], t["intervalUnit"]) == (3, "days"))
    expect(row.get_by_label("Unit")).to_have_value("days")

    switch = row.locator("button.switch")
    expect(switch).to_have_attribute("aria-pressed", "true")
    switch.click()
    expect(switch).to_have_attribute("aria-pressed", "false")
    expect(row).to_contain_text("disabled")
    wait_api(server, UPGRADE, lambda t: t["enabled"] is False and t["nextRunAt"] is None)
    switch.click()
    expect(switch).to_have_attribute("aria-pressed", "true")
    wait_api(server, UPGRADE, lambda t: t["enabled"] is True and t["nextRunAt"] is not None)

    row.get_by_label("Interval of").fill("1")
    row.get_by_label("Unit").select_option("minutes")
    row.get_by_role("button", name="Save").click()
    expect(row.get_by_role("alert")).to_contain_text("below this task's minimum")
    assert server.task(UPGRADE)["intervalUnit"] == "days"


def test_without_javascript_the_plain_forms_work(browser: Browser, server: Server) -> None:
    before = server.get(f"/api/tasks/{CLEANUP}/history").json()["pagination"]["total"]
    session = open_session(browser, server, javascript=False)
    try:
        session.row(CLEANUP).get_by_role("button", name="Run now").click()
        expect(session.page).to_have_url(server.url("/"))
        expect(session.page.locator(".flash")).to_have_text("Task queued for execution")
        assert server.get(f"/api/tasks/{CLEANUP}/history").json()["pagination"]["total"] == before + 1
    finally:
        session.context.close()
    assert session.errors == []


def test_posts_without_the_csrf_token_are_refused(session: Session, server: Server) -> None:
    before = server.task(CLEANUP)
    request = session.context.request
    assert request.post(server.url(f"/tasks/{CLEANUP}/enabled"), form={"enabled": "false"}).status == 403
    forged = {"enabled": "false", "csrf_token": "forged"}
    assert request.post(server.url(f"/tasks/{CLEANUP}/enabled"), form=forged, headers={"HX-Request": "true"}).status == 403
    status = session.page.evaluate(
        """async (url) => (await fetch(url, {method: "POST", body: new URLSearchParams({enabled: "false"})})).status""",
        f"/tasks/{CLEANUP}/enabled",
    )
    assert status == 403
    session.errors[:] = [e for e in session.errors if "status of 403" not in e]  # the expected refusal, logged
    assert server.task(CLEANUP)["enabled"] == before["enabled"] is True


def test_phone_width_dark_theme_and_keyboard(browser: Browser, server: Server) -> None:
    session = open_session(browser, server, viewport={"width": 390, "height": 800}, color_scheme="dark")
    try:
        page = session.page
        expect(page.locator("[data-task-id]")).to_have_count(9)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "sideways scrolling"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(18, 20, 23)"
        assert page.locator("thead").bounding_box()["height"] <= 1  # type: ignore[index]  # rows are cards
        switch = session.row(CLEANUP).locator("button.switch")
        switch.focus()
        page.keyboard.press("Enter")
        expect(switch).to_have_attribute("aria-pressed", "false")
        expect(switch).to_be_focused()  # the swapped-in row keeps the keyboard's place
        page.keyboard.press("Space")
        expect(switch).to_have_attribute("aria-pressed", "true")
        wait_api(server, CLEANUP, lambda t: t["enabled"] is True)
    finally:
        session.context.close()
    assert session.errors == []
