"""Download clients against loopback fakes speaking their real protocols (``fake_clients``).

Each client hands over what it was given (torrent bytes, magnet, NZB) in the right category,
started, with the credentials it was given; each way a client or an indexer can fail ends in a
``ProviderError`` whose message says what happened, and no secret reaches a message or a log.
"""
from __future__ import annotations

import base64
import logging
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from flask import Flask

from fake_clients import (
    FakeDeluge,
    FakeIndexer,
    FakeNZBGet,
    FakeQBittorrent,
    FakeSABnzbd,
    FakeTransmission,
    Switch,
    magnet,
    nzb,
    torrent,
)
from loopback import serving, silent_server
from webapp.providers.base import ProviderError, Release
from webapp.providers.clients import build_client, fetch_payload
from webapp.providers.clients.payload import MAGNET, NZB, TORRENT, safe_file_name
from webapp.providers.settings import ClientSettings

TIMEOUT = 0.5
USERNAME = "cinephage"
PASSWORD = "s3cret-Pa55word"
API_KEY = "0123456789abcdef0123456789abcdef"
INDEXER_KEY = "idxKEY9f8e7d6c"
CLIENT_SECRETS = (PASSWORD, API_KEY)

TITLE = "Some.Show.S01E01.1080p.WEB.h264-GRP"
TORRENT_BYTES, TORRENT_HASH = torrent(TITLE)
_, MAGNET_HASH = torrent("Magnet.Only.2024.1080p")
MAGNET_URI = magnet(MAGNET_HASH, "Magnet.Only.2024.1080p")
KNOWN = {TORRENT_BYTES: TORRENT_HASH}


@pytest.fixture(autouse=True)
def no_secret_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test runs with all loggers at DEBUG; none may have written a client's secret."""
    caplog.set_level(logging.DEBUG)
    yield
    assert not any(secret in caplog.text for secret in CLIENT_SECRETS)
    # The indexer's key is in its links by Torznab's design (and so in httpx's and the fakes' logs): not in ours.
    assert INDEXER_KEY not in "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("cinephage"))


@pytest.fixture(scope="module")
def indexer_port() -> Iterator[Switch]:
    switch = Switch()
    with serving(switch.app) as switch.url:
        yield switch


@pytest.fixture(scope="module")
def client_port() -> Iterator[Switch]:
    switch = Switch()
    with serving(switch.app) as switch.url:
        yield switch


@contextmanager
def plugged(switch: Switch, app: Flask) -> Iterator[str]:
    """Points the switch at ``app`` for one test; yields its URL."""
    switch.target = app
    try:
        yield switch.url
    finally:
        switch.target = None


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=TIMEOUT) as client:
        yield client


@pytest.fixture
def indexer(indexer_port: Switch) -> Iterator[tuple[FakeIndexer, str]]:
    fake = FakeIndexer(torrents={"show": TORRENT_BYTES}, magnets={"magnet-only": MAGNET_URI})
    with plugged(indexer_port, fake.app) as url:
        yield fake, url


def release(url: str, protocol: str = "torrent", magnet_url: str | None = None, title: str = TITLE) -> Release:
    return Release(title=title, quality="WEBDL-1080p", indexer="Fake Indexer", download_url=url,
                   protocol=protocol, magnet_url=magnet_url)


def link(indexer: tuple[FakeIndexer, str], path: str) -> str:
    return f"{indexer[1]}{path}?t=get&apikey={INDEXER_KEY}"


def settings(implementation: str, url: str, **changes: object) -> ClientSettings:
    parts = urlsplit(url)
    base = ClientSettings(name=f"Test {implementation}", implementation=implementation, host=parts.hostname or "",
                          port=parts.port or 0, url_base=parts.path, username=USERNAME, password=PASSWORD)
    return replace(base, **changes)


def refused(call: Callable[[], object], *words: str) -> str:
    """Runs ``call``; it must raise ProviderError holding ``words`` and no secret. Returns the message."""
    with pytest.raises(ProviderError) as caught:
        call()
    message = str(caught.value)
    for word in words:
        assert word in message
    assert not any(secret in message for secret in (*CLIENT_SECRETS, INDEXER_KEY))
    return message


# --- what is handed over ------------------------------------------------------------------------------


