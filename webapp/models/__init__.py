"""Every table of the program, importable from one place."""
from .auth import ApiKey, LoginAttempts, User, new_session_token
from .base import Base, UTCDateTime
from .library import (
    Episode,
    ImportQueueEntry,
    MediaFile,
    Movie,
    PendingRelease,
    ProfileQuality,
    QualityProfile,
    Series,
    SubtitleFile,
    WantedLanguage,
)
from .providers import BlocklistEntry, DownloadClientSetting, IndexerSetting, IndexerStatus
from .tasks import (
    FINISHED_STATUSES,
    RUN_CANCELLED,
    RUN_COMPLETED,
    RUN_FAILED,
    RUN_QUEUED,
    RUN_RUNNING,
    TaskActivity,
    TaskActivityCount,
    TaskEvent,
    TaskRun,
    TaskSetting,
)

__all__ = [
    "ApiKey", "Base", "BlocklistEntry", "DownloadClientSetting", "Episode", "FINISHED_STATUSES", "ImportQueueEntry",
    "IndexerSetting", "IndexerStatus", "LoginAttempts", "MediaFile", "Movie", "PendingRelease", "ProfileQuality",
    "QualityProfile", "RUN_CANCELLED", "RUN_COMPLETED", "RUN_FAILED", "RUN_QUEUED", "RUN_RUNNING", "Series",
    "SubtitleFile", "TaskActivity", "TaskActivityCount", "TaskEvent", "TaskRun", "TaskSetting", "UTCDateTime", "User",
    "WantedLanguage", "new_session_token",
]
