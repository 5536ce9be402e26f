"""Finding, downloading and keeping the best subtitle for a media file."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from ..library import ImportItem, SidecarSubtitles, SubtitleNeed, WriteBatch
from ..library.writes import mark_subtitles_searched, replace_subtitle
from ..providers import ProviderError, ProviderSet, SubtitleProvider, SubtitleRequest, SubtitleResult
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

    A search that reached a provider marks the file searched; a download replaces the
    file's subtitle in that language.
    """

    def __init__(self, providers: ProviderSet, writes: WriteBatch, now: datetime) -> None:
        self._providers = providers.subtitle_providers
        self._store = providers.subtitle_store or SidecarSubtitles()
        self._writes = writes
        self._now = now

    def fetch(self, need: SubtitleNeed, min_score: int, action: str) -> ItemOutcome:
        """Downloads the best ``need.language`` subtitle scoring ``min_score`` or more."""
        if not self._providers:
            return ItemOutcome(action, SKIPPED, f"No subtitle provider configured (wanted: {need.language})")
        found, errors = self._search(subtitle_request(need))
        if errors and not found:
            return ItemOutcome(action, FAILED, "; ".join(errors))
        self._writes.add(mark_subtitles_searched(need.file_id, self._now))
        fitting = [(p, r) for p, r in found if r.language == need.language and r.score >= min_score]
        if not fitting:
            message = f"No {need.language} subtitle scoring {min_score} or more ({len(found)} results)"
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
        try:
            content = provider.download(result)
            path = self._store.save(need.file_path, need.language, content, result.format)
        except (ProviderError, OSError) as error:
            log.warning("keeping a %s subtitle for %s failed: %s", need.language, need.file_path, error)
            message = f"Could not download and keep the {need.language} subtitle from {provider.name}: {error}"
            return ItemOutcome(action, FAILED, message)
        self._writes.add(*replace_subtitle(need.file_id, need.language, result.score, provider.name, path, self._now))
        message = f"Downloaded {need.language} subtitle from {provider.name} (score {result.score})"
        return ItemOutcome(action, SUCCESS, message, affected=True)


def _combined(action: str, outcomes: Sequence[tuple[str, ItemOutcome]]) -> ItemOutcome:
    """One outcome for several languages: success if any succeeded, else the worst."""
    first = outcomes[0][1]
    if all(outcome == first for _, outcome in outcomes):
        return first
    statuses = {outcome.status for _, outcome in outcomes}
    status = next(s for s in (SUCCESS, FAILED, NO_RESULTS, SKIPPED) if s in statuses)
    message = "; ".join(f"{language}: {outcome.message}" for language, outcome in outcomes)
    return ItemOutcome(action, status, message, affected=any(outcome.affected for _, outcome in outcomes))
