"""A quality profile as the decisions read it: qualities ranked, a cutoff, an upgrade policy."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """A quality profile; rank 1 is its lowest quality, 0 a quality it does not list."""

    id: int
    name: str
    ranks: Mapping[str, int]
    cutoff_quality: str
    upgrades_allowed: bool
    min_upgrade_increment: int

    def rank(self, quality: str) -> int:
        return self.ranks.get(quality, 0)

    @property
    def cutoff_rank(self) -> int:
        return self.rank(self.cutoff_quality)

    @property
    def top_rank(self) -> int:
        """The rank of its best quality (0 when it lists none)."""
        return max(self.ranks.values(), default=0)