def test_a_torrent_link_answers_the_torrent_file(indexer: tuple[FakeIndexer, str], http: httpx.Client) -> None:
    payload = fetch_payload(release(link(indexer, "/torrent/show")), http, TIMEOUT)
    assert (payload.kind, payload.data, payload.file_name) == (TORRENT, TORRENT_BYTES, f"{TITLE}.torrent")


def test_a_redirect_to_a_magnet_is_taken_not_followed(indexer: tuple[FakeIndexer, str], http: httpx.Client) -> None:
    payload = fetch_payload(release(link(indexer, "/torrent/magnet-only")), http, TIMEOUT)
    assert (payload.kind, payload.magnet_uri) == (MAGNET, MAGNET_URI)
    assert indexer[0].hits == [f"/torrent/magnet-only?t=get&apikey={INDEXER_KEY}"]


def test_http_redirects_are_followed(indexer: tuple[FakeIndexer, str], http: httpx.Client) -> None:
    assert fetch_payload(release(link(indexer, "/hop/show")), http, TIMEOUT).data == TORRENT_BYTES


def test_a_release_with_a_magnet_only_needs_no_download(http: httpx.Client) -> None:
    payload = fetch_payload(release("", magnet_url=MAGNET_URI), http, TIMEOUT)
    assert (payload.kind, payload.data, payload.file_name) == (MAGNET, MAGNET_URI.encode(), f"{TITLE}.magnet")


def test_an_nzb_link_answers_the_nzb(indexer: tuple[FakeIndexer, str], http: httpx.Client) -> None:
    payload = fetch_payload(release(link(indexer, "/nzb/show"), protocol="usenet"), http, TIMEOUT)
    assert (payload.kind, payload.data, payload.file_name) == (NZB, nzb("show"), f"{TITLE}.nzb")


@pytest.mark.parametrize(("path", "protocol", "words"), [
    ("/torrent/gone", "torrent", ("Fake Indexer (127.0.0.1) answered HTTP 404", TITLE)),
    ("/broken", "torrent", ("HTTP 500",)),
    ("/login-page", "torrent", ("not a torrent file",)),
    ("/declared-huge", "torrent", ("larger than 10 MB",)),
    ("/endless", "torrent", ("larger than 10 MB",)),
    ("/loop", "torrent", ("redirected", "more than 5 times")),
    ("/nzb-error", "usenet", ("refused the NZB", "Request limit reached")),
    ("/echo-key", "usenet", ("refused the NZB",)),
    ("/login-page", "usenet", ("not an NZB file",)),
    ("/torrent/magnet-only", "usenet", ("magnet",)),
])
def test_a_failed_download_says_what_the_indexer_did(indexer: tuple[FakeIndexer, str], http: httpx.Client,
                                                     path: str, protocol: str, words: tuple[str, ...]) -> None:
    refused(lambda: fetch_payload(release(link(indexer, path), protocol=protocol), http, TIMEOUT), *words)


def test_a_failed_torrent_download_falls_back_to_the_magnet(indexer: tuple[FakeIndexer, str],
                                                            http: httpx.Client) -> None:
    payload = fetch_payload(release(link(indexer, "/login-page"), magnet_url=MAGNET_URI), http, TIMEOUT)
    assert payload.magnet_uri == MAGNET_URI


def test_an_indexer_that_never_answers_times_out(http: httpx.Client) -> None:
    with silent_server() as url:
        started = time.monotonic()
        refused(lambda: fetch_payload(release(f"{url}/torrent/x?apikey={INDEXER_KEY}"), http, TIMEOUT),
                "did not answer within 0.5 s")
        assert time.monotonic() - started < 3


@pytest.mark.parametrize("download_url", ["", "ftp://example.com/x.torrent", "magnet:?dn=no-hash"])
def test_a_release_without_a_usable_link_is_refused(http: httpx.Client, download_url: str) -> None:
    refused(lambda: fetch_payload(release(download_url), http, TIMEOUT), TITLE)


@pytest.mark.parametrize(("title", "expected"), [
    ("../../etc/passwd", "etc passwd"),
    ("Show/Name\\S01E01:Part*2?", "Show Name S01E01 Part 2"),
    ("Bad\x00Name\nWith\tControls\u202e", "Bad Name With Controls"),
    ("..hidden..title..", "hidden.title"),
    ("...", "release"),
])
def test_titles_become_safe_file_names(title: str, expected: str) -> None:
    assert safe_file_name(title) == expected


