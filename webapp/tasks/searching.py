"""Searching the indexers for an item and grabbing the best release."""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

from ..library import EPISODE, MediaItem, Profile, WantedItem, WriteBatch
from ..library.writes import mark_searched
from ..providers import DownloadClient, ProviderError, ProviderSet, Release, SearchQuery
from .common import FAILED, GRAB, GRABBED, NO_RESULTS, SEARCH, SKIPPED, ItemOutcome

log = logging.getLogger("cinephage.tasks")


def search_query(item: MediaItem) -> SearchQuery:
    if item.kind == EPISODE:
        assert item.season is not None and item.episode is not None  # both are NOT NULL columns of an episode
        return SearchQuery.for_episode(item.name, item.season, item.episode, item.tmdb_id)
    return SearchQuery.movie(item.name, item.year, item.tmdb_id)


def grab(client: DownloadClient | None, release: Release) -> ItemOutcome:
    """Hands a release to the download client."""
    if client is None:
        return ItemOutcome(GRAB, SKIPPED, f"No download client configured (would grab {release.title})")
    try:
        client.add(release)
    except ProviderError as error:
        log.warning("download client %s refused %s: %s", client.name, release.title, error)
        return ItemOutcome(GRAB, FAILED, f"{client.name} refused {release.title}: {error}")
    message = f"Grabbed {release.title} ({release.quality}) from {release.indexer}"
    return ItemOutcome(GRAB, GRABBED, message, affected=True)


class Grabber:
    """Searches every indexer for an item and sends the best release to the download client.

    A search that reached an indexer starts the item's search cooldown.
    """

    def __init__(
        self, providers: ProviderSet, profiles: Mapping[int, Profile], writes: WriteBatch, now: datetime
    ) -> None:
        self._providers = providers
        self._profiles = profiles
        self._writes = writes
        self._now = now

    def search_and_grab(self, item: MediaItem, min_rank: int, query: SearchQuery | None = None) -> ItemOutcome:
        """Grabs the best release of at least ``min_rank`` in the item's profile."""
        if not self._providers.indexers:
            return ItemOutcome(SEARCH, SKIPPED, "No indexer configured")
        query = query or search_query(item)
        releases, errors = self._search(query)
        if errors and not releases:
            return ItemOutcome(SEARCH, FAILED, "; ".join(errors))
        self.note_searched(item)
        if query.is_season_pack:
            releases = [release for release in releases if release.full_season]
        profile = self._profiles[item.profile_id]
        best = profile.best_release(releases, min_rank)
        if best is None:
            return ItemOutcome(SEARCH, NO_RESULTS, _nothing_found(profile, min_rank, len(releases)))
        return grab(self._providers.download_client, best)

    def note_searched(self, item: MediaItem) -> None:
        """Starts the item's search cooldown."""
        self._writes.add(mark_searched(item, self._now))

    def _search(self, query: SearchQuery) -> tuple[list[Release], list[str]]:
        releases: list[Release] = []
        errors: list[str] = []
        for indexer in self._providers.indexers:
            try:
                releases.extend(indexer.search(query))
            except ProviderError as error:
                log.warning("indexer %s failed: %s", indexer.name, error)
                errors.append(f"{indexer.name}: {error}")
        return releases, errors


def _nothing_found(profile: Profile, min_rank: int, count: int) -> str:
    if min_rank <= 1:
        return f"No release in profile {profile.name} ({count} results)"
    return f"No release of {profile.quality_at(min_rank)} or better ({count} results)"


class SeasonPacks:
    """Season packs first, for seasons where at least half the aired episodes are wanted.

    Each such season is searched once; when a pack was grabbed its wanted episodes
    share that outcome, else they are searched one by one. A single wanted episode
    is never worth a pack.
    """

    def __init__(self, items: Sequence[WantedItem], grabber: Grabber) -> None:
        episodes = [wanted for wanted in items if wanted.item.kind == EPISODE]
        wanted_per_season = Counter(_season_key(wanted.item) for wanted in episodes)
        aired = {_season_key(wanted.item): wanted.season_size for wanted in episodes}
        self._eligible = {key for key, count in wanted_per_season.items() if count >= 2 and 2 * count >= aired[key]}
        self._grabber = grabber
        self._outcomes: dict[tuple[int, int], ItemOutcome] = {}

    def grabbed(self, wanted: WantedItem) -> ItemOutcome | None:
        """The outcome of the item's season pack, if one was grabbed."""
        key = _season_key(wanted.item)
        if key not in self._eligible:
            return None
        if key not in self._outcomes:
            item = wanted.item
            assert item.season is not None  # only episodes are eligible, and an episode has a season
            query = SearchQuery.season_pack(item.name, item.season, item.tmdb_id)
            self._outcomes[key] = self._grabber.search_and_grab(item, 1, query)
        outcome = self._outcomes[key]
        if outcome.status != GRABBED:
            return None
        self._grabber.note_searched(wanted.item)
        return outcome


def _season_key(item: MediaItem) -> tuple[int, int]:
    """(series id, season number): which season pack would hold the item."""
    return item.series_id or 0, item.season or 0
