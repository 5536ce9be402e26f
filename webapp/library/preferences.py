"""The stored release preferences: read by every search, replaced a list at a time."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..db import Database
from ..models import ReleasePreference
from ..releases import Preferences

PREFERRED, IGNORED, REQUIRED, GROUP = "preferred", "ignored", "required", "group"
KINDS = (PREFERRED, IGNORED, REQUIRED, GROUP)
Terms = Sequence[tuple[str, int]]  # (term, score); ignored and required words score 0


def load_preferences(session: Session) -> Preferences:
    """The preferences as set; none when they never were."""
    rows = session.execute(
        select(ReleasePreference.kind, ReleasePreference.term, ReleasePreference.score).order_by(ReleasePreference.id)
    ).all()
    listed: dict[str, list[tuple[str, int]]] = {kind: [] for kind in KINDS}
    for kind, term, score in rows:
        listed.setdefault(kind, []).append((term, score))
    return Preferences(
        preferred=dict(listed[PREFERRED]), ignored=tuple(term for term, _ in listed[IGNORED]),
        required=tuple(term for term, _ in listed[REQUIRED]), release_groups=dict(listed[GROUP]),
    )


def save_preferences(db: Database, lists: Mapping[str, Terms]) -> Preferences:
    """Replaces each list given (by kind), in one transaction; the lists not given stay."""
    with db.write() as session:
        for kind, terms in lists.items():
            session.execute(delete(ReleasePreference).where(ReleasePreference.kind == kind))
            if terms:
                session.execute(insert(ReleasePreference), [
                    {"kind": kind, "term": term, "term_key": term.casefold(), "score": score} for term, score in terms
                ])
        return load_preferences(session)