def test_a_long_title_is_cut_to_a_file_name_length() -> None:
    assert len(safe_file_name("é" * 300).encode()) <= 200


# --- qBittorrent ----------------------------------------------------------------------------------------


@pytest.fixture
def qbittorrent(client_port: Switch) -> Iterator[tuple[FakeQBittorrent, str]]:
    fake = FakeQBittorrent(USERNAME, PASSWORD, KNOWN)
    with plugged(client_port, fake.app) as url:
        yield fake, url


def test_qbittorrent_takes_the_torrent_file_and_reports_its_hash(
        qbittorrent: tuple[FakeQBittorrent, str], indexer: tuple[FakeIndexer, str], http: httpx.Client) -> None:
    fake, url = qbittorrent
    fake.listed_after = 2  # qBittorrent lists an added torrent a moment later
    client = build_client(settings("qbittorrent", url), http, TIMEOUT)
    assert client.add(release(link(indexer, "/torrent/show")), "tv") == TORRENT_HASH
    assert fake.logins == [{"username": USERNAME, "password": PASSWORD}]
    [added] = fake.adds
    assert list(added["files"].values()) == [TORRENT_BYTES]
    assert added["form"]["category"] == "tv"
    assert not {"paused", "stopped"} & set(added["form"])
    assert added["form"]["tags"].startswith("cinephage-")
    assert fake.torrents[0]["tags"] == ""  # the tag that found it is gone again


def test_qbittorrent_from_web_api_2_14_names_what_it_added(
        qbittorrent: tuple[FakeQBittorrent, str], indexer: tuple[FakeIndexer, str], http: httpx.Client) -> None:
    fake, url = qbittorrent
    fake.app_version, fake.api_version = "v5.2.0", "2.14.0"
    client = build_client(settings("qbittorrent", url), http, TIMEOUT)
    assert client.add(release(link(indexer, "/torrent/magnet-only")), "movies") == MAGNET_HASH
    [added] = fake.adds
    assert (added["form"]["urls"], added["form"]["category"], added["files"]) == (MAGNET_URI, "movies", {})
    assert "tags" not in added["form"] and fake.info_calls == 0


def test_qbittorrent_never_listing_the_torrent(
        qbittorrent: tuple[FakeQBittorrent, str], indexer: tuple[FakeIndexer, str], http: httpx.Client) -> None:
    fake, url = qbittorrent
    fake.listed_after = 1000
    client = build_client(settings("qbittorrent", url), http, TIMEOUT)
    refused(lambda: client.add(release(link(indexer, "/torrent/show")), "tv"),
            "qBittorrent accepted the torrent but did not list it within 0.5 s")
    assert fake.torrents[0]["tags"] == ""


def test_qbittorrent_test_names_its_versions(qbittorrent: tuple[FakeQBittorrent, str]) -> None:
    client = build_client(settings("qbittorrent", qbittorrent[1]), timeout=TIMEOUT)
    assert client.test() == "Connected to qBittorrent v4.6.5 (Web API 2.9.3)"
    assert client.protocols == ("torrent",)


def test_qbittorrent_refusing_the_password(qbittorrent: tuple[FakeQBittorrent, str]) -> None:
    client = build_client(settings("qbittorrent", qbittorrent[1], password="wrong"), timeout=TIMEOUT)
    assert refused(client.test) == "qBittorrent refused the username or password"


def test_qbittorrent_banning_the_address(qbittorrent: tuple[FakeQBittorrent, str]) -> None:
    qbittorrent[0].banned = True
    client = build_client(settings("qbittorrent", qbittorrent[1]), timeout=TIMEOUT)
    refused(client.test, "qBittorrent refused access (HTTP 403)", "banned")


