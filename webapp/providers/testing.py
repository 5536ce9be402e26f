"""Trying a configured indexer or download client once, as its settings page's "Test" does.

Nothing is kept: an indexer is tried with a health of its own, so a failed test never rests
the saved indexer. A test answers within ``TEST_SECONDS`` whatever the provider does.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future

from .base import ProviderError
from .settings import ClientSettings, IndexerSettings, MemoryHealth

TEST_SECONDS = 15.0


def test_indexer(settings: IndexerSettings, seconds: float = TEST_SECONDS) -> str:
    """What the indexer answered, for a person; raises ``ProviderError`` when it did not answer as expected."""
    from .newznab import NewznabIndexer  # imported when used: the protocol clients are the heavy part

    return within(seconds, NewznabIndexer(settings, MemoryHealth()).test, f"Indexer '{settings.name}'")


def test_client(settings: ClientSettings, seconds: float = TEST_SECONDS) -> str:
    """What the download client answered; raises ``ProviderError`` when it did not answer as expected."""
    from .clients import build_client

    return within(seconds, build_client(settings).test, f"Download client '{settings.name}'")


def within(seconds: float, attempt: Callable[[], str], what: str) -> str:
    """``attempt()``, or a ``ProviderError`` once ``seconds`` pass without its answer.

    The attempt runs on a thread of its own that is left to end by its own timeouts: a
    library blocked in a socket read cannot be interrupted, only no longer waited for.
    """
    outcome: Future[str] = Future()

    def run() -> None:
        try:
            outcome.set_result(attempt())
        except BaseException as error:  # noqa: BLE001 - handed over whole to the waiting thread
            outcome.set_exception(error)

    threading.Thread(target=run, name="provider-test", daemon=True).start()
    try:
        return outcome.result(timeout=seconds)
    except TimeoutError:
        raise ProviderError(f"{what} did not answer within {seconds:g} seconds") from None
