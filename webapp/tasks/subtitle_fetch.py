"""Finding, downloading and keeping the best subtitle for a media file."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from ..db import Database
from ..library import ImportItem, SidecarSubtitles, SubtitleNeed, WriteBatch
from ..library.sidecar import remove_replaced
from ..library.writes import mark_subtitles_searched, replace_subtitle
from ..models import SubtitleFile
from ..providers import ProviderError, ProviderSet, SubtitleProvider, SubtitleRequest, SubtitleResult
from ..providers.base import SUBTITLE_DOWNLOADED
from .common import FAILED, NO_RESULTS, SKIP, SKIPPED, SUCCESS, ItemOutcome

log = logging.getLogger("cinephage.tasks")

Found = tuple[SubtitleProvider, SubtitleResult]


def subtitle_request(need: SubtitleNeed) -> SubtitleRequest:
    item = need.item
    return SubtitleRequest(
        title=item.name, language=need.language, file_path=need.file_path, year=item.year, tmdb_id=item.tmdb_id,
        season=item.season, episode=item.episode,
    )


class SubtitleFetcher:
    """Searches every subtitle provider and keeps the best result that scores enough.

    A result is taken at ``min_score`` or its provider's ``minimum_score``, whichever is higher.
    A search that reached a provider marks the file searched; a download replaces the file's
    subtitle in that language (the file it replaces is removed) and tells the notifier.
    """

    def __init__(self, providers: ProviderSet, writes: WriteBatch, now: datetime, db: Database) -> None:
        self._providers = providers.subtitle_providers
        self._store = providers.subtitle_store or SidecarSubtitles()
        self._notifier = providers.notifier
        self._writes = writes
        self._now = now
        self._db = db

    def fetch(self, need: SubtitleNeed, min_score: int, action: str) -> ItemOutcome:
        """Downloads the best ``need.language`` subtitle scoring ``min_score`` or more."""
        if not self._providers:
            return ItemOutcome(action, SKIPPED, f"No subtitle provider configured (wanted: {need.language})")
        found, errors = self._search(subtitle_request(need))
        if errors and not found:
            return ItemOutcome(action, FAILED, "; ".join(errors))
        self._writes.add(mark_subtitles_searched(need.file_id, self._now))
        fitting = [(p, r) for p, r in found if r.language == need.language and r.score >= _needed(p, min_score)]
        if not fitting:
            least = min(_needed(provider, min_score) for provider in self._providers)
            results = f"{len(found)} result" if len(found) == 1 else f"{len(found)} results"
            message = f"No {need.language} subtitle scoring {least} or more ({results})"
            return ItemOutcome(action, NO_RESULTS, message)
        return self._download_and_store(need, *max(fitting, key=lambda pair: pair[1].score), action)

    def fetch_missing(self, entry: ImportItem, action: str) -> ItemOutcome:
        """Fetches every wanted language the entry's file lacks; one outcome for them all."""
        if not entry.missing:
            return ItemOutcome(SKIP, SKIPPED, "No wanted subtitle language is missing")
        outcomes = [
            (missing.language, self.fetch(entry.need(missing), missing.min_score, action)) for missing in entry.missing
        ]
        return _combined(action, outcomes)

    def _search(self, request: SubtitleRequest) -> tuple[list[Found], list[str]]:
        found: list[Found] = []
        errors: list[str] = []
        for provider in self._providers:
            try:
                found.extend((provider, result) for result in provider.search(request))
            except ProviderError as error:
                log.warning("subtitle provider %s failed: %s", provider.name, error)
                errors.append(f"{provider.name}: {error}")
        return found, errors

    def _download_and_store(
        self, need: SubtitleNeed, provider: SubtitleProvider, result: SubtitleResult, action: str
    ) -> ItemOutcome:
        previous = self._previous_path(need)
        try:
            content = provider.download(result)
            path = self._store.save(need.file_path, need.language, content, result.format)
            remove_replaced(need.file_path, need.language, Path(path), previous)
        except (ProviderError, OSError) as error:
            log.warning("keeping a %s subtitle for %s failed: %s", need.language, need.file_path, error)
            message = f"Could not download and keep the {need.language} subtitle from {provider.name}: {error}"
            return ItemOutcome(action, FAILED, message)
        self._writes.add(*replace_subtitle(need.file_id, need.language, result.score, provider.name, path, self._now))
        message = f"Downloaded {need.language} subtitle (score {result.score}, {provider.name}) → {path}"
        self._notifier.notify(SUBTITLE_DOWNLOADED, f"Subtitle downloaded: {need.title}", message)
        return ItemOutcome(action, SUCCESS, message, affected=True)

    def _previous_path(self, need: SubtitleNeed) -> str | None:
        """Where the subtitle being replaced is (an upgrade's), so that it leaves no orphan."""
        if need.current_score is None:
            return None
        with self._db.read() as session:
            return session.scalar(select(SubtitleFile.path).where(
                SubtitleFile.media_file_id == need.file_id, SubtitleFile.language == need.language))


def _needed(provider: SubtitleProvider, min_score: int) -> int:
    """The score a result of ``provider`` needs: the language's (or the upgrade's) or the provider's own."""
    return max(min_score, provider.minimum_score)


def _combined(action: str, outcomes: Sequence[tuple[str, ItemOutcome]]) -> ItemOutcome:
    """One outcome for several languages: success if any succeeded, else the worst."""
    first = outcomes[0][1]
    if all(outcome == first for _, outcome in outcomes):
        return first
    statuses = {outcome.status for _, outcome in outcomes}
    status = next(s for s in (SUCCESS, FAILED, NO_RESULTS, SKIPPED) if s in statuses)
    message = "; ".join(f"{language}: {outcome.message}" for language, outcome in outcomes)
    return ItemOutcome(action, status, message, affected=any(outcome.affected for _, outcome in outcomes))
