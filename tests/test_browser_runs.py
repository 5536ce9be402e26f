"""History and run pages in Chromium against a real ``serve``: paging, filters, a run page that
follows its run live and stops listening when it ends, printing to PDF and the CSV download."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from browser import Session, dashboard_server, logged_in, open_session
from builders import T0, add_run
from servers import Server, wait_until
from webapp.db import Database

pytestmark = pytest.mark.browser

UPGRADE = "task_upgrade"  # 100 runs made up by the fixture: every fourth one failed
EPISODES = "task_missing_episodes"  # one finished run with 130 activity rows
SUBTITLES = "task_missing_subtitles"  # a real run of a few seconds (100 ms per item)
RUNS = 100


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with dashboard_server(tmp_path_factory.mktemp("browser-runs"), 300, CINEPHAGE_ITEM_DELAY_MS="100") as server:
        yield server


@pytest.fixture(scope="module")
def big_run(server: Server) -> Iterator[str]:
    """Made-up history in the server's database: ``RUNS`` runs of ``UPGRADE`` a minute apart,
    and a finished run of ``EPISODES`` with 130 activity rows, whose id this is."""
    database = Database(server.env["DATABASE_URL"])
    try:
        for i in range(RUNS):
            failed = i % 4 == 0
            add_run(database, status="failed" if failed else "completed", created=T0 + timedelta(minutes=i),
                    error="Provider timed out" if failed else None)
        yield add_run(database, EPISODES, rows=130)
    finally:
        database.dispose()


@pytest.fixture
def session(browser: Browser, server: Server) -> Iterator[Session]:
    with logged_in(browser, server) as session:
        yield session


def started(i: int) -> str:
    """The printed start time of the fixture's run ``i``."""
    return (T0 + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S UTC")


def pdf_pages(page: Page) -> list[str]:
    """The page printed to PDF as the print stylesheet lays it out: the text of each sheet."""
    page.emulate_media(media="print")
    reader = PdfReader(io.BytesIO(page.pdf(format="A4")))
    return [sheet.extract_text() for sheet in reader.pages]


def test_page_through_history_and_open_a_run(session: Session, server: Server, big_run: str) -> None:
    page = session.page
    page.goto(f"/tasks/{UPGRADE}/history")
    rows = page.locator("[data-run-id]")
    expect(rows).to_have_count(25)
    expect(page.locator(".pager")).to_contain_text(f"Page 1 of {RUNS // 25}")
    page.get_by_role("link", name="Older →").click()
    expect(page.locator(".pager")).to_contain_text("Page 2 of 4")
    expect(rows).to_have_count(25)
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"status=failed"))
    expect(rows).to_have_count(25)
    expect(page.locator(".badge-failed")).to_have_count(25)
    newest_failed = rows.first.get_attribute("data-run-id")
    rows.first.get_by_role("link").click()
    expect(page).to_have_url(server.url(f"/runs/{newest_failed}"))
    expect(page.locator(".summary")).to_have_attribute("data-run-status", "failed")
    expect(page.locator(".summary-error")).to_contain_text("Provider timed out")
    expect(page.locator("[sse-connect]")).to_have_count(0)


def test_page_filter_and_search_activity(session: Session, big_run: str) -> None:
    page = session.page
    page.goto(f"/runs/{big_run}")
    rows = page.locator("[data-activity-id]")
    expect(rows).to_have_count(50)
    expect(rows.first).to_contain_text("Item 129")
    page.get_by_role("link", name="Older →").click()
    expect(rows).to_have_count(50)
    page.get_by_role("link", name="Older →").click()
    expect(page.locator(".pager")).to_contain_text("Page 3 of 3")
    expect(rows).to_have_count(30)
    expect(rows.last).to_contain_text("Item 0")

    page.get_by_label("Status").select_option("failed")
    page.get_by_label("Title").fill("item 1")
    page.get_by_role("button", name="Show").click()
    expected = [f"Item {i}" for i in range(129, -1, -1) if i % 4 == 3 and "Item 1" in f"Item {i}"]
    expect(page.locator(".activity-count")).to_contain_text(f"{len(expected)} rows (status failed, title contains “item 1”)")
    assert [text.strip() for text in rows.locator("td:nth-child(2)").all_inner_texts()] == expected