@pytest.mark.parametrize(("refuse_with", "words"), [
    ("415", ("qBittorrent refused the torrent (HTTP 415): Torrent file is not valid.",)),
    ("fails", ("qBittorrent refused the torrent", "Fails.")),
])
def test_qbittorrent_refusing_the_torrent(qbittorrent: tuple[FakeQBittorrent, str], indexer: tuple[FakeIndexer, str],
                                          http: httpx.Client, refuse_with: str, words: tuple[str, ...]) -> None:
    qbittorrent[0].refuse_with = refuse_with
    client = build_client(settings("qbittorrent", qbittorrent[1]), http, TIMEOUT)
    refused(lambda: client.add(release(link(indexer, "/torrent/show")), "tv"), *words)


def test_qbittorrent_at_a_wrong_url_base(qbittorrent: tuple[FakeQBittorrent, str]) -> None:
    client = build_client(settings("qbittorrent", qbittorrent[1] + "/qbt"), timeout=TIMEOUT)
    refused(client.test, "HTTP 404", "URL base")


# --- Transmission ---------------------------------------------------------------------------------------


@pytest.fixture
def transmission(client_port: Switch) -> Iterator[tuple[FakeTransmission, str]]:
    fake = FakeTransmission(USERNAME, PASSWORD, KNOWN)
    with plugged(client_port, fake.app) as url:
        yield fake, url


def test_transmission_takes_the_torrent_file_with_a_label(
        transmission: tuple[FakeTransmission, str], indexer: tuple[FakeIndexer, str], http: httpx.Client) -> None:
    fake, url = transmission
    client = build_client(settings("transmission", url), http, TIMEOUT)
    assert client.add(release(link(indexer, "/torrent/show")), "tv") == TORRENT_HASH
    assert fake.conflicts == 1  # the first call learnt the session id from a 409
    [add] = [call for call in fake.calls if call["method"] == "torrent-add"]
    assert base64.b64decode(add["arguments"]["metainfo"]) == TORRENT_BYTES
    assert add["arguments"]["labels"] == ["tv"]
    assert "paused" not in add["arguments"] and "download-dir" not in add["arguments"]
    assert set(fake.auth_seen) == {USERNAME}


def test_transmission_before_labels_gets_a_category_folder(
        transmission: tuple[FakeTransmission, str], indexer: tuple[FakeIndexer, str], http: httpx.Client) -> None:
    fake, url = transmission
    fake.rpc_version, fake.version = 16, "3.00 (bb6b5a062e)"
    client = build_client(settings("transmission", url), http, TIMEOUT)
    assert client.add(release(link(indexer, "/torrent/magnet-only")), "movies") == MAGNET_HASH
    [add] = [call for call in fake.calls if call["method"] == "torrent-add"]
    assert add["arguments"] == {"filename": MAGNET_URI, "download-dir": "/downloads/complete/movies"}


def test_transmission_test_names_its_version(transmission: tuple[FakeTransmission, str]) -> None:
    client = build_client(settings("transmission", transmission[1]), timeout=TIMEOUT)
    assert client.test() == "Connected to Transmission 4.0.5 (a6fe2a64aa), RPC 17"


def test_transmission_refusing_the_password(transmission: tuple[FakeTransmission, str]) -> None:
    client = build_client(settings("transmission", transmission[1], password="wrong"), timeout=TIMEOUT)
    assert refused(client.test) == "Transmission refused the username or password"


def test_transmission_refusing_the_torrent(transmission: tuple[FakeTransmission, str],
                                           indexer: tuple[FakeIndexer, str], http: httpx.Client) -> None:
    indexer[0].torrents["other"] = torrent("Not.Known.To.The.Client")[0]
    client = build_client(settings("transmission", transmission[1]), http, TIMEOUT)
    refused(lambda: client.add(release(link(indexer, "/torrent/other")), "tv"),
            "Transmission refused the request: invalid or corrupt torrent file")


def test_transmission_answering_malformed_json(transmission: tuple[FakeTransmission, str]) -> None:
    transmission[0].malformed = True
    client = build_client(settings("transmission", transmission[1]), timeout=TIMEOUT)
    refused(client.test, "Transmission answered something that is not JSON")


# --- Deluge ---------------------------------------------------------------------------------------------


@pytest.fixture
def deluge(client_port: Switch) -> Iterator[tuple[FakeDeluge, str]]:
    fake = FakeDeluge(PASSWORD, KNOWN)
    with plugged(client_port, fake.app) as url:
        yield fake, url


