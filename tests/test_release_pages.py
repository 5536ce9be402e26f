"""``/settings/releases``: the delay, the release preferences and the blocklist through the test client,
as plain forms and as htmx requests; a bad value shown in place with nothing changed; CSRF and a
login required."""
from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from builders import NOW, Library
from test_hostile_forms import HOSTILE_VALUES, check_answer
from webapp.library.delay import Delay
from webapp.library.items import EPISODE, MOVIE, MediaItem
from webapp.releases import Preferences
from webapp.runtime import Runtime

HTMX = {"HX-Request": "true"}
PAGE = "/settings/releases"
DELAY, PREFERENCES = "/settings/releases/delay", "/settings/releases/preferences"
PREFERENCES_FORM = {"preferred": "x265 10\r\nDDP5.1 Atmos +25\r\n\r\nHDR10+ -5", "group": "NTb 50",
                    "ignored": "CAM\nHardcoded Subs", "required": ""}


def blocked(runtime: Runtime) -> tuple[int, int]:
    """Two blocklisted releases, one of a movie and one of an episode: their ids, oldest first."""
    library = Library(runtime.db)
    profile = library.profile()
    movie = MediaItem(MOVIE, library.movie("Dune", profile, year=2021), "Dune", profile, year=2021)
    series = library.series("Severance", profile)
    episode = MediaItem(EPISODE, library.episode(series, 1, 2, None), "Severance", profile, season=1, episode=2)
    blocklist = runtime.providers.blocklist
    first = blocklist.add("Dune.2021.2160p.WEB-DL.x265-GRP", movie, "The torrent is not a torrent", NOW, "Prowlarr")
    second = blocklist.add("Severance.S01E02.1080p.WEB.h264-<b>X</b>", episode, "Refused by qBittorrent", NOW)
    return first.id, second.id


