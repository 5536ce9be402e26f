"""One search across every indexer at once: each answers or fails on its own.

Indexers are asked in parallel threads; how many requests one indexer gets at a time is its
own rate limit's business (``NewznabIndexer``). An indexer resting after failures is not asked
at all, and says until when.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from .base import Indexer, ProviderError, Release, SearchQuery

log = logging.getLogger("cinephage.providers")

MAX_PARALLEL = 8


@runtime_checkable
class Resting(Protocol):
    """An indexer that may be resting after failures."""

    def resting(self) -> str | None:
        """Why it is not to be asked now (saying until when), or None."""
        ...


@dataclass(frozen=True)
class SearchResult:
    """Every release found, in the indexers' order, and why each indexer that gave none did not answer."""

    releases: tuple[Release, ...] = ()
    errors: Mapping[str, str] = field(default_factory=dict)  # indexer name → a message for people
    searched: tuple[str, ...] = ()  # the indexers that answered

    @property
    def all_failed(self) -> bool:
        """No indexer answered (and at least one was asked or skipped)."""
        return not self.searched and bool(self.errors)


def search_all(indexers: Sequence[Indexer], query: SearchQuery, *, max_parallel: int = MAX_PARALLEL) -> SearchResult:
    """Asks every indexer not resting, in parallel; one failing never stops the others."""
    errors: dict[str, str] = {}
    asked: list[Indexer] = []
    for indexer in indexers:
        why_not = indexer.resting() if isinstance(indexer, Resting) else None
        if why_not is None:
            asked.append(indexer)
        else:
            log.info("%s", why_not)
            errors[indexer.name] = why_not
    if not asked:
        return SearchResult(errors=errors)
    releases: list[Release] = []
    searched: list[str] = []
    with ThreadPoolExecutor(min(max_parallel, len(asked)), thread_name_prefix="indexer-search") as pool:
        futures = [(indexer.name, pool.submit(indexer.search, query)) for indexer in asked]
        for name, future in futures:
            try:
                releases.extend(future.result())
            except ProviderError as error:
                errors[name] = str(error)
                continue
            except Exception as error:  # a bug in one indexer must not lose the others' releases
                log.exception("Searching %s failed unexpectedly", name)
                errors[name] = f"{name} failed unexpectedly ({type(error).__name__}); the log has the details"
                continue
            searched.append(name)
    return SearchResult(tuple(releases), errors, tuple(searched))
