"""The offline demo's subtitle source: the app's OpenSubtitles-shaped API, read by the real client,
and a Missing Subtitles run over a seeded demo library that writes real files beside its media files."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from builders import NOW, activity, run
from servers import API_KEY
from webapp.demo.opensubtitles import API_PATH, DEMO_SUBTITLES, demo_provider, point_subtitles_at_server
from webapp.demo.providers import seed_demo_providers
from webapp.library import seed_demo
from webapp.providers import ProviderSet, SubtitleRequest
from webapp.providers.base import ProviderError
from webapp.providers.subtitles import OpenSubtitles
from webapp.providers.subtitles.settings import MemoryQuota
from webapp.releases.subtitles import score_offer
from webapp.runtime import Runtime


@pytest.fixture
def library(runtime: Runtime, tmp_path: Path) -> Path:
    root = tmp_path / "library"
    seed_demo(runtime.db, 20, NOW, library_root=root)
    return root


@pytest.fixture
def demo_client(app: Flask, runtime: Runtime, tmp_path: Path, library: Path) -> Iterator[OpenSubtitles]:
    """The real OpenSubtitles client on the seeded demo provider, its HTTP answered by the app in this process."""
    seed_demo_providers(runtime.providers, tmp_path / "data", NOW)
    settings = demo_provider(runtime.subtitles)
    assert settings is not None
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://127.0.0.1:3000") as http:
        yield OpenSubtitles(settings, MemoryQuota(), score_offer, http=http)


def test_seed_demo_adds_the_provider_once_and_wants_english(runtime: Runtime, tmp_path: Path, library: Path) -> None:
    seed_demo_providers(runtime.providers, tmp_path / "data", NOW)
    seed_demo_providers(runtime.providers, tmp_path / "data", NOW)
    providers = runtime.subtitles.providers()
    assert [(p.settings.name, p.settings.implementation, p.settings.base_url) for p in providers] == [
        (DEMO_SUBTITLES, "opensubtitles", "http://127.0.0.1:3000" + API_PATH)]
    assert "en" in runtime.subtitles.languages()
    point_subtitles_at_server(runtime.subtitles, "http://0.0.0.0:8123", NOW)
    assert runtime.subtitles.providers()[0].settings.base_url == "http://127.0.0.1:8123" + API_PATH


def test_the_demo_api_answers_only_a_live_key_and_only_while_the_provider_exists(
    client: FlaskClient, runtime: Runtime, demo_client: OpenSubtitles,
) -> None:
    formats = f"{API_PATH}/infos/formats"
    assert client.get(formats, headers={"Api-Key": "cinephage_" + "0" * 64}).status_code == 403
    assert client.get(formats, headers={"Api-Key": API_KEY}).status_code == 200
    assert demo_client.test().startswith("OpenSubtitles accepted the API key")
    runtime.subtitles.delete(demo_provider(runtime.subtitles).id)  # type: ignore[union-attr,arg-type]
    assert client.get(formats, headers={"Api-Key": API_KEY}).status_code == 404


def test_a_missing_subtitles_run_over_the_demo_writes_real_subtitles_beside_the_media_files(
    runtime: Runtime, demo_client: OpenSubtitles, library: Path,
) -> None:
    ctx = run(runtime.db, "task_missing_subtitles", ProviderSet(subtitle_providers=[demo_client]))
    done = [row for row in activity(ctx) if row[2] == "success"]
    assert done, activity(ctx)
    for title, _, _, message in done:
        assert message is not None and message.startswith("Downloaded ") and f", {DEMO_SUBTITLES}) → " in message
        path = Path(message.rsplit(" → ", 1)[1])
        assert library in path.parents and path.suffix == ".srt"
        assert (path.parent / (path.name.rsplit(".", 2)[0] + ".mkv")).exists()  # beside its media file
        assert title is not None and title in path.read_text()
    assert all(row[2] in ("success", "no_results") for row in activity(ctx)), activity(ctx)


def test_a_demo_search_for_nothing_in_the_library_finds_nothing(demo_client: OpenSubtitles, tmp_path: Path) -> None:
    request = SubtitleRequest("Not In The Library", "en", str(tmp_path / "x.mkv"), year=1999)
    assert demo_client.search(request) == []
    with pytest.raises(ProviderError, match="HTTP 400"):
        demo_client.search(replace(request, language="e!"))
