"""Reading Torznab and Newznab answers, safely: caps, feeds of releases and ``<error>`` replies.

A Torznab feed (Prowlarr, Jackett) is a Newznab feed with torrent attributes, so one reader
serves both: ``torznab:attr`` and ``newznab:attr`` are read alike, whatever namespace URI the
server declares. Documents with a DTD are refused outright (no feed has one; XML bombs and
external entities need one), so nothing here expands an entity or opens a file.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree as safe_xml  # type: ignore[import-untyped]  # defusedxml ships no types

from .base import ProviderError, Release
from .settings import IndexerSettings

SEARCH, TV_SEARCH, MOVIE_SEARCH = "search", "tv-search", "movie-search"
MODES = (SEARCH, TV_SEARCH, MOVIE_SEARCH)
# What a mode takes when its caps leave ``supportedParams`` out (older Newznab servers do).
DEFAULT_PARAMS = {SEARCH: "q", TV_SEARCH: "q,season,ep", MOVIE_SEARCH: "q"}
DESCRIPTION_CHARS = 200


@dataclass(frozen=True)
class Caps:
    """What an indexer says it can do: its search modes and their parameters, categories, page size."""

    modes: Mapping[str, frozenset[str]]
    categories: Mapping[int, str]
    max_limit: int | None = None
    server: str | None = None

    def supports(self, mode: str, *params: str) -> bool:
        """Whether the mode is available and takes every one of ``params``."""
        taken = self.modes.get(mode)
        return taken is not None and all(param in taken for param in params)


class ErrorReply(ProviderError):
    """The indexer answered with ``<error code=".." description=".."/>``."""

    def __init__(self, indexer: str, code: int | None, description: str) -> None:
        self.code = code
        self.description = description
        super().__init__(error_message(indexer, code, description))


def error_message(indexer: str, code: int | None, description: str) -> str:
    """What a Newznab error code means for the person who set the indexer up."""
    said = f"{description} (error {code})" if code is not None else description
    if code is not None and 100 <= code < 200:
        return f"{indexer} refused the credentials: {said}; check the API key and the account on the indexer"
    if code in (429, 500, 501) or "limit reached" in description.lower():
        return f"{indexer} says a request limit is reached: {said}; it is rested before the next search"
    return f"{indexer} answered with an error: {said}"


def parse_xml(body: bytes, indexer: str, content_type: str = "") -> Element:
    """The document's root; a ProviderError for HTML, malformed XML or a DTD (entities, bombs)."""
    head = body[:512].lstrip().lower()
    if "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html")):
        raise ProviderError(f"{indexer} answered with a web page, not a feed; check that the base URL is its API root")
    try:
        root: Element = safe_xml.fromstring(body, forbid_dtd=True)
    except (safe_xml.DTDForbidden, safe_xml.EntitiesForbidden, safe_xml.ExternalReferenceForbidden):
        raise ProviderError(
            f"{indexer} sent XML with a document type declaration (entities), which no feed has; refused"
        ) from None
    except ParseError as error:
        raise ProviderError(f"{indexer} sent malformed XML ({error}); it is not a feed that can be read") from None
    return root


def raise_error_reply(root: Element, indexer: str) -> None:
    """Raises ``ErrorReply`` when the document is a Newznab ``<error>``."""
    if local_name(root.tag) != "error":
        return
    code = to_int(root.get("code"))
    description = " ".join((root.get("description") or "no description").split())[:DESCRIPTION_CHARS]
    raise ErrorReply(indexer, code, description)


def parse_caps(root: Element, indexer: str) -> Caps:
    """The caps document (``t=caps``) as ``Caps``: available modes only, categories flattened."""
    if local_name(root.tag) != "caps":
        raise ProviderError(f"{indexer} answered the caps request with <{local_name(root.tag)}>, not <caps>")
    modes: dict[str, frozenset[str]] = {}
    for mode in children(root.find("searching")):
        name = local_name(mode.tag)
        if name in MODES and (mode.get("available") or "").lower() in ("yes", "true", "1"):
            listed = mode.get("supportedParams", mode.get("supportedparams", DEFAULT_PARAMS[name]))
            modes[name] = frozenset(param.strip().lower() for param in listed.split(",") if param.strip())
    categories: dict[int, str] = {}
    for category in children_deep(root.find("categories")):
        number = to_int(category.get("id"))
        if local_name(category.tag) in ("category", "subcat") and number is not None:
            categories[number] = category.get("name") or str(number)
    limits = root.find("limits")
    server = root.find("server")
    return Caps(
        modes=modes,
        categories=categories,
        max_limit=to_int(limits.get("max")) if limits is not None else None,
        server=server.get("title") if server is not None else None,
    )


