"""The OpenSubtitles.com client against a loopback server speaking its REST API (tests/fake_opensubtitles.py)."""
from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from flask import Response, jsonify

from fake_opensubtitles import API_KEY, PASSWORD, USERNAME, FakeOpenSubtitles, Subtitle
from loopback import serving, silent_server
from webapp.providers.base import ProviderError, SubtitleRequest
from webapp.providers.subtitles.hashing import opensubtitles_hash
from webapp.providers.subtitles.opensubtitles import OpenSubtitles
from webapp.providers.subtitles.settings import MemoryQuota, SubtitleProviderSettings
from webapp.releases.subtitles import score_offer

NOW = datetime(2026, 12, 2, 16, 30, tzinfo=timezone.utc)
EPISODE_FILE = "The.Mandalorian.S01E02.Chapter.2.1080p.DSNP.WEB-DL.DDP5.1.H.264-NTb.mkv"


@pytest.fixture
def fake() -> FakeOpenSubtitles:
    return FakeOpenSubtitles()


@pytest.fixture
def url(fake: FakeOpenSubtitles) -> Iterator[str]:
    with serving(fake.app()) as root:
        yield root + "/api/v1"


def client(url: str, quota: MemoryQuota | None = None, *, login: bool = True, api_key: str = API_KEY,
           password: str = PASSWORD, timeout: float = 5.0) -> OpenSubtitles:
    settings = SubtitleProviderSettings(
        "OpenSubtitles", "opensubtitles", base_url=url, api_key=api_key, username=USERNAME if login else "",
        password=password if login else "", id=1,
    )
    return OpenSubtitles(settings, quota or MemoryQuota(), score_offer, clock=lambda: NOW, timeout=timeout)


def media_file(folder: Path, name: str = EPISODE_FILE) -> Path:
    """A real file big enough to hash (the hash reads its first and last 64 KiB)."""
    path = folder / name
    path.write_bytes(os.urandom(200 * 1024))
    return path


def episode_request(path: Path, language: str = "en") -> SubtitleRequest:
    return SubtitleRequest("The Mandalorian", language, str(path), tmdb_id=82856, season=1, episode=2)


def test_the_hash_is_opensubtitles_own(tmp_path: Path) -> None:
    # A file of known words: its size (131072) plus its first word (1); every other word is 0.
    path = tmp_path / "video.avi"
    path.write_bytes(b"\x01" + b"\x00" * (2 * 65536 - 1))
    assert opensubtitles_hash(str(path)) == f"{(2 * 65536 + 1) & 0xFFFFFFFFFFFFFFFF:016x}"
    (tmp_path / "small.avi").write_bytes(b"x" * 1000)
    assert opensubtitles_hash(str(tmp_path / "small.avi")) is None
    assert opensubtitles_hash(str(tmp_path / "missing.avi")) is None


def test_an_episode_is_searched_by_the_series_tmdb_id_and_the_hash_and_scored(
    fake: FakeOpenSubtitles, url: str, tmp_path: Path,
) -> None:
    path = media_file(tmp_path)
    file_hash = opensubtitles_hash(str(path))
    fake.subtitles += [
        Subtitle(1, "The.Mandalorian.S01E02.1080p.DSNP.WEB-DL.DDP5.1.H.264-NTb", parent_tmdb_id=82856,
                 title="The Mandalorian", season=1, episode=2, moviehash=file_hash),
        Subtitle(2, "The.Mandalorian.S01E02.720p.WEB.H264-GHOSTS", parent_tmdb_id=82856,
                 title="The Mandalorian", season=1, episode=2),
        Subtitle(3, "The.Mandalorian.S01E02.1080p.WEB.H264-GHOSTS", language="fr", parent_tmdb_id=82856,
                 title="The Mandalorian", season=1, episode=2),
    ]
    results = client(url).search(episode_request(path))
    assert [(r.reference, r.language, r.score, r.release_name) for r in results] == [
        ("1", "en", 100, "The.Mandalorian.S01E02.1080p.DSNP.WEB-DL.DDP5.1.H.264-NTb"),
        ("2", "en", 95, "The.Mandalorian.S01E02.720p.WEB.H264-GHOSTS"),
    ]
    method, path_asked, params = fake.requests[-1]
    assert (method, path_asked) == ("GET", "/api/v1/subtitles")
    assert params == {"episode_number": "2", "languages": "en", "moviehash": file_hash, "parent_tmdb_id": "82856",
                      "season_number": "1"}
    assert list(params) == sorted(params)  # the API redirects a query whose parameters are not sorted


