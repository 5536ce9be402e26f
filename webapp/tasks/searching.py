"""Searching the indexers for an item, deciding, and grabbing the best release (or holding it back)."""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ..db import Database
from ..library import EPISODE, MediaItem, Profile, WantedItem, WriteBatch, load_profiles
from ..library.delay import Delay, expire_held, hold, is_held, load_delay, storable
from ..library.grabs import Awaited, awaited, record_grab
from ..library.preferences import load_preferences
from ..library.writes import mark_searched
from ..providers import ProviderError, ProviderSet, Release, SearchQuery
from ..providers.base import RELEASE_GRABBED, DownloadClient, ReleaseRefused, category_for
from ..providers.searching import SearchResult, search_all
from ..providers.settings import TORRENT
from ..releases import Decisions, Preferences, Wanted, decide
from ..services.blocklist import Blocklist
from .common import DELAY, FAILED, GRAB, GRABBED, NO_RESULTS, SEARCH, SKIPPED, SUCCESS, ItemOutcome

log = logging.getLogger("cinephage.tasks")

MAX_GRABS = 3  # accepted releases tried, best first, while download clients fail


def search_query(item: MediaItem) -> SearchQuery:
    if item.kind == EPISODE:
        assert item.season is not None and item.episode is not None  # both are NOT NULL columns of an episode
        return SearchQuery.for_episode(item.name, item.season, item.episode, item.tmdb_id)
    return SearchQuery.movie(item.name, item.year, item.tmdb_id)


@dataclass(frozen=True)
class Search:
    """One search: the item, what is asked of the indexers, and what would improve on the item's file.

    ``file_rank``, ``min_rank`` and ``beyond_cutoff`` are as ``Wanted`` takes them; ``season_episodes``
    sizes a season pack. ``may_wait`` False grabs at once whatever the delay.
    """

    item: MediaItem
    query: SearchQuery
    file_rank: int = 0
    min_rank: int = 0
    beyond_cutoff: bool = False
    season_episodes: int | None = None
    may_wait: bool = True

    @classmethod
    def of(
        cls, item: MediaItem, *, file_rank: int = 0, min_rank: int = 0, beyond_cutoff: bool = False,
        may_wait: bool = True,
    ) -> Search:
        """A search for the item itself (the movie, or the one episode)."""
        return cls(item, search_query(item), file_rank, min_rank, beyond_cutoff, may_wait=may_wait)

    @property
    def about(self) -> str:
        """What is looked for, as people say it: "Show S01E02", "Show season 1", "Film (2019)"."""
        if self.query.is_season_pack:
            return f"{self.item.name} season {self.query.season}"
        return self.item.title


@dataclass(frozen=True)
class SearchSettings:
    """What every search of a run decides by: the quality profiles, the delay and the release preferences."""

    profiles: Mapping[int, Profile]
    delay: Delay
    preferences: Preferences

    @classmethod
    def load(cls, session: Session) -> SearchSettings:
        return cls(load_profiles(session), load_delay(session), load_preferences(session))


@dataclass(frozen=True)
class GrabFailure:
    """Why a grab failed; ``next_may_work`` when the release was refused, not the client unreachable."""

    message: str
    next_may_work: bool