def parse_feed(root: Element, settings: IndexerSettings) -> list[Release]:
    """The releases of an RSS answer; items without a title or a download link are left out."""
    if local_name(root.tag) != "rss" or root.find("channel") is None:
        raise ProviderError(f"{settings.name} answered with <{local_name(root.tag)}>, not an RSS feed of releases")
    releases = (release_of(item, settings) for item in root.iterfind("channel/item"))
    return [release for release in releases if release is not None]


def release_of(item: Element, settings: IndexerSettings) -> Release | None:
    """One ``<item>``: enclosure/link, size, seeders, hash, magnet, date and categories."""
    attrs = attributes(item)
    enclosure = item.find("enclosure")
    title = " ".join((item.findtext("title") or "").split())
    download_url = (enclosure.get("url") if enclosure is not None else None) or text(item, "link")
    if not title or not download_url:
        return None
    magnet_url = first(attrs, "magneturl") or (download_url if download_url.startswith("magnet:") else None)
    return Release(
        title=title,
        quality="Unknown",
        indexer=settings.name,
        download_url=download_url,
        size_bytes=size_of(item, attrs, enclosure),
        protocol=settings.protocol,
        seeders=to_int(first(attrs, "seeders")),
        peers=peers_of(attrs),
        guid=shown(text(item, "guid"), settings.api_key),
        info_url=shown(text(item, "comments") or web_guid(item), settings.api_key),
        magnet_url=magnet_url,
        info_hash=first(attrs, "infohash"),
        published_at=http_date(text(item, "pubDate")),
        indexer_id=settings.id,
        categories=categories_of(item, attrs),
    )


def attributes(item: Element) -> dict[str, list[str]]:
    """``torznab:attr`` / ``newznab:attr`` name → values (``category`` repeats)."""
    found: dict[str, list[str]] = {}
    for child in item:
        name, value = child.get("name"), child.get("value")
        if local_name(child.tag) == "attr" and name and value is not None:
            found.setdefault(name.lower(), []).append(value.strip())
    return found


def peers_of(attrs: Mapping[str, list[str]]) -> int | None:
    """Torznab's ``peers`` (seeders and leechers), or their sum when only those are given."""
    peers = to_int(first(attrs, "peers"))
    seeders, leechers = to_int(first(attrs, "seeders")), to_int(first(attrs, "leechers"))
    if peers is None and seeders is not None and leechers is not None:
        return seeders + leechers
    return peers


def categories_of(item: Element, attrs: Mapping[str, list[str]]) -> tuple[int, ...]:
    """The category attributes and numeric ``<category>`` elements (Jackett sends both), once each."""
    values = [*attrs.get("category", []), *(child.text or "" for child in item.iterfind("category"))]
    numbers = (to_int(value) for value in values)
    return tuple(dict.fromkeys(number for number in numbers if number is not None))


def size_of(item: Element, attrs: Mapping[str, list[str]], enclosure: Element | None) -> int | None:
    """The first positive size among the size attribute, ``<size>`` (Jackett) and the enclosure's length."""
    length = enclosure.get("length") if enclosure is not None else None
    sizes = (to_int(value) for value in (first(attrs, "size"), text(item, "size"), length))
    return next((size for size in sizes if size is not None and size > 0), None)


def http_date(value: str | None) -> datetime | None:
    """An RFC 2822 date (``pubDate``, ``Retry-After``) as an aware UTC datetime; without a zone it is UTC."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def web_guid(item: Element) -> str | None:
    """The guid when it is the release's web page (Jackett and Prowlarr put the details URL there)."""
    guid = text(item, "guid")
    return guid if guid and guid.startswith(("http://", "https://")) else None


def shown(value: str | None, secret: str) -> str | None:
    """A value people see, or None when it carries the API key."""
    if value is None or (secret and secret in value):
        return None
    return value


def text(element: Element, tag: str) -> str | None:
    value = element.findtext(tag)
    return (value.strip() or None) if value is not None else None


def first(attrs: Mapping[str, list[str]], name: str) -> str | None:
    values = attrs.get(name)
    return values[0] if values else None


def to_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def local_name(tag: str) -> str:
    """A tag without its namespace: ``{http://torznab.com/...}attr`` → ``attr``."""
    return tag.rsplit("}", 1)[-1]


def children(element: Element | None) -> Iterator[Element]:
    return iter(element) if element is not None else iter(())


def children_deep(element: Element | None) -> Iterator[Element]:
    """Every element below ``element`` (none when it is missing)."""
    return element.iter() if element is not None else iter(())
