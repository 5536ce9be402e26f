"""Screenshots of the dashboard with demo data, for the README: ``static/screenshots/*.png``.

Run from the project root: ``.venv/bin/python tests/screenshots.py``

It seeds a temporary database, finishes a few runs on a fast server (so History and a run
page have real rows), then starts a slow server (150 ms per item) and photographs the pages
in Chromium while ``task_missing_subtitles`` runs again. Not a test: pytest does not collect it.
"""
from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from playwright.sync_api import Browser, Page, expect  # noqa: E402

from browser import chromium  # noqa: E402
from servers import ROOT, Server, cli, server_env, wait_until  # noqa: E402

OUT = ROOT / "static" / "screenshots"
SUBTITLES = "task_missing_subtitles"
CLEANUP = "task_history_cleanup"
USER, PASSWORD = "owner", "demo password for screenshots"
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1, "color_scheme": "light"}
PHONE: dict[str, Any] = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 1, "color_scheme": "dark"}
MAX_BYTES = 250 * 1024


@contextmanager
def running(env: dict[str, str], log: Path) -> Iterator[Server]:
    """A ``serve`` process for the length of the block."""
    server = Server(env, log)
    try:
        yield server.start()
    finally:
        server.stop()


def prepare(tmp: Path) -> dict[str, str]:
    """A seeded database with one user; returns the environment shared by both servers."""
    env = server_env(tmp / "data", f"sqlite:///{tmp / 'cinephage.db'}")
    cli(env, "seed-demo", "--items", "300")
    cli(env, "create-user", USER, "--password-stdin", input=PASSWORD + "\n")
    return env


def start_run(server: Server, task_id: str) -> str:
    """Starts a run through the Tasks API; returns its execution id."""
    answer = server.post(f"/api/tasks/{task_id}/run", json={})
    answer.raise_for_status()
    return str(answer.json()["executionId"])


def finished_runs(server: Server) -> str:
    """A cancelled and a completed run of the subtitles task, and a cleanup; returns the completed run's id."""
    cancelled = start_run(server, SUBTITLES)
    wait_until(lambda: server.history_entry(cancelled)["itemsProcessed"] > 0, 30, "the run to process items")
    server.post(f"/api/tasks/{SUBTITLES}/cancel", json={}).raise_for_status()
    server.wait_run(cancelled, ("cancelled",))
    server.wait_run(start_run(server, CLEANUP), ("completed",))
    completed = start_run(server, SUBTITLES)
    server.wait_run(completed, ("completed",), timeout=120)
    return completed


def log_in(browser: Browser, server: Server, options: dict[str, Any]) -> Page:
    """A new browser context, logged in, on the task list."""
    context = browser.new_context(base_url=server.url(""), **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("User name").fill(USER)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(server.url("/"))
    return page


def wait_for_progress(page: Page, share: float) -> None:
    """Waits until the live row of the subtitles task shows at least ``share`` of its items done."""
    bar = page.locator(f'[data-task-id="{SUBTITLES}"] progress')
    expect(bar).to_be_visible()
    wait_until(lambda: float(bar.get_attribute("value") or 0) >= share * float(bar.get_attribute("max") or 1), 30,
               "the progress bar to move", 0.1)


def shoot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Saves the page as ``OUT/name``, then again at a smaller viewport while it is too big."""
    path = OUT / name
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    size = page.viewport_size
    while path.stat().st_size > MAX_BYTES and size and size["width"] > 800:
        size = {"width": int(size["width"] * 0.85), "height": int(size["height"] * 0.85)}
        page.set_viewport_size(size)
        page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    return path


def live_tasks(desktop: Page, phone: Page, server: Server) -> list[Path]:
    """The task list on both screens while the subtitles task runs, its bar fed by the event stream."""
    start_run(server, SUBTITLES)
    wait_for_progress(desktop, 0.3)
    expect(desktop.locator(f"#progress-{SUBTITLES} .current")).to_be_visible()
    written = [shoot(desktop, "tasks.png")]
    wait_for_progress(phone, 0.4)
    phone.locator(f'[data-task-id="{SUBTITLES}"]').scroll_into_view_if_needed()
    written.append(shoot(phone, "tasks-phone.png"))
    return written


def history(page: Page) -> Path:
    """The subtitles task's runs: the live one, a completed one and a cancelled one."""
    page.goto(f"/tasks/{SUBTITLES}/history")
    expect(page.locator("h1")).to_be_visible()
    return shoot(page, "history.png")


def run_page(page: Page, run_id: str) -> Path:
    """A finished run's summary and the first rows of its activity."""
    page.goto(f"/runs/{run_id}")
    expect(page.locator("h1")).to_be_visible()
    return shoot(page, "run.png")


def settings(page: Page) -> Path:
    """Creates a key named "Sonarr", then reloads: the list shows its prefix, never the key."""
    page.goto("/settings")
    page.get_by_label("Name of a new key").fill("Sonarr")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator(".new-key")).to_be_visible()
    page.reload()
    expect(page.locator(".keys")).to_contain_text("Sonarr")
    return shoot(page, "settings.png")


def print_view(page: Page) -> Path:
    """The history's print view as the printer gets it (print media styles)."""
    page.emulate_media(media="print")
    page.goto(f"/tasks/{SUBTITLES}/history/print")
    expect(page.locator("h1")).to_be_visible()
    path = shoot(page, "print.png")
    page.emulate_media(media="screen")
    return path


def photograph(server: Server, run_id: str) -> list[Path]:
    """Every screenshot, the live ones first while the run is still going."""
    with chromium() as browser:
        desktop, phone = log_in(browser, server, DESKTOP), log_in(browser, server, PHONE)
        written = live_tasks(desktop, phone, server)
        return written + [history(desktop), run_page(desktop, run_id), settings(desktop), print_view(desktop)]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cinephage-screens-") as name:
        tmp = Path(name)
        env = prepare(tmp)
        with running({**env, "CINEPHAGE_ITEM_DELAY_MS": "20"}, tmp / "fast.log") as server:
            run_id = finished_runs(server)
        with running({**env, "CINEPHAGE_ITEM_DELAY_MS": "150"}, tmp / "slow.log") as server:
            written = photograph(server, run_id)
    for path in written:
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