def test_deluge_logs_in_connects_its_daemon_and_labels_the_torrent(
        deluge: tuple[FakeDeluge, str], indexer: tuple[FakeIndexer, str], http: httpx.Client) -> None:
    fake, url = deluge
    client = build_client(settings("deluge", url), http, TIMEOUT)
    assert client.add(release(link(indexer, "/torrent/show")), "TV") == TORRENT_HASH
    methods = [call["method"] for call in fake.calls]
    assert methods == ["auth.login", "web.connected", "web.get_hosts", "web.connect", "label.get_labels",
                       "label.add", "core.add_torrent_file", "label.set_torrent"]
    assert fake.calls[0]["params"] == [PASSWORD]
    assert fake.calls[3]["params"] == [fake.daemon_id]  # the local daemon, not the first listed
    [add] = [call for call in fake.calls if call["method"] == "core.add_torrent_file"]
    assert add["params"] == [f"{TITLE}.torrent", base64.b64encode(TORRENT_BYTES).decode(), {}]
    assert fake.torrent_labels == {TORRENT_HASH: "tv"}


def test_deluge_takes_a_magnet(deluge: tuple[FakeDeluge, str], http: httpx.Client) -> None:
    fake, url = deluge
    fake.connected = True
    client = build_client(settings("deluge", url), http, TIMEOUT)
    assert client.add(release("", magnet_url=MAGNET_URI), "movies") == MAGNET_HASH
    [add] = [call for call in fake.calls if call["method"] == "core.add_torrent_magnet"]
    assert add["params"] == [MAGNET_URI, {}]
    assert "label.add" not in [call["method"] for call in fake.calls]  # "movies" was there already
    assert fake.torrent_labels == {MAGNET_HASH: "movies"}


def test_deluge_without_a_daemon(deluge: tuple[FakeDeluge, str]) -> None:
    deluge[0].hosts = []
    client = build_client(settings("deluge", deluge[1]), timeout=TIMEOUT)
    refused(client.test, "Deluge's web UI knows no daemon")


def test_deluge_test_names_its_version(deluge: tuple[FakeDeluge, str]) -> None:
    client = build_client(settings("deluge", deluge[1]), timeout=TIMEOUT)
    assert client.test() == "Connected to Deluge 2.1.1 (Label plugin enabled)"


def test_deluge_refusing_the_password(deluge: tuple[FakeDeluge, str]) -> None:
    client = build_client(settings("deluge", deluge[1], password="wrong"), timeout=TIMEOUT)
    assert refused(client.test) == "Deluge refused the password"


def test_deluge_without_its_label_plugin(deluge: tuple[FakeDeluge, str], indexer: tuple[FakeIndexer, str],
                                         http: httpx.Client) -> None:
    fake, url = deluge
    fake.plugins = []
    client = build_client(settings("deluge", url), http, TIMEOUT)
    refused(client.test, "Label plugin is off")
    refused(lambda: client.add(release(link(indexer, "/torrent/show")), "tv"), "Label plugin is off")
    assert "core.add_torrent_file" not in [call["method"] for call in fake.calls]  # nothing half done


def test_deluge_refusing_the_torrent(deluge: tuple[FakeDeluge, str], indexer: tuple[FakeIndexer, str],
                                     http: httpx.Client) -> None:
    indexer[0].torrents["other"] = torrent("Not.Known.To.The.Client")[0]
    client = build_client(settings("deluge", deluge[1]), http, TIMEOUT)
    refused(lambda: client.add(release(link(indexer, "/torrent/other")), "tv"),
            "Deluge refused core.add_torrent_file: AddTorrentError: Unable to add torrent")


def test_deluge_refusing_a_label_it_cannot_hold(deluge: tuple[FakeDeluge, str], http: httpx.Client) -> None:
    client = build_client(settings("deluge", deluge[1]), http, TIMEOUT)
    refused(lambda: client.add(release("", magnet_url=MAGNET_URI), "TV Shows"), "'TV Shows' cannot be one")
    assert deluge[0].calls == []


def test_deluge_answering_something_else(deluge: tuple[FakeDeluge, str]) -> None:
    deluge[0].malformed = True
    client = build_client(settings("deluge", deluge[1]), timeout=TIMEOUT)
    refused(client.test, "Deluge answered something that is not JSON")


