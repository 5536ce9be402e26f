"""Subtitle providers: OpenSubtitles.com (REST) and a local folder, built from their settings."""
from __future__ import annotations

from ..base import ProviderError, Scorer
from ..testing import TEST_SECONDS, within
from .local import LocalFolder
from .opensubtitles import OpenSubtitles
from .settings import LOCAL, OPENSUBTITLES, MemoryQuota, QuotaStore, SubtitleProviderSettings

SubtitleSource = OpenSubtitles | LocalFolder


def build_subtitle_provider(settings: SubtitleProviderSettings, quota: QuotaStore, scorer: Scorer) -> SubtitleSource:
    """The provider its settings describe; ``quota`` keeps what OpenSubtitles says of its downloads,
    ``scorer`` judges each subtitle offered against the requested file."""
    if settings.implementation == OPENSUBTITLES:
        return OpenSubtitles(settings, quota, scorer)
    if settings.implementation == LOCAL:
        return LocalFolder(settings, scorer)
    raise ProviderError(f"Unknown subtitle provider implementation {settings.implementation!r}")


def test_subtitle_provider(settings: SubtitleProviderSettings, seconds: float = TEST_SECONDS) -> str:
    """What the provider answered, for a person; raises ``ProviderError`` when not as expected.

    Tried with a quota of its own: a test never rests the saved provider. Nothing is scored.
    """
    provider = build_subtitle_provider(settings, MemoryQuota(), lambda request, offer: 0)
    return within(seconds, provider.test, f"Subtitle provider '{settings.name}'")


__all__ = ["LocalFolder", "OpenSubtitles", "SubtitleSource", "build_subtitle_provider", "test_subtitle_provider"]