def test_a_movie_without_ids_is_searched_by_title_and_year(fake: FakeOpenSubtitles, url: str, tmp_path: Path) -> None:
    path = tmp_path / "Heat.1995.1080p.BluRay.x264-AMIABLE.mkv"
    path.write_bytes(b"small")  # too small to hash: no moviehash sent
    fake.subtitles.append(Subtitle(9, "Heat.1995.1080p.BluRay.x264-AMIABLE", tmdb_id=949, title="Heat", year=1995))
    results = client(url, login=False).search(SubtitleRequest("Heat", "en", str(path), year=1995))
    assert [(r.reference, r.score) for r in results] == [("9", 91)]  # all but the hash and audio
    assert fake.requests[-1][2] == {"languages": "en", "query": "heat", "year": "1995"}


def test_a_download_logs_in_once_keeps_the_token_and_notes_the_quota(
    fake: FakeOpenSubtitles, url: str, tmp_path: Path,
) -> None:
    fake.subtitles.append(Subtitle(7, "The.Mandalorian.S01E02.720p.WEB.H264-GHOSTS", parent_tmdb_id=82856,
                                   title="The Mandalorian", season=1, episode=2, body=b"1\n00:00:01,000 --> x\nHi\n"))
    quota = MemoryQuota()
    provider = client(url, quota)
    result = provider.search(episode_request(media_file(tmp_path)))[0]
    assert provider.download(result) == b"1\n00:00:01,000 --> x\nHi\n"
    assert provider.download(result) == b"1\n00:00:01,000 --> x\nHi\n"
    assert fake.logins == 1
    state = quota.load(1)
    assert (state.downloads_remaining, state.resets_at) == (98, datetime(2026, 12, 3, tzinfo=timezone.utc))
    assert state.resting_until is None


def test_the_last_download_of_the_quota_rests_the_provider_until_the_reset(
    fake: FakeOpenSubtitles, url: str, tmp_path: Path,
) -> None:
    fake.subtitles.append(Subtitle(7, "The.Mandalorian.S01E02.720p.WEB.H264-GHOSTS", parent_tmdb_id=82856,
                                   title="The Mandalorian", season=1, episode=2))
    fake.remaining = 1
    provider = client(url)
    request = episode_request(media_file(tmp_path))
    provider.download(provider.search(request)[0])
    with pytest.raises(ProviderError) as error:
        provider.search(request)
    assert str(error.value) == ("OpenSubtitles download quota used up (0 left); not asked again until "
                                "2026-12-03 00:00:00 UTC")


def test_an_expired_token_is_renewed_once(fake: FakeOpenSubtitles, url: str, tmp_path: Path) -> None:
    fake.subtitles.append(Subtitle(7, "The.Mandalorian.S01E02.720p.WEB.H264-GHOSTS", parent_tmdb_id=82856,
                                   title="The Mandalorian", season=1, episode=2))
    provider = client(url)
    result = provider.search(episode_request(media_file(tmp_path)))[0]
    provider.download(result)
    fake.expire_tokens()
    assert provider.download(result).startswith(b"1\n")
    assert fake.logins == 2


