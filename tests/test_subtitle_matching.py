"""Subtitles scored against media files (real release names), and the local folder provider on real files."""
from __future__ import annotations

from pathlib import Path

import pytest

from webapp.providers.base import Offer, ProviderError, SubtitleRequest, SubtitleResult
from webapp.providers.subtitles.languages import is_iso_639_1, iso_639_1
from webapp.providers.subtitles.local import LocalFolder, read_name
from webapp.providers.subtitles.settings import SubtitleProviderSettings
from webapp.releases.subtitles import Video, score, score_offer

MANDO = SubtitleRequest("The Mandalorian", "en", "/tv/The.Mandalorian.S01E02.Chapter.2.1080p.DSNP.WEB-DL.DDP5.1.H.264-NTb.mkv",
                        tmdb_id=82856, season=1, episode=2)
DUNE = SubtitleRequest("Dune", "en", "/movies/Dune.2021.2160p.UHD.BluRay.x265.10bit.HDR.TrueHD.7.1.Atmos-SWTYBLZ.mkv",
                       year=2021, tmdb_id=438631)
OFFICE = SubtitleRequest("The Office (US)", "en", "/tv/The.Office.US.S03E05.720p.HDTV.x264-LOL.mkv", season=3, episode=5)


@pytest.mark.parametrize(("request_", "offer", "expected"), [
    # An episode: series, season and episode, then what the release shares (subliminal's weights; the
    # frame rate is never known here, so 99 is the best without the hash).
    (MANDO, Offer(release="The.Mandalorian.S01E02.1080p.DSNP.WEB-DL.DDP5.1.H.264-NTb"), 99),
    (MANDO, Offer(release="The.Mandalorian.S01E02.1080p.DSNP.WEB-DL.DDP5.1.H.264-CMRG"), 97),
    (MANDO, Offer(release="The.Mandalorian.S01E02.720p.WEB.H264-GHOSTS"), 95),
    (MANDO, Offer(release="The.Mandalorian.S01E02.HDTV.x264-SVA"), 95),
    (MANDO, Offer(release="The.Mandalorian.S01E02.1080p.DSNP.WEB-DL.DDP5.1.H.264-NTb", hash_match=True), 100),
    # Another episode, season or series scores nothing, however alike the rest.
    (MANDO, Offer(release="The.Mandalorian.S01E03.1080p.DSNP.WEB-DL.DDP5.1.H.264-NTb"), 0),
    (MANDO, Offer(release="The.Mandalorian.S02E02.1080p.DSNP.WEB-DL.DDP5.1.H.264-NTb"), 0),
    (MANDO, Offer(release="The.Boys.S01E02.1080p.AMZN.WEB-DL.DDP5.1.H.264-NTb"), 0),
    # The provider's own details (OpenSubtitles' feature_details) stand in for a bare release name.
    (MANDO, Offer(release="mando 102 subs", tmdb_id=82856, season=1, episode=2), 95),
    # Movies: title, year and country first; the very release is 92 (the hash's weight is larger for a movie).
    (DUNE, Offer(release="Dune.2021.2160p.UHD.BluRay.x265.10bit.HDR.TrueHD.7.1.Atmos-SWTYBLZ"), 92),
    (DUNE, Offer(release="Dune.2021.1080p.WEBRip.x264-RARBG"), 84),
    (DUNE, Offer(release="Dune.1984.1080p.BluRay.x264-AMIABLE"), 67),  # another year
    (DUNE, Offer(release="Dune.Part.Two.2024.2160p.WEB-DL.DDP5.1.Atmos.H.265-FLUX"), 0),
    # Equivalent groups (LOL and DIMENSION); a title without its country is another series (UK or US).
    (OFFICE, Offer(release="The.Office.US.S03E05.720p.HDTV.x264-DIMENSION"), 97),
    (OFFICE, Offer(release="The.Office.S03E05.720p.HDTV.x264-LOL"), 0),
])
def test_scores_follow_subliminal(request_: SubtitleRequest, offer: Offer, expected: int) -> None:
    assert score(Video.of(request_), offer) == expected


