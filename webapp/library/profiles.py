"""Quality profiles as the tasks use them: qualities ranked, a cutoff, an upgrade policy."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ProfileQuality, QualityProfile
from ..providers import Release


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

    def quality_at(self, rank: int) -> str:
        """The quality of that rank, or "an unlisted quality" for rank 0."""
        names = {value: name for name, value in self.ranks.items()}
        return names.get(rank, "an unlisted quality")

    @property
    def cutoff_rank(self) -> int:
        return self.rank(self.cutoff_quality)

    def best_release(self, releases: Iterable[Release], min_rank: int) -> Release | None:
        """The release of the highest rank (then score) at ``min_rank`` or above."""
        fitting = [release for release in releases if self.rank(release.quality) >= max(min_rank, 1)]
        return max(fitting, key=lambda release: (self.rank(release.quality), release.score), default=None)


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
