"""What a user favours, refuses or requires in release names, beyond their quality."""
from __future__ import annotations

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ReleasePreference(Base):
    """One preferred, ignored or required word (or phrase), or one release group's score.

    ``kind`` is ``preferred``, ``ignored``, ``required`` or ``group``; ``term_key`` is the term
    case-folded, unique per kind, so that "x265" and "X265" are one term.
    """

    __tablename__ = "release_preferences"
    __table_args__ = (UniqueConstraint("kind", "term_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    term: Mapped[str] = mapped_column(String(100))
    term_key: Mapped[str] = mapped_column(String(400))  # case folding can lengthen a term
    score: Mapped[int] = mapped_column(Integer, default=0)
