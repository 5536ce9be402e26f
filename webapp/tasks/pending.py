"""Releases held back by the delay, judged again when their time comes: grabbed, or expired."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..library import PendingItem
from ..library.delay import EXPIRED, FAILED as FAILED_STATUS, GRABBED as GRABBED_STATUS
from ..providers import ProviderSet, Release, SearchQuery
from ..releases import decide
from ..releases.decide import BLOCKLISTED, CUTOFF_MET, NOT_AN_UPGRADE, UPGRADES_OFF
from .common import EXPIRE, FAILED, GRAB, GRABBED, SKIPPED, SUCCESS, ItemOutcome
from .searching import MAX_GRABS, Grabber, Search, describe, no_client, search_query, when

# Why a held release is no longer wanted, by the first reason the decision gives.
_NO_LONGER = {
    CUTOFF_MET: "the file already meets the cutoff",
    NOT_AN_UPGRADE: "the file is at least as good",
    UPGRADES_OFF: "the item has a file and its profile allows no upgrades",
    BLOCKLISTED: "it is blocklisted",
}


@dataclass
class _Held:
    """The held releases of one item (and one kind of search), judged together."""

    search: Search
    accepted: dict[int, Release] = field(default_factory=dict)  # pending release id → the release, decided
    rejected: dict[int, str] = field(default_factory=dict)  # pending release id → its first reason
    order: list[PendingItem] = field(default_factory=list)  # best first, the rejected last
    failures: int = 0


class HeldReleases:
    """Judges the selected pending releases again, item by item, through the same decision as a search.

    ``ordered`` lists them best first within each item; ``handle`` then grabs the first of an item
    that is accepted and due (trying the next when a client fails), and expires those the item no
    longer wants and those a better one was grabbed before.
    """

    def __init__(self, rows: Sequence[PendingItem], providers: ProviderSet, grabber: Grabber, now: datetime) -> None:
        self._providers = providers
        self._grabber = grabber
        self._now = now
        self._groups: dict[tuple[str, bool], _Held] = {}
        self._grabbed: set[str] = set()  # media ids of the items a release was grabbed for
        for row in rows:
            key = (row.media_id, row.season_pack)
            if key not in self._groups:
                query = _pack_query(row) if row.season_pack else search_query(row.item)
                self._groups[key] = _Held(Search(row.item, query, file_rank=row.file_rank))
            self._groups[key].order.append(row)
        for held in self._groups.values():
            self._judge(held)

    def ordered(self) -> list[PendingItem]:
        return [row for held in self._groups.values() for row in held.order]

    def handle(self, row: PendingItem) -> tuple[ItemOutcome, str | None]:
        """What became of the release, and the status it takes (None: it stays pending)."""
        held = self._groups[(row.media_id, row.season_pack)]
        if row.release_id in held.rejected:
            return _expired(row, _NO_LONGER.get(held.rejected[row.release_id],
                                                f"it is no longer accepted ({held.rejected[row.release_id]})"))
        if row.media_id in self._grabbed:
            return _expired(row, "a better release was grabbed")
        release = held.accepted[row.release_id]
        if not (release.download_url or release.magnet_url):
            return _expired(row, "it has no download link")
        if row.release_at > self._now:
            return ItemOutcome(GRAB, SKIPPED, f"{row.release_title} is held until {when(row.release_at)}"), None
        if held.failures >= MAX_GRABS:
            return ItemOutcome(GRAB, SKIPPED, f"Not tried: {MAX_GRABS} grabs for this item failed in this run"), None
        return self._grab(held, release)

    def _judge(self, held: _Held) -> None:
        by_title: dict[str, list[PendingItem]] = {}
        for row in held.order:
            by_title.setdefault(row.release_title, []).append(row)
        decisions = decide(self._grabber.wanted(held.search), [_release_of(row) for row in held.order])
        for release in decisions.accepted:
            row = by_title[release.title].pop(0)
            held.accepted[row.release_id] = release
        for rejection in decisions.rejected:
            row = by_title[rejection.release.title].pop(0)
            held.rejected[row.release_id] = rejection.reasons[0]
        rank = {release_id: index for index, release_id in enumerate(held.accepted)}
        held.order.sort(key=lambda row: rank.get(row.release_id, len(rank)))

    def _grab(self, held: _Held, release: Release) -> tuple[ItemOutcome, str | None]:
        client = self._providers.client_for(release.protocol)
        if client is None:
            message = f"{no_client(self._providers, release)} (would grab {release.title})"
            return ItemOutcome(GRAB, SKIPPED, message), None
        failure = self._grabber.grab(held.search.item, release, client, held.search.query)
        if failure is not None:
            held.failures = held.failures + 1 if failure.next_may_work else MAX_GRABS  # a client down: none goes
            # A refused release fails for good; behind a client that is down it waits for the next run.
            return ItemOutcome(GRAB, FAILED, failure.message), FAILED_STATUS if failure.next_may_work else None
        self._grabbed.add(held.search.item.media_id)
        message = f"Grabbed {release.title} ({describe(release)}) from {release.indexer} → {client.name}"
        return ItemOutcome(GRAB, GRABBED, f"{message} after its delay", affected=True), GRABBED_STATUS


def _pack_query(row: PendingItem) -> SearchQuery:
    item = row.item
    assert item.season is not None  # a season pack is only ever held for an episode
    return SearchQuery.season_pack(item.name, item.season, item.tmdb_id)


def _release_of(row: PendingItem) -> Release:
    """The release as its indexer offered it; the decision reads its quality from its title again."""
    return Release(
        title=row.release_title, quality=row.quality, indexer=row.indexer or "unknown indexer",
        download_url=row.download_url or "", size_bytes=row.size_bytes, protocol=row.protocol, seeders=row.seeders,
        magnet_url=row.magnet_url, published_at=row.published_at, indexer_id=row.indexer_id,
    )


def _expired(row: PendingItem, reason: str) -> tuple[ItemOutcome, str]:
    return ItemOutcome(EXPIRE, SUCCESS, f"Expired {row.release_title}: {reason}", affected=True), EXPIRED