def test_a_running_run_updates_live_and_lets_go_of_the_stream_when_it_ends(session: Session, server: Server) -> None:
    run_id = server.post(f"/api/tasks/{SUBTITLES}/run", json={}).json()["executionId"]
    page = session.page
    page.goto(f"/runs/{run_id}")
    expect(page.locator("#run-live[sse-connect]")).to_have_count(1)
    page.evaluate("window.notReloaded = true")
    processed = page.locator(".summary .processed")
    expect(page.locator(".summary")).to_have_attribute("data-run-status", "running")
    newest = page.locator("[data-activity-id]").first
    first = (int(processed.inner_text()), newest.get_attribute("data-activity-id") if newest.count() else None)
    wait_until(lambda: int(processed.inner_text()) > first[0] and newest.count()
               and newest.get_attribute("data-activity-id") != first[1], 8, "the summary and the activity to move", 0.2)

    assert server.post(f"/api/tasks/{SUBTITLES}/cancel", json={}).status_code == 200
    expect(page.locator(".summary")).to_have_attribute("data-run-status", "cancelled", timeout=10_000)
    expect(page.locator("[sse-connect]")).to_have_count(0)  # the live part went, and its stream with it
    expect(page.locator("[hx-trigger]")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True
    final = server.wait_run(run_id, ("cancelled",))
    expect(processed).to_have_text(str(final["itemsProcessed"]))
    expect(page.locator(".activity-count")).to_contain_text(f"{final['itemsProcessed']} row")


def test_print_a_history_page_to_pdf(session: Session, server: Server, big_run: str) -> None:
    page = session.page
    page.goto(f"/tasks/{UPGRADE}/history?status=completed")
    page.get_by_role("link", name="Print").click()
    expect(page).to_have_url(server.url(f"/tasks/{UPGRADE}/history/print?status=completed"))
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.printed") is True

    sheets = pdf_pages(page)
    text = "\n".join(sheets)
    assert len(sheets) > 1
    header = sheets[0].lower()  # the header's labels are in capitals
    assert "history of quality upgrade\nfilter\nstatus completed\nprinted\n" in header
    completed = [i for i in range(RUNS) if i % 4]
    assert all(started(i) in text for i in completed)  # every row, not one screen page of 25
    assert not any(started(i) in text for i in range(0, RUNS, 4))
    assert f"{len(completed)} runs." in text
    for chrome in ("Log out", "Settings", "← Back", "Download CSV", "Older", "Page 1 of"):
        assert chrome not in text, chrome
    assert not re.search(r"\bPrint\b", text)  # the button ("Printed" is the header's)
    assert all(sheet.count("Started") == 1 for sheet in sheets)  # the table's head on every sheet
    assert page.evaluate("getComputedStyle(document.querySelector('tbody tr')).breakInside") == "avoid"


def test_a_paged_page_prints_without_its_chrome(session: Session, big_run: str) -> None:
    page = session.page
    page.goto(f"/runs/{big_run}?page=2")
    text = "\n".join(pdf_pages(page))
    assert "Run of Missing Episodes" in text and "Item 79" in text and "Item 30" in text
    for chrome in ("Log out", "All tasks", "Older", "Newer", "Page 2 of", "Download CSV", "Show"):
        assert chrome not in text, chrome
    assert not re.search(r"\bPrint\b", text)


def test_the_csv_download_holds_the_filtered_table(session: Session, big_run: str) -> None:
    page = session.page
    page.goto(f"/runs/{big_run}?status=skipped")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert re.fullmatch(rf"{big_run}-activity-skipped-\d{{8}}T\d{{6}}Z\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["mediaTitle"] for row in rows] == [f"Item {i}" for i in range(129, -1, -1) if i % 4 == 2]


def test_without_javascript_the_print_view_is_a_plain_page(browser: Browser, server: Server, big_run: str) -> None:
    session = open_session(browser, server, javascript=False)
    try:
        page = session.page
        page.goto(f"/runs/{big_run}/print?search=Item 12")
        expect(page.get_by_role("heading", name=re.compile("Run of Missing Episodes"))).to_be_visible()
        expect(page.locator("button[data-print]")).to_be_hidden()
        expect(page.locator("[data-activity-id]")).to_have_count(11)  # Item 12 and Item 120..129
    finally:
        session.context.close()
    assert session.errors == []


def test_at_phone_width_the_tables_scroll_and_the_page_does_not(browser: Browser, server: Server, big_run: str) -> None:
    session = open_session(browser, server, viewport={"width": 390, "height": 800})
    try:
        page = session.page
        for path in (f"/tasks/{UPGRADE}/history", f"/runs/{big_run}", f"/tasks/{UPGRADE}/history/print"):
            page.goto(path)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    finally:
        session.context.close()
    assert session.errors == []
