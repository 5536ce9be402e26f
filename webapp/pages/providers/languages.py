"""The wanted subtitle languages' form, on the subtitle providers' page (ISO 639-1 codes); its route is
``subtitle_languages``."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...runtime import get_runtime


@dataclass(frozen=True)
class LanguagesForm:
    """The languages as the form shows them (``text``: "en, fr"), and what the last save said."""

    text: str
    error: str | None = None
    notice: str | None = None


def languages_context(form: LanguagesForm | None = None) -> Mapping[str, Any]:
    """What the subtitles page needs beside its providers' section: the languages' form."""
    return {"languages": form or LanguagesForm(", ".join(get_runtime().subtitles.languages()))}
