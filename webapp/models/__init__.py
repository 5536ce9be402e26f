"""Every table of the program, importable from one place."""
from .auth import ApiKey, LoginAttempts, User, new_session_token
from .base import Base, UTCDateTime
from .grabs import Grab
from .imports import CompletedDownload, ImportRecord, LibrarySetting
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
from .metadata import MetadataSetting
from .notifications import DemoNotification, NotificationTarget
from .providers import BlocklistEntry, DownloadClientSetting, IndexerSetting, IndexerStatus
from .releases import ReleasePreference
from .subtitles import SubtitleProviderSetting, SubtitleProviderStatus
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
    "ApiKey", "Base", "BlocklistEntry", "CompletedDownload", "DemoNotification", "DownloadClientSetting", "Episode",
    "FINISHED_STATUSES", "Grab", "ImportQueueEntry", "ImportRecord", "IndexerSetting", "IndexerStatus",
    "LibrarySetting", "LoginAttempts", "MediaFile", "MetadataSetting", "Movie", "NotificationTarget",
    "PendingRelease", "ProfileQuality", "QualityProfile", "RUN_CANCELLED", "RUN_COMPLETED", "RUN_FAILED",
    "RUN_QUEUED", "RUN_RUNNING", "ReleasePreference", "Series", "SubtitleFile", "SubtitleProviderSetting",
    "SubtitleProviderStatus", "TaskActivity", "TaskActivityCount", "TaskEvent", "TaskRun", "TaskSetting",
    "UTCDateTime", "User", "WantedLanguage", "new_session_token",
]
