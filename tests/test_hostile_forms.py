"""No form input produces a 5xx or a logged traceback: random fields and values posted to
every POST route of the dashboard (found in ``app.url_map``, so a new form is covered
without a change here), logged in and with the CSRF token, so they reach the handlers."""
from __future__ import annotations

import logging
import re
from urllib.parse import quote, quote_from_bytes

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import event, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from builders import PASSWORD, csrf_of, task
from webapp import ROOT
from webapp.clock import now_utc
from webapp.runtime import Runtime

SUBTITLES = "task_missing_subtitles"
HTML = {"Accept": "text/html"}
HTMX = {"Accept": "text/html", "HX-Request": "true"}
# Every field name a template's form may send; random names are drawn besides these.
FIELD_NAMES = sorted(
    set(re.findall(r'name="(\w+)"', "".join(p.read_text() for p in (ROOT / "templates").glob("*.html"))))
    - {"csrf_token"}
)
PLACEHOLDER = re.compile(r"<[^>]+>")
RELOGIN_ADDRESS = "198.51.100.7"  # the fuzz's failed logins are throttled per address: never this one's

# Each is sent in every known field at once to every route; the fuzz below mixes them with random ones.
HOSTILE_VALUES = [
    "", " ", "²", "①", "١٥", "Ⅻ", "15.0", "+5", "-1", " 15 ", "15\n", "1e3", "0x10", "9" * 5000,
    str(2**64), "true", "minutes", "//evil.example", "\x00", "<script>",
]
GOOD_PATH_VALUES = {"int": "1", "any": SUBTITLES}  # the key the tests create, and a real task

hostile_text = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=6),  # digits of any script
    st.integers(-(10**40), 10**40).map(str),
    st.text(max_size=40),
)
field_values = hostile_text.map(str.encode) | st.binary(max_size=40)  # bytes: invalid UTF-8 too
field_names = st.sampled_from(FIELD_NAMES) | st.text(min_size=1, max_size=12)
# Some of the known fields (a handler reads those), then random and repeated ones.
forms = st.tuples(
    st.fixed_dictionaries({}, optional={name.encode(): field_values for name in FIELD_NAMES}),
    st.lists(st.tuples(field_names.map(str.encode), field_values), max_size=4),
).map(lambda known_and_more: [*known_and_more[0].items(), *known_and_more[1]])
path_values = st.one_of(
    st.sampled_from(["task_upgrade", "task_history_cleanup", "task_nope", "0", "2147483648"]),
    st.integers(-5, 10**12).map(str) | st.text(min_size=1, max_size=20),
)
mostly = st.sampled_from([True, True, False])  # Hypothesis draws the first one most often
EXAMPLES_PER_ROUTE = 20
FEW = 3  # for a route that ends the session: each request to it costs a password hash to log back in


def dashboard_posts(app: Flask) -> list[Rule]:
    """Every route a dashboard form may post to: all POST routes but the JSON API's."""
    rules = [rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ()) and
             not rule.rule.startswith("/api/")]
    return sorted(rules, key=lambda rule: rule.rule)


def form_body(fields: list[tuple[bytes, bytes]], token: str) -> bytes:
    """``fields`` url-encoded byte for byte (any bytes, any repeats), then the CSRF token."""
    pairs = [quote_from_bytes(name) + "=" + quote_from_bytes(value) for name, value in fields]
    return "&".join([*pairs, f"csrf_token={quote(token)}"]).encode()


def logged_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR or record.exc_info]


def check_answer(response: TestResponse, caplog: pytest.LogCaptureFixture, context: object) -> None:
    """A dashboard answer: below 500, nothing logged as an error, in the shape the pages use."""
    body = response.get_data(as_text=True)
    assert response.status_code < 500, (context, response.status_code, body[:500])
    assert not logged_errors(caplog), (context, logged_errors(caplog))
    assert "Traceback" not in body, context
    if response.status_code in (301, 302, 303):
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//"), (context, location)
    elif response.status_code >= 400 and response.is_json:
        error = response.get_json()
        assert error["success"] is False and error["code"] and error["error"], (context, error)
    elif response.status_code != 204:
        assert response.mimetype == "text/html", (context, response.mimetype)


