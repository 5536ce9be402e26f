"""``/demo/torznab/api``: the demo indexer's Torznab feed; ``/demo/torznab/download/<hash>``: its links.

Served only while the demo indexer exists (else 404), and only to a live API key of this app,
given as Torznab clients give theirs: ``?apikey=`` (anything else is Torznab's error 100). The
answers have the shapes Prowlarr's have: caps, an RSS feed with ``torznab:attr`` seeders,
peers, size, info hash and magnet URI, and download links that redirect to the magnet URI.
"""
from __future__ import annotations

from email.utils import format_datetime
from xml.etree.ElementTree import Element, SubElement, tostring

from flask import Response, abort, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from ..auth import api_keys
from ..clock import now_utc
from ..db import get_db
from ..library.demo import info_hash, magnet_uri
from ..runtime import get_runtime
from . import bp
from .feed import FUNCTIONS, PAGE_SIZE, FeedSearch, search
from .providers import FEED_PATH, demo_indexer
from .releases import MOVIES, MOVIES_HD, MOVIES_SD, MOVIES_UHD, TV, TV_HD, TV_SD, TV_UHD, DemoRelease

TORZNAB_NS = "http://torznab.com/schemas/2015/feed"
XML = "application/xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
CATEGORIES = {
    MOVIES: ("Movies", {MOVIES_SD: "Movies/SD", MOVIES_HD: "Movies/HD", MOVIES_UHD: "Movies/UHD"}),
    TV: ("TV", {TV_SD: "TV/SD", TV_HD: "TV/HD", TV_UHD: "TV/UHD"}),
}
# Newznab's error codes.
INVALID_KEY, INCORRECT_PARAMETER, NO_SUCH_FUNCTION = 100, 201, 202


class BadParameter(ValueError):
    """A parameter that is not what Torznab says it is (a number, here)."""


@bp.before_request
def _demo_and_key_only() -> Response | None:
    """No demo indexer: no feed. Then a live API key of this app, in ``apikey``."""
    if not request.path.startswith(FEED_PATH):
        return None  # another demo's route (the notification inbox), which checks its own key
    if demo_indexer(get_runtime().providers) is None:
        abort(404)
    if api_keys.verify_key(get_db(), request.args.get("apikey", ""), now_utc()) is None:
        return _error(INVALID_KEY, "Invalid API Key", 401)
    return None


@bp.get("/torznab/api")
def api() -> Response:
    """``t=caps``, or a search: ``t=search|tvsearch|movie`` with ``q``, ``tmdbid``, ``season``, ``ep``."""
    function = request.args.get("t", "")
    if function == "caps":
        return _xml(_caps(), XML)
    if function not in FUNCTIONS:
        return _error(NO_SUCH_FUNCTION, f"No such function ({function[:40]})", 400)
    try:
        wanted = _feed_search(function)
    except BadParameter as error:
        return _error(INCORRECT_PARAMETER, f"Incorrect parameter ({error})", 400)
    return _xml(_rss(search(get_db(), wanted, now_utc())), RSS)


@bp.get("/torznab/download/<hash_>")
def download(hash_: str) -> WerkzeugResponse:
    """Redirects to the release's magnet URI (``file`` names the release, as Prowlarr's links do)."""
    title = request.args.get("file", "")
    if not title or info_hash(title) != hash_.lower():
        abort(404)
    return redirect(magnet_uri(title), 302)


def _feed_search(function: str) -> FeedSearch:
    return FeedSearch(
        function=function, q=request.args.get("q", ""), tmdb_id=_number("tmdbid"), season=_number("season"),
        episode=_number("ep"), limit=min(_number("limit") or PAGE_SIZE, PAGE_SIZE), offset=_number("offset") or 0,
    )


def _number(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 9):
        raise BadParameter(name)
    return int(value)


def _caps() -> Element:
    caps = Element("caps")
    SubElement(caps, "server", version="1.0", title="Cinephage Demo Indexer")
    SubElement(caps, "limits", default=str(PAGE_SIZE), max=str(PAGE_SIZE))
    searching = SubElement(caps, "searching")
    SubElement(searching, "search", available="yes", supportedParams="q")
    SubElement(searching, "tv-search", available="yes", supportedParams="q,season,ep,tmdbid")
    SubElement(searching, "movie-search", available="yes", supportedParams="q,tmdbid")
    categories = SubElement(caps, "categories")
    for number, (name, subcategories) in CATEGORIES.items():
        category = SubElement(categories, "category", id=str(number), name=name)
        for sub, sub_name in subcategories.items():
            SubElement(category, "subcat", id=str(sub), name=sub_name)
    return caps


def _rss(releases: list[DemoRelease]) -> Element:
    rss = Element("rss", {"version": "2.0", "xmlns:torznab": TORZNAB_NS})
    channel = SubElement(rss, "channel")
    SubElement(channel, "title").text = "Cinephage Demo Indexer"
    SubElement(channel, "description").text = "Made-up releases for the offline demo"
    SubElement(channel, "link").text = request.host_url
    for release in releases:
        _item(channel, release)
    return rss


def _item(channel: Element, release: DemoRelease) -> None:
    link = url_for(".download", hash_=release.info_hash, apikey=request.args["apikey"], file=release.title,
                   _external=True)
    item = SubElement(channel, "item")
    SubElement(item, "title").text = release.title
    SubElement(item, "guid", isPermaLink="false").text = release.info_hash
    SubElement(item, "pubDate").text = format_datetime(release.published_at)
    SubElement(item, "size").text = str(release.size_bytes)
    SubElement(item, "link").text = link
    for category in release.categories:
        SubElement(item, "category").text = str(category)
    SubElement(item, "enclosure", url=link, length=str(release.size_bytes), type="application/x-bittorrent")
    attrs = [("category", str(category)) for category in release.categories] + [
        ("seeders", str(release.seeders)), ("peers", str(release.peers)), ("size", str(release.size_bytes)),
        ("infohash", release.info_hash), ("magneturl", release.magnet_uri),
        ("downloadvolumefactor", "1"), ("uploadvolumefactor", "1"),
    ]
    for name, value in attrs:
        SubElement(item, "torznab:attr", name=name, value=value)


def _xml(root: Element, content_type: str, status: int = 200) -> Response:
    return Response(tostring(root, encoding="utf-8", xml_declaration=True), status, content_type=content_type)


def _error(code: int, description: str, status: int) -> Response:
    return _xml(Element("error", code=str(code), description=description), XML, status)
