"""Release names as indexers return them, read into our values (guessit does the reading)."""
from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from webapp.releases import parse_release, title_key
from webapp.releases.parse import quality_of


def fields(name: str, expected: dict[str, Any]) -> dict[str, Any]:
    parsed = parse_release(name)
    return {key: getattr(parsed, key) for key in expected}


# name -> the fields it must read as (the others are not looked at)
MOVIES: dict[str, dict[str, Any]] = {
    "Dune.Part.Two.2024.2160p.UHD.BluRay.REMUX.DV.HDR.HEVC.TrueHD.Atmos.7.1-FGT": {
        "title": "Dune", "part": 2, "year": 2024, "quality": "Remux-2160p", "resolution": "2160p",
        "source": "Ultra HD Blu-ray", "video_codec": "H.265", "hdr": ("DV", "HDR10"),
        "audio": ("Dolby TrueHD", "Dolby Atmos"), "audio_channels": "7.1", "release_group": "FGT", "revision": 0,
    },
    "Oppenheimer 2023 1080p WEB-DL DDP5.1 H.264-FLUX": {
        "title": "Oppenheimer", "year": 2023, "quality": "WEBDL-1080p", "video_codec": "H.264",
        "audio": ("Dolby Digital Plus",), "audio_channels": "5.1", "release_group": "FLUX", "hdr": (),
    },
    "Some.Movie.2023.HDCAM.x264-XYZ": {"title": "Some Movie", "year": 2023, "quality": "CAM"},
    "Alien.Romulus.2024.2160p.UHD.BluRay.x265.10bit.HDR.DTS-HD.MA.7.1-SWTYBLZ": {
        "title": "Alien Romulus", "quality": "Bluray-2160p", "hdr": ("HDR10",), "audio": ("DTS-HD",),
    },
    "Spider-Man.Across.the.Spider-Verse.2023.1080p.AMZN.WEB-DL.DDP5.1.Atmos.H.264-FLUX": {
        "title": "Spider-Man Across the Spider-Verse", "quality": "WEBDL-1080p", "streaming_service": "Amazon Prime",
    },
    "Blade.Runner.1982.The.Final.Cut.REMASTERED.1080p.BluRay.x264-GRP": {
        "title": "Blade Runner", "year": 1982, "edition": ("Remastered",), "quality": "Bluray-1080p",
    },
    "Movie.2019.Directors.Cut.1080p.BluRay.x264-GRP": {"edition": ("Director's Cut",)},
    "Amelie.2001.FRENCH.1080p.BluRay.x264-LOST": {"title": "Amelie", "languages": ("fr",)},
    "Les.Miserables.2012.MULTi.1080p.BluRay.x264-ULSHD": {"title": "Les Miserables", "languages": ("mul",)},
    "Pokémon.Detective.Pikachu.2019.1080p.BluRay.x264-SPARKS": {"title": "Pokémon Detective Pikachu"},
    "Apollo.13.1995.1080p.BluRay.x264-GRP": {"title": "Apollo 13", "year": 1995, "episodes": ()},
    "1917.2019.1080p.BluRay.x264-GRP": {"title": "1917", "year": 2019},
    "Movie.2019.1080p.BluRay.x264-GRP-Sample": {"is_sample": True, "release_group": "GRP"},
    "Movie.2019.1080p.BluRay.x264-GRP.mkv": {"is_sample": False, "release_group": "GRP"},
}
EPISODES: dict[str, dict[str, Any]] = {
    "The.Bear.S02E03.1080p.WEB.h264-NTb": {
        "title": "The Bear", "season": 2, "seasons": (2,), "episodes": (3,), "full_season": False,
        "quality": "WEBDL-1080p", "release_group": "NTb",
    },
    "The.Bear.S02.1080p.WEB.h264-NTb": {"season": 2, "episodes": (), "full_season": True},
    "The Bear S02 COMPLETE 1080p WEB x264": {"season": 2, "full_season": True, "quality": "WEBDL-1080p"},
    "Show.Season.1.1080p.BluRay.x264-GRP": {"season": 1, "full_season": True, "quality": "Bluray-1080p"},
    "Breaking.Bad.S01-S05.1080p.BluRay.x264-ROVERS": {"seasons": (1, 2, 3, 4, 5), "season": None, "full_season": True},
    "Show.S01.Part.1.1080p.WEB.h264-GRP": {"season": 1, "part": 1, "full_season": True},
    "The.Office.US.S05E14-E15.720p.HDTV.x264-CTU": {
        "title": "The Office", "country": "US", "episodes": (14, 15), "quality": "HDTV-720p",
    },
    "The.Office.US.S05E14E15.720p.HDTV.x264-CTU": {"episodes": (14, 15)},
    "Show.S01E01-03.1080p.WEB.h264-GRP": {"episodes": (1, 2, 3)},
    "Shameless.UK.S01E01.720p.HDTV.x264-TLA": {"title": "Shameless", "country": "GB"},
    "Doctor.Who.2005.S13E01.1080p.WEB.h264-GRP": {"title": "Doctor Who", "year": 2005, "season": 13},
    "Show.2x05.HDTV.XviD-LOL": {"season": 2, "episodes": (5,), "quality": "SDTV"},
    "Severance.S02E01.REPACK.2160p.ATVP.WEB-DL.DDP5.1.DV.HDR.H.265-FLUX": {
        "revision": 1, "quality": "WEBDL-2160p", "hdr": ("DV", "HDR10"), "streaming_service": "AppleTV",
    },
    "Severance.S02E01.PROPER.1080p.WEB.H264-NTb": {"revision": 1},
    "Show.S01E05.REAL.720p.HDTV.x264-GRP": {"revision": 2},
    "Show.S01E05.REPACK2.720p.HDTV.x264-GRP": {"revision": 2},
    "Show.S01E05.RERIP.720p.HDTV.x264-GRP": {"revision": 1},
    "La.Casa.de.Papel.S01E01.SPANISH.1080p.NF.WEBRip.x264-GRP": {
        "title": "La Casa de Papel", "languages": ("es",), "quality": "WEBRip-1080p", "streaming_service": "Netflix",
    },
    "Sousou.no.Frieren.S01E12.1080p.WEB.H264-GRP": {"title": "Sousou no Frieren", "season": 1, "episodes": (12,)},
    # Absolute numbering: the episode is read, the season is not there to read.
    "[SubsPlease] Frieren - 12 (1080p) [ABCDEF12].mkv": {
        "title": "Frieren", "seasons": (), "episodes": (12,), "release_group": "SubsPlease", "resolution": "1080p",
    },
    "[Group] Show - 05v2 [1080p]": {"episodes": (5,), "revision": 1},
}


