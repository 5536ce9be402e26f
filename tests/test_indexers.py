"""Torznab/Newznab indexers against a loopback fake speaking the protocol, and the search across them.

Every failure, hostile or plain, must end in a ProviderError naming the indexer, recorded in its
health, with the API key nowhere people or logs can see it.
"""
from __future__ import annotations

import gzip
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from flask import Response

from builders import NOW, FakeClock
from fake_newznab import API_KEY, CAPS, FakeIndexer, error_xml, fake_app, xml
from loopback import serving, silent_server
from webapp.providers.base import ProviderError, Release, SearchQuery
from webapp.providers.bounded import RateLimiter, retry_after
from webapp.providers.newznab import IndexerLimits, NewznabIndexer, api_url, search_params
from webapp.providers.newznab_xml import Caps, http_date, parse_caps, parse_xml
from webapp.providers.searching import search_all
from webapp.providers.settings import NEWZNAB, TORZNAB, IndexerSettings, MemoryHealth

FAST = IndexerLimits(connect_seconds=2, read_seconds=2, total_seconds=3, spacing_seconds=0)  # generous under load
IMPATIENT = IndexerLimits(connect_seconds=1, read_seconds=0.3, total_seconds=0.6, spacing_seconds=0)
MATRIX = SearchQuery.movie("The Matrix", 1999, 603)
EPISODE = SearchQuery.for_episode("Show Name", 1, 2, 1399)
SEASON = SearchQuery.season_pack("Show Name", 3, 1399)
IMPLEMENTATION = {"prowlarr": TORZNAB, "jackett": TORZNAB, "nzedb": NEWZNAB, "nzbhydra": NEWZNAB, "newznab-old": NEWZNAB}


@pytest.fixture
def health() -> MemoryHealth:
    return MemoryHealth()


class Served:
    """A fake indexer on a loopback port, and a client for it."""

    def __init__(self, fake: FakeIndexer, base: str, health: MemoryHealth, clock: FakeClock) -> None:
        self.fake, self.base, self.health, self.clock = fake, base, health, clock

    def indexer(self, limits: IndexerLimits = FAST, **changes: Any) -> NewznabIndexer:
        """A client of the fake (id 7, named after its flavour), with the settings ``changes`` says."""
        settings = IndexerSettings(self.fake.flavour.title(), IMPLEMENTATION[self.fake.flavour], f"{self.base}/12/",
                                   API_KEY, id=7)
        return NewznabIndexer(replace(settings, **changes), self.health, clock=self.clock, limits=limits)


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[dict[str, FakeIndexer], str]]:
    """One loopback server for the module's fakes (a server takes half a second to stop)."""
    fakes = {flavour: FakeIndexer(flavour) for flavour in IMPLEMENTATION}
    with serving(fake_app(fakes)) as base:
        yield fakes, base
        for fake in fakes.values():
            fake.reset()


@pytest.fixture
def serve(fakes: tuple[dict[str, FakeIndexer], str], health: MemoryHealth,
          clock: FakeClock) -> Iterator[Callable[[str], Served]]:
    """The fake of a flavour, for one test: reset when the test ends."""
    used: list[FakeIndexer] = []

    def start(flavour: str = "prowlarr") -> Served:
        fake = fakes[0][flavour]
        used.append(fake)
        return Served(fake, f"{fakes[1]}/{flavour}", health, clock)

    yield start
    for fake in used:
        fake.reset()


@pytest.fixture
def prowlarr(serve: Callable[[str], Served]) -> Served:
    return serve("prowlarr")


def no_key_anywhere(error: BaseException | None = None, caplog: pytest.LogCaptureFixture | None = None,
                    releases: Sequence[Release] = ()) -> None:
    """The API key in no message, no cinephage log line, no field people see."""
    if error is not None:
        assert API_KEY not in str(error) and "apikey" not in str(error)
        assert error.__cause__ is None
    if caplog is not None:
        for record in caplog.records:
            if record.name.startswith("cinephage"):
                assert API_KEY not in record.getMessage()
    for release in releases:
        shown = (release.title, release.info_url or "", release.guid or "", release.indexer)
        assert not any(API_KEY in value for value in shown)


