"""How well a subtitle fits a media file, 0-100, with subliminal's weights.

subliminal (the reference of the field, also Bazarr's) scores a subtitle by what it matches of
the video: the OpenSubtitles hash says "made for this very file" and outweighs everything; then
the title (a series' or a movie's), year and country; season and episode; the release group and
streaming service; the source, audio codec, resolution and video codec. Its weights are kept
(``EPISODE_WEIGHTS``, ``MOVIE_WEIGHTS``) and the sum is given as a share of a hash match.

One rule is ours: a subtitle of another title, season or episode scores 0 (unless the hash
matches), so that a local folder of many subtitles never offers the wrong episode's.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..providers.base import Offer, SubtitleRequest
from .parse import ParsedRelease, parse_release, title_key

# subliminal 2.x ``score.episode_scores`` / ``score.movie_scores`` (fps is not known here).
EPISODE_WEIGHTS = {
    "hash": 971, "series": 486, "country": 162, "year": 162, "episode": 54, "season": 54, "release_group": 18,
    "streaming_service": 18, "source": 4, "audio_codec": 2, "resolution": 1, "video_codec": 1,
}
MOVIE_WEIGHTS = {
    "hash": 323, "title": 162, "country": 54, "year": 54, "release_group": 18, "streaming_service": 18,
    "source": 4, "audio_codec": 2, "resolution": 1, "video_codec": 1,
}
EQUIVALENT_GROUPS = (frozenset({"lol", "dimension"}), frozenset({"asap", "immerse", "fleet"}),
                     frozenset({"avs", "sva"}))


@dataclass(frozen=True)
class Video:
    """The media file as the library knows it, and what its name says (source, group...)."""

    title: str  # the movie's, or the series'
    name: ParsedRelease
    year: int | None = None
    season: int | None = None
    episode: int | None = None
    tmdb_id: int | None = None  # the movie's, or the series'

    @property
    def is_episode(self) -> bool:
        return self.episode is not None

    @classmethod
    def of(cls, request: SubtitleRequest) -> Video:
        return cls(
            title=request.title, name=parse_release(os.path.basename(request.file_path)), year=request.year,
            season=request.season, episode=request.episode, tmdb_id=request.tmdb_id,
        )


def matches(video: Video, offer: Offer) -> set[str]:
    """The properties the subtitle shares with the video, as subliminal names them."""
    release = parse_release(offer.release) if offer.release else None
    found = _technical(video.name, release) if release else set()
    if offer.hash_match:
        found.add("hash")
    title = "series" if video.is_episode else "title"
    if _same_title(video, offer, release):
        found.add(title)
    if video.tmdb_id is not None and offer.tmdb_id == video.tmdb_id:
        found |= {title, "year", "country"}
    year = offer.year if offer.year is not None else release.year if release else None
    if year == video.year:  # both said, or neither (subliminal's rule)
        found.add("year")
    if (release.country if release else None) == video.name.country:
        found.add("country")
    if video.is_episode:
        season = offer.season if offer.season is not None else release.season if release else None
        episodes = (offer.episode,) if offer.episode is not None else release.episodes if release else ()
        if season == video.season:
            found.add("season")
        if video.episode in episodes:
            found.add("episode")
    return found


def score(video: Video, offer: Offer) -> int:
    """0-100: the matched weights as a share of a hash match; 0 for another title, season or episode."""
    weights = EPISODE_WEIGHTS if video.is_episode else MOVIE_WEIGHTS
    found = matches(video, offer)
    if "hash" in found:
        return 100
    needed = {"series", "season", "episode"} if video.is_episode else {"title"}
    if not needed <= found:
        return 0
    return min(100, round(100 * sum(weights.get(name, 0) for name in found) / weights["hash"]))


def _same_title(video: Video, offer: Offer, release: ParsedRelease | None) -> bool:
    wanted = {title_key(video.title), title_key(video.title, drop_year=True)}
    offered: set[str] = set(release.title_keys) if release else set()
    if offer.title:
        offered |= {title_key(offer.title), title_key(offer.title, drop_year=True)}
    return bool(wanted & offered)


def _technical(video: ParsedRelease, release: ParsedRelease) -> set[str]:
    """Release group, streaming service, source, audio codec, resolution, video codec: those both name alike."""
    found = set()
    if video.release_group and release.release_group and _group(release.release_group) & _group(video.release_group):
        found.add("release_group")
    for name in ("streaming_service", "source", "resolution", "video_codec"):
        mine, theirs = getattr(video, name), getattr(release, name)
        if mine is not None and theirs is not None and _same(mine) == _same(theirs):
            found.add(name)
    if set(map(_same, video.audio)) & set(map(_same, release.audio)):
        found.add("audio_codec")
    return found


def _group(name: str) -> frozenset[str]:
    key = name.casefold()
    return next((group for group in EQUIVALENT_GROUPS if key in group), frozenset({key}))


def _same(value: str) -> str:
    return value.casefold()



def score_offer(request: SubtitleRequest, offer: Offer) -> int:
    """The ``Scorer`` the subtitle providers are given: the offer scored against the requested file."""
    return score(Video.of(request), offer)
