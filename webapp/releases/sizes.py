"""How large a release of each quality may be, in megabytes per minute of running time.

In the spirit of Sonarr's and Radarr's quality definitions: a release far smaller than its
quality allows is a fake or a mislabelled encode, one far larger a disc image or a bundle.
"""
from __future__ import annotations

from dataclasses import dataclass

MEGABYTE = 1_000_000


@dataclass(frozen=True)
class SizeLimits:
    """Megabytes per minute: the least a quality can be, the size it usually is, the most (None: any)."""

    minimum: float
    preferred: float
    maximum: float | None


# A 45-minute WEBDL-1080p episode: 360 MB to 5.9 GB; a 110-minute Bluray-1080p movie: 1.3 to 22 GB.
QUALITY_SIZES: dict[str, SizeLimits] = {
    "SDTV": SizeLimits(2, 8, 40),
    "DVD": SizeLimits(2, 15, 60),
    "WEBRip-480p": SizeLimits(2, 10, 60),
    "WEBDL-480p": SizeLimits(2, 10, 60),
    "Bluray-480p": SizeLimits(2, 12, 60),
    "Bluray-576p": SizeLimits(2, 15, 60),
    "HDTV-720p": SizeLimits(5, 20, 80),
    "WEBRip-720p": SizeLimits(5, 20, 80),
    "WEBDL-720p": SizeLimits(5, 20, 80),
    "Bluray-720p": SizeLimits(8, 40, 120),
    "HDTV-1080p": SizeLimits(8, 30, 130),
    "WEBRip-1080p": SizeLimits(8, 35, 130),
    "WEBDL-1080p": SizeLimits(8, 35, 130),
    "Bluray-1080p": SizeLimits(12, 80, 200),
    "Remux-1080p": SizeLimits(70, 250, 400),
    "HDTV-2160p": SizeLimits(20, 100, 350),
    "WEBRip-2160p": SizeLimits(25, 150, 400),
    "WEBDL-2160p": SizeLimits(25, 150, 400),
    "Bluray-2160p": SizeLimits(40, 250, 600),
    "Remux-2160p": SizeLimits(150, 450, 900),
}
