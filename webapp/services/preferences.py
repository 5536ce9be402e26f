"""Release preferences as every face reads and changes them (``/api/settings/release-preferences``,
the releases settings page): preferred words with their scores, ignored and required words, and
release groups with theirs.

A word is matched as a whole word in any case, a phrase as words in a row ("DDP5.1" is found in
"DDP5.1.Atmos", "DV" is not found in "DVDRip"). A release's score (the sum of its preferred words'
and its group's) ranks releases of equal quality; a release naming an ignored word is rejected;
when there are required words, a release naming none of them is rejected.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..db import Database
from ..errors import ValidationError
from ..library.preferences import GROUP, IGNORED, PREFERRED, REQUIRED, Terms, load_preferences, save_preferences
from ..releases import Preferences
from ..releases.parse import words

# Each list by the name the API gives it; scored lists hold {"term"|"name": ..., "score": ...} objects.
API_NAMES = {PREFERRED: "preferredWords", IGNORED: "ignoredWords", REQUIRED: "requiredWords", GROUP: "releaseGroups"}
SCORED = {PREFERRED: "term", GROUP: "name"}
MAX_TERMS = 200  # per list
MAX_TERM_LENGTH = 100
MAX_SCORE = 10_000


class PreferencesService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self) -> Preferences:
        with self.db.read() as session:
            return load_preferences(session)

    def update(self, lists: Mapping[str, Any]) -> Preferences:
        """Replaces the lists given (by kind: ``preferred``, ``group``...; each as the API shapes it); every
        value is checked first."""
        unknown = sorted(set(lists) - set(API_NAMES))
        if unknown:
            raise ValidationError(f"Unknown list(s): {', '.join(unknown)}", "UNKNOWN_FIELD")
        checked = {kind: _terms(kind, value) for kind, value in lists.items()}
        return save_preferences(self.db, checked)


def as_api(preferences: Preferences) -> dict[str, Any]:
    """The preferences as the API shapes them."""
    return {
        API_NAMES[PREFERRED]: [{"term": term, "score": score} for term, score in preferences.preferred.items()],
        API_NAMES[IGNORED]: list(preferences.ignored),
        API_NAMES[REQUIRED]: list(preferences.required),
        API_NAMES[GROUP]: [{"name": name, "score": score} for name, score in preferences.release_groups.items()],
    }


def _terms(kind: str, value: Any) -> Terms:
    field = API_NAMES[kind]
    if not isinstance(value, list):
        raise ValidationError(f"'{field}' must be a list", "INVALID_FIELD")
    if len(value) > MAX_TERMS:
        raise ValidationError(f"'{field}' holds at most {MAX_TERMS} entries, not {len(value)}", "INVALID_FIELD")
    terms = [_entry(kind, field, entry) for entry in value]
    seen: set[str] = set()
    for term, _ in terms:
        if term.casefold() in seen:
            raise ValidationError(f"'{field}' names “{term}” twice (case is ignored)", "INVALID_FIELD")
        seen.add(term.casefold())
    return terms


def _entry(kind: str, field: str, entry: Any) -> tuple[str, int]:
    key = SCORED.get(kind)
    if key is None:
        return _term(field, entry), 0
    if not isinstance(entry, dict) or set(entry) != {key, "score"}:
        raise ValidationError(f"Each entry of '{field}' must be an object with '{key}' and 'score'", "INVALID_FIELD")
    term, score = _term(field, entry[key]), entry["score"]
    if type(score) is not int or not -MAX_SCORE <= score <= MAX_SCORE:
        raise ValidationError(
            f"'{field}': the score of “{term}” must be an integer from -{MAX_SCORE} to {MAX_SCORE}", "INVALID_FIELD"
        )
    return term, score


def _term(field: str, term: Any) -> str:
    if not isinstance(term, str) or not 1 <= len(term.strip()) <= MAX_TERM_LENGTH or not term.isprintable():
        raise ValidationError(
            f"Each term of '{field}' must be 1 to {MAX_TERM_LENGTH} printable characters", "INVALID_FIELD"
        )
    if not words(term):
        raise ValidationError(f"'{field}': “{term}” has no letter or digit, so it would match nothing",
                              "INVALID_FIELD")
    return term.strip()