# --- SABnzbd --------------------------------------------------------------------------------------------


@pytest.fixture
def sabnzbd(client_port: Switch) -> Iterator[tuple[FakeSABnzbd, str]]:
    fake = FakeSABnzbd(API_KEY)
    with plugged(client_port, fake.app) as url:
        yield fake, f"{url}/sabnzbd"


def test_sabnzbd_takes_the_nzb_in_its_category(sabnzbd: tuple[FakeSABnzbd, str], indexer: tuple[FakeIndexer, str],
                                               http: httpx.Client) -> None:
    fake, url = sabnzbd
    client = build_client(settings("sabnzbd", url, api_key=API_KEY), http, TIMEOUT)
    assert client.add(release(link(indexer, "/nzb/show"), protocol="usenet"), "tv") == "SABnzbd_nzo_kyt1f0"
    [sent] = fake.requests
    assert sent["query"] == {}  # the key travels in the body, out of every logged URL
    assert sent["form"] == {"mode": "addfile", "output": "json", "apikey": API_KEY, "cat": "tv", "nzbname": TITLE}
    assert sent["file"] == (f"{TITLE}.nzb", nzb("show"), "application/x-nzb")
    assert client.protocols == ("usenet",)


def test_sabnzbd_test_checks_the_key_and_the_categories(sabnzbd: tuple[FakeSABnzbd, str]) -> None:
    fake, url = sabnzbd
    client = build_client(settings("sabnzbd", url, api_key=API_KEY), timeout=TIMEOUT)
    assert client.test() == "SABnzbd 4.3.2 answered"
    assert [sent["form"]["mode"] for sent in fake.requests] == ["version", "get_config"]
    fake.categories = ["*", "movies"]
    refused(client.test, "SABnzbd 4.3.2 answered, but has no category tv")


@pytest.mark.parametrize("echo_key", [False, True])
def test_sabnzbd_refusing_the_api_key(sabnzbd: tuple[FakeSABnzbd, str], echo_key: bool,
                                      caplog: pytest.LogCaptureFixture) -> None:
    fake, url = sabnzbd
    fake.echo_key = echo_key  # quoting the wrong key back, as a hostile server might
    wrong_key = API_KEY.upper()
    client = build_client(settings("sabnzbd", url, api_key=wrong_key), timeout=TIMEOUT)
    message = refused(client.test, "SABnzbd refused the API key (API Key Incorrect")
    assert wrong_key not in message and wrong_key not in caplog.text


def test_sabnzbd_without_an_api_key(sabnzbd: tuple[FakeSABnzbd, str]) -> None:
    client = build_client(settings("sabnzbd", sabnzbd[1]), timeout=TIMEOUT)
    refused(client.test, "SABnzbd needs its API key")
    assert sabnzbd[0].requests == []


def test_sabnzbd_refusing_the_nzb(sabnzbd: tuple[FakeSABnzbd, str], indexer: tuple[FakeIndexer, str],
                                  http: httpx.Client) -> None:
    sabnzbd[0].refuse_nzbs = True
    client = build_client(settings("sabnzbd", sabnzbd[1], api_key=API_KEY), http, TIMEOUT)
    refused(lambda: client.add(release(link(indexer, "/nzb/show"), protocol="usenet"), "tv"),
            "SABnzbd did not take the NZB")


def test_sabnzbd_unavailable(sabnzbd: tuple[FakeSABnzbd, str]) -> None:
    sabnzbd[0].status = 503
    client = build_client(settings("sabnzbd", sabnzbd[1], api_key=API_KEY), timeout=TIMEOUT)
    refused(client.test, "SABnzbd answered HTTP 503: <html><body>Service Unavailable</body></html>")


# --- NZBGet ---------------------------------------------------------------------------------------------


@pytest.fixture
def nzbget(client_port: Switch) -> Iterator[tuple[FakeNZBGet, str]]:
    fake = FakeNZBGet(USERNAME, PASSWORD)
    with plugged(client_port, fake.app) as url:
        yield fake, url


