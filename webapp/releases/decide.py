"""The one place that decides which releases an item would take, and why the others not.

A release is checked for being the item asked for (title, year, season, episode), a quality
its profile lists, better than the file on disk, not blocklisted, free of ignored words, of a
sane size for its running time, and seeded enough. The accepted are ranked best first; every
rejection carries its reasons, the first of which is what the activity row counts.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass, field, replace
from functools import cached_property

from ..providers import Release, SearchQuery
from .decisions import Decisions, Rejection
from .parse import UNKNOWN, UNWANTED_QUALITIES, ParsedRelease, parse_release, title_key
from .preferences import Preferences
from .profiles import Profile
from .sizes import MEGABYTE, QUALITY_SIZES, SizeLimits

MOVIE_RUNTIME = 110  # minutes, when the item's own is not known
EPISODE_RUNTIME = 45
DEFAULT_MIN_SEEDERS = 1  # an indexer's ``minimumSeeders`` default

# Reasons, short enough to be counted in an activity message ("7 not an upgrade, 3 wrong episode").
WRONG_TITLE = "wrong title"
WRONG_YEAR = "wrong year"
NOT_A_MOVIE = "not a movie"
WRONG_SEASON = "wrong season"
WRONG_EPISODE = "wrong episode"
SEASON_PACK = "season pack"  # a whole season offered for one episode
NOT_A_SEASON_PACK = "not a season pack"
PARTIAL_SEASON = "partial season"
SAMPLE = "sample"
BLOCKLISTED = "blocklisted"
UNKNOWN_QUALITY = "unknown quality"
NOT_IN_PROFILE = "not in profile"
UPGRADES_OFF = "upgrades off"
CUTOFF_MET = "cutoff met"
NOT_AN_UPGRADE = "not an upgrade"
BELOW_MINIMUM = "below minimum"
IGNORED_WORD = "ignored word"
NO_REQUIRED_WORD = "no required word"
TOO_SMALL = "too small"
TOO_LARGE = "too large"
TOO_FEW_SEEDERS = "too few seeders"
# A release of CAM, TELESYNC, ... is rejected under its quality's name.


@dataclass(frozen=True)
class Wanted:
    """What a search is for: the item (as its query), its profile, and what would improve on its file.

    ``file_rank`` is the profile rank of the file on disk (0: none). The least rank taken is
    ``min_rank`` (the file's rank plus the profile's upgrade increment, say), and never less than
    one above the file. A file that meets the cutoff wants nothing unless ``beyond_cutoff``.
    ``min_seeders`` is one number for every indexer, or by ``Release.indexer_id``.
    ``season_episodes`` sizes a season pack (unknown: its size is not checked).
    """

    query: SearchQuery
    profile: Profile
    file_rank: int = 0
    min_rank: int = 0
    beyond_cutoff: bool = False
    blocklist: Set[str] = frozenset()  # release titles
    runtime_minutes: int | None = None
    season_episodes: int | None = None
    min_seeders: int | Mapping[int, int] = DEFAULT_MIN_SEEDERS
    preferences: Preferences = field(default_factory=Preferences)

    @property
    def floor(self) -> int:
        """The least profile rank worth taking."""
        return max(self.min_rank, self.file_rank + 1, 1)

    @property
    def runtime(self) -> int:
        if self.runtime_minutes:
            return self.runtime_minutes
        return MOVIE_RUNTIME if self.query.is_movie else EPISODE_RUNTIME

    @cached_property
    def title_keys(self) -> frozenset[str]:
        """A series' year may be left out of its releases' names ("Doctor Who (2005)", "Doctor.Who.S01E01")."""
        title = self.query.title
        return frozenset({title_key(title), title_key(title, drop_year=not self.query.is_movie)})

    @cached_property
    def blocked(self) -> frozenset[str]:
        return frozenset(title.casefold() for title in self.blocklist)

    def seeders_needed(self, release: Release) -> int:
        if isinstance(self.min_seeders, int):
            return self.min_seeders
        if release.indexer_id is None:
            return DEFAULT_MIN_SEEDERS
        return self.min_seeders.get(release.indexer_id, DEFAULT_MIN_SEEDERS)


def decide(wanted: Wanted, releases: Iterable[Release]) -> Decisions:
    """Judges each release for the wanted item; the accepted ranked by quality, then PROPER/REPACK,
    then score, then a single episode over a multi-episode one, then seeders, size and age."""
    judged = [_judge(wanted, release) for release in releases]
    accepted = sorted(
        (verdict for verdict in judged if not verdict.reasons), key=lambda verdict: _rank(wanted, verdict), reverse=True
    )
    return Decisions(
        accepted=tuple(verdict.release for verdict in accepted),
        rejected=tuple(Rejection(verdict.release, verdict.reasons) for verdict in judged if verdict.reasons),
    )


@dataclass(frozen=True)
class _Verdict:
    release: Release
    parsed: ParsedRelease
    reasons: tuple[str, ...]


_Check = Callable[[Wanted, Release, ParsedRelease], str | None]


def _judge(wanted: Wanted, release: Release) -> _Verdict:
    parsed = parse_release(release.title)
    scored = replace(release, quality=parsed.quality, score=wanted.preferences.score(parsed))
    reasons = (check(wanted, scored, parsed) for check in _CHECKS)
    return _Verdict(scored, parsed, tuple(reason for reason in reasons if reason))


def _identity(wanted: Wanted, release: Release, parsed: ParsedRelease) -> str | None:
    query = wanted.query
    if not parsed.title_keys & wanted.title_keys:
        return WRONG_TITLE
    if query.is_movie:
        return _movie_mismatch(query, parsed)
    if parsed.seasons != (query.season,):
        return WRONG_SEASON
    if query.is_season_pack:
        return _pack_mismatch(parsed)
    if not parsed.episodes:
        return SEASON_PACK
    # A multi-episode release holding the episode is taken, ranked below single episodes.
    return None if query.episode in parsed.episodes else WRONG_EPISODE


def _movie_mismatch(query: SearchQuery, parsed: ParsedRelease) -> str | None:
    if parsed.seasons or parsed.episodes:
        return NOT_A_MOVIE
    if query.year and parsed.year and parsed.year != query.year:
        return WRONG_YEAR
    return None


def _pack_mismatch(parsed: ParsedRelease) -> str | None:
    if parsed.episodes:
        return NOT_A_SEASON_PACK
    if parsed.part is not None:  # "Show.S01.Part.1": half a season, as streaming services split some
        return PARTIAL_SEASON
    return None


def _sample(wanted: Wanted, release: Release, parsed: ParsedRelease) -> str | None:
    return SAMPLE if parsed.is_sample else None


def _blocklisted(wanted: Wanted, release: Release, parsed: ParsedRelease) -> str | None:
    return BLOCKLISTED if release.title.casefold() in wanted.blocked else None


def _quality(wanted: Wanted, release: Release, parsed: ParsedRelease) -> str | None:
    if wanted.profile.rank(parsed.quality):
        return None
    if parsed.quality in UNWANTED_QUALITIES:
        return parsed.quality
    return UNKNOWN_QUALITY if parsed.quality == UNKNOWN else NOT_IN_PROFILE


def _upgrade(wanted: Wanted, release: Release, parsed: ParsedRelease) -> str | None:
    profile = wanted.profile
    rank = profile.rank(parsed.quality)
    if not rank:
        return None  # said by _quality
    if wanted.file_rank and not profile.upgrades_allowed:
        return UPGRADES_OFF
    if wanted.file_rank and 0 < profile.cutoff_rank <= wanted.file_rank and not wanted.beyond_cutoff:
        return CUTOFF_MET
    if rank < wanted.floor:
        return NOT_AN_UPGRADE if wanted.file_rank else BELOW_MINIMUM
    return None


def _words(wanted: Wanted, release: Release, parsed: ParsedRelease) -> str | None:
    if wanted.preferences.ignores(parsed):
        return IGNORED_WORD
    return NO_REQUIRED_WORD if wanted.preferences.lacks_required(parsed) else None


def _size(wanted: Wanted, release: Release, parsed: ParsedRelease) -> str | None:
    rated = _size_rate(wanted, release, parsed)
    if rated is None:
        return None
    rate, limits = rated
    if rate < limits.minimum:
        return TOO_SMALL
    if limits.maximum is not None and rate > limits.maximum:
        return TOO_LARGE
    return None


def _seeders(wanted: Wanted, release: Release, parsed: ParsedRelease) -> str | None:
    if release.protocol != "torrent" or release.seeders is None:
        return None  # an indexer that does not say is given the benefit of the doubt
    return TOO_FEW_SEEDERS if release.seeders < wanted.seeders_needed(release) else None


# In this order: the first reason found is the one an activity row counts.
_CHECKS: tuple[_Check, ...] = (_identity, _sample, _blocklisted, _quality, _upgrade, _words, _size, _seeders)


def _size_rate(wanted: Wanted, release: Release, parsed: ParsedRelease) -> tuple[float, SizeLimits] | None:
    """The release's megabytes per minute of running time, and its quality's limits; None when
    its size, its running time (a season pack's episode count) or its quality's limits are unknown."""
    limits = QUALITY_SIZES.get(parsed.quality)
    items = 1 if wanted.query.is_movie else len(parsed.episodes) or wanted.season_episodes
    if not release.size_bytes or not items or limits is None:
        return None
    return release.size_bytes / MEGABYTE / (wanted.runtime * items), limits


def _rank(wanted: Wanted, verdict: _Verdict) -> tuple[float, ...]:
    """Higher is better, compared in order."""
    release, parsed = verdict.release, verdict.parsed
    return (
        wanted.profile.rank(release.quality),
        parsed.revision,
        release.score,
        len(parsed.episodes) <= 1,
        _seeders_bucket(release),
        -_size_distance(wanted, release, parsed),
        release.published_at.timestamp() if release.published_at else -math.inf,
    )


def _seeders_bucket(release: Release) -> int:
    """Seeders by order of magnitude, as Sonarr does: 120 and 150 are alike, 12 and 1,200 are not.
    A usenet release (or one whose indexer does not say) counts as one seeder."""
    seeders = release.seeders if release.protocol == "torrent" and release.seeders else 1
    return round(math.log10(seeders))


def _size_distance(wanted: Wanted, release: Release, parsed: ParsedRelease) -> float:
    """How far the release is from its quality's usual size (unknown: as far as can be)."""
    rated = _size_rate(wanted, release, parsed)
    if rated is None:
        return math.inf
    rate, limits = rated
    return abs(rate - limits.preferred)