def test_the_page_shows_each_section_with_what_is_stored(user: FlaskClient, runtime: Runtime) -> None:
    runtime.delay.update({"torrent_minutes": 120}, NOW)
    runtime.preferences.update({"group": [{"name": "NTb", "score": 50}], "ignored": ["CAM"]})
    blocked(runtime)
    assert 'href="/settings/releases">Releases</a>' in user.get("/settings").get_data(as_text=True)
    response = user.get(PAGE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    for section in ("delay", "preferences", "blocklist"):
        assert re.search(rf'<section id="{section}"[^>]* hx-target="this" hx-swap="outerHTML"', html)
    assert 'name="torrentDelay" inputmode="numeric" required autocomplete="off"\n               value="120"' in html
    assert 'id="delay-bypass" name="bypassIfHighestQuality" value="true" checked' in html
    assert ">NTb 50</textarea>" in html and ">CAM</textarea>" in html
    assert "Dune (2021)" in html and "Severance S01E02" in html and "from Prowlarr" in html
    assert "&lt;b&gt;X&lt;/b&gt;" in html and "<b>X</b>" not in html  # a release name is text, never markup
    assert html.index("Severance S01E02") < html.index("Dune (2021)")  # added in the same second: newest id first


def test_the_page_needs_a_login_and_every_form_its_csrf_token(client: FlaskClient, user: FlaskClient,
                                                               runtime: Runtime) -> None:
    first, _ = blocked(runtime)
    anonymous = client.application.test_client()
    assert anonymous.get(PAGE).status_code == 302
    actions = [DELAY, PREFERENCES, f"/settings/releases/blocklist/{first}/remove"]
    for action in actions:
        assert anonymous.post(action, data={"torrentDelay": "5"}).status_code in (302, 400, 403)
        for headers in ({}, HTMX):
            for token in ({}, {"csrf_token": "forged"}):
                data = {"usenetDelay": "5", "torrentDelay": "5", **PREFERENCES_FORM, **token}
                assert user.post(action, data=data, headers=headers).status_code in (400, 403), action
    assert runtime.delay.get() == Delay() and runtime.preferences.get() == Preferences()
    assert len(runtime.providers.blocklist.list()) == 2


def test_the_delay_is_saved_by_a_plain_form_and_by_htmx(user: FlaskClient, token: str, runtime: Runtime) -> None:
    response = user.post(DELAY, data={"csrf_token": token, "usenetDelay": "30", "torrentDelay": "60"})
    assert response.status_code == 303 and response.headers["Location"] == "/settings/releases#delay"
    assert runtime.delay.get() == Delay(30, 60, bypass_if_highest=False)  # the box unticked: not sent
    assert "Delay saved" in user.get(PAGE).get_data(as_text=True)
    alone = user.post(DELAY, headers=HTMX, data={"csrf_token": token, "usenetDelay": "0", "torrentDelay": " 15 ",
                                                 "bypassIfHighestQuality": "true"})
    html = alone.get_data(as_text=True)
    assert alone.status_code == 200 and html.lstrip().startswith('<section id="delay"') and "Delay saved" in html
    assert runtime.delay.get() == Delay(0, 15, bypass_if_highest=True)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # refused before any write
@pytest.mark.parametrize(("field", "value", "error"), [
    ("torrentDelay", "-5", "'Torrent delay (minutes)' must be an integer from 0 to 10080"),
    ("torrentDelay", "10081", "'Torrent delay (minutes)' must be an integer from 0 to 10080"),
    ("usenetDelay", "1.5", "'Usenet delay (minutes)' must be an integer from 0 to 10080"),
    ("usenetDelay", "", "'Usenet delay (minutes)' must be an integer from 0 to 10080"),
])
def test_a_bad_delay_is_shown_in_place_and_nothing_changes(user: FlaskClient, token: str, runtime: Runtime,
                                                           field: str, value: str, error: str) -> None:
    data = {"csrf_token": token, "usenetDelay": "10", "torrentDelay": "10", field: value}
    response = user.post(DELAY, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and error.replace("'", "&#39;") in html
    assert f'value="{value}"' in html  # what was typed stays
    assert runtime.delay.get() == Delay()


def test_preferences_are_saved_a_line_each(user: FlaskClient, token: str, runtime: Runtime) -> None:
    response = user.post(PREFERENCES, data={"csrf_token": token, **PREFERENCES_FORM})
    assert response.status_code == 303 and response.headers["Location"] == "/settings/releases#preferences"
    assert runtime.preferences.get() == Preferences(
        preferred={"x265": 10, "DDP5.1 Atmos": 25, "HDR10+": -5}, ignored=("CAM", "Hardcoded Subs"),
        release_groups={"NTb": 50},
    )
    html = user.get(PAGE).get_data(as_text=True)
    assert ">x265 10\nDDP5.1 Atmos 25\nHDR10+ -5</textarea>" in html and "Release preferences saved" in html
    cleared = user.post(PREFERENCES, headers=HTMX, data={"csrf_token": token, "preferred": "", "group": "",
                                                          "ignored": "", "required": "Remux"})
    assert cleared.get_data(as_text=True).lstrip().startswith('<section id="preferences"')
    assert runtime.preferences.get() == Preferences(required=("Remux",))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # refused before any write
@pytest.mark.parametrize(("field", "value", "error"), [
    ("preferred", "x265", "each line needs the term and then its score"),
    ("preferred", "x265 ten", "each line needs the term and then its score"),
    ("preferred", "10", "each line needs the term and then its score"),
    ("group", "NTb 5.5", "each line needs the name and then its score"),
    ("preferred", "x265 10001", "the score of “x265” must be an integer from -10000 to 10000"),
    ("preferred", "x265 1\nX265 2", "names “X265” twice"),
    ("ignored", "...", "has no letter or digit"),
    ("required", "w" * 101, "must be 1 to 100 printable characters"),
])
def test_a_bad_preference_is_shown_in_place_and_nothing_changes(user: FlaskClient, token: str, runtime: Runtime,
                                                                field: str, value: str, error: str) -> None:
    response = user.post(PREFERENCES, data={"csrf_token": token, **PREFERENCES_FORM, field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and error in html.replace("&#39;", "'")
    assert value.replace("\n", "") in html.replace("\n", "")  # what was typed stays
    assert runtime.preferences.get() == Preferences()


def test_a_blocked_release_is_removed_and_an_unknown_one_said_gone(user: FlaskClient, token: str,
                                                                   runtime: Runtime) -> None:
    first, second = blocked(runtime)
    response = user.post(f"/settings/releases/blocklist/{first}/remove", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/settings/releases#blocklist"
    assert [entry.id for entry in runtime.providers.blocklist.list()] == [second]
    assert "Removed Dune.2021.2160p.WEB-DL.x265-GRP from the blocklist" in user.get(PAGE).get_data(as_text=True)
    again = user.post(f"/settings/releases/blocklist/{first}/remove", data={"csrf_token": token}, headers=HTMX)
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and html.lstrip().startswith('<section id="blocklist"')
    assert f"Blocklist entry &#39;{first}&#39; not found" in html and 'role="alert"' in html
    plain = user.post(f"/settings/releases/blocklist/{first}/remove", data={"csrf_token": token})
    assert plain.status_code == 400
    assert user.post(f"/settings/releases/blocklist/{2**31}/remove", data={"csrf_token": token}).status_code == 404
    last = user.post(f"/settings/releases/blocklist/{second}/remove", data={"csrf_token": token}, headers=HTMX)
    assert "Nothing is blocklisted." in last.get_data(as_text=True)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the service refuses each value before any write
def test_hostile_values_in_every_field_are_answered(user: FlaskClient, token: str, runtime: Runtime,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    first, _ = blocked(runtime)
    fields = ("usenetDelay", "torrentDelay", "bypassIfHighestQuality", "preferred", "group", "ignored", "required")
    for value in HOSTILE_VALUES:
        for action in (DELAY, PREFERENCES, f"/settings/releases/blocklist/{first + 1000}/remove"):
            for headers in ({}, HTMX):
                response = user.post(action, data={"csrf_token": token, **dict.fromkeys(fields, value)},
                                     headers=headers)
                check_answer(response, caplog, (action, value))
