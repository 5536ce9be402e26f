"""Quality profiles as stored, read into the ``Profile`` values the decisions take."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ProfileQuality, QualityProfile
from ..releases.profiles import Profile


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
