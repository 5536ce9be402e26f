"""Each download client's list of finished downloads of our categories, against loopback fakes answering
with their protocol's real fields (``fake_clients``); unfinished ones and other categories left out."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_clients import FakeDeluge, FakeNZBGet, FakeQBittorrent, FakeSABnzbd, FakeTransmission, Switch
from loopback import serving, silent_server
from webapp.providers.base import ProviderError
from webapp.providers.clients import build_client
from webapp.providers.clients.finished import FinishedDownload, ListsFinished
from webapp.providers.settings import ClientSettings

USER, PASSWORD, API_KEY = "cinephage", "s3cret-Pa55word", "0123456789abcdef0123456789abcdef"
MOVIE = "The.Matrix.1999.1080p.BluRay.x264-SiNNERS"
EPISODE = "Breaking.Bad.S01E01.720p.HDTV.x264-CTU"


@pytest.fixture(scope="module")
def port() -> Iterator[Switch]:
    switch = Switch()
    with serving(switch.app) as switch.url:
        yield switch


def client(port: Switch, implementation: str, **settings: str) -> ListsFinished:
    host, number = port.url.removeprefix("http://").split(":")
    built = build_client(ClientSettings("Test", implementation, host=host, port=int(number), username=USER,
                                        password=PASSWORD, api_key=API_KEY, **settings), timeout=2)  # type: ignore[arg-type]
    return built  # type: ignore[return-value]


def summary(found: list[FinishedDownload]) -> list[tuple[str, str | None, str, str | None]]:
    return sorted((download.name, download.category, download.path, download.kind) for download in found)


def test_qbittorrent_lists_complete_torrents_of_each_category(port: Switch) -> None:
    fake = FakeQBittorrent(USER, PASSWORD, {})
    fake.listed(MOVIE, "movies", "/downloads/complete/", content_path=f"/downloads/complete/{MOVIE}")
    fake.listed(EPISODE + ".mkv", "tv", "/downloads/complete/", state="pausedUP",
                content_path=f"/downloads/complete/{EPISODE}.mkv")
    fake.listed("Still.Going.2020.1080p.WEB-DL", "movies", "/downloads/", progress=0.42, state="downloading")
    fake.listed("Linux.ISO", "software", "/downloads/")
    port.target = fake.app
    found = client(port, "qbittorrent").finished()
    assert summary(found) == [
        (EPISODE + ".mkv", "tv", f"/downloads/complete/{EPISODE}.mkv", "episode"),
        (MOVIE, "movies", f"/downloads/complete/{MOVIE}", "movie")]
    assert all(len(download.download_id) == 40 for download in found)


def test_transmission_lists_finished_torrents_by_label_or_category_folder(port: Switch) -> None:
    fake = FakeTransmission(USER, PASSWORD, {})
    fake.listed(MOVIE, "/downloads/complete", labels=["movies"])
    fake.listed(EPISODE, "/downloads/complete/tv")  # before labels (RPC < 17): the category is a sub-folder
    fake.listed("Half.Done.2022.720p.WEB", "/downloads/complete", labels=["movies"], percent_done=0.5)
    fake.listed("Other.Stuff", "/downloads/complete", labels=["music"])
    port.target = fake.app
    assert summary(client(port, "transmission").finished()) == [
        (EPISODE, "tv", f"/downloads/complete/tv/{EPISODE}", "episode"),
        (MOVIE, "movies", f"/downloads/complete/{MOVIE}", "movie")]


def test_deluge_lists_finished_torrents_of_each_label(port: Switch) -> None:
    fake = FakeDeluge(PASSWORD, {}, labels=["movies", "tv"])
    fake.listed(MOVIE, "movies", "/var/lib/deluge/done")
    fake.listed(EPISODE, "tv", "/var/lib/deluge/done")
    fake.listed("Slow.Movie.2023.1080p.WEB", "movies", "/var/lib/deluge/done", progress=61.5)
    port.target = fake.app
    assert summary(client(port, "deluge").finished()) == [
        (EPISODE, "tv", f"/var/lib/deluge/done/{EPISODE}", "episode"),
        (MOVIE, "movies", f"/var/lib/deluge/done/{MOVIE}", "movie")]


def test_sabnzbd_lists_completed_history_jobs_with_their_storage(port: Switch) -> None:
    fake = FakeSABnzbd(API_KEY)
    fake.listed(MOVIE, "movies", f"/downloads/complete/movies/{MOVIE}")
    fake.listed(EPISODE, "tv", f"/downloads/complete/tv/{EPISODE}")
    fake.listed("Broken.Release.2021.1080p", "movies", "", status="Failed")
    port.target = fake.app
    found = client(port, "sabnzbd", url_base="/sabnzbd").finished()
    assert summary(found) == [
        (EPISODE, "tv", f"/downloads/complete/tv/{EPISODE}", "episode"),
        (MOVIE, "movies", f"/downloads/complete/movies/{MOVIE}", "movie")]
    assert {request["form"].get("category") for request in fake.requests} == {"movies", "tv"}
    assert all(request["form"]["apikey"] == API_KEY and "apikey" not in request["query"] for request in fake.requests)


def test_nzbget_lists_successful_history_entries_with_their_dest_dir(port: Switch) -> None:
    fake = FakeNZBGet(USER, PASSWORD)
    fake.listed(MOVIE, "movies", f"/data/dst/movies/{MOVIE}")
    fake.listed(EPISODE, "tv", f"/data/dst/tv/{EPISODE}", status="SUCCESS/ALL")
    fake.listed("Bad.Par.2020.1080p", "movies", "/data/dst/movies/x", status="FAILURE/PAR")
    fake.listed("Dupe.2020.1080p", "movies", "/data/dst/movies/y", kind="DUP")
    fake.listed("Album.2020.FLAC", "music", "/data/dst/music/z")
    port.target = fake.app
    assert summary(client(port, "nzbget").finished()) == [
        (EPISODE, "tv", f"/data/dst/tv/{EPISODE}", "episode"),
        (MOVIE, "movies", f"/data/dst/movies/{MOVIE}", "movie")]


def test_a_blackhole_lists_what_is_in_its_download_folder(tmp_path: Path) -> None:
    (tmp_path / MOVIE).mkdir()
    (tmp_path / f"{EPISODE}.mkv").write_bytes(b"")
    (tmp_path / ".in-progress").mkdir()
    hole = build_client(ClientSettings("Hole", "blackhole", torrent_folder=str(tmp_path), download_folder=str(tmp_path)))
    found = hole.finished()  # type: ignore[attr-defined]
    assert summary(found) == [(f"{EPISODE}.mkv", None, str(tmp_path / f"{EPISODE}.mkv"), None),
                              (MOVIE, None, str(tmp_path / MOVIE), None)]


@pytest.mark.parametrize("implementation", ["qbittorrent", "transmission", "deluge", "sabnzbd", "nzbget"])
def test_a_client_that_does_not_answer_is_a_provider_error(implementation: str) -> None:
    with silent_server() as url:
        host, number = url.removeprefix("http://").split(":")
        slow = build_client(ClientSettings("Slow", implementation, host=host, port=int(number), api_key=API_KEY),
                            timeout=0.3)
        with pytest.raises(ProviderError, match="did not answer|Could not connect"):
            slow.finished()  # type: ignore[attr-defined]


def test_a_refused_password_says_so(port: Switch) -> None:
    port.target = FakeQBittorrent(USER, "another password", {}).app
    with pytest.raises(ProviderError, match="refused the username or password"):
        client(port, "qbittorrent").finished()
