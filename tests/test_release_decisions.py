"""Which releases an item takes, in what order, and why the others not: decision tables."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from webapp.releases.profiles import Profile
from webapp.providers import Release, SearchQuery
from webapp.releases import Preferences, Wanted, decide

GB = 1_000_000_000
MB = 1_000_000
# The demo's two profiles: rank 1 is the lowest quality.
HD = Profile(1, "HD-1080p", {"SDTV": 1, "HDTV-720p": 2, "WEBDL-1080p": 3, "Bluray-1080p": 4}, "WEBDL-1080p", True, 1)
UHD = Profile(2, "Ultra-HD", {"WEBDL-1080p": 1, "Bluray-1080p": 2, "WEBDL-2160p": 3, "Bluray-2160p": 4}, "WEBDL-2160p",
              True, 1)
NO_UPGRADES = Profile(3, "Once", dict(HD.ranks), "Bluray-1080p", False, 1)

OPPENHEIMER = SearchQuery.movie("Oppenheimer", 2023, 872585)
DUNE = SearchQuery.movie("Dune", 2021, 438631)
FARGO = SearchQuery.movie("Fargo", 1996, 275)
BEAR_EPISODE = SearchQuery.for_episode("The Bear", 2, 3, 136315)
BEAR_SEASON = SearchQuery.season_pack("The Bear", 2, 136315)


def release(title: str, *, size: float | None = None, seeders: int | None = 100, **fields: Any) -> Release:
    """A release as an indexer returns it; ``size`` in GB; the quality is whatever the indexer said."""
    return Release(
        title=title, quality="as the indexer said", indexer="Test Indexer", download_url=f"http://indexer.test/{title}",
        size_bytes=int(size * GB) if size is not None else None, seeders=seeders, **fields,
    )


def reasons(wanted: Wanted, candidate: Release) -> tuple[str, ...]:
    """Why the release is rejected; () when it is accepted."""
    decisions = decide(wanted, [candidate])
    return decisions.rejected[0].reasons if decisions.rejected else ()


@pytest.mark.parametrize(("wanted", "candidate", "expected"), [
    pytest.param(Wanted(BEAR_EPISODE, HD), release("Running.Wild.with.Bear.Grylls.S02E03.1080p.WEB.h264-NTb"),
                 ("wrong title",), id="wrong title"),
    pytest.param(Wanted(SearchQuery.for_episode("The Office (US)", 5, 14, None), HD),
                 release("The.Office.S05E14.720p.HDTV.x264-CTU"), ("wrong title",), id="country left out"),
    pytest.param(Wanted(DUNE, HD), release("Dune.1984.1080p.BluRay.x264-CiNEFiLE"), ("wrong year",), id="wrong year"),
    pytest.param(Wanted(DUNE, HD), release("Dune.Part.Two.2024.1080p.WEB-DL.DDP5.1.Atmos.H.264-FLUX"), ("wrong title",),
                 id="the sequel"),
    pytest.param(Wanted(FARGO, HD), release("Fargo.S05E01.1080p.WEB.h264-ETHEL"), ("not a movie",), id="not a movie"),
    pytest.param(Wanted(BEAR_EPISODE, HD), release("The.Bear.S01E03.1080p.WEB.h264-NTb"), ("wrong season",),
                 id="wrong season"),
    pytest.param(Wanted(BEAR_EPISODE, HD), release("The.Bear.S02E04.1080p.WEB.h264-NTb"), ("wrong episode",),
                 id="wrong episode"),
    pytest.param(Wanted(BEAR_EPISODE, HD), release("The.Bear.S02E04E05.1080p.WEB.h264-NTb"), ("wrong episode",),
                 id="multi-episode without it"),
    pytest.param(Wanted(BEAR_EPISODE, HD), release("The.Bear.S02.1080p.WEB.h264-NTb"), ("season pack",),
                 id="season pack for an episode"),
    pytest.param(Wanted(BEAR_EPISODE, HD), release("[SubsPlease] The Bear - 13 (1080p) [0A1B2C3D].mkv"),
                 ("wrong season", "not in profile"), id="absolute numbering"),  # 1080p alone: HDTV-1080p
    pytest.param(Wanted(BEAR_SEASON, HD), release("The.Bear.S02E03.1080p.WEB.h264-NTb"), ("not a season pack",),
                 id="episode for a season pack"),
    pytest.param(Wanted(BEAR_SEASON, HD), release("The.Bear.S01-S02.1080p.WEB.h264-NTb"), ("wrong season",),
                 id="several seasons"),
    pytest.param(Wanted(BEAR_SEASON, HD), release("The.Bear.S02.Part.1.1080p.WEB.h264-NTb"), ("partial season",),
                 id="partial season"),
    pytest.param(Wanted(OPPENHEIMER, HD), release("Oppenheimer.2023.1080p.WEB-DL.DDP5.1.H.264-FLUX-Sample"),
                 ("sample",), id="sample"),
    pytest.param(Wanted(OPPENHEIMER, HD, blocklist={"oppenheimer.2023.1080p.web-dl.ddp5.1.h.264-flux"}),
                 release("Oppenheimer.2023.1080p.WEB-DL.DDP5.1.H.264-FLUX"), ("blocklisted",), id="blocklisted"),
    pytest.param(Wanted(OPPENHEIMER, HD), release("Oppenheimer.2023.HDCAM.x264-XYZ"), ("CAM",), id="CAM"),
    pytest.param(Wanted(OPPENHEIMER, HD), release("Oppenheimer.2023.HDTS.x264-XYZ"), ("TELESYNC",), id="TELESYNC"),
    pytest.param(Wanted(OPPENHEIMER, HD), release("Oppenheimer.2023.DVDSCR.x264-XYZ"), ("SCREENER",), id="SCREENER"),
    pytest.param(Wanted(OPPENHEIMER, HD), release("Oppenheimer.2023.2160p.WEB-DL.DDP5.1.DV.HDR.H.265-FLUX"),
                 ("not in profile",), id="not in profile"),
    pytest.param(Wanted(BEAR_EPISODE, HD), release("The.Bear.S02E03.x264-GRP"), ("unknown quality",),
                 id="unknown quality"),
    pytest.param(Wanted(OPPENHEIMER, NO_UPGRADES, file_rank=2), release("Oppenheimer.2023.1080p.BluRay.x264-SPARKS"),
                 ("upgrades off",), id="upgrades off"),
    pytest.param(Wanted(OPPENHEIMER, HD, file_rank=3), release("Oppenheimer.2023.1080p.BluRay.x264-SPARKS"),
                 ("cutoff met",), id="cutoff met"),
    pytest.param(Wanted(OPPENHEIMER, HD, file_rank=2), release("Oppenheimer.2023.720p.HDTV.x264-GRP"),
                 ("not an upgrade",), id="same quality"),
    pytest.param(Wanted(OPPENHEIMER, HD, file_rank=2), release("Oppenheimer.2023.SDTV.XviD-GRP"), ("not an upgrade",),
                 id="worse quality"),
    pytest.param(Wanted(OPPENHEIMER, HD, file_rank=1, min_rank=3), release("Oppenheimer.2023.720p.HDTV.x264-GRP"),
                 ("not an upgrade",), id="below the upgrade increment"),
    pytest.param(Wanted(OPPENHEIMER, HD, min_rank=3), release("Oppenheimer.2023.720p.HDTV.x264-GRP"),
                 ("below minimum",), id="below minimum"),
    pytest.param(Wanted(OPPENHEIMER, HD, preferences=Preferences(ignored=("HC",))),
                 release("Oppenheimer.2023.1080p.HC.WEB-DL.x264-GRP"), ("ignored word",), id="ignored word"),
    pytest.param(Wanted(OPPENHEIMER, HD, preferences=Preferences(required=("Atmos", "DDP5.1"))),
                 release("Oppenheimer.2023.1080p.WEB-DL.AAC2.0.H.264-GRP"), ("no required word",),
                 id="no required word"),
    pytest.param(Wanted(BEAR_EPISODE, HD), release("The.Bear.S02E03.1080p.WEB.h264-NTb", size=0.1), ("too small",),
                 id="too small"),
    pytest.param(Wanted(OPPENHEIMER, HD), release("Oppenheimer.2023.1080p.BluRay.x264-SPARKS", size=45),
                 ("too large",), id="too large"),
    pytest.param(Wanted(OPPENHEIMER, HD, runtime_minutes=180), release("Oppenheimer.2023.1080p.BluRay.x264-SPARKS",
                 size=2.0), ("too small",), id="too small for its runtime"),
    pytest.param(Wanted(BEAR_SEASON, HD, season_episodes=10), release("The.Bear.S02.1080p.WEB.h264-NTb", size=2),
                 ("too small",), id="season pack too small"),
    pytest.param(Wanted(BEAR_EPISODE, HD), release("The.Bear.S02E03.1080p.WEB.h264-NTb", seeders=0),
                 ("too few seeders",), id="too few seeders"),
    pytest.param(Wanted(BEAR_EPISODE, HD, min_seeders={7: 5}),
                 release("The.Bear.S02E03.1080p.WEB.h264-NTb", seeders=3, indexer_id=7), ("too few seeders",),
                 id="too few seeders for its indexer"),
    pytest.param(Wanted(OPPENHEIMER, HD, blocklist={"Oppenheimer.2023.HDCAM.x264-XYZ"}),
                 release("Oppenheimer.2023.HDCAM.x264-XYZ", seeders=0), ("blocklisted", "CAM", "too few seeders"),
                 id="every reason, the first foremost"),
])
def test_each_rejection_says_why(wanted: Wanted, candidate: Release, expected: tuple[str, ...]) -> None:
    assert reasons(wanted, candidate) == expected


@pytest.mark.parametrize(("wanted", "candidate"), [
    pytest.param(Wanted(OPPENHEIMER, HD), release("Oppenheimer 2023 1080p WEB-DL DDP5.1 H.264-FLUX", size=8),
                 id="a movie"),
    pytest.param(Wanted(OPPENHEIMER, HD), release("Oppenheimer.1080p.WEB-DL.DDP5.1.H.264-GRP"), id="no year said"),
    pytest.param(Wanted(BEAR_EPISODE, HD), release("The.Bear.S02E03.1080p.WEB.h264-NTb", size=1.5), id="an episode"),
    # Multi-episode releases holding the episode are taken (ranked below single episodes).
    pytest.param(Wanted(BEAR_EPISODE, HD), release("The.Bear.S02E02E03.1080p.WEB.h264-NTb", size=3),
                 id="a multi-episode release"),
    pytest.param(Wanted(BEAR_SEASON, HD, season_episodes=10), release("The.Bear.S02.1080p.WEB.h264-NTb", size=15),
                 id="a season pack"),
    pytest.param(Wanted(BEAR_SEASON, HD), release("The Bear S02 COMPLETE 1080p WEB x264", size=15),
                 id="a season pack of unknown length"),
    pytest.param(Wanted(SearchQuery.movie("Dune: Part Two", 2024, 693134), UHD),
                 release("Dune.Part.Two.2024.2160p.WEB-DL.DDP5.1.Atmos.DV.HDR.H.265-FLUX", size=25), id="a part"),
    pytest.param(Wanted(SearchQuery.for_episode("The Office (US)", 5, 14, None), HD),
                 release("The.Office.US.S05E14.720p.HDTV.x264-CTU"), id="a country"),
    pytest.param(Wanted(SearchQuery.for_episode("Doctor Who (2005)", 13, 1, None), HD),
                 release("Doctor.Who.2005.S13E01.1080p.WEB.h264-GRP"), id="a series year"),
    pytest.param(Wanted(SearchQuery.for_episode("Doctor Who (2005)", 13, 1, None), HD),
                 release("Doctor.Who.S13E01.1080p.WEB.h264-GRP"), id="a series year left out"),
    pytest.param(Wanted(SearchQuery.for_episode("Law & Order: Organized Crime", 1, 1, None), HD),
                 release("Law.and.Order.Organized.Crime.S01E01.720p.HDTV.x264-SYNCOPY"), id="and"),
    pytest.param(Wanted(SearchQuery.movie("Pokémon Detective Pikachu", 2019, None), HD),
                 release("Pokemon.Detective.Pikachu.2019.1080p.BluRay.x264-SPARKS"), id="diacritics"),
    pytest.param(Wanted(SearchQuery.for_episode("Grey's Anatomy", 20, 1, None), HD),
                 release("Greys.Anatomy.S20E01.720p.HDTV.x264-SYNCOPY"), id="apostrophe"),
    pytest.param(Wanted(SearchQuery.for_episode("La Casa de Papel", 1, 1, None), HD),
                 release("La.Casa.de.Papel.S01E01.SPANISH.1080p.NF.WEB-DL.x264-GRP"), id="foreign"),
    pytest.param(Wanted(OPPENHEIMER, HD, file_rank=2), release("Oppenheimer.2023.1080p.BluRay.x264-SPARKS"),
                 id="an upgrade"),
    pytest.param(Wanted(OPPENHEIMER, HD, file_rank=3, beyond_cutoff=True),
                 release("Oppenheimer.2023.1080p.BluRay.x264-SPARKS"), id="an upgrade beyond the cutoff"),
    pytest.param(Wanted(BEAR_EPISODE, HD), release("The.Bear.S02E03.1080p.WEB.h264-NTb", seeders=None),
                 id="seeders not said"),
    pytest.param(Wanted(BEAR_EPISODE, HD, min_seeders=0), release("The.Bear.S02E03.1080p.WEB.h264-NTb", seeders=0),
                 id="no seeders needed"),
    pytest.param(Wanted(BEAR_EPISODE, HD, min_seeders={7: 5}),
                 release("The.Bear.S02E03.1080p.WEB.h264-NTb", seeders=1, indexer_id=8),
                 id="another indexer's minimum"),
    pytest.param(Wanted(BEAR_EPISODE, HD),
                 release("The.Bear.S02E03.1080p.WEB.h264-NTb", protocol="usenet", seeders=None, size=1.5), id="usenet"),
    pytest.param(Wanted(OPPENHEIMER, HD, preferences=Preferences(ignored=("HD",))),
                 release("Oppenheimer.2023.720p.HDTV.x264-GRP"), id="an ignored word is a whole word"),
])
def test_accepted(wanted: Wanted, candidate: Release) -> None:
    assert reasons(wanted, candidate) == ()


def titles(releases: tuple[Release, ...]) -> list[str]:
    return [candidate.title for candidate in releases]


def test_accepted_ranked_by_quality_then_proper_then_single_episode_then_seeders() -> None:
    found = [
        release("The.Bear.S02E03.720p.HDTV.x264-SYNCOPY", seeders=900),
        release("The.Bear.S02E03.1080p.WEB.h264-NTb", seeders=120),
        release("The.Bear.S02E03E04.1080p.WEB.h264-GRP", seeders=5000),
        release("The.Bear.S02E03.REPACK.1080p.WEB.h264-NTb", seeders=12),
        release("The.Bear.S02E03.1080p.WEB.h264-FLUX", seeders=1500),
        release("The.Bear.S02E03.1080p.BluRay.x264-ROVERS", seeders=3),
    ]
    assert titles(decide(Wanted(BEAR_EPISODE, HD), found).accepted) == [
        "The.Bear.S02E03.1080p.BluRay.x264-ROVERS",
        "The.Bear.S02E03.REPACK.1080p.WEB.h264-NTb",
        "The.Bear.S02E03.1080p.WEB.h264-FLUX",
        "The.Bear.S02E03.1080p.WEB.h264-NTb",
        "The.Bear.S02E03E04.1080p.WEB.h264-GRP",
        "The.Bear.S02E03.720p.HDTV.x264-SYNCOPY",
    ]


def test_preferences_score_and_rank_before_seeders() -> None:
    preferences = Preferences(
        preferred={"DDP5.1": 10, "Atmos": 20, "HEVC": -5}, release_groups={"flux": 30, "YIFY": -100},
    )
    found = [
        release("Oppenheimer.2023.1080p.WEB-DL.AAC2.0.H.264-GRP", seeders=9000),
        release("Oppenheimer.2023.1080p.WEB-DL.DDP5.1.Atmos.H.264-FLUX", seeders=40),
        release("Oppenheimer.2023.1080p.WEB-DL.DDP5.1.Atmos.HEVC-GRP", seeders=40),
        release("Oppenheimer.2023.1080p.WEBRip.x264-YIFY", seeders=9000),
    ]
    decisions = decide(Wanted(OPPENHEIMER, HD, preferences=preferences), found)
    assert [(candidate.title, candidate.score) for candidate in decisions.accepted] == [
        ("Oppenheimer.2023.1080p.WEB-DL.DDP5.1.Atmos.H.264-FLUX", 60),
        ("Oppenheimer.2023.1080p.WEB-DL.DDP5.1.Atmos.HEVC-GRP", 25),
        ("Oppenheimer.2023.1080p.WEB-DL.AAC2.0.H.264-GRP", 0),
    ]
    assert decisions.rejected[0].release.title == "Oppenheimer.2023.1080p.WEBRip.x264-YIFY"  # WEBRip: not in HD


def test_size_nearest_the_usual_then_newest_break_ties() -> None:
    monday, tuesday = (datetime(2024, 6, day, tzinfo=timezone.utc) for day in (24, 25))
    found = [
        release("The.Bear.S02E03.1080p.WEB.h264-NTb", size=4.0, seeders=150, published_at=tuesday),
        release("The.Bear.S02E03.1080p.WEB.h264-GRP", size=1.5, seeders=120, published_at=monday),
        release("The.Bear.S02E03.1080p.WEB.h264-FLUX", size=1.5, seeders=110, published_at=tuesday),
        release("The.Bear.S02E03.1080p.WEB.h264-EDITH", seeders=100),
    ]
    assert titles(decide(Wanted(BEAR_EPISODE, HD), found).accepted) == [
        "The.Bear.S02E03.1080p.WEB.h264-FLUX",
        "The.Bear.S02E03.1080p.WEB.h264-GRP",
        "The.Bear.S02E03.1080p.WEB.h264-NTb",
        "The.Bear.S02E03.1080p.WEB.h264-EDITH",  # size unknown: accepted, ranked after those of known size
    ]


def test_releases_come_back_with_their_parsed_quality_and_score() -> None:
    candidate = release("Oppenheimer 2023 1080p WEB-DL DDP5.1 H.264-FLUX", seeders=42)
    decisions = decide(Wanted(OPPENHEIMER, HD, preferences=Preferences(preferred={"DDP5.1": 15})), [candidate])
    assert decisions.best is not None
    assert (decisions.best.quality, decisions.best.score, decisions.best.seeders) == ("WEBDL-1080p", 15, 42)
    rejected = decide(Wanted(OPPENHEIMER, HD), [release("Oppenheimer.2023.HDCAM.x264-XYZ")]).rejected
    assert rejected[0].release.quality == "CAM"


def test_the_floor_is_above_the_file() -> None:
    assert Wanted(OPPENHEIMER, HD).floor == 1
    assert Wanted(OPPENHEIMER, HD, file_rank=2).floor == 3
    assert Wanted(OPPENHEIMER, HD, file_rank=1, min_rank=3).floor == 3


def test_summary_of_nothing_found() -> None:
    assert decide(Wanted(OPPENHEIMER, HD), []).summary() == "0 results"


def test_summary_counts_each_rejection_under_its_first_reason() -> None:
    found = [  # as several indexers return the same releases
        *[release("Oppenheimer.2023.720p.HDTV.x264-GRP")] * 4,
        *[release("Oppenheimer.2023.SDTV.XviD-GRP")] * 3,
        *[release("Oppenheimer.1980.1080p.BluRay.x264-OLD")] * 3,
        release("Oppenheimer.2023.HDCAM.x264-XYZ"),
        release("Oppenheimer.2023.NEW.HDCAM.x264-XYZ", seeders=0),
    ]
    decisions = decide(Wanted(OPPENHEIMER, HD, file_rank=2), found)
    assert decisions.accepted == ()
    assert decisions.summary() == "12 results, 0 accepted: 7 not an upgrade, 3 wrong year, 2 CAM"


def test_summary_names_the_release_taken() -> None:
    found = [
        release("The.Bear.S02E03.1080p.WEB.h264-NTb", seeders=120),
        release("The.Bear.S02E03.720p.HDTV.x264-SYNCOPY", seeders=1),
        release("The.Bear.S02E04.1080p.WEB.h264-NTb"),
    ]
    wanted = Wanted(BEAR_EPISODE, HD, preferences=Preferences(release_groups={"NTb": 40}))
    decisions = decide(wanted, found)
    assert decisions.summary() == (
        "3 results, 2 accepted; took The.Bear.S02E03.1080p.WEB.h264-NTb (WEBDL-1080p, score 40, 120 seeders)"
    )
    assert decisions.summary(taken=decisions.accepted[1]) == (
        "3 results, 2 accepted; took The.Bear.S02E03.720p.HDTV.x264-SYNCOPY (HDTV-720p, score 0, 1 seeder)"
    )


def test_summary_of_a_usenet_release_says_no_seeders() -> None:
    found = [release("The.Bear.S02E03.1080p.WEB.h264-NTb", protocol="usenet", seeders=None)]
    assert decide(Wanted(BEAR_EPISODE, HD), found).summary() == (
        "1 result, 1 accepted; took The.Bear.S02E03.1080p.WEB.h264-NTb (WEBDL-1080p, score 0)"
    )