# --- base URLs and parameters -------------------------------------------------------------------

@pytest.mark.parametrize(("base", "endpoint"), [
    ("http://prowlarr:9696/1/", "http://prowlarr:9696/1/api"),
    ("http://prowlarr:9696/1", "http://prowlarr:9696/1/api"),
    ("https://nzb.example/api", "https://nzb.example/api"),
    ("https://nzb.example/api/", "https://nzb.example/api"),
    ("http://jackett:9117/api/v2.0/indexers/1337x/results/torznab/",
     "http://jackett:9117/api/v2.0/indexers/1337x/results/torznab/api"),
])
def test_requests_go_to_the_base_url_plus_api(base: str, endpoint: str) -> None:
    assert api_url(base) == endpoint


def caps_of(flavour: str) -> Caps:
    return parse_caps(parse_xml(CAPS[flavour].encode(), flavour), flavour)


@pytest.mark.parametrize(("flavour", "query", "expected"), [
    ("prowlarr", MATRIX, {"t": "movie", "tmdbid": "603"}),
    ("jackett", MATRIX, {"t": "movie", "q": "The Matrix 1999"}),  # movie-search takes imdbid only
    ("nzedb", MATRIX, {"t": "movie", "q": "The Matrix 1999"}),
    ("newznab-old", MATRIX, {"t": "search", "q": "The Matrix 1999"}),  # no movie-search at all
    ("prowlarr", EPISODE, {"t": "tvsearch", "tmdbid": "1399", "season": "1", "ep": "2"}),
    ("nzbhydra", EPISODE, {"t": "tvsearch", "tmdbid": "1399", "season": "1", "ep": "2"}),
    ("jackett", EPISODE, {"t": "tvsearch", "q": "Show Name", "season": "1", "ep": "2"}),
    ("newznab-old", EPISODE, {"t": "tvsearch", "q": "Show Name", "season": "1", "ep": "2"}),  # the defaults
    ("nzedb", SEASON, {"t": "tvsearch", "tmdbid": "1399", "season": "3"}),
    ("jackett", SEASON, {"t": "tvsearch", "q": "Show Name", "season": "3"}),
])
def test_only_parameters_the_caps_list_are_sent(flavour: str, query: SearchQuery, expected: dict[str, str]) -> None:
    params = search_params(caps_of(flavour), query, [2000])
    assert {key: value for key, value in params.items() if key not in ("cat", "extended", "limit")} == expected


def test_a_tv_search_without_season_and_episode_parameters_puts_them_in_the_title() -> None:
    caps = parse_caps(parse_xml(CAPS["jackett"].replace('"q,season,ep,imdbid"', '"q"').encode(), "j"), "j")
    assert search_params(caps, EPISODE, [5000])["q"] == "Show Name S01E02"
    assert search_params(caps, SEASON, [5000])["q"] == "Show Name S03"


def test_caps_are_read_from_every_flavour() -> None:
    prowlarr = caps_of("prowlarr")
    assert set(prowlarr.modes) == {"search", "tv-search", "movie-search"}  # music, audio, books: not ours
    assert prowlarr.supports("movie-search", "tmdbid", "imdbid") and not prowlarr.supports("movie-search", "tvdbid")
    assert prowlarr.categories[2040] == "Movies/HD" and 100001 in prowlarr.categories
    assert (prowlarr.max_limit, prowlarr.server) == (100, "Prowlarr")
    assert caps_of("jackett").modes["movie-search"] == {"q", "imdbid"}
    old = caps_of("newznab-old")
    assert set(old.modes) == {"search", "tv-search"} and old.modes["tv-search"] == {"q", "season", "ep"}
    assert old.max_limit is None


