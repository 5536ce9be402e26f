"""A configured provider's name: unique per kind (indexers, clients, subtitle providers, notification
targets) ignoring case, whichever process adds it.

``refuse_taken`` says so before a write; the ``name_key`` column's unique constraint is what holds
when two processes race, and its ``IntegrityError`` becomes the same ``name_taken`` answer.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..errors import Conflict
from .provider_checks import name_key


def refuse_taken(session: Session, model: Any, label: str, name: str, row_id: int | None) -> None:
    """``Conflict`` when another row of ``model`` than ``row_id`` has the name (case ignored)."""
    taken = select(model.id).where(model.name_key == name_key(name))
    if row_id is not None:
        taken = taken.where(model.id != row_id)
    if session.scalar(select(exists(taken))):
        raise name_taken(label, name)


def name_taken(label: str, name: str) -> Conflict:
    """``label`` as a sentence starts: "Indexer", "Subtitle provider"."""
    return Conflict(f"{label} name '{name}' is already taken (names ignore case)", "NAME_TAKEN")