@pytest.mark.parametrize("name", MOVIES)
def test_movie_names(name: str) -> None:
    assert fields(name, MOVIES[name]) == MOVIES[name]


@pytest.mark.parametrize("name", EPISODES)
def test_episode_names(name: str) -> None:
    assert fields(name, EPISODES[name]) == EPISODES[name]


@pytest.mark.parametrize(("name", "quality"), [
    ("Movie.2019.CAM.x264-GRP", "CAM"),
    ("Movie.2019.NEW.HDCAM.x264-GRP", "CAM"),
    ("Movie.2019.TS.x264-XYZ", "TELESYNC"),
    ("Movie.2019.HDTS.x264-GRP", "TELESYNC"),
    ("Movie.2019.TELESYNC.x264-XYZ", "TELESYNC"),
    ("Movie.2019.HDTC.x264-XYZ", "TELECINE"),
    ("Movie.2019.WORKPRINT.x264-XYZ", "WORKPRINT"),
    ("Movie.2019.DVDSCR.x264-XYZ", "SCREENER"),
    ("Movie.2019.WEBSCREENER.x264-GRP", "SCREENER"),
    ("Movie.2019.COMPLETE.UHD.BLURAY-GRP", "BR-DISK"),
    ("Movie.2019.DVDRip.XviD-GRP", "DVD"),
    ("Movie.2019.DVD9.NTSC-GRP", "DVD"),
    ("Show.S01E01.PDTV.XviD-LOL", "SDTV"),
    ("Show.S01E01.HDTV.x264-LOL", "SDTV"),
    ("The.Silent.Harbor.2019.SDTV.XviD-NTb", "SDTV"),
    ("Show.S01E01.720p.HDTV.x264-KILLERS", "HDTV-720p"),
    ("Movie.2019.1080i.HDTV.DD5.1.MPEG2-GRP", "HDTV-1080p"),
    ("Show.S01E05.2160p.HDTV.x264", "HDTV-2160p"),
    ("Movie.2019.480p.WEB-DL.x264", "WEBDL-480p"),
    ("Movie.2019.720p.WEB.x264", "WEBDL-720p"),
    ("Movie.2019.2160p.WEB.H265-GRP", "WEBDL-2160p"),
    ("Movie.2019.1080p.WEBRip.x264-RARBG", "WEBRip-1080p"),
    ("Show.2019.S01E05.2160p.WEBRip.x265", "WEBRip-2160p"),
    ("Movie.2019.1080p.HDRip.x264-GRP", "WEBRip-1080p"),
    ("Movie.2019.576p.BluRay.x264", "Bluray-576p"),
    ("Movie.2019.720p.BRRip.x264-GRP", "Bluray-720p"),
    ("Movie.2019.720p.BluRay.x264-SPARKS", "Bluray-720p"),
    ("Movie.2019.1080p.BluRay.REMUX.AVC.DTS-HD.MA.5.1-EPSiLON", "Remux-1080p"),
    ("Movie.2019.UHD.BluRay.2160p.TrueHD.Atmos.7.1.DV.HEVC.REMUX-FraMeSToR", "Remux-2160p"),
    ("Movie.2019.1080p.Remux", "Remux-1080p"),
    ("Show.S01E05.1080p.x264-GRP", "HDTV-1080p"),  # a resolution alone: Sonarr's guess
    ("Show.S01E05.x264-GRP", "Unknown"),
])
def test_quality_names(name: str, quality: str) -> None:
    assert parse_release(name).quality == quality


