"""The settings page and the task list's finer points in Chromium against a real ``serve``:
API keys created once, used and revoked (with and without JavaScript), live rows that leave
the user's typing alone, an axe-core audit of every page and keyboard focus."""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from browser import Session, dashboard_server, logged_in, open_session
from builders import PASSWORD
from servers import Server, wait_until

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
KEY = re.compile(r"^cinephage_[0-9a-f]{64}$")
SUBTITLES = "task_missing_subtitles"
CLEANUP = "task_history_cleanup"
UPGRADE = "task_upgrade"
REFRESH_SECONDS = 1  # the stream re-sends every row this often here (60 by default)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    refresh = {"CINEPHAGE_ROW_REFRESH_SECONDS": str(REFRESH_SECONDS)}
    with dashboard_server(tmp_path_factory.mktemp("browser-settings"), 40, **refresh) as server:
        yield server


@pytest.fixture
def session(browser: Browser, server: Server) -> Iterator[Session]:
    with logged_in(browser, server, permissions=["clipboard-read", "clipboard-write"]) as session:
        yield session


def api_status(server: Server, key: str) -> int:
    return requests.get(server.url("/api/tasks"), headers={"x-api-key": key}, timeout=10).status_code


def create_key(page: Page, name: str) -> str:
    page.get_by_label("Name of a new key").fill(name)
    page.get_by_role("button", name="Create key").click()
    field = page.get_by_label("New API key")
    expect(field).to_be_visible()
    # htmx focuses the autofocus field once the swap has settled: only then is the form the one to use.
    expect(field).to_be_focused()
    return field.input_value()