def ensure_logged_in(client: FlaskClient) -> str:
    """Logs ``client`` back in when a fuzzed route logged it out; its CSRF token."""
    page = client.get("/settings")
    if page.status_code != 200:
        token = csrf_of(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"username": "owner", "password": PASSWORD, "csrf_token": token},
                               environ_overrides={"REMOTE_ADDR": RELOGIN_ADDRESS})
        assert response.status_code == 302, response.get_data(as_text=True)
        page = client.get("/settings")
    return csrf_of(page.get_data(as_text=True))


@pytest.fixture
def anonymous(app: Flask) -> tuple[FlaskClient, str]:
    """A second browser, not logged in, with its own CSRF token: reaches ``/login``'s handler."""
    client = app.test_client()
    return client, csrf_of(client.get("/login").get_data(as_text=True))


def test_the_fuzz_reaches_every_form_route(app: Flask) -> None:
    paths = {rule.rule for rule in dashboard_posts(app)}
    assert {"/tasks/<task_id>/run", "/tasks/<task_id>/interval", "/login", "/logout"} <= paths
    assert {"interval", "unit", "enabled", "name", "confirm", "username", "password"} <= set(FIELD_NAMES)


def good_path(rule: Rule) -> str:
    """The rule's path with a real task (or key) in each placeholder: the request reaches the handler."""
    return PLACEHOLDER.sub(lambda found: GOOD_PATH_VALUES["int" if found[0].startswith("<int") else "any"], rule.rule)


def ends_the_session(client: FlaskClient, rule: Rule) -> bool:
    """Whether an empty form to ``rule`` logs ``client`` out (a logout): each example after it
    costs a password hash to log back in, so such a route gets fewer."""
    client.post(good_path(rule), data={"csrf_token": ensure_logged_in(client)}, headers=HTML)
    return client.get("/settings").status_code != 200


