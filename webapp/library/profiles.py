"""Quality profiles as the tasks use them: qualities ranked, a cutoff, an upgrade policy."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ProfileQuality, QualityProfile


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


def load_profiles(session: Session) -> dict[int, Profile]:
    """Every quality profile with its ranked qualities, by id."""
    rows = session.execute(
        select(QualityProfile, ProfileQuality.quality, ProfileQuality.rank)
        .outerjoin(ProfileQuality, ProfileQuality.profile_id == QualityProfile.id)
        .order_by(QualityProfile.id, ProfileQuality.rank)
    ).all()
    ranks: dict[int, dict[str, int]] = {}
    profiles: dict[int, QualityProfile] = {}
    for profile, quality, rank in rows:
        profiles[profile.id] = profile
        ranked = ranks.setdefault(profile.id, {})
        if quality is not None:
            ranked[quality] = rank
    return {
        profile_id: Profile(
            profile_id, stored.name, ranks[profile_id], stored.cutoff_quality, stored.upgrades_allowed,
            stored.min_upgrade_increment,
        )
        for profile_id, stored in profiles.items()
    }