def test_nzbget_appends_the_nzb(nzbget: tuple[FakeNZBGet, str], indexer: tuple[FakeIndexer, str],
                                http: httpx.Client) -> None:
    fake, url = nzbget
    client = build_client(settings("nzbget", url), http, TIMEOUT)
    assert client.add(release(link(indexer, "/nzb/show"), protocol="usenet"), "movies") == "17"
    [call] = fake.calls
    assert call["method"] == "append"
    assert call["params"] == [f"{TITLE}.nzb", base64.b64encode(nzb("show")).decode(), "movies", 0,
                              False, False, "", 0, "SCORE", []]


def test_nzbget_test_names_its_version(nzbget: tuple[FakeNZBGet, str]) -> None:
    assert build_client(settings("nzbget", nzbget[1]), timeout=TIMEOUT).test() == "Connected to NZBGet 21.1"


def test_nzbget_refusing_the_password(nzbget: tuple[FakeNZBGet, str]) -> None:
    client = build_client(settings("nzbget", nzbget[1], password="wrong"), timeout=TIMEOUT)
    assert refused(client.test) == "NZBGet refused the username or password (HTTP 401)"


def test_nzbget_refusing_the_nzb(nzbget: tuple[FakeNZBGet, str], indexer: tuple[FakeIndexer, str],
                                 http: httpx.Client) -> None:
    nzbget[0].refuse_nzbs = True
    client = build_client(settings("nzbget", nzbget[1]), http, TIMEOUT)
    refused(lambda: client.add(release(link(indexer, "/nzb/show"), protocol="usenet"), "tv"),
            "NZBGet refused the NZB", "append answered 0")


def test_nzbget_answering_a_json_rpc_error(nzbget: tuple[FakeNZBGet, str]) -> None:
    nzbget[0].unknown = {"version"}
    client = build_client(settings("nzbget", nzbget[1]), timeout=TIMEOUT)
    refused(client.test, "NZBGet refused version: Invalid procedure")


# --- every client, the same hostile cases ---------------------------------------------------------------

NETWORK_CLIENTS = ["qbittorrent", "transmission", "deluge", "sabnzbd", "nzbget"]


def test_clients_that_never_answer() -> None:
    """Each client gives up after its timeout (tried side by side, to keep the suite quick)."""
    with silent_server() as url, ThreadPoolExecutor(len(NETWORK_CLIENTS)) as pool:
        started = time.monotonic()
        tests = {name: pool.submit(lambda name=name: refused(
            build_client(settings(name, url, api_key=API_KEY), timeout=TIMEOUT).test)) for name in NETWORK_CLIENTS}
        messages = {name: test.result() for name, test in tests.items()}
        elapsed = time.monotonic() - started
    for name, message in messages.items():
        assert "did not answer within 0.5 s" in message, name
    assert elapsed < 3  # qbittorrent-api tries twice: 2 × 0.5 s at most for it


@pytest.mark.parametrize("implementation", NETWORK_CLIENTS)
def test_a_client_that_is_not_there(implementation: str) -> None:
    with silent_server() as url:
        pass  # the port is free again: nothing listens
    client = build_client(settings(implementation, url, api_key=API_KEY), timeout=TIMEOUT)
    refused(client.test, "Could not connect to")


@pytest.mark.parametrize(("implementation", "path"), [
    ("qbittorrent", "/api/v2/auth/login"), ("transmission", "/transmission/rpc"), ("deluge", "/json"),
    ("sabnzbd", "/api"), ("nzbget", "/jsonrpc"),
])
@pytest.mark.parametrize(("status", "body", "words"), [
    (401, "Unauthorized", ("refused",)),
    (500, "Internal Server Error", ("500",)),
    (200, "{not json at all", ("not JSON",)),
])
def test_a_client_answering_errors_or_garbage(client_port: Switch, implementation: str, path: str, status: int,
                                              body: str, words: tuple[str, ...]) -> None:
    app = Flask("garbage")
    app.add_url_rule(path, "any", lambda: (body, status), methods=["GET", "POST"])
    with plugged(client_port, app) as url:
        client = build_client(settings(implementation, url, api_key=API_KEY), timeout=TIMEOUT)
        message = refused(client.test)
    if implementation == "qbittorrent" and status == 200:
        words = ("refused the username or password",)  # its login answers text: all but "Ok." refuses
    if implementation == "transmission" and status == 500:
        words = ("not JSON", "Internal Server Error")  # transmission-rpc reads any non-409 answer as JSON
    assert all(word in message for word in words), message