def test_quality_table_directly() -> None:
    assert quality_of("Web", "1080p", ["Rip"]) == "WEBRip-1080p"
    assert quality_of("Ultra HD Blu-ray", None) == "Bluray-2160p"
    assert quality_of("Blu-ray", "2160p", ["Screener"]) == "SCREENER"
    assert quality_of(None, None) == "Unknown"
    assert quality_of("a source guessit does not have", "1080p") == "HDTV-1080p"


@pytest.mark.parametrize(("one", "other"), [
    ("The Office (US)", "The.Office.US"),
    ("Law & Order", "Law.and.Order"),
    ("Grey's Anatomy", "Greys.Anatomy"),
    ("Marvel's Agents of S.H.I.E.L.D.", "Marvels.Agents.of.S.H.I.E.L.D"),
    ("Pokémon Detective Pikachu", "Pokemon.Detective.Pikachu"),
    ("Amélie", "AMELIE"),
    ("Dune: Part Two", "Dune Part 2"),
    ("Spider-Man: Across the Spider-Verse", "Spider.Man.Across.the.Spider.Verse"),
    ("WALL·E", "WALL-E"),
])
def test_title_keys_agree(one: str, other: str) -> None:
    assert title_key(one) == title_key(other)


@pytest.mark.parametrize(("one", "other"), [
    ("The Office (US)", "The Office"),
    ("Dune", "Dune Part Two"),
    ("Rocky II", "Rocky III"),
])
def test_title_keys_differ(one: str, other: str) -> None:
    assert title_key(one) != title_key(other)


def test_a_trailing_year_can_be_dropped() -> None:
    assert title_key("Doctor Who (2005)", drop_year=True) == title_key("Doctor Who")
    assert title_key("1917", drop_year=True) == "1917"  # a title that is only a year keeps it


@pytest.mark.parametrize(("name", "keys"), [
    ("The.Office.US.S05E14.720p.HDTV.x264-CTU", {"theoffice", "theofficeus"}),
    ("Shameless.UK.S01E01.720p.HDTV.x264-TLA", {"shameless", "shamelessuk"}),
    ("Doctor.Who.2005.S13E01.1080p.WEB.h264-GRP", {"doctorwho", "doctorwho2005"}),
    ("Dune.Part.Two.2024.2160p.UHD.BluRay.REMUX.DV.HDR.HEVC.TrueHD.Atmos.7.1-FGT", {"dunepart2"}),
    ("Dune.2021.1080p.WEB-DL.DDP5.1.Atmos.H.264-FLUX", {"dune"}),
])
def test_the_titles_a_release_may_be_known_by(name: str, keys: set[str]) -> None:
    assert parse_release(name).title_keys == keys


def test_parsing_is_memoised() -> None:
    name = "The.Bear.S02E03.1080p.WEB.h264-NTb"
    assert parse_release(name) is parse_release(f" {name} ")


def test_importing_the_package_does_not_import_guessit() -> None:
    code = "import sys, webapp.releases; assert 'guessit' not in sys.modules, 'guessit imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
