"""The task list's stream re-sends every row on its own timer, so relative times stay true."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from builders import read_until
from webapp.clock import now_utc
from webapp.pages import rows
from webapp.pages.formatting import relative
from webapp.runtime import Runtime

SUBTITLES = "task_missing_subtitles"


def test_every_row_is_re_sent_with_fresh_relative_times(
    app: Flask, user: FlaskClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    app.config["ROW_REFRESH_SECONDS"] = 0.3
    later = now_utc() + timedelta(hours=2)
    monkeypatch.setattr(rows, "now_utc", lambda: later)
    response = user.get("/events/tasks")  # a first connection: no rows until the timer fires
    try:
        chunks = iter(response.response)
        text = read_until(chunks, ": connected")
        while text.count("</tr>") < 9:
            text += next(chunks).decode()
    finally:
        response.close()
    messages = re.findall(r"((?:id: .*\n)?)event: (task-\w+)\n", text)
    assert sorted(name for _, name in messages) == sorted(f"task-{t.id}" for t in runtime.tasks.list())
    assert all(head == "" for head, _ in messages)  # no id: the browser's Last-Event-ID stays put
    next_run = runtime.tasks.get(SUBTITLES).next_run_at
    assert next_run is not None
    row = text[text.index(f"event: task-{SUBTITLES}"):]
    assert f">{relative(next_run, later)}</time>" in row[:row.index("</tr>")]  # rendered at the stream's "now"


def test_no_refresh_before_the_period(app: Flask, user: FlaskClient) -> None:  # noqa: F811
    app.config["ROW_REFRESH_SECONDS"] = 60
    response = user.get("/events/tasks")
    try:
        chunks = iter(response.response)
        text = read_until(chunks, ": connected")
        text += read_until(chunks, ": keepalive")  # the fixture's keepalive is 0.2 s
        text += read_until(chunks, ": keepalive")
    finally:
        response.close()
    assert "event: task-" not in text