def test_every_form_route_takes_every_hostile_value(user: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    """Each hostile value in every known field at once, to every route: no random draw has to
    hit ``interval=²`` to find it."""
    caplog.set_level(logging.WARNING)
    created = user.post("/settings/api-keys", data={"name": "hostile", "csrf_token": ensure_logged_in(user)})
    assert created.status_code == 200
    for rule in dashboard_posts(user.application):
        values = HOSTILE_VALUES[:FEW] if ends_the_session(user, rule) else HOSTILE_VALUES
        for value in values:
            fields = [(name.encode(), value.encode()) for name in FIELD_NAMES]
            response = user.post(good_path(rule), data=form_body(fields, ensure_logged_in(user)), headers=HTML,
                                 content_type="application/x-www-form-urlencoded")
            check_answer(response, caplog, (rule.rule, value))


def test_no_form_input_gets_a_server_error(
    user: FlaskClient, anonymous: tuple[FlaskClient, str], caplog: pytest.LogCaptureFixture,  # noqa: F811
) -> None:
    """Every route gets its own examples: one ``@given`` over all would spend most on the first."""
    caplog.set_level(logging.WARNING)
    created = user.post("/settings/api-keys", data={"name": "fuzzed", "csrf_token": ensure_logged_in(user)})
    assert created.status_code == 200  # a key, so that revoke/<its id> reaches its handler

    def post_to(rule: Rule, data: st.DataObject, fields: list[tuple[bytes, bytes]], headers: dict[str, str],
                as_anonymous: bool) -> None:
        path = good_path(rule) if data.draw(mostly, label="real path") else PLACEHOLDER.sub(
            lambda _: quote(data.draw(path_values, label="path value"), safe=""), rule.rule)
        client, token = anonymous if as_anonymous else (user, ensure_logged_in(user))
        response = client.post(path, data=form_body(fields, token), headers=headers,
                               content_type="application/x-www-form-urlencoded")
        event(f"{'anonymous' if as_anonymous else 'owner'}: {response.status_code}")  # --hypothesis-show-statistics
        check_answer(response, caplog, (path, fields, headers, as_anonymous))

    for rule in dashboard_posts(user.application):
        examples = FEW if ends_the_session(user, rule) else EXAMPLES_PER_ROUTE
        fuzzed = given(data=st.data(), fields=forms, headers=st.sampled_from([HTML, HTMX, {}]),
                       as_anonymous=st.sampled_from([False, False, False, False, True]))(post_to)
        settings(max_examples=examples, deadline=None)(fuzzed)(rule)


def test_the_check_fails_on_a_server_error(
    user: FlaskClient, runtime: Runtime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    """The property above can fail: a handler that raises is a 500 and a logged traceback."""
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(runtime.tasks, "set_enabled", explode)
    token = ensure_logged_in(user)
    response = user.post(f"/tasks/{SUBTITLES}/enabled", data={"csrf_token": token, "enabled": "true"}, headers=HTML)
    with pytest.raises(AssertionError, match="500"):
        check_answer(response, caplog, "explode")
    caplog.clear()
    logging.getLogger("cinephage.http").error("a logged traceback", exc_info=RuntimeError("boom"))
    with pytest.raises(AssertionError, match="a logged traceback"):
        check_answer(user.get("/settings"), caplog, "logged")


# --- the interval form: ASCII digits only -------------------------------------------------------


def test_interval_form_takes_ascii_digits_only(
    user: FlaskClient, runtime: Runtime, caplog: pytest.LogCaptureFixture,  # noqa: F811
) -> None:
    """Once a 500 (``"²".isdigit()`` but not ``int("²")``) and ``١٥`` taken as 15: now the
    form's error, as for any bad interval, and nothing changes."""
    caplog.set_level(logging.WARNING)
    token = ensure_logged_in(user)
    before = task(runtime, SUBTITLES)
    message = "&#39;interval&#39; must be an integer from 1 to 525600"
    for interval in ("²", "١٥", "15.0", "-1", "+5", " 15 ", "15\n", "", "1" * 5000, "٣"):
        data = {"csrf_token": token, "interval": interval, "unit": "minutes"}
        plain = user.post(f"/tasks/{SUBTITLES}/interval", data=data, headers=HTML)
        assert plain.status_code == 303 and plain.headers["Location"] == "/", interval
        page = user.get("/").get_data(as_text=True)
        assert re.search(r'class="flash flash-error" role="alert">' + message, page), interval
        htmx = user.post(f"/tasks/{SUBTITLES}/interval", data=data, headers=HTMX)
        assert htmx.status_code == 200, interval
        assert re.search(r'role="alert">[^<]*' + message, htmx.get_data(as_text=True)), interval
    assert task(runtime, SUBTITLES) == before
    assert not logged_errors(caplog)


def test_interval_form_still_takes_a_plain_number(user: FlaskClient, runtime: Runtime) -> None:  # noqa: F811
    token = ensure_logged_in(user)
    data = {"csrf_token": token, "interval": "0045", "unit": "minutes"}
    assert user.post(f"/tasks/{SUBTITLES}/interval", data=data).status_code == 303
    assert (task(runtime, SUBTITLES).interval, task(runtime, SUBTITLES).interval_unit) == (45, "minutes")


@pytest.mark.parametrize("path", ["/tasks/task_upgrade/history", "/tasks/task_upgrade/history/print",
                                  "/tasks/task_upgrade/history.csv"])
def test_pager_pages_take_ascii_digits_only(user: FlaskClient, caplog: pytest.LogCaptureFixture, path: str) -> None:  # noqa: F811
    caplog.set_level(logging.WARNING)
    for page in ("²", "١", "1.0", "+1", " 1", "1\n", "-1", "9" * 400):
        response = user.get(path, query_string={"page": page}, headers=HTML)
        assert response.status_code == 400 and response.mimetype == "text/html", page
        assert "must be an integer from 1 to 999999999" in response.get_data(as_text=True), page
    assert not logged_errors(caplog)


def test_a_nul_in_a_run_id_or_a_search_is_a_4xx(user: FlaskClient, runtime: Runtime) -> None:  # noqa: F811
    run_id = runtime.tasks.run("task_upgrade", force=False, options={}, now=now_utc()).run_id
    for path, status in [("/runs/%00", 404), ("/runs/%00/print", 404), ("/runs/%00/activity.csv", 404),
                         (f"/runs/{run_id}?search=%00", 400), (f"/runs/{run_id}/print?search=a%00", 400),
                         (f"/runs/{run_id}/activity.csv?search=%00", 400)]:
        response = user.get(path, headers=HTML)
        assert response.status_code == status and response.mimetype == "text/html", path
