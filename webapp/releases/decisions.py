"""What a decision comes to: the releases accepted, best first, the rejected with their reasons,
and the sentence an activity row says of them."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..providers import Release


@dataclass(frozen=True)
class Rejection:
    """A release not taken (with its parsed quality and its score), and every reason why, the first foremost."""

    release: Release
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Decisions:
    """The releases a search found: those accepted, best first, and those rejected, in the order found."""

    accepted: tuple[Release, ...]
    rejected: tuple[Rejection, ...]

    @property
    def results(self) -> int:
        return len(self.accepted) + len(self.rejected)

    @property
    def best(self) -> Release | None:
        return self.accepted[0] if self.accepted else None

    def reason_counts(self) -> list[tuple[str, int]]:
        """Rejections counted under their first reason, most frequent first (ties in the order met)."""
        return Counter(rejection.reasons[0] for rejection in self.rejected).most_common()

    def tally(self) -> str:
        """ "9 results, 4 accepted; rejected: 2 CAM, 1 wrong year": what a grab's activity row counts."""
        found = f"{_count(self.results, 'result')}, {len(self.accepted)} accepted"
        if not self.rejected:
            return found
        return f"{found}; rejected: {self._reasons()}"

    def _reasons(self) -> str:
        return ", ".join(f"{count} {reason}" for reason, count in self.reason_counts())

    def summary(self, taken: Release | None = None) -> str:
        """For the activity row: "12 results, 0 accepted: 7 not an upgrade, 3 wrong episode, 2 CAM",
        or "12 results, 3 accepted; took X (WEBDL-1080p, score 40, 120 seeders)".

        ``taken`` is the release grabbed, when not the best (the download client refused it, say).
        """
        found = _count(self.results, "result")
        if not self.results:
            return found
        taken = taken or self.best
        if taken is None:
            return f"{found}, 0 accepted: {self._reasons()}"
        return f"{found}, {len(self.accepted)} accepted; took {taken.title} ({_describe(taken)})"


def _describe(release: Release) -> str:
    about = f"{release.quality}, score {release.score}"
    if release.protocol == "torrent" and release.seeders is not None:
        about += f", {_count(release.seeders, 'seeder')}"
    return about


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
