"""The query strings of the history and activity pages, parsed once for the page, its print
view and its CSV export; a bad one answers 400, an unknown task or run 404."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

from flask import abort

from ..errors import AppError, NotFound
from ..parsing import query_choice, query_int, query_text
from ..services.history import ACTIVITY_STATUSES, HISTORY_STATUSES

MAX_PAGE = 999_999_999


@dataclass(frozen=True)
class _Query:
    def args(self, **changes: Any) -> dict[str, Any]:
        """The query as ``url_for`` keywords, with ``changes`` (``url_for`` leaves out a ``None``)."""
        return asdict(replace(self, **changes))


@dataclass(frozen=True)
class HistoryQuery(_Query):
    page: int
    status: str | None

    def describe(self) -> str:
        """The filter in words, for a printed header."""
        return f"status {self.status}" if self.status else "all runs"


@dataclass(frozen=True)
class ActivityQuery(_Query):
    page: int
    status: str | None
    search: str | None

    def describe(self) -> str:
        """The filter in words, for a printed header and the row count."""
        parts = [f"status {self.status}"] if self.status else []
        if self.search:
            parts.append(f"title contains “{self.search}”")
        return ", ".join(parts) or "all activity"


def history_query() -> HistoryQuery:
    return HistoryQuery(query_int("page", 1, 1, MAX_PAGE), query_choice("status", HISTORY_STATUSES))


def activity_query() -> ActivityQuery:
    return ActivityQuery(
        query_int("page", 1, 1, MAX_PAGE), query_choice("status", ACTIVITY_STATUSES), query_text("search"),
    )


@contextlib.contextmanager
def page_errors() -> Iterator[None]:
    """Turns the services' errors into the pages' answers: 404 for an unknown task or run, else 400."""
    try:
        yield
    except NotFound:
        abort(404)
    except AppError as error:
        abort(400, error.message)