@pytest.mark.parametrize(("code", "expected"), [
    ("en", "en"), ("eng", "en"), ("fre", "fr"), ("fra", "fr"), ("pt-BR", "pt"), ("zh-Hant", "zh"),
    ("xx", None), ("english", None), ("", None), ("é", None),
])
def test_languages_are_read_by_babelfish(code: str, expected: str | None) -> None:
    assert iso_639_1(code) == expected


def test_only_lower_case_two_letter_codes_are_iso_639_1() -> None:
    assert [is_iso_639_1(code) for code in ("en", "fr", "EN", "eng", "xx", "e")] == [True, True, False, False, False, False]


@pytest.mark.parametrize(("name", "expected"), [
    ("The.Mandalorian.S01E02.720p.WEB.H264-GHOSTS.en.srt", ("The.Mandalorian.S01E02.720p.WEB.H264-GHOSTS", "en", "srt")),
    ("Dune.2021.1080p.WEBRip.x264-RARBG.fre.ASS", ("Dune.2021.1080p.WEBRip.x264-RARBG", "fr", "ass")),
    ("Amélie.2001.1080p.BluRay.x264-CiNEFiLE.pt-BR.ssa", ("Amélie.2001.1080p.BluRay.x264-CiNEFiLE", "pt", "ssa")),
    ("Dune.2021.1080p.WEBRip.x264-RARBG.srt", None),  # no language
    ("Dune.2021.1080p.WEBRip.x264-RARBG.en.txt", None),  # not a subtitle format
    ("en.srt", None),
])
def test_local_names_say_release_language_and_format(name: str, expected: tuple[str, str, str] | None) -> None:
    found = read_name(f"/subs/{name}")
    assert (None if found is None else (found.release, found.language, found.format)) == expected


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    subs = tmp_path / "subs"
    (subs / "The Mandalorian").mkdir(parents=True)
    (subs / "The Mandalorian" / "The.Mandalorian.S01E02.1080p.DSNP.WEB-DL.DDP5.1.H.264-NTb.en.srt").write_text("a")
    (subs / "The Mandalorian" / "The.Mandalorian.S01E02.720p.WEB.H264-GHOSTS.en.ass").write_text("b")
    (subs / "The Mandalorian" / "The.Mandalorian.S01E02.720p.WEB.H264-GHOSTS.fr.srt").write_text("c")
    (subs / "The.Mandalorian.S01E03.1080p.DSNP.WEB-DL.DDP5.1.H.264-NTb.en.srt").write_text("d")
    (subs / "notes.txt").write_text("not a subtitle")
    return subs


def local(folder: Path) -> LocalFolder:
    return LocalFolder(SubtitleProviderSettings("Local", "local", folder=str(folder)), score_offer)


def test_the_local_folder_offers_the_files_of_the_episode_in_its_language(folder: Path) -> None:
    results = local(folder).search(MANDO)
    assert sorted((r.score, Path(r.reference).name, r.format) for r in results) == [
        (95, "The.Mandalorian.S01E02.720p.WEB.H264-GHOSTS.en.ass", "ass"),
        (99, "The.Mandalorian.S01E02.1080p.DSNP.WEB-DL.DDP5.1.H.264-NTb.en.srt", "srt"),
    ]
    best = max(results, key=lambda result: result.score)
    assert local(folder).download(best) == b"a"


def test_the_local_folder_reads_nothing_outside_itself(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.en.srt").write_text("outside")
    outside = SubtitleResult("Local", "en", 99, str(folder / ".." / "secret.en.srt"))
    with pytest.raises(ProviderError, match="is not in the folder"):
        local(folder).download(outside)


def test_the_local_folder_test_counts_what_it_holds(folder: Path, tmp_path: Path) -> None:
    assert local(folder).test() == f"The folder {folder} holds 4 subtitle files (en, fr)"
    with pytest.raises(ProviderError, match="does not exist or is not a folder"):
        local(tmp_path / "missing").test()
