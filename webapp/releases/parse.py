"""Release and file names read by guessit, with the quality named as our profiles name it.

guessit knows the scene and P2P vocabulary (sources, resolutions, codecs, HDR, groups,
PROPER/REPACK, season packs...); this module only maps what it found onto our values.
"""
from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

log = logging.getLogger("cinephage.releases")

UNKNOWN = "Unknown"
# Qualities no profile lists: a release of one is rejected under the quality's own name.
UNWANTED_QUALITIES = frozenset({"CAM", "TELESYNC", "TELECINE", "WORKPRINT", "SCREENER", "BR-DISK"})

# guessit's ``source`` -> (family of our quality names, resolution implied when the name gives none).
_SOURCES: dict[str, tuple[str, str | None]] = {
    "Camera": ("CAM", None), "HD Camera": ("CAM", None),
    "Telesync": ("TELESYNC", None), "HD Telesync": ("TELESYNC", None),
    "Telecine": ("TELECINE", None), "HD Telecine": ("TELECINE", None),
    "Workprint": ("WORKPRINT", None),
    "DVD": ("DVD", None), "HD-DVD": ("Bluray", None), "Laserdisc": ("DVD", None), "VHS": ("SDTV", None),
    "Blu-ray": ("Bluray", None), "Ultra HD Blu-ray": ("Bluray", "2160p"),
    "Web": ("WEBDL", None), "Video on Demand": ("WEBDL", None), "Digital Master": ("WEBDL", None),
    "HDTV": ("HDTV", None), "Ultra HDTV": ("HDTV", "2160p"), "Analog HDTV": ("HDTV", None),
    "Digital TV": ("HDTV", None), "TV": ("HDTV", None), "Satellite": ("HDTV", None), "Pay-per-view": ("HDTV", None),
}
# A family's quality at each resolution; ``None`` is what a name without one gets (Sonarr's defaults).
# Families not listed (CAM, DVD, SDTV...) are one quality whatever the resolution.
_QUALITIES: dict[str, dict[str | None, str]] = {
    "HDTV": {None: "SDTV", "480p": "SDTV", "576p": "SDTV", "720p": "HDTV-720p", "1080p": "HDTV-1080p",
             "2160p": "HDTV-2160p"},
    "WEBDL": {None: "WEBDL-480p", "480p": "WEBDL-480p", "576p": "WEBDL-480p", "720p": "WEBDL-720p",
              "1080p": "WEBDL-1080p", "2160p": "WEBDL-2160p"},
    "WEBRip": {None: "WEBRip-480p", "480p": "WEBRip-480p", "576p": "WEBRip-480p", "720p": "WEBRip-720p",
               "1080p": "WEBRip-1080p", "2160p": "WEBRip-2160p"},
    "Bluray": {None: "Bluray-720p", "480p": "Bluray-480p", "576p": "Bluray-576p", "720p": "Bluray-720p",
               "1080p": "Bluray-1080p", "2160p": "Bluray-2160p"},
    "Remux": {None: "Remux-1080p", "480p": "Remux-1080p", "576p": "Remux-1080p", "720p": "Bluray-720p",
              "1080p": "Remux-1080p", "2160p": "Remux-2160p"},
}
# guessit's ``screen_size`` -> the resolutions qualities are named by; any other size said is SD.
_RESOLUTIONS = {
    "4320p": "2160p", "2160p": "2160p", "1440p": "1080p", "1080p": "1080p", "1080i": "1080p",
    "900p": "720p", "900i": "720p", "720p": "720p", "576p": "576p", "576i": "576p",
}
_HDR = {"HDR10": "HDR10", "Dolby Vision": "DV"}
# How a country qualifies a series title in release names ("Shameless.UK"); others by their code.
_COUNTRY_WORDS = {"GB": "UK"}
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10",
}
_APOSTROPHES = frozenset("'’`´")


@dataclass(frozen=True)
class ParsedRelease:
    """What a release or file name says of itself; ``quality`` is one of our quality names.

    ``revision`` is 0 for an original release; PROPER, REPACK and RERIP count 1, REAL and
    REPACK2 count 2 (guessit's ``proper_count``), and an anime ``v2`` counts 1 more.
    """

    name: str
    title: str
    quality: str = UNKNOWN
    year: int | None = None
    seasons: tuple[int, ...] = ()
    episodes: tuple[int, ...] = ()
    part: int | None = None
    country: str | None = None
    source: str | None = None
    resolution: str | None = None
    video_codec: str | None = None
    hdr: tuple[str, ...] = ()
    audio: tuple[str, ...] = ()
    audio_channels: str | None = None
    release_group: str | None = None
    revision: int = 0
    edition: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    streaming_service: str | None = None
    is_sample: bool = False

    @property
    def season(self) -> int | None:
        """The season, when the name is of exactly one."""
        return self.seasons[0] if len(self.seasons) == 1 else None

    @property
    def full_season(self) -> bool:
        """A whole season (or several): seasons named, no episode."""
        return bool(self.seasons) and not self.episodes

    @property
    def title_keys(self) -> frozenset[str]:
        """Every ``title_key`` the name may be known by: ``The.Office.US`` is "theoffice" and
        "theofficeus"; a movie's part belongs to its title ("Dune.Part.Two": "dunepart2")."""
        series = bool(self.seasons or self.episodes)
        title = self.title if series or self.part is None else f"{self.title} Part {self.part}"
        names = [title]
        if self.country:
            names.append(f"{title} {_COUNTRY_WORDS.get(self.country, self.country)}")
        if series and self.year:
            names.append(f"{title} {self.year}")
        return frozenset(title_key(name) for name in names)


