"""What the tasks ask of the outside world, as interfaces with plain values.

Real providers (Torznab/Newznab indexers, qBittorrent/SABnzbd, OpenSubtitles,
TMDB...) implement these protocols; nothing here knows of Flask, tasks or the
database. A provider that fails raises ``ProviderError`` with a message a user can
act on; the tasks record it against the item in hand and go on with the next.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from .settings import ClientSettings


class ProviderError(Exception):
    """A provider could not answer (unreachable, refused, malformed reply)."""


class ReleaseRefused(ProviderError):
    """This release cannot be had: its link is dead or not what it claims, or the client refused it.

    Unlike a client that is down or a login refused, it says nothing of the next release:
    the grab blocklists this one and tries the next.
    """


@dataclass(frozen=True)
class SearchQuery:
    """A movie, one episode, or a whole season (``episode`` None) to look for."""

    title: str
    year: int | None = None
    tmdb_id: int | None = None
    season: int | None = None
    episode: int | None = None

    @classmethod
    def movie(cls, title: str, year: int | None, tmdb_id: int | None) -> SearchQuery:
        return cls(title=title, year=year, tmdb_id=tmdb_id)

    @classmethod
    def for_episode(cls, series_title: str, season: int, episode: int, tmdb_id: int | None) -> SearchQuery:
        return cls(title=series_title, tmdb_id=tmdb_id, season=season, episode=episode)

    @classmethod
    def season_pack(cls, series_title: str, season: int, tmdb_id: int | None) -> SearchQuery:
        return cls(title=series_title, tmdb_id=tmdb_id, season=season)

    @property
    def is_movie(self) -> bool:
        return self.season is None

    @property
    def is_season_pack(self) -> bool:
        return self.season is not None and self.episode is None


@dataclass(frozen=True)
class Release:
    """One result of an indexer search; ``score`` ranks releases of equal quality."""

    title: str
    quality: str
    indexer: str
    download_url: str
    score: int = 0
    size_bytes: int | None = None
    protocol: str = "torrent"  # or "usenet"
    full_season: bool = False  # the release holds a whole season
    seeders: int | None = None  # torrents only; None when the indexer does not say
    peers: int | None = None
    guid: str | None = None  # the indexer's id of the release
    info_url: str | None = None  # the release's page on the indexer, for people
    magnet_url: str | None = None
    info_hash: str | None = None
    published_at: datetime | None = None
    indexer_id: int | None = None  # the configured indexer it came from
    categories: tuple[int, ...] = ()


@dataclass(frozen=True)
class SubtitleRequest:
    """The media file a subtitle is wanted for, and in which language."""

    title: str
    language: str
    file_path: str
    year: int | None = None
    tmdb_id: int | None = None
    season: int | None = None
    episode: int | None = None


@dataclass(frozen=True)
class SubtitleResult:
    """A subtitle a provider offers; ``score`` 0-100 says how well it matches the file."""

    provider: str
    language: str
    score: int
    reference: str  # what the provider needs to download it (a file id, a URL)
    release_name: str | None = None
    format: str = "srt"


@dataclass(frozen=True)
class Offer:
    """What a subtitle says it was made for: a release name, and what the provider adds."""

    release: str | None = None
    hash_match: bool = False  # the provider found it by the file's OpenSubtitles hash
    tmdb_id: int | None = None
    title: str | None = None
    year: int | None = None
    season: int | None = None
    episode: int | None = None


# How well a subtitle fits the requested file, 0-100 (``releases.subtitles.score_offer``): given to the
# providers, which know what they offer but not how to judge it.
Scorer = Callable[[SubtitleRequest, Offer], int]


@dataclass(frozen=True)
class EpisodeInfo:
    season: int
    number: int
    title: str
    air_date: date | None = None


class Indexer(Protocol):
    name: str

    def search(self, query: SearchQuery) -> list[Release]: ...


class DownloadClient(Protocol):
    """A configured download client; ``settings`` says, among the rest, the category of each kind of item."""

    name: str
    protocols: tuple[str, ...]  # of the releases it takes: "torrent", "usenet"
    settings: ClientSettings

    def add(self, release: Release, category: str) -> str:
        """Hands the release over in ``category``; returns the client's id of the download.

        The id is a torrent's info hash (qBittorrent, Transmission, Deluge), SABnzbd's nzo_id,
        NZBGet's NZBID, or the path of the file a blackhole wrote.
        """
        ...

    def test(self) -> str:
        """Says, for people, that the client answered as expected; raises ``ProviderError`` if not."""
        ...


def category_for(client: DownloadClient, query: SearchQuery) -> str:
    """The client's category for what the query looks for: its movie category, or its TV one."""
    return client.settings.movie_category if query.is_movie else client.settings.tv_category


class SubtitleProvider(Protocol):
    """``minimum_score`` (0-100): its results scoring less are not taken."""

    name: str
    minimum_score: int

    def search(self, request: SubtitleRequest) -> list[SubtitleResult]: ...

    def download(self, result: SubtitleResult) -> bytes: ...


class MetadataSource(Protocol):
    name: str

    def episodes(self, series_tmdb_id: int) -> list[EpisodeInfo]:
        """Every episode the source knows of for the series, announced ones included."""
        ...


# What a notification target may be told of (providers-api.md, Notifications).
RUN_FAILED, RUN_COMPLETED = "run:failed", "run:completed"
RELEASE_GRABBED, SUBTITLE_DOWNLOADED, IMPORT_COMPLETED = "release:grabbed", "subtitle:downloaded", "import:completed"
NOTIFICATION_EVENTS = (RUN_FAILED, RUN_COMPLETED, RELEASE_GRABBED, SUBTITLE_DOWNLOADED, IMPORT_COMPLETED)


class Notifier(Protocol):
    """Tells the notification targets that asked for ``event``; never raises, never holds up its caller."""

    def notify(self, event: str, title: str, body: str, link: str | None = None) -> None: ...


class NoNotifier:
    """No notification target configured: events go nowhere."""

    def notify(self, event: str, title: str, body: str, link: str | None = None) -> None:
        return None


class SubtitleStore(Protocol):
    def save(self, media_path: str, language: str, content: bytes, format: str) -> str:
        """Keeps a downloaded subtitle for the media file; returns where it went."""
        ...


@dataclass
class ProviderSet:
    """The providers one app uses; tasks skip the steps whose provider is missing.

    ``download_clients`` are in priority order (the first is tried first). ``minimum_seeders``
    is each configured indexer's (by ``Release.indexer_id``); an indexer not listed asks for the
    default. ``subtitle_store`` None means subtitles are written beside their media file.
    """

    indexers: list[Indexer] = field(default_factory=list)
    download_clients: list[DownloadClient] = field(default_factory=list)
    subtitle_providers: list[SubtitleProvider] = field(default_factory=list)
    metadata: MetadataSource | None = None
    subtitle_store: SubtitleStore | None = None
    minimum_seeders: Mapping[int, int] = field(default_factory=dict)
    notifier: Notifier = field(default_factory=NoNotifier)

    def client_for(self, protocol: str) -> DownloadClient | None:
        """The client a release of ``protocol`` goes to: the first, by priority, that takes that protocol."""
        return next((client for client in self.download_clients if protocol in client.protocols), None)

    @classmethod
    def empty(cls) -> ProviderSet:
        """No provider at all: every task records what it would need."""
        return cls()
