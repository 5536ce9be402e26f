"""How a configured subtitle provider is set up, and what it has lately been told of its quota.

Plain values, as ``providers/settings.py`` has for indexers and download clients: the settings
service stores and checks them, the provider clients read them. Secrets travel here and
nowhere else.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

OPENSUBTITLES, LOCAL = "opensubtitles", "local"
SUBTITLE_IMPLEMENTATIONS = (OPENSUBTITLES, LOCAL)
OPENSUBTITLES_URL = "https://api.opensubtitles.com/api/v1"
DEFAULT_MINIMUM_SCORE = 60


@dataclass(frozen=True)
class SubtitleProviderSettings:
    """An OpenSubtitles.com account (``base_url``, keys) or a ``local`` folder of subtitle files."""

    name: str
    implementation: str
    base_url: str = OPENSUBTITLES_URL
    api_key: str = field(default="", repr=False)
    username: str = ""
    password: str = field(default="", repr=False)
    folder: str = ""
    minimum_score: int = DEFAULT_MINIMUM_SCORE
    enabled: bool = True
    priority: int = 25
    id: int | None = None


@dataclass(frozen=True)
class QuotaState:
    """What a provider last said of its downloads: how many are left, and when the count starts again.

    ``resting_until``: not to be asked anything before then (a 429's Retry-After, or a quota
    used up until its reset).
    """

    downloads_remaining: int | None = None
    resets_at: datetime | None = None
    resting_until: datetime | None = None
    reason: str | None = None


class QuotaStore(Protocol):
    """Where a provider's quota is kept, so that every process leaves a provider alone until its reset."""

    def load(self, provider_id: int | None) -> QuotaState: ...

    def save(self, provider_id: int | None, state: QuotaState) -> None: ...


class MemoryQuota:
    """A quota kept in this process only: for tests and one-off provider tests."""

    def __init__(self) -> None:
        self._states: dict[int | None, QuotaState] = {}

    def load(self, provider_id: int | None) -> QuotaState:
        return self._states.get(provider_id, QuotaState())

    def save(self, provider_id: int | None, state: QuotaState) -> None:
        self._states[provider_id] = state