class Grabber:
    """Searches every indexer for an item, decides, and sends the best release to its download client.

    A search that reached an indexer starts the item's search cooldown. A release within its
    protocol's delay is held back (a pending release) instead of grabbed. A release a download
    client fails to take is blocklisted for the item, and the next accepted one tried. A grab is
    kept, and an item whose grabbed release is still downloading is not searched again.
    """

    def __init__(
        self, providers: ProviderSet, db: Database, writes: WriteBatch, now: datetime, settings: SearchSettings,
    ) -> None:
        self._providers = providers
        self._db = db
        self._writes = writes
        self._now = now
        self._profiles = settings.profiles
        self._delay = settings.delay
        self._preferences = settings.preferences
        self._blocklist = Blocklist(db)

    def search_and_grab(self, search: Search) -> ItemOutcome:
        """One search for the item: a release grabbed or held back, none accepted (and why), or no answer."""
        waiting = self._awaited(search)
        if waiting is not None:
            return ItemOutcome(SEARCH, SKIPPED, (
                f"{waiting.title} was grabbed for it at {when(waiting.grabbed_at)} ({waiting.client}): "
                f"waiting for its download; searched again after {when(waiting.until)} if it has not been imported"
            ))
        indexers = self._providers.indexers
        if not indexers:
            return ItemOutcome(SEARCH, SKIPPED, "No indexer configured")
        found = search_all(indexers, search.query)
        searched = f"Searched {count(len(indexers), 'indexer')} for {search.about}"
        if found.all_failed:
            return ItemOutcome(SEARCH, FAILED, f"{searched}: none answered: {_failures(found)}")
        self.note_searched(search.item)
        decisions = decide(self.wanted(search), found.releases)
        if decisions.accepted:
            outcome = self._take(search, decisions)
        else:
            outcome = ItemOutcome(SEARCH, NO_RESULTS, f"{searched}: {decisions.summary()}")
        if found.errors:  # an indexer that failed while another answered is named, not fatal
            outcome = ItemOutcome(outcome.action, outcome.status, f"{outcome.message}; {_failures(found)}",
                                  outcome.affected)
        return outcome

    def _awaited(self, search: Search) -> Awaited | None:
        with self._db.read() as session:
            return awaited(session, search.item, self._now, season_pack=search.query.is_season_pack)

    def note_searched(self, item: MediaItem) -> None:
        """Starts the item's search cooldown."""
        self._writes.add(mark_searched(item, self._now))

    def wanted(self, search: Search) -> Wanted:
        """What the decision takes for this search: the item's profile, its file, its blocklist."""
        return Wanted(
            query=search.query, profile=self._profiles[search.item.profile_id], file_rank=search.file_rank,
            min_rank=search.min_rank, beyond_cutoff=search.beyond_cutoff,
            blocklist=self._blocklist.titles(search.item), season_episodes=search.season_episodes,
            min_seeders=self._providers.minimum_seeders, preferences=self._preferences,
        )

    def grab(
        self, item: MediaItem, release: Release, client: DownloadClient, query: SearchQuery
    ) -> GrabFailure | None:
        """Hands the release to the client; says what failed, if it did.

        A release refused (a dead link, a client that will not take it) is blocklisted for the
        item; a client that cannot be reached or refuses our login blocklists nothing.
        """
        try:
            download_id = client.add(release, category_for(client, query))
        except ReleaseRefused as error:
            log.warning("%s failed to take %s: %s", client.name, release.title, error)
            self._blocklist.add(release.title, item, str(error), self._now, release.indexer)
            return GrabFailure(f"{release.title} → {client.name} failed: {error} (blocklisted)", next_may_work=True)
        except ProviderError as error:
            log.warning("%s failed: %s", client.name, error)
            return GrabFailure(f"{release.title} → {client.name} failed: {error}", next_may_work=False)
        record_grab(self._db, item, release, client.name, client.settings.id, download_id, self._now,
                    season_pack=query.is_season_pack)
        self._writes.add(expire_held(item))  # what was held for the item waits for nothing now
        self._providers.notifier.notify(
            RELEASE_GRABBED, f"Cinephage: grabbed {item.title}",
            f"{release.title} ({describe(release)}) from {release.indexer} → {client.name}",
        )
        return None

    def _take(self, search: Search, decisions: Decisions) -> ItemOutcome:
        """Grabs the best accepted release a client takes, or holds it back while its delay runs."""
        tally = decisions.tally()
        candidates = [release for release in decisions.accepted if self._providers.client_for(release.protocol)]
        if not candidates:
            best = decisions.accepted[0]
            return ItemOutcome(GRAB, SKIPPED, f"{no_client(self._providers, best)} (would grab {best.title}); {tally}")
        failures: list[str] = []
        profile = self._profiles[search.item.profile_id]
        for release in candidates[:MAX_GRABS]:
            due = self._delay.due(release, profile, self._now) if search.may_wait and storable(release) else None
            if due is not None:
                return self._hold(search, release, due, tally, failures)
            client = self._providers.client_for(release.protocol)
            assert client is not None  # a candidate has one
            failure = self.grab(search.item, release, client, search.query)
            if failure is None:
                before = f"; first {'; '.join(failures)}" if failures else ""
                message = f"Grabbed {release.title} ({describe(release)}) from {release.indexer} → {client.name}"
                return ItemOutcome(GRAB, GRABBED, f"{message}; {tally}{before}", affected=True)
            failures.append(failure.message)
            if not failure.next_may_work:
                break
        return ItemOutcome(GRAB, FAILED, f"{'; '.join(failures)}; {tally}")

    def _hold(self, search: Search, release: Release, due: datetime, tally: str, failures: list[str]) -> ItemOutcome:
        """Keeps the release pending until ``due``: Pending Releases judges it again then."""
        with self._db.read() as session:
            held = is_held(session, search.item, release.title)
        if not held:
            self._writes.add(hold(search.item, release, due, self._now, search.query.is_season_pack))
        wait = f"{release.protocol} delay {self._delay.minutes(release.protocol)} min"
        message = (f"{'Still holding' if held else 'Holding'} {release.title} ({describe(release)}) from "
                   f"{release.indexer} until {when(due)} ({wait}); {tally}")
        if failures:
            message += f"; first {'; '.join(failures)}"
        return ItemOutcome(DELAY, SKIPPED if held else SUCCESS, message, affected=not held)


