"""Realistic-looking, deterministic titles for the demo library (no network, no randomness)."""
from __future__ import annotations

ADJECTIVES = (
    "Silent", "Crimson", "Hidden", "Broken", "Golden", "Last", "Distant", "Frozen", "Burning", "Lost",
    "Midnight", "Savage", "Electric", "Hollow", "Iron", "Velvet", "Wild", "Quiet", "Northern", "Paper",
    "Scarlet", "Restless", "Endless", "Forgotten", "Bright",
)
NOUNS = (
    "Harbor", "Kingdom", "Signal", "Garden", "Empire", "River", "Witness", "Horizon", "Machine", "Orchard",
    "Frontier", "Lantern", "Mirror", "Station", "Voyage", "Citadel", "Island", "Archive", "Promise", "Tide",
    "Compass", "Meridian", "Cathedral", "Echo", "Winter",
)
PLACES = (
    "Ashford", "Blackwater", "Cold Spring", "Dunmore", "Easthaven", "Fairview", "Greyhill", "Hollowell",
    "Ironbridge", "Juniper Bay", "Kingsport", "Lakemont", "Marlow", "Northfield", "Oakridge", "Port Avery",
    "Redcliff", "Stonehaven", "Thornbury", "Westbrook",
)
MOVIE_PATTERNS = (
    "The {adj} {noun}", "{adj} {noun}", "The {noun} of {place}", "{noun} at {place}", "A {adj} {noun}",
    "Beyond the {noun}",
)
SERIES_PATTERNS = ("{place}", "The {noun}", "{adj} {place}", "{place} {noun}", "The {adj} Years")
EPISODE_PATTERNS = ("Pilot", "The {adj} {noun}", "{noun}", "Return to {place}", "What the {noun} Knew", "{adj}")
ROMAN = ("", " II", " III", " IV", " V", " VI", " VII", " VIII", " IX", " X")
# A prime step spreads consecutive numbers over the whole word space.
STEP = 7919


def _words(n: int) -> dict[str, str]:
    spread = n * STEP
    return {
        "adj": ADJECTIVES[spread % len(ADJECTIVES)],
        "noun": NOUNS[(spread // len(ADJECTIVES)) % len(NOUNS)],
        "place": PLACES[(spread // 7) % len(PLACES)],
    }


def _pick(patterns: tuple[str, ...], n: int) -> str:
    return patterns[(n * 31) % len(patterns)].format(**_words(n))


def movie_title(n: int) -> str:
    """``The Silent Harbor``; past the distinct combinations, sequels (``... II``)."""
    space = len(ADJECTIVES) * len(NOUNS)
    return _pick(MOVIE_PATTERNS, n % space) + ROMAN[(n // space) % len(ROMAN)]


def series_title(n: int) -> str:
    space = len(PLACES) * len(NOUNS)
    suffix = f" ({2000 + n // space})" if n >= space else ""
    return _pick(SERIES_PATTERNS, n % space) + suffix


def episode_title(series: int, season: int, number: int) -> str:
    if season == 1 and number == 1:
        return "Pilot"
    return _pick(EPISODE_PATTERNS[1:], series * 97 + season * 13 + number)


def release_name(title: str, quality: str, group: int) -> str:
    """A scene-style release name: ``The Silent Harbor (2019)`` -> ``The.Silent.Harbor.2019.1080p.WEB-DL.x264-NTb``."""
    tags = {
        "SDTV": "SDTV.XviD", "HDTV-720p": "720p.HDTV.x264", "WEBDL-1080p": "1080p.WEB-DL.x264",
        "Bluray-1080p": "1080p.BluRay.x264", "WEBDL-2160p": "2160p.WEB-DL.x265", "Bluray-2160p": "2160p.BluRay.x265",
    }
    groups = ("NTb", "SPARKS", "FLUX", "GECKOS", "NOGRP")
    name = title.replace(" ", ".").replace("(", "").replace(")", "")
    return f"{name}.{tags.get(quality, quality)}-{groups[group % len(groups)]}"