# --- the blackhole --------------------------------------------------------------------------------------


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    torrents, nzbs = tmp_path / "torrents", tmp_path / "nzbs"
    torrents.mkdir()
    nzbs.mkdir()
    return torrents, nzbs


def blackhole(torrents: Path | str = "", nzbs: Path | str = "") -> ClientSettings:
    return ClientSettings(name="Watched", implementation="blackhole", torrent_folder=str(torrents),
                          nzb_folder=str(nzbs))


def test_blackhole_writes_torrent_magnet_and_nzb_files(folders: tuple[Path, Path], indexer: tuple[FakeIndexer, str],
                                                       http: httpx.Client) -> None:
    torrents, nzbs = folders
    client = build_client(blackhole(torrents, nzbs), http, TIMEOUT)
    assert client.protocols == ("torrent", "usenet")
    written = [
        client.add(release(link(indexer, "/torrent/show")), "tv"),
        client.add(release(link(indexer, "/torrent/magnet-only"), title="Magnet.Only.2024"), "movies"),
        client.add(release(link(indexer, "/nzb/show"), protocol="usenet"), "tv"),
    ]
    assert written == [str(torrents / f"{TITLE}.torrent"), str(torrents / "Magnet.Only.2024.magnet"),
                       str(nzbs / f"{TITLE}.nzb")]
    assert [Path(path).read_bytes() for path in written] == [TORRENT_BYTES, MAGNET_URI.encode(), nzb("show")]
    assert sorted(os.listdir(torrents)) == sorted([f"{TITLE}.torrent", "Magnet.Only.2024.magnet"])  # no temporaries


def test_blackhole_keeps_a_hostile_title_inside_its_folder(folders: tuple[Path, Path], http: httpx.Client) -> None:
    torrents, _ = folders
    client = build_client(blackhole(torrents), http, TIMEOUT)
    path = client.add(release("", magnet_url=MAGNET_URI, title="../../../etc/cron.d/evil\x00\n"), "tv")
    assert Path(path).parent == torrents
    assert os.listdir(torrents) == ["etc cron.d evil.magnet"]


def test_blackhole_test_and_its_refusals(folders: tuple[Path, Path], tmp_path: Path) -> None:
    torrents, nzbs = folders
    assert build_client(blackhole(torrents, nzbs)).test() == (
        f"Blackhole folders are writable: {torrents} (torrent folder), {nzbs} (NZB folder)")
    refused(build_client(blackhole()).test, "neither a torrent folder nor an NZB folder")
    refused(build_client(blackhole(tmp_path / "missing")).test, "does not exist")
    (tmp_path / "a-file").write_text("")
    refused(build_client(blackhole(tmp_path / "a-file")).test, "does not exist or is not a folder")
    refused(build_client(blackhole("relative/folder")).test, "not an absolute path")


def test_blackhole_without_a_folder_for_the_protocol(folders: tuple[Path, Path], http: httpx.Client) -> None:
    client = build_client(blackhole(folders[0]), http, TIMEOUT)
    assert client.protocols == ("torrent",)
    refused(lambda: client.add(release("http://unused.example/nzb", protocol="usenet"), "tv"), "has no NZB folder")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_blackhole_refuses_a_read_only_folder(folders: tuple[Path, Path]) -> None:
    torrents, _ = folders
    torrents.chmod(0o500)
    try:
        refused(build_client(blackhole(torrents)).test, "is not writable")
    finally:
        torrents.chmod(0o700)


def test_blackhole_failing_to_write_leaves_nothing_behind(folders: tuple[Path, Path], http: httpx.Client) -> None:
    torrents, _ = folders
    (torrents / f"{TITLE}.magnet").mkdir()  # in the way of the rename, even for root
    client = build_client(blackhole(torrents), http, TIMEOUT)
    refused(lambda: client.add(release("", magnet_url=MAGNET_URI), "tv"), "Could not write")
    assert os.listdir(torrents) == [f"{TITLE}.magnet"]


def test_an_unknown_implementation_is_refused() -> None:
    refused(lambda: build_client(ClientSettings(name="x", implementation="utorrent")), "utorrent")
