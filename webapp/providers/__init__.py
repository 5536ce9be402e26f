"""Interfaces to indexers, download clients, subtitle providers and metadata sources."""
from .base import (
    DownloadClient,
    EpisodeInfo,
    Indexer,
    MetadataSource,
    ProviderError,
    ProviderSet,
    Release,
    SearchQuery,
    SubtitleProvider,
    SubtitleRequest,
    SubtitleResult,
    SubtitleStore,
)

__all__ = [
    "DownloadClient", "EpisodeInfo", "Indexer", "MetadataSource", "ProviderError", "ProviderSet", "Release",
    "SearchQuery", "SubtitleProvider", "SubtitleRequest", "SubtitleResult", "SubtitleStore",
]
