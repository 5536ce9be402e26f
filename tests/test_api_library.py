"""``/api/settings/library``: the library folder, ``<data dir>/library`` until set; a bad one refused, changing nothing."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

LIBRARY = "/api/settings/library"


def test_the_default_is_the_data_dirs_library_and_a_put_sets_another(api: FlaskClient, tmp_path: Path) -> None:
    assert api.get(LIBRARY).get_json() == {"root": str((tmp_path / "data" / "library").resolve())}
    wanted = tmp_path / "media" / "library"  # not there yet: made when first used
    changed = api.put(LIBRARY, json={"root": str(wanted) + "/"})
    assert changed.status_code == 200 and changed.get_json() == {"root": str(wanted)}
    assert api.get(LIBRARY).get_json() == {"root": str(wanted)} and not wanted.exists()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # refused before anything is stored
@pytest.mark.parametrize(("body", "code"), [
    ({}, "MISSING_FIELD"), ({"root": "relative/path"}, "INVALID_FIELD"), ({"root": ""}, "INVALID_FIELD"),
    ({"root": 5}, "INVALID_FIELD"), ({"root": None}, "INVALID_FIELD"), ({"root": "/x\u0000y"}, "INVALID_FIELD"),
    ({"root": "/" + "a" * 600}, "INVALID_FIELD"), ({"root": "/tmp", "move": True}, "UNKNOWN_FIELD"),
    ({"root": "/" + "0" * 300}, "LIBRARY_ROOT_UNUSABLE"), ({"root": "/tmp/" + "é" * 200}, "LIBRARY_ROOT_UNUSABLE"),
])
def test_a_bad_root_is_refused_and_nothing_changes(api: FlaskClient, body: dict[str, Any], code: str) -> None:
    before = api.get(LIBRARY).get_json()
    response = api.put(LIBRARY, json=body)
    assert response.status_code == 400 and response.get_json()["code"] == code
    assert response.get_json()["success"] is False and api.get(LIBRARY).get_json() == before


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_root_under_a_file_or_a_folder_that_cannot_be_written_is_refused(api: FlaskClient, tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    response = api.put(LIBRARY, json={"root": str(a_file / "library")})
    assert response.status_code == 400 and response.get_json()["code"] == "LIBRARY_ROOT_UNUSABLE"
    assert "is not a folder" in response.get_json()["error"]
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert api.put(LIBRARY, json={"root": str(locked / "library")}).get_json()["code"] == "LIBRARY_ROOT_UNUSABLE"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_library_setting_needs_a_credential(client: FlaskClient) -> None:
    assert client.get(LIBRARY).status_code == 401
    assert client.put(LIBRARY, json={"root": "/tmp/x"}).status_code == 401


def test_the_library_page_sets_the_folder_and_lists_imports_newest_first(
        user: FlaskClient, token: str, tmp_path: Path) -> None:
    from builders import NOW
    from webapp.models import ImportRecord
    from webapp.runtime import runtime_of

    db = runtime_of(user.application).db
    with db.write() as session:
        for n, title in enumerate(("Old Film (1999)", "New Show S01E02")):
            session.add(ImportRecord(title=title, source_path=f"/downloads/{n}.mkv", destination=f"/library/{n}.mkv",
                                     quality="Bluray-1080p", size_bytes=1, mode="hardlink", replaced=False,
                                     imported_at=NOW.replace(hour=n)))
    page = user.get("/settings/library").get_data(as_text=True)
    assert page.index("New Show S01E02") < page.index("Old Film (1999)")
    assert 'href="/settings/library"' in user.get("/settings").get_data(as_text=True)
    refused = user.post("/settings/library", data={"root": "relative", "csrf_token": token})
    assert refused.status_code == 400 and "must be an absolute path" in refused.get_data(as_text=True)
    assert user.post("/settings/library", data={"root": str(tmp_path / "lib")}).status_code == 403  # no CSRF token
    saved = user.post("/settings/library", data={"root": str(tmp_path / "lib"), "csrf_token": token})
    assert saved.status_code == 303 and f'value="{tmp_path / "lib"}"' in user.get("/settings/library").get_data(as_text=True)