@pytest.mark.parametrize(("value", "expected"), [
    ("Sun, 02 Jun 2024 22:05:00 -0400", datetime(2024, 6, 3, 2, 5, tzinfo=timezone.utc)),
    ("Sun, 02 Jun 2024 22:05:00 GMT", datetime(2024, 6, 2, 22, 5, tzinfo=timezone.utc)),
    ("Sun, 02 Jun 2024 22:05:00", datetime(2024, 6, 2, 22, 5, tzinfo=timezone.utc)),  # no zone: UTC
    ("2024-06-02T22:05:00Z", None),
    ("", None),
    (None, None),
])
def test_dates_are_read_as_rfc_2822_in_utc(value: str | None, expected: datetime | None) -> None:
    assert http_date(value) == expected


@pytest.mark.parametrize(("header", "seconds"), [
    ("120", 120), ("Thu, 20 Jun 2024 10:05:00 GMT", 300), (None, 60), ("soon", 60), ("0", 60), ("-3", 60),
    ("99999999999999999999", 86_400), ("\u00b2", 60),
])
def test_retry_after_is_seconds_or_a_date_within_a_day(header: str | None, seconds: int) -> None:
    assert retry_after(header, NOW) == timedelta(seconds=seconds)


# --- searching a real-looking server --------------------------------------------------------------

