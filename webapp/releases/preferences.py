"""What a user favours or refuses in release names, beyond their quality."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .parse import ParsedRelease, words


@dataclass(frozen=True)
class Preferences:
    """Words and release groups a user favours or refuses, matched as whole words in any case
    ("DV" is not found in "DVDRip"; "DDP5.1" is found in "DDP5.1.Atmos").

    A release's score is the sum of its preferred words' scores and its group's score.
    """

    preferred: Mapping[str, int] = field(default_factory=dict)  # word or phrase -> score (negative disfavours)
    ignored: tuple[str, ...] = ()  # a release naming any of these is rejected
    required: tuple[str, ...] = ()  # when any, a release must name one of them
    release_groups: Mapping[str, int] = field(default_factory=dict)  # group -> score

    def score(self, parsed: ParsedRelease) -> int:
        name = words(parsed.name)
        found = sum(score for term, score in self.preferred.items() if mentions(name, term))
        groups = {group.casefold(): score for group, score in self.release_groups.items()}
        return found + groups.get((parsed.release_group or "").casefold(), 0)

    def ignores(self, parsed: ParsedRelease) -> bool:
        name = words(parsed.name)
        return any(mentions(name, term) for term in self.ignored)

    def lacks_required(self, parsed: ParsedRelease) -> bool:
        name = words(parsed.name)
        return bool(self.required) and not any(mentions(name, term) for term in self.required)


def mentions(name: tuple[str, ...], term: str) -> bool:
    """Whether the words of ``term`` follow each other in ``name`` (a name's ``words``)."""
    sought = words(term)
    width = len(sought)
    return width > 0 and any(name[start:start + width] == sought for start in range(len(name) - width + 1))