def describe(release: Release) -> str:
    """``WEBDL-1080p, score 40, 120 seeders``: why a release ranks where it does."""
    parts = [release.quality]
    if release.score:
        parts.append(f"score {release.score}")
    if release.protocol == TORRENT and release.seeders is not None:
        parts.append(count(release.seeders, "seeder"))
    return ", ".join(parts)


def no_client(providers: ProviderSet, release: Release) -> str:
    if not providers.download_clients:
        return "No download client configured"
    return f"No download client takes {release.protocol} releases"


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _failures(found: SearchResult) -> str:
    return "; ".join(f"{name} failed: {error}" for name, error in found.errors.items())


class SeasonPacks:
    """Season packs first, for seasons where at least half the aired episodes are wanted.

    Each such season is searched once; when a pack was grabbed (or held back) its wanted
    episodes share that outcome, else they are searched one by one. A single wanted episode
    is never worth a pack.
    """

    def __init__(self, items: Sequence[WantedItem], grabber: Grabber) -> None:
        episodes = [wanted for wanted in items if wanted.item.kind == EPISODE]
        wanted_per_season = Counter(_season_key(wanted.item) for wanted in episodes)
        aired = {_season_key(wanted.item): wanted.season_size for wanted in episodes}
        self._eligible = {key for key, count in wanted_per_season.items() if count >= 2 and 2 * count >= aired[key]}
        self._grabber = grabber
        self._outcomes: dict[tuple[int, int], ItemOutcome] = {}

    def taken(self, wanted: WantedItem) -> ItemOutcome | None:
        """The outcome of the item's season pack, if one was grabbed or held back."""
        key = _season_key(wanted.item)
        if key not in self._eligible:
            return None
        if key not in self._outcomes:
            item = wanted.item
            assert item.season is not None  # only episodes are eligible, and an episode has a season
            query = SearchQuery.season_pack(item.name, item.season, item.tmdb_id)
            self._outcomes[key] = self._grabber.search_and_grab(Search(item, query, season_episodes=wanted.season_size))
        outcome = self._outcomes[key]
        if outcome.status != GRABBED and outcome.action != DELAY:
            return None
        self._grabber.note_searched(wanted.item)
        return outcome


def _season_key(item: MediaItem) -> tuple[int, int]:
    """(series id, season number): which season pack would hold the item."""
    return item.series_id or 0, item.season or 0