def test_a_prowlarr_movie_search_sends_the_tmdb_id_in_movie_categories_and_reads_every_field(
        prowlarr: Served, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cinephage")
    releases = prowlarr.indexer().search(MATRIX)

    assert prowlarr.fake.asked[0] == {"t": "caps"}
    assert prowlarr.fake.searches == [{"t": "movie", "tmdbid": "603", "cat": "2000", "extended": "1", "limit": "100"}]
    assert [release.title for release in releases] == [
        "The.Matrix.1999.1080p.BluRay.x264-GROUP", "The.Matrix.1999.720p.WEB-DL.DD5.1.H264-DEAD",
    ]  # none with 0 seeders left out: the decision judges that
    release = releases[0]
    assert release.indexer == "Prowlarr" and release.indexer_id == 7 and release.protocol == "torrent"
    assert release.quality == "Unknown"
    assert release.size_bytes == 11_811_160_064
    assert (release.seeders, release.peers) == (42, 47)
    assert release.info_hash == "0F3B6C2A9E1D4B7C8A5E2F1D0C9B8A7E6D5C4B3A"
    assert release.categories == (2000, 2040, 100001)
    assert release.published_at == datetime(2024, 6, 3, 10, 20, 30, tzinfo=timezone.utc)
    assert release.guid == release.info_url == "https://tracker.example/torrents/118233"
    assert release.download_url.startswith(f"{prowlarr.base.rsplit('/', 1)[0]}/12/download?apikey={API_KEY}&link=")  # as the feed gives it
    assert prowlarr.health.state(7).last_success_at == NOW
    no_key_anywhere(caplog=caplog, releases=releases)


def test_a_magnet_only_release_keeps_its_magnet_and_its_date_in_utc(prowlarr: Served) -> None:
    releases = prowlarr.indexer().search(MATRIX)
    magnet = releases[1]
    assert magnet.download_url.startswith("magnet:?xt=urn:btih:A1B2") and magnet.magnet_url == magnet.download_url
    assert magnet.seeders == 0
    assert magnet.published_at == datetime(2024, 6, 3, 2, 5, tzinfo=timezone.utc)


def test_jackett_gets_a_title_query_for_an_episode(serve: Callable[[str], Served]) -> None:
    jackett = serve("jackett")
    releases = jackett.indexer(categories=(2000, 5030, 5040)).search(EPISODE)
    assert jackett.fake.searches == [{"t": "tvsearch", "q": "Show Name", "season": "1", "ep": "2",
                                      "cat": "5030,5040", "extended": "1", "limit": "100"}]
    assert [release.title for release in releases] == ["Show.Name.S01E02.720p.HDTV.x264-GRP"]
    assert f"jackett_apikey={API_KEY}" in releases[0].download_url


@pytest.mark.parametrize("flavour", ["nzedb", "nzbhydra"])
def test_a_newznab_episode_search_reads_usenet_releases(serve: Callable[[str], Served], flavour: str,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cinephage")
    served = serve(flavour)
    releases = served.indexer().search(EPISODE)
    assert served.fake.searches[0]["tmdbid"] == "1399"
    (release,) = releases
    assert release.protocol == "usenet" and release.seeders is None and release.magnet_url is None
    assert release.size_bytes == 1_288_490_189
    assert release.categories == (5000, 5040)  # "TV > HD" is no number
    assert release.info_url == "https://indexer.example/details/0f3b0c0e5f2d#comments"
    assert API_KEY in release.download_url
    no_key_anywhere(caplog=caplog, releases=releases)


def test_an_indexer_with_no_category_of_the_kind_is_not_asked(prowlarr: Served) -> None:
    assert prowlarr.indexer(categories=(5040,)).search(MATRIX) == []
    assert prowlarr.fake.asked == []


def test_caps_are_kept_for_some_minutes(prowlarr: Served) -> None:
    indexer = prowlarr.indexer()
    indexer.search(MATRIX)
    indexer.search(EPISODE)
    assert [params["t"] for params in prowlarr.fake.asked] == ["caps", "movie", "tvsearch"]
    prowlarr.clock.advance(minutes=16)
    indexer.search(MATRIX)
    assert [params["t"] for params in prowlarr.fake.asked][3:] == ["caps", "movie"]


def test_a_test_answers_with_what_the_indexer_offers(prowlarr: Served) -> None:
    message = prowlarr.indexer().test()
    assert message == ("Prowlarr answered: 3 search modes (search, tv-search, movie-search), 12 categories; "
                       "a search for recent releases found 2")
    assert prowlarr.health.state(7).last_success_at is None  # a test records nothing


def test_a_test_that_fails_says_why_and_records_nothing(prowlarr: Served) -> None:
    with pytest.raises(ProviderError, match="Prowlarr rejected the API key") as failure:
        prowlarr.indexer(api_key="wrong").test()
    assert prowlarr.health.state(7).failures == 0
    no_key_anywhere(failure.value)


# --- failures, each a ProviderError a person can act on ------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<caps><server title="&lol9;"/></caps>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE caps [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<caps><server title="&secret;"/></caps>"""
HTML_LOGIN = b"""<!DOCTYPE html><html><head><title>Login - Prowlarr</title></head><body><form></form></body></html>"""


def streamed(chunks: Iterator[bytes], headers: dict[str, str] | None = None) -> Response:
    return Response(chunks, 200, headers, content_type="application/rss+xml")


def endless_feed(stop: threading.Event) -> Iterator[bytes]:
    yield b'<?xml version="1.0"?><rss><channel>'
    while not stop.is_set():
        yield b"<item><title>x</title></item>" * 2048


def dripping(stop: threading.Event) -> Iterator[bytes]:
    yield b'<?xml version="1.0"?><rss><channel>'
    while not stop.wait(0.05):  # a byte now and then: each read is quick, the whole never ends
        yield b" "


HOSTILE: dict[str, tuple[Callable[[FakeIndexer], Response], str]] = {
    "torznab error for a wrong key": (
        lambda fake: xml(error_xml(100, "Incorrect user credentials")),
        "Prowlarr refused the credentials: Incorrect user credentials (error 100); check the API key"),
    "401 with an error body": (
        lambda fake: xml(error_xml(100, "Invalid API Key"), 401),
        "Prowlarr rejected the API key (HTTP 401: Invalid API Key); check the key in the indexer's settings"),
    "403 without a body": (lambda fake: Response("", 403), "Prowlarr rejected the API key (HTTP 403)"),
    "request limit": (
        lambda fake: xml(error_xml(500, "Request limit reached")),
        "Prowlarr says a request limit is reached: Request limit reached (error 500)"),
    "unknown function": (lambda fake: xml(error_xml(202, "No such function")),
                         "Prowlarr answered with an error: No such function (error 202)"),
    "server error": (lambda fake: Response("<html>Bad gateway</html>", 502, content_type="text/html"),
                     "Prowlarr had a server error (HTTP 502); try again later"),
    "wrong base URL": (lambda fake: Response("Not found", 404), "Prowlarr has no API at this base URL (HTTP 404)"),
    "a login page": (lambda fake: Response(HTML_LOGIN, 200, content_type="text/html"),
                     "Prowlarr answered with a web page, not a feed; check that the base URL is its API root"),
    "malformed XML": (lambda fake: xml(b'<?xml version="1.0"?><caps><searching><search available="yes"'),
                      "Prowlarr sent malformed XML (unclosed token: line 1, column"),
    "not caps": (lambda fake: xml(b"<rss><channel/></rss>"), "Prowlarr answered the caps request with <rss>, not <caps>"),
    "billion laughs": (lambda fake: xml(BILLION_LAUGHS),
                       "Prowlarr sent XML with a document type declaration (entities), which no feed has; refused"),
    "external entity": (lambda fake: xml(EXTERNAL_ENTITY), "Prowlarr sent XML with a document type declaration"),
    "oversized, streamed": (lambda fake: streamed(endless_feed(fake.stop)),
                            "Prowlarr sent an answer larger than 5 MB; refused"),
    "oversized, declared": (lambda fake: xml(b" " * (5 * 1024 * 1024 + 1)),
                            "Prowlarr sent an answer larger than 5 MB; refused"),
    "gzip bomb": (lambda fake: xml(gzip.compress(b" " * (6 * 1024 * 1024)), headers={"Content-Encoding": "gzip"}),
                  "Prowlarr sent an answer larger than 5 MB; refused"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_every_failure_is_a_provider_error_that_says_what_to_do(prowlarr: Served, case: str,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cinephage")
    answer, expected = HOSTILE[case]
    prowlarr.fake.answer = lambda: answer(prowlarr.fake)
    with pytest.raises(ProviderError) as failure:
        prowlarr.indexer().search(MATRIX)
    assert str(failure.value).startswith(expected)
    state = prowlarr.health.state(7)
    assert (state.failures, state.last_error) == (1, str(failure.value))
    assert any(record.levelno == logging.WARNING and record.getMessage() == str(failure.value)
               for record in caplog.records)
    no_key_anywhere(failure.value, caplog)
    assert "root:" not in str(failure.value)  # nothing of /etc/passwd


def test_an_answer_that_never_ends_is_given_up(prowlarr: Served) -> None:
    prowlarr.fake.answer = lambda: streamed(dripping(prowlarr.fake.stop))
    with pytest.raises(ProviderError, match=r"^Prowlarr took longer than 0.6 s to send its answer$"):
        prowlarr.indexer(IMPATIENT).search(MATRIX)
    assert prowlarr.health.state(7).failures == 1


def test_a_server_that_never_answers_times_out(health: MemoryHealth, clock: FakeClock) -> None:
    with silent_server() as base:
        indexer = NewznabIndexer(IndexerSettings("Silent", TORZNAB, base, API_KEY, id=3), health, clock=clock,
                                 limits=IMPATIENT)
        with pytest.raises(ProviderError, match=r"^Silent did not answer within 0.3 s$"):
            indexer.search(MATRIX)
    assert health.state(3).failures == 1


def test_a_server_that_is_not_there_cannot_be_reached(health: MemoryHealth, clock: FakeClock) -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    indexer = NewznabIndexer(IndexerSettings("Gone", NEWZNAB, f"http://127.0.0.1:{port}/", API_KEY, id=4), health,
                             clock=clock, limits=FAST)
    with pytest.raises(ProviderError, match=r"^Gone could not be reached \(.*\); is it running and is the base URL right\?$"):
        indexer.search(EPISODE)


def test_a_key_the_server_echoes_is_hidden(prowlarr: Served) -> None:
    prowlarr.fake.answer = lambda: xml(error_xml(100, f"Invalid API Key {API_KEY}"), 401)
    with pytest.raises(ProviderError, match=r"Invalid API Key \*\*\*") as failure:
        prowlarr.indexer().search(MATRIX)
    no_key_anywhere(failure.value)
    assert API_KEY not in (prowlarr.health.state(7).last_error or "")


def test_links_for_people_that_carry_the_key_are_left_out(prowlarr: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    feed = prowlarr.fake.feed
    monkeypatch.setattr(prowlarr.fake, "feed", lambda items: feed(items).replace(
        "https://tracker.example/torrents/", f"https://tracker.example/torrents/?apikey={API_KEY}&amp;id="))
    releases = prowlarr.indexer().search(MATRIX)
    assert [(release.guid, release.info_url) for release in releases] == [(None, None), (None, None)]
    no_key_anywhere(releases=releases)


# --- rest after failures -------------------------------------------------------------------------

def test_429_rests_the_indexer_as_long_as_it_asked(prowlarr: Served) -> None:
    indexer = prowlarr.indexer()
    prowlarr.fake.answer = lambda: xml(error_xml(429, "Too many requests"), 429, {"Retry-After": "120"})
    with pytest.raises(ProviderError, match=r"asked to slow down \(HTTP 429: Too many requests\); "
                                            r"resting until 2024-06-20 10:02:00 UTC$"):
        indexer.search(MATRIX)
    prowlarr.fake.answer = None
    asked = len(prowlarr.fake.asked)
    # The rest is kept in the health every process reads: a new client of the same indexer rests too.
    assert prowlarr.health.state(7).blocked_until == NOW + timedelta(seconds=120)
    assert (prowlarr.indexer().resting() or "").startswith("Prowlarr is resting until 2024-06-20 10:02:00 UTC")

    prowlarr.clock.advance(seconds=119)
    with pytest.raises(ProviderError, match=r"^Prowlarr is resting until 2024-06-20 10:02:00 UTC after 1 failure "
                                            r"in a row; last error: Prowlarr asked to slow down"):
        indexer.search(MATRIX)
    result = search_all([indexer], MATRIX)
    assert result.releases == () and result.errors["Prowlarr"].startswith("Prowlarr is resting until 2024-06-20 10:02:00")
    assert len(prowlarr.fake.asked) == asked  # not asked while resting

    prowlarr.clock.advance(seconds=1)
    assert len(indexer.search(MATRIX)) == 2
    assert prowlarr.health.state(7).failures == 0


def test_failures_in_a_row_rest_the_indexer_and_a_success_ends_the_rest(prowlarr: Served) -> None:
    indexer = prowlarr.indexer()
    prowlarr.fake.answer = lambda: Response("", 503)
    for _ in range(2):
        with pytest.raises(ProviderError, match="server error"):
            indexer.search(MATRIX)
    assert prowlarr.health.state(7).blocked_until == datetime(2024, 6, 20, 10, 5, tzinfo=timezone.utc)
    result = search_all([indexer], MATRIX)
    assert result.errors == {"Prowlarr": "Prowlarr is resting until 2024-06-20 10:05:00 UTC after 2 failures in a row; "
                                         "last error: Prowlarr had a server error (HTTP 503); try again later"}
    assert result.all_failed

    prowlarr.fake.answer = None
    prowlarr.clock.advance(minutes=5)
    assert len(indexer.search(MATRIX)) == 2
    assert prowlarr.health.state(7).failures == 0 and prowlarr.health.state(7).last_success_at == prowlarr.clock.now


# --- rate limit ----------------------------------------------------------------------------------

def test_no_more_than_two_requests_are_in_flight_to_one_indexer(prowlarr: Served) -> None:
    indexer = prowlarr.indexer()
    indexer.caps()
    prowlarr.fake.hold.clear()
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(len(indexer.search(MATRIX)))) for _ in range(4)]
    for thread in threads:
        thread.start()
    prowlarr.fake.wait_for(lambda: prowlarr.fake.in_flight == 2)
    wait_until(lambda: indexer.limiter.waiting == 2)
    assert prowlarr.fake.in_flight == 2
    prowlarr.fake.hold.set()
    for thread in threads:
        thread.join(5)
    assert results == [2, 2, 2, 2]
    assert prowlarr.fake.most_in_flight == 2


def test_request_starts_are_spaced() -> None:
    limiter = RateLimiter(in_flight=5, spacing=0.05)
    starts: list[float] = []

    def request() -> None:
        with limiter.turn(time.monotonic() + 5):
            starts.append(time.monotonic())

    threads = [threading.Thread(target=request) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:])]
    assert len(gaps) == 2 and min(gaps) >= 0.045


def test_a_request_that_gets_no_turn_in_time_fails(prowlarr: Served) -> None:
    indexer = prowlarr.indexer(IndexerLimits(read_seconds=1, total_seconds=0.2, in_flight=1, spacing_seconds=0))
    with indexer.limiter.turn(time.monotonic() + 5):  # another request holds the only slot
        with pytest.raises(ProviderError, match=r"^Prowlarr is busy with other requests: no turn within 0.2 s$"):
            indexer.search(MATRIX)
    assert prowlarr.fake.asked == []


def wait_until(predicate: Callable[[], bool], timeout: float = 5) -> None:
    """Polls a condition nobody signals (threads queued in the limiter)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "never happened"
        threading.Event().wait(0.005)


# --- searching every indexer ---------------------------------------------------------------------

class Broken:
    """An indexer with a bug: it raises something that is not a ProviderError."""

    name = "Broken"

    def search(self, query: SearchQuery) -> list[Release]:
        raise KeyError("oops")


def test_one_failing_indexer_never_stops_the_search_on_the_others(serve: Callable[[str], Served],
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    prowlarr, nzedb, failing = serve("prowlarr"), serve("nzedb"), serve("jackett")
    failing.fake.answer = lambda: Response("", 500)
    with silent_server() as silent_base:
        silent = NewznabIndexer(IndexerSettings("Silent", TORZNAB, silent_base, API_KEY, id=9), prowlarr.health,
                                clock=prowlarr.clock, limits=IMPATIENT)
        result = search_all([prowlarr.indexer(), silent, failing.indexer(id=8, name="Jackett"), Broken(),
                             nzedb.indexer(id=10, name="nZEDb")], MATRIX)
    assert [release.indexer for release in result.releases] == ["Prowlarr", "Prowlarr", "nZEDb", "nZEDb"]
    assert result.searched == ("Prowlarr", "nZEDb")
    assert result.errors == {
        "Silent": "Silent did not answer within 0.3 s",
        "Jackett": "Jackett had a server error (HTTP 500); try again later",
        "Broken": "Broken failed unexpectedly (KeyError); the log has the details",
    }
    assert not result.all_failed
    no_key_anywhere(caplog=caplog, releases=list(result.releases))


def test_searching_no_indexer_finds_nothing() -> None:
    result = search_all([], MATRIX)
    assert result.releases == () and result.errors == {} and not result.all_failed


def test_an_http_client_can_be_given(prowlarr: Served) -> None:
    with httpx.Client() as client:
        indexer = NewznabIndexer(IndexerSettings("Given", TORZNAB, f"{prowlarr.base}/12/api", API_KEY), prowlarr.health,
                                 client, clock=prowlarr.clock, limits=FAST)
        assert len(indexer.search(MATRIX)) == 2
        assert not client.is_closed