def key_row(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator("tr.key").filter(has=page.get_by_role("rowheader", name=name, exact=True))


# --- API keys -------------------------------------------------------------------------------------

def test_create_use_and_revoke_a_key(session: Session, server: Server) -> None:
    page = session.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page).to_have_url(server.url("/settings"))
    expect(page.get_by_role("link", name="Settings")).to_have_attribute("aria-current", "page")
    page.evaluate("window.notReloaded = true")

    key = create_key(page, "sonarr")
    assert KEY.match(key)
    assert page.evaluate("window.notReloaded") is True  # htmx swapped the section in place
    expect(page.get_by_label("New API key")).to_be_focused()
    expect(page.get_by_text("you will not see it again")).to_be_visible()
    page.get_by_role("button", name="Copy the new key").click()
    expect(page.get_by_role("status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == key
    assert api_status(server, key) == 200

    page.reload()
    assert key not in page.content()
    row = key_row(page, "sonarr")
    expect(row.locator("code")).to_have_text(key[:18] + "…")
    expect(row.locator('[data-label="Last used"]')).to_contain_text("just now")

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke sonarr").click()
    expect(page.get_by_role("status")).to_contain_text("Revoked the key “sonarr”")
    expect(page.get_by_role("status")).to_be_focused()
    expect(row.locator(".badge")).to_have_text("revoked")
    # At once in the worker that revoked it, within a second in the server's other workers.
    wait_until(lambda: api_status(server, key) == 401, 2, "the revoked key to be refused")


def test_a_dismissed_confirmation_keeps_the_key(session: Session, server: Server) -> None:
    page = session.page
    page.goto("/settings")
    key = create_key(page, "kept")
    page.once("dialog", lambda dialog: dialog.dismiss())
    key_row(page, "kept").get_by_role("button", name="Revoke kept").click()
    expect(key_row(page, "kept").locator(".badge")).to_have_text("active")
    assert api_status(server, key) == 200


def test_a_duplicate_name_is_refused_in_place(session: Session, server: Server) -> None:
    page = session.page
    page.goto("/settings")
    create_key(page, "dupe")
    page.get_by_label("Name of a new key").fill("DUPE")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("alert")).to_have_text("A live key is already named 'DUPE': choose another name")
    expect(page.get_by_label("Name of a new key")).to_be_focused()
    expect(page.get_by_label("Name of a new key")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("New API key")).to_have_count(0)


def test_without_javascript_keys_are_created_and_revoked(browser: Browser, server: Server) -> None:
    session = open_session(browser, server, javascript=False)
    try:
        page = session.page
        page.goto("/settings")
        key = create_key(page, "no-js")
        expect(page).to_have_url(server.url("/settings/api-keys"))  # the POST's own answer, no redirect
        expect(page.get_by_role("button", name="Copy the new key")).to_be_hidden()
        assert api_status(server, key) == 200

        page.goto("/settings")
        key_row(page, "no-js").get_by_role("button", name="Revoke no-js").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Revoke the key “no-js”?")
        assert api_status(server, key) == 200  # asked, not done
        page.get_by_role("button", name="Revoke key").click()
        expect(page).to_have_url(server.url("/settings"))
        expect(page.locator(".flash")).to_contain_text("Revoked the key “no-js”")
        wait_until(lambda: api_status(server, key) == 401, 2, "the revoked key to be refused")
    finally:
        session.context.close()
    assert session.errors == []


# --- Live rows ------------------------------------------------------------------------------------

def mark(page: Page, task_id: str) -> None:
    """Tags the row element now in the page: a swap replaces it with an untagged one."""
    page.evaluate("id => { document.querySelector(`[data-task-id='${id}']`).marked = true }", task_id)


def is_marked(page: Page, task_id: str) -> bool:
    return page.evaluate("id => document.querySelector(`[data-task-id='${id}']`).marked === true", task_id)


def wait_refreshes(page: Page, count: int = 2) -> None:
    """Waits until the stream has refreshed the rows ``count`` times, seen on a row nobody edits."""
    for _ in range(count):
        mark(page, CLEANUP)
        wait_until(lambda: not is_marked(page, CLEANUP), REFRESH_SECONDS * 5, "a refresh of the rows")


def test_rows_are_refreshed_on_the_streams_timer_keeping_the_focus(session: Session) -> None:
    page = session.page
    page.evaluate("window.notReloaded = true")
    link = page.locator(f"#history-{CLEANUP}")
    link.focus()
    mark(page, CLEANUP)
    wait_until(lambda: not is_marked(page, CLEANUP), REFRESH_SECONDS * 5, "a refreshed row")
    assert page.evaluate("window.notReloaded") is True
    expect(link).to_be_focused()  # the keyboard's place survives the swap
    expect(session.row(CLEANUP).locator("time").first).to_have_attribute("title", re.compile(r" UTC$"))


def test_a_live_row_never_clobbers_what_the_user_types(session: Session, server: Server) -> None:
    page, row = session.page, session.row(SUBTITLES)
    field = row.get_by_label("Interval of")
    field.fill("45")
    mark(page, SUBTITLES)
    wait_refreshes(page, 3)  # the other rows' refreshes
    assert is_marked(page, SUBTITLES), "the row being edited was replaced"
    expect(field).to_be_focused()
    expect(field).to_have_value("45")

    page.get_by_role("heading", name="Tasks").click()  # focus leaves the row, unsaved
    wait_until(lambda: not is_marked(page, SUBTITLES), REFRESH_SECONDS * 5, "a refreshed row")
    expect(field).to_have_value("45")  # carried into the fresh row
    wait_refreshes(page)
    expect(field).to_have_value("45")
    assert server.task(SUBTITLES)["interval"] == 360

    row.get_by_role("button", name="Save").click()
    wait_until(lambda: server.task(SUBTITLES)["interval"] == 45, 10, "the saved interval")
    mark(page, SUBTITLES)
    wait_until(lambda: not is_marked(page, SUBTITLES), REFRESH_SECONDS * 5, "a refreshed row")
    expect(field).to_have_value("45")


def test_a_changed_unit_survives_a_refresh_and_the_row_still_updates(session: Session, server: Server) -> None:
    page, row = session.page, session.row(UPGRADE)
    row.get_by_label("Unit").select_option("days")
    row.get_by_label("Interval of").focus()
    server.put(f"/api/tasks/{UPGRADE}/enabled", json={"enabled": False})
    wait_refreshes(page)
    expect(row.locator("button.switch")).to_have_attribute("aria-pressed", "true")  # waits while focused
    page.get_by_role("heading", name="Tasks").click()
    expect(row.locator("button.switch")).to_have_attribute("aria-pressed", "false")
    expect(row.get_by_label("Unit")).to_have_value("days")
    server.put(f"/api/tasks/{UPGRADE}/enabled", json={"enabled": True})
    expect(row.locator("button.switch")).to_have_attribute("aria-pressed", "true")
    expect(row.get_by_label("Unit")).to_have_value("days")
    assert server.task(UPGRADE)["intervalUnit"] == "minutes"


# --- Accessibility --------------------------------------------------------------------------------

AXE_RESULTS = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help,
  nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
}))"""
# Each scheme and each width once: colours do not change with the width, nor the layout with the scheme.
VIEWS = [("light", 1280), ("dark", 375)]


def axe_violations(page: Page) -> list[dict]:  # type: ignore[type-arg]
    page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RESULTS)


def describe(found: dict[str, list[dict]]) -> str:  # type: ignore[type-arg]
    lines = []
    for where, violations in found.items():
        for violation in violations:
            lines.append(f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}")
            lines += [f"    {node['target']}: {node['summary']}" for node in violation["nodes"][:5]]
    return "\n".join(lines)


def finished_run(server: Server) -> str:
    run_id = server.post(f"/api/tasks/{CLEANUP}/run", json={}).json()["executionId"]
    server.wait_run(run_id, ("completed", "failed", "cancelled"))
    return run_id


def audited_pages(page: Page, server: Server) -> Iterator[str]:
    """Visits every dashboard page (logged in) and yields a name for each."""
    for path in ("/", f"/tasks/{SUBTITLES}/history", f"/runs/{finished_run(server)}", "/settings/indexers",
                 "/settings/download-clients", "/settings/subtitles", "/settings/metadata", "/settings/notifications",
                 "/settings/library", "/settings/releases", "/settings"):
        page.goto(path)
        yield path
    create_key(page, f"audit {time.monotonic_ns()}")
    yield "/settings with a new key"
    page.locator("tr.key form").last.evaluate("form => form.submit()")  # the plain POST: no JavaScript's confirm
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revoke the key")
    yield "the confirmation of a revoke"


@pytest.mark.parametrize(("scheme", "width"), VIEWS)
def test_every_page_passes_axe(browser: Browser, server: Server, scheme: str, width: int) -> None:
    # The injected axe-core is an inline script: the page's Content-Security-Policy would refuse it.
    context = browser.new_context(
        base_url=server.url(""), bypass_csp=True, color_scheme=scheme, viewport={"width": width, "height": 900},
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto("/login")
        found = {"/login": axe_violations(page)}
        page.get_by_label("User name").fill("owner")
        page.locator('input[name="password"]').fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(server.url("/"))
        for where in audited_pages(page, server):
            found[where] = axe_violations(page)
    finally:
        context.close()
    if any(found.values()):
        pytest.fail(f"axe-core violations ({scheme}, {width}px):\n{describe(found)}", pytrace=False)


FOCUSABLE = """() => [...document.querySelectorAll(
  'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])'
)].filter(e => !e.disabled && e.getClientRects().length > 0).map(e => e.outerHTML.slice(0, 80))"""
FOCUSED = """() => {
  const e = document.activeElement, style = getComputedStyle(e), box = e.getBoundingClientRect();
  return {html: e.outerHTML.slice(0, 80), outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
          onScreen: box.width > 1 && box.height > 1 && box.bottom > 0 && box.right > 0 && box.left < innerWidth};
}"""


@pytest.mark.parametrize("path", ["/", "/settings"])
def test_keyboard_focus_follows_the_page_and_is_visible(session: Session, path: str) -> None:
    page = session.page
    page.goto(path)
    if path == "/settings":
        create_key(page, f"focus {time.monotonic_ns()}")
        page.goto(path)
    expected = page.evaluate(FOCUSABLE)
    assert page.evaluate("document.querySelectorAll('[tabindex]:not([tabindex=\"-1\"]):not([tabindex=\"0\"])').length") == 0
    seen = []
    for _ in expected:
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused["outline"], f"no visible focus style on {focused['html']}"
        assert focused["onScreen"], f"focus is off screen on {focused['html']}"
        seen.append(focused["html"])
    assert seen == expected
    assert seen[0].startswith('<a class="skip-link"')


def test_the_skip_link_goes_to_the_content(session: Session) -> None:
    page = session.page
    page.goto("/settings")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


# --- Download clients -----------------------------------------------------------------------------

def test_a_blackhole_added_through_the_form_is_tested_in_place(session: Session, tmp_path: Path) -> None:
    page = session.page
    page.goto("/settings")
    page.get_by_role("link", name="Download clients").click()
    expect(page).to_have_url(re.compile(r"/settings/download-clients$"))
    page.evaluate("window.notReloaded = true")
    name = f"Drop folder {time.monotonic_ns()}"
    new = page.locator("#client-new")
    new.get_by_label("Name", exact=True).fill(name)
    new.get_by_label("Type", exact=True).select_option("blackhole")
    new.get_by_label("Torrent folder").fill(str(tmp_path))
    new.get_by_role("button", name="Add download client").click()

    client = page.locator("article.provider").filter(has=page.get_by_role("heading", name=name, exact=True))
    expect(client).to_contain_text("Blackhole folders")
    expect(page.locator("#download-clients .flash")).to_have_text(f"Added the download client “{name}”")
    client.get_by_role("button", name=f"Test {name}").click()
    expect(client.get_by_role("status")).to_have_text(
        f"Test passed: Blackhole folders are writable: {tmp_path} (torrent folder)")
    expect(client.get_by_role("button", name=f"Test {name}")).to_be_focused()  # the answer alone was swapped in
    assert page.evaluate("window.notReloaded") is True