def parse_release(name: str) -> ParsedRelease:
    """Reads a release or file name (memoised: indexers return the same names search after search)."""
    return _parse(name.strip())


@lru_cache(maxsize=4096)
def _parse(name: str) -> ParsedRelease:
    # Imported here: guessit builds its rules on first use, which the web server must not pay at start.
    from guessit import guessit
    from guessit.api import GuessitException

    try:
        guess = guessit(name)
    except GuessitException:
        log.warning("guessit could not read %r", name, exc_info=True)
        return ParsedRelease(name=name, title=name)
    return _from_guess(name, guess)


def _from_guess(name: str, guess: dict[str, Any]) -> ParsedRelease:
    other = _strings(guess.get("other"))
    resolution = _RESOLUTIONS.get(str(guess.get("screen_size")), "480p" if "screen_size" in guess else None)
    source = _first_str(guess.get("source"))
    return ParsedRelease(
        name=name,
        title=str(guess.get("title", name)),
        quality=quality_of(source, resolution, other, has_codec="video_codec" in guess),
        year=_first_int(guess.get("year")),
        seasons=_ints(guess.get("season")),
        episodes=_ints(guess.get("episode")),
        part=_first_int(guess.get("part")),
        country=_first_str(guess.get("country")),  # babelfish's Country prints its ISO code
        source=source,
        resolution=resolution,
        video_codec=_first_str(guess.get("video_codec")),
        hdr=tuple(_HDR[tag] for tag in other if tag in _HDR),
        audio=_strings(guess.get("audio_codec")),
        audio_channels=_first_str(guess.get("audio_channels")),
        release_group=_first_str(guess.get("release_group")),
        revision=int(guess.get("proper_count", 0)) + max(int(guess.get("version", 1)) - 1, 0),
        edition=_strings(guess.get("edition")),
        languages=_strings(guess.get("language")),
        streaming_service=_first_str(guess.get("streaming_service")),
        is_sample="Sample" in other,
    )


def quality_of(source: str | None, resolution: str | None, other: Iterable[str] = (), has_codec: bool = True) -> str:
    """Our quality name for guessit's ``source``, a resolution ("1080p") and guessit's ``other`` tags."""
    tags = set(other)
    family, implied = _SOURCES.get(source, (None, None)) if source else (None, None)
    resolution = resolution or implied
    if "Screener" in tags:
        return "SCREENER"
    if "Remux" in tags and family in (None, "Bluray"):
        family = "Remux"
    elif family == "WEBDL" and "Rip" in tags:
        family = "WEBRip"
    elif family is None and {"HD", "Rip"} <= tags:  # "HDRip": ripped from a web stream
        family = "WEBRip"
    elif family == "Bluray" and "Complete" in tags and not has_codec:
        return "BR-DISK"  # a whole disc ("COMPLETE.UHD.BLURAY"), not a video file
    if family is None:
        family = "HDTV" if resolution in ("720p", "1080p", "2160p") else None  # Sonarr's guess for "1080p" alone
    if family is None:
        return UNKNOWN
    return _QUALITIES[family][resolution] if family in _QUALITIES else family


def words(text: str) -> tuple[str, ...]:
    """The words of a text, lower case, without accents or punctuation: ``Grey's.Anatomy`` -> greys, anatomy."""
    decomposed = unicodedata.normalize("NFKD", text.replace("&", " and "))
    kept = "".join(
        "" if unicodedata.combining(char) or char in _APOSTROPHES else char if char.isalnum() else " "
        for char in decomposed
    )
    return tuple(kept.casefold().split())


def title_key(title: str, *, drop_year: bool = False) -> str:
    """A title reduced for comparison: "The Office (US)" and "The.Office.US" are both "theofficeus",
    "Law & Order" and "Law.and.Order" both "lawandorder", "Part Two" and "Part.2" alike.

    ``drop_year`` leaves out a year that ends the title ("Doctor Who (2005)" -> "doctorwho").
    """
    kept = [_NUMBER_WORDS.get(word, word) for word in words(title)]
    if drop_year and len(kept) > 1 and _is_year(kept[-1]):
        kept.pop()
    return "".join(kept)


def _is_year(word: str) -> bool:
    return len(word) == 4 and word.isascii() and word.isdigit() and 1900 <= int(word) <= 2100


def _values(value: Any) -> list[Any]:
    """guessit gives a property one value, or a list when the name has several (sources, parts...)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _strings(value: Any) -> tuple[str, ...]:
    """Languages and countries are babelfish objects, which print as their codes ("fr", "US")."""
    return tuple(str(item) for item in _values(value))


def _ints(value: Any) -> tuple[int, ...]:
    return tuple(sorted({int(item) for item in _values(value)}))


def _first_int(value: Any) -> int | None:
    numbers = _ints(value)
    return numbers[0] if numbers else None


def _first_str(value: Any) -> str | None:
    strings = _strings(value)
    return strings[0] if strings else None
