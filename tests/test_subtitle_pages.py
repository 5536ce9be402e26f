"""``/settings/subtitles``: subtitle providers (add, edit, Test in place, delete) and the wanted languages,
as plain forms and through htmx, with CSRF, and never a secret in a page."""
from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from fake_opensubtitles import API_KEY, PASSWORD, USERNAME, FakeOpenSubtitles
from loopback import serving
from test_provider_pages import HTMX, article, form_of
from webapp.clock import now_utc
from webapp.providers.subtitles.settings import SubtitleProviderSettings
from webapp.runtime import Runtime

PAGE = "/settings/subtitles"


def opensubtitles_form(token: str, **changes: str) -> dict[str, str]:
    form = {"csrf_token": token, "name": "OpenSubtitles", "implementation": "opensubtitles",
            "baseUrl": "https://api.opensubtitles.com/api/v1", "apiKey": API_KEY, "username": USERNAME,
            "password": PASSWORD, "folder": "", "minimumScore": "70", "priority": "25", "enabled": "true"}
    return {**form, **changes}


def test_the_settings_page_links_to_the_subtitles_page(user: FlaskClient) -> None:
    assert f'href="{PAGE}"' in user.get("/settings").get_data(as_text=True)


def test_a_provider_is_added_by_a_plain_form_and_its_secrets_never_come_back(
    user: FlaskClient, token: str, runtime: Runtime,
) -> None:
    added = user.post(PAGE, data=opensubtitles_form(token))
    assert (added.status_code, added.headers["Location"]) == (303, PAGE)
    html = user.get(PAGE).get_data(as_text=True)
    assert "Added the subtitle provider “OpenSubtitles”" in html
    [provider] = runtime.subtitles.providers()
    block = article(html, f"subtitle-{provider.id}")
    assert "OpenSubtitles.com" in block and "One is stored: leave this empty to keep it." in block
    assert API_KEY not in html and PASSWORD not in html
    assert (provider.settings.api_key, provider.settings.password, provider.settings.minimum_score) == (
        API_KEY, PASSWORD, 70)


def test_a_refused_form_comes_back_as_typed_with_the_error_and_nothing_saved(
    user: FlaskClient, token: str, runtime: Runtime,
) -> None:
    refused = user.post(PAGE, data=opensubtitles_form(token, minimumScore="101", name="Mine"))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "&#39;minimumScore&#39; must be an integer from 0 to 100" in html
    assert 'id="subtitle-new-minimumScore" aria-describedby="subtitle-new-minimumScore-hint subtitle-new-error"' in html
    assert 'value="Mine"' in html and API_KEY not in html  # what was typed, but never the secret
    assert runtime.subtitles.providers() == ()
    no_folder = user.post(PAGE, data=opensubtitles_form(token, implementation="local", apiKey=""))
    assert no_folder.status_code == 400 and "A local subtitle provider needs a &#39;folder&#39;" in no_folder.get_data(as_text=True)


def test_without_the_csrf_token_nothing_is_added(user: FlaskClient, runtime: Runtime) -> None:
    form = opensubtitles_form("")
    del form["csrf_token"]
    assert user.post(PAGE, data=form).status_code == 403
    assert runtime.subtitles.providers() == ()


def test_test_answers_in_place_through_htmx_and_in_the_page_without(
    user: FlaskClient, token: str, runtime: Runtime,
) -> None:
    with serving(FakeOpenSubtitles().app()) as root:
        form = opensubtitles_form(token, baseUrl=root + "/api/v1")
        answer = user.post(f"{PAGE}/test", data=form, headers=HTMX).get_data(as_text=True)
        assert "Test passed: OpenSubtitles logged in &#39;cinephile&#39; (20 downloads a day, Sub leecher)" in answer
        assert "<section" not in answer  # the answer alone, for its slot
        failed = user.post(f"{PAGE}/test", data={**form, "password": "wrong-one"}).get_data(as_text=True)
        assert "Test failed: OpenSubtitles refused the username or password (HTTP 401)" in failed
        assert "<html" in failed and "wrong-one" not in failed
    assert runtime.subtitles.providers() == ()


def test_a_saved_provider_is_edited_tested_and_deleted(user: FlaskClient, token: str, runtime: Runtime,
                                                       tmp_path: Path) -> None:
    (tmp_path / "Heat.1995.1080p.BluRay.x264-AMIABLE.en.srt").write_text("1")
    created = runtime.subtitles.create(SubtitleProviderSettings("Mine", "local", folder=str(tmp_path)), now_utc())
    one = f"{PAGE}/{created.id}"
    form = form_of(user.get(PAGE).get_data(as_text=True), one)
    unticked = {key: value for key, value in form.items() if key != "enabled"}  # as a browser sends an unticked box
    saved = user.post(one, data={**unticked, "minimumScore": "80"}, headers=HTMX)
    html = saved.get_data(as_text=True)
    assert saved.status_code == 200 and 'id="subtitles"' in html and "Saved the subtitle provider “Mine”" in html
    assert (runtime.subtitles.provider(created.id).settings.minimum_score,
            runtime.subtitles.provider(created.id).settings.enabled) == (80, False)
    tested = user.post(f"{one}/test", data=form, headers=HTMX).get_data(as_text=True)
    assert f"Test passed: The folder {tmp_path} holds 1 subtitle files (en)" in tested
    confirm = user.post(f"{one}/delete", data={"csrf_token": token})
    assert confirm.status_code == 200 and "Mine" in confirm.get_data(as_text=True)  # the confirmation page
    gone = user.post(f"{one}/delete", data={"csrf_token": token, "confirm": "yes"})
    assert gone.status_code == 303 and runtime.subtitles.providers() == ()


def test_the_wanted_languages_form(user: FlaskClient, token: str, runtime: Runtime) -> None:
    languages = f"{PAGE}/languages"
    saved = user.post(languages, data={"csrf_token": token, "languages": "en, fr;de"})
    assert (saved.status_code, saved.headers["Location"]) == (303, PAGE)
    assert runtime.subtitles.languages() == ("en", "fr", "de")
    assert 'value="en, fr, de"' in user.get(PAGE).get_data(as_text=True)
    refused = user.post(languages, data={"csrf_token": token, "languages": "en, klingon"})
    assert refused.status_code == 400
    assert "not: &#39;klingon&#39;" in refused.get_data(as_text=True)
    assert 'value="en, klingon"' in refused.get_data(as_text=True)
    swapped = user.post(languages, data={"csrf_token": token, "languages": "pt"}, headers=HTMX).get_data(as_text=True)
    assert swapped.startswith('<section id="subtitle-languages"') or 'id="subtitle-languages"' in swapped
    assert "Wanted subtitle languages: pt" in swapped and "<html" not in swapped
    assert runtime.subtitles.languages() == ("pt",)
    assert user.post(languages, data={"languages": "en"}).status_code == 403  # no CSRF token
    assert runtime.subtitles.languages() == ("pt",)
