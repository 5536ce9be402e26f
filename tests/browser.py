"""The dashboard in a real browser: Chromium through Playwright (Debian's, since ``playwright
install`` cannot download here), a ``serve`` with a demo library and a user, and logged-in
sessions that keep every console error they saw."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page, StorageState, expect, sync_playwright

from builders import PASSWORD
from servers import Server, cli, server_env

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed (with its driver) on exit."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@contextmanager
def dashboard_server(tmp: Path, items: int, **env: str) -> Iterator[Server]:
    """A ``serve`` on a fresh SQLite database with a demo library of ``items`` and the user ``owner``."""
    environment = server_env(tmp / "data", f"sqlite:///{tmp / 'cinephage.db'}", **env)
    cli(environment, "seed-demo", "--items", str(items))
    cli(environment, "create-user", "owner", "--password-stdin", input=PASSWORD + "\n")
    server = Server(environment, tmp / "serve.log", ("--workers", "1"))
    try:
        yield server.start()
    finally:
        server.stop()


@dataclass
class Session:
    """One logged-in browser context and page, with every console error and page error it saw."""

    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} at {message.location.get('url')}")

    def on_page_error(self, error: Error) -> None:
        self.errors.append(f"page: {error}")

    def row(self, task_id: str):  # type: ignore[no-untyped-def]
        return self.page.locator(f'[data-task-id="{task_id}"]')


# The cookies of the first login to each server: later sessions start from them, since a login
# through the form costs a full-cost Argon2 check in the server (the form itself is tested once).
_LOGINS: dict[str, StorageState] = {}


def open_session(browser: Browser, server: Server, javascript: bool = True, **options) -> Session:  # type: ignore[no-untyped-def]
    """A browser context on the task list, logged in as ``owner``: through the form the first time."""
    known = _LOGINS.get(server.url(""))
    context = browser.new_context(
        java_script_enabled=javascript, base_url=server.url(""), storage_state=known, **options
    )
    context.set_default_timeout(10_000)
    session = Session(context, context.new_page())
    session.page.on("console", session.on_console)
    session.page.on("pageerror", session.on_page_error)
    session.page.goto("/")
    if known is None:
        expect(session.page).to_have_url(server.url("/login?next=%2F"))
        session.page.get_by_label("User name").fill("owner")
        session.page.locator('input[name="password"]').fill(PASSWORD)
        session.page.get_by_role("button", name="Log in").click()
        expect(session.page).to_have_url(server.url("/"))
        _LOGINS[server.url("")] = context.storage_state()
    expect(session.page).to_have_url(server.url("/"))
    return session


@contextmanager
def logged_in(browser: Browser, server: Server, **options) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    """An ``open_session`` closed at the end, which must have seen no console or page error."""
    session = open_session(browser, server, **options)
    try:
        yield session
    finally:
        session.context.close()
    assert session.errors == []
