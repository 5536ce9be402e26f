"""What a grab hands to a download client: a torrent file, a magnet URI or an NZB file.

The release's link is fetched here, once, whatever the client: a Torznab link may answer a
.torrent file or redirect to a ``magnet:`` URI (which is taken, not followed as HTTP), a release
may carry a magnet URI only, a Newznab link answers an NZB file (or an ``<error>`` in XML). The
download is capped in size and time; whatever goes wrong ends in ``ProviderError``. Messages name
the indexer and its host, never the link itself: its query holds the indexer's API key.
"""
from __future__ import annotations

import logging
import re
import time
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import parse_qsl
from xml.etree.ElementTree import ParseError

import httpx
from defusedxml import ElementTree as safe_xml  # type: ignore[import-untyped]  # defusedxml ships no types

from ..base import ProviderError, ReleaseRefused, Release
from ..settings import USENET
from .connection import DEFAULT_TIMEOUT, brief

log = logging.getLogger("cinephage.providers")

TORRENT, MAGNET, NZB = "torrent", "magnet", "nzb"
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
DOWNLOAD_DEADLINE = 60.0  # seconds for a whole download, however slowly it trickles in
MAX_NAME_BYTES = 200  # a file name's stem; file systems allow 255 bytes with the extension

_UNSAFE_IN_NAMES = re.compile(r'[/\\:*?"<>|]')


@dataclass(frozen=True)
class Payload:
    """A torrent file, a magnet URI (as UTF-8 bytes) or an NZB file, for the release ``title``."""

    kind: str  # TORRENT, MAGNET or NZB: also the extension of the file it makes
    title: str
    data: bytes = field(repr=False)

    @property
    def magnet_uri(self) -> str:
        return self.data.decode() if self.kind == MAGNET else ""

    @property
    def file_name(self) -> str:
        """``<title>.torrent``, ``.magnet`` or ``.nzb``, safe as a file name."""
        return f"{safe_file_name(self.title)}.{self.kind}"


def fetch_payload(release: Release, http: httpx.Client, timeout: float = DEFAULT_TIMEOUT) -> Payload:
    """Fetches what the release's download client is to be handed."""
    if release.protocol == USENET:
        return _nzb_payload(release, http, timeout)
    link = release.download_url or release.magnet_url or ""
    if link.startswith("magnet:"):
        return _magnet_payload(release, link)
    if not link:
        raise ReleaseRefused(f"{release.title} from {release.indexer} has neither a download link nor a magnet URI")
    try:
        return _torrent_payload(release, link, http, timeout)
    except ProviderError as error:
        if not release.magnet_url:
            raise
        log.info("%s; taking the release's magnet URI instead", error)
        return _magnet_payload(release, release.magnet_url)


def safe_file_name(title: str) -> str:
    """The title as a file name: no control characters, path separators, reserved characters or ``..``."""
    name = "".join(" " if unicodedata.category(char).startswith("C") else char for char in title)
    name = _UNSAFE_IN_NAMES.sub(" ", name)
    name = re.sub(r"\.{2,}", ".", " ".join(name.split())).strip(" .")
    name = name.encode()[:MAX_NAME_BYTES].decode(errors="ignore").strip(" .")
    return name or "release"


def _torrent_payload(release: Release, link: str, http: httpx.Client, timeout: float) -> Payload:
    answer = _download(release, link, http, timeout)
    if isinstance(answer, str):
        return _magnet_payload(release, answer)
    # A torrent file is a bencoded dictionary with an "info" key; an error page is not.
    if not (answer.startswith(b"d") and b"4:info" in answer):
        raise ReleaseRefused(f"{_source(release, link)} answered something that is not a torrent file "
                            f"for {release.title}")
    return Payload(TORRENT, release.title, answer)


def _magnet_payload(release: Release, uri: str) -> Payload:
    if not (uri.startswith("magnet:?") and "xt=urn:bt" in uri):
        raise ReleaseRefused(f"The magnet link of {release.title} from {release.indexer} is not a BitTorrent magnet URI")
    return Payload(MAGNET, release.title, uri.encode())


