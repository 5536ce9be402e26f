"""The media library as the tasks see it: selections, quality profiles and writes."""
from ..releases.profiles import Profile
from .items import (
    EPISODE, MOVIE, FiledItem, ImportItem, MediaItem, MissingLanguage, PendingItem, SeriesItem, SubtitleNeed,
    WantedItem,
)
from .demo import seed_demo
from .profiles import load_profiles
from .queries import (
    BEST_SUBTITLE_SCORE, cutoff_unmet_items, import_queue, missing_items, missing_subtitles, newly_aired_episodes,
    pending_releases, series_to_refresh, upgradable_items, upgradable_subtitles,
)
from .sidecar import SidecarSubtitles, sidecar_path
from .writes import WriteBatch

__all__ = [
    "BEST_SUBTITLE_SCORE", "EPISODE", "MOVIE", "FiledItem", "ImportItem", "MediaItem", "MissingLanguage",
    "PendingItem", "Profile", "SeriesItem", "SidecarSubtitles", "SubtitleNeed", "WantedItem", "WriteBatch",
    "cutoff_unmet_items", "import_queue", "load_profiles", "missing_items", "missing_subtitles",
    "newly_aired_episodes", "pending_releases", "seed_demo", "series_to_refresh", "sidecar_path", "upgradable_items",
    "upgradable_subtitles",
]
