"""Request text into checked values, shared by the JSON API and the pages: whole numbers,
query parameters and JSON documents. Bad input is a ``ValidationError`` (a 400) naming
the field; nothing here lets a client's text reach a 5xx."""
from __future__ import annotations

import re
from typing import Any

from flask import abort, request
from flask.json.provider import DefaultJSONProvider

from .errors import ValidationError

MAX_WHOLE_NUMBER = 999_999_999
MAX_JSON_DEPTH = 32  # the documented bodies are 2 levels deep; CPython's parser recurses near 1,000
# ASCII only: str.isdigit() and int() also take "²" (which int() then refuses) and "١٥" (read as 15).
_DIGITS = re.compile(r"[0-9]+")


class JSONTooDeep(ValueError):
    """A JSON document nested deeper than ``MAX_JSON_DEPTH``."""

    def __init__(self) -> None:
        super().__init__(f"JSON nested more than {MAX_JSON_DEPTH} levels deep")


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a document nested too deeply is a ``ValueError`` (which
    ``request.get_json`` answers with a 400) rather than a ``RecursionError`` (a 500)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise JSONTooDeep() from None
        if not _nested_within(value, MAX_JSON_DEPTH):
            raise JSONTooDeep()
        return value


def _nested_within(value: Any, limit: int) -> bool:
    """Whether ``value`` holds no list or object deeper than ``limit``; a loop, not recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


def whole_number(
    raw: str, name: str, minimum: int = 0, maximum: int = MAX_WHOLE_NUMBER, code: str = "INVALID_FIELD",
) -> int:
    """``raw`` as an int from ``minimum`` to ``maximum``: ASCII digits only (no sign, space,
    point or other script's digits), and no more of them than ``maximum`` has."""
    if len(raw) > len(str(maximum)) or not _DIGITS.fullmatch(raw) or not minimum <= int(raw) <= maximum:
        raise ValidationError(f"'{name}' must be an integer from {minimum} to {maximum}", code)
    return int(raw)


def query_int(name: str, default: int, minimum: int, maximum: int) -> int:
    """A whole-number query parameter within bounds."""
    raw = request.args.get(name)
    return default if raw is None else whole_number(raw, name, minimum, maximum, "INVALID_QUERY")


def query_choice(name: str, choices: tuple[str, ...], *, blank_means_all: bool = True) -> str | None:
    """One of ``choices``, or None when absent; empty (a form's "all") is None too unless refused."""
    raw = request.args.get(name)
    if raw is None or (raw == "" and blank_means_all):
        return None
    if raw not in choices:
        raise ValidationError(f"'{name}' must be one of: {', '.join(choices)}", "INVALID_QUERY")
    return raw


def query_text(name: str, max_length: int = 200) -> str | None:
    raw = request.args.get(name, "").strip()
    if len(raw) > max_length:
        raise ValidationError(f"'{name}' must be at most {max_length} characters", "INVALID_QUERY")
    if "\x00" in raw:  # PostgreSQL refuses NUL in any text, so the query would fail with a 500
        raise ValidationError(f"'{name}' must not contain a NUL character", "INVALID_QUERY")
    return raw or None


def refuse_nul_in_path(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """``url_value_preprocessor``: a path with a NUL names nothing we store (PostgreSQL cannot
    even compare one), so it is a 404 before any query."""
    if values and any(isinstance(value, str) and "\x00" in value for value in values.values()):
        abort(404)