def test_a_used_up_quota_stops_every_request_until_its_reset(fake: FakeOpenSubtitles, url: str, tmp_path: Path) -> None:
    fake.subtitles.append(Subtitle(7, "The.Mandalorian.S01E02.720p.WEB.H264-GHOSTS", parent_tmdb_id=82856,
                                   title="The Mandalorian", season=1, episode=2))
    fake.remaining = 0
    quota = MemoryQuota()
    provider = client(url, quota)
    request = episode_request(media_file(tmp_path))
    result = provider.search(request)[0]
    with pytest.raises(ProviderError) as error:
        provider.download(result)
    assert "OpenSubtitles download quota used up (You have downloaded your allowed 20 subtitles" in str(error.value)
    assert str(error.value).endswith("not asked again until 2026-12-03 00:00:00 UTC")
    asked = len(fake.requests)
    with pytest.raises(ProviderError, match="quota used up.*not asked again until 2026-12-03 00:00:00 UTC"):
        provider.search(request)
    assert len(fake.requests) == asked  # nothing asked while the quota is out
    assert quota.load(1).downloads_remaining == 0


def test_a_429_is_honoured_for_its_retry_after(fake: FakeOpenSubtitles, url: str, tmp_path: Path) -> None:
    def slow_down() -> tuple[Response, int]:
        response = jsonify(message="Throttle limit reached. Retry later.")
        response.headers["Retry-After"] = "120"
        return response, 429

    fake.answer = slow_down
    provider = client(url, login=False)
    request = episode_request(media_file(tmp_path))
    with pytest.raises(ProviderError, match=r"asked to slow down \(HTTP 429\); not asked again until 2026-12-02 16:32:00 UTC"):
        provider.search(request)
    fake.answer = None
    asked = len(fake.requests)
    with pytest.raises(ProviderError, match="not asked again until 2026-12-02 16:32:00 UTC"):
        provider.search(request)
    assert len(fake.requests) == asked


@pytest.mark.parametrize(("answer", "message"), [
    (lambda: (jsonify(message="Service Unavailable"), 503), "OpenSubtitles answered HTTP 503 on /subtitles: Service Unavailable"),
    (lambda: Response("<html><body>Bad gateway</body></html>", 502, mimetype="text/html"),
     "OpenSubtitles answered HTTP 502 on /subtitles: <html><body>Bad gateway</body></html>"),
    (lambda: Response("{\"data\": [", 200, mimetype="application/json"),
     "OpenSubtitles answered something that is not JSON on /subtitles: '{\"data\": ['"),
    (lambda: (jsonify(results=[]), 200), "OpenSubtitles answered a search without a 'data' list"),
])
def test_broken_answers_are_provider_errors_that_say_what_came(
    fake: FakeOpenSubtitles, url: str, tmp_path: Path, answer: object, message: str,
) -> None:
    fake.answer = answer  # type: ignore[assignment]
    with pytest.raises(ProviderError) as error:
        client(url, login=False).search(episode_request(media_file(tmp_path)))
    assert str(error.value).startswith(message)


def test_a_silent_server_times_out_with_a_clear_message(tmp_path: Path) -> None:
    with silent_server() as root:
        with pytest.raises(ProviderError, match=r"OpenSubtitles at .*/subtitles did not answer within 0.3 s"):
            client(root + "/api/v1", login=False, timeout=0.3).search(episode_request(media_file(tmp_path)))


def test_wrong_credentials_say_which_and_never_show_the_secrets(url: str, tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as error:
        client(url, api_key="wrong-key-0123456789", login=False).search(episode_request(media_file(tmp_path)))
    assert str(error.value).startswith("OpenSubtitles refused the API key (HTTP 403 on /subtitles)")
    assert "wrong-key" not in str(error.value)
    with pytest.raises(ProviderError) as error:
        client(url, password="not-the-password").test()
    assert str(error.value) == "OpenSubtitles refused the username or password (HTTP 401)"


def test_the_test_logs_in_or_checks_the_key(url: str) -> None:
    assert client(url).test() == "OpenSubtitles logged in 'cinephile' (20 downloads a day, Sub leecher)"
    assert client(url, login=False).test().startswith("OpenSubtitles accepted the API key")