def _nzb_payload(release: Release, http: httpx.Client, timeout: float) -> Payload:
    source = _source(release, release.download_url)
    answer = _download(release, release.download_url, http, timeout)
    if isinstance(answer, str):
        raise ReleaseRefused(f"{source} redirected the NZB of {release.title} to a magnet URI")
    try:
        root = safe_xml.fromstring(answer)
    except (ParseError, ValueError):  # defusedxml's refusals are ValueErrors
        raise ReleaseRefused(f"{source} answered something that is not an NZB file for {release.title}") from None
    tag = str(root.tag).rsplit("}", 1)[-1]
    if tag == "error":  # Newznab answers its errors with HTTP 200 and <error code description/>
        said = brief(root.get("description") or root.get("code") or "no description", *_query_values(release))
        raise ReleaseRefused(f"{source} refused the NZB of {release.title}: {said}")
    if tag != "nzb":
        raise ReleaseRefused(f"{source} answered a <{brief(tag)}> document, not an NZB file, for {release.title}")
    return Payload(NZB, release.title, answer)


def _download(release: Release, url: str, http: httpx.Client, timeout: float) -> bytes | str:
    """The bytes the link answers, or the magnet URI it redirects to (redirects to HTTP are followed)."""
    deadline = time.monotonic() + DOWNLOAD_DEADLINE
    for _ in range(MAX_REDIRECTS + 1):
        source = _source(release, url)
        if not _is_http(url):
            raise ReleaseRefused(f"The download link of {release.title} from {release.indexer} is not an HTTP address")
        try:
            with http.stream("GET", url, timeout=timeout, follow_redirects=False) as response:
                if response.is_redirect:
                    location = response.headers["location"].strip()
                    if location.startswith("magnet:"):
                        return location
                    url = _joined(response.url, location)
                    continue
                if response.status_code >= 400:
                    raise ReleaseRefused(f"{source} answered HTTP {response.status_code} "
                                        f"for the download of {release.title}")
                return _read_capped(response, f"The download of {release.title} from {source}", deadline)
        except httpx.HTTPError as error:
            log.debug("Download from %s failed: %s", source, type(error).__name__)
            if isinstance(error, httpx.TimeoutException):
                raise ProviderError(f"{source} did not answer within {timeout:g} s "
                                    f"for the download of {release.title}") from error
            raise ProviderError(f"Could not download {release.title} from {source} ({type(error).__name__})") from error
    raise ReleaseRefused(f"{release.indexer} redirected the download of {release.title} more than {MAX_REDIRECTS} times")


def _read_capped(response: httpx.Response, what: str, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_PAYLOAD_BYTES:
        raise ReleaseRefused(f"{what} is larger than {MAX_PAYLOAD_BYTES // (1024 * 1024)} MB")
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_PAYLOAD_BYTES:
            raise ReleaseRefused(f"{what} is larger than {MAX_PAYLOAD_BYTES // (1024 * 1024)} MB")
        if time.monotonic() > deadline:
            raise ProviderError(f"{what} took longer than {DOWNLOAD_DEADLINE:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


def _is_http(url: str) -> bool:
    try:
        return httpx.URL(url).scheme in ("http", "https")
    except httpx.InvalidURL:
        return False


def _joined(base: httpx.URL, location: str) -> str:
    try:
        return str(base.join(location))
    except httpx.InvalidURL:
        return ""  # not HTTP: refused on the next turn


def _source(release: Release, url: str) -> str:
    """``Indexer (host)``: where a download comes from, without its query (the API key is there)."""
    try:
        host = httpx.URL(url).host
    except httpx.InvalidURL:
        host = ""
    return f"{release.indexer} ({host})" if host else release.indexer


def _query_values(release: Release) -> list[str]:
    """The values in the release's link, which an indexer might echo back (the API key among them)."""
    query = release.download_url.partition("?")[2]
    return [value for _, value in parse_qsl(query) if len(value) >= 4]
