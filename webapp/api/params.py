"""Parsing of request bodies and query strings into checked values, or a clear 400."""
from __future__ import annotations

import json
import re
from typing import Any

from flask import request

from ..errors import ValidationError

_WHOLE_NUMBER = re.compile(r"^[0-9]{1,9}$")


def json_object(allowed: set[str], required: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    """The request body as a JSON object with only ``allowed`` keys; an empty body is ``{}``."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        body: Any = {}
    else:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ValidationError("Request body is not valid JSON", "INVALID_JSON") from None
    if not isinstance(body, dict):
        raise ValidationError("Request body must be a JSON object", "INVALID_JSON")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(unknown)}", "UNKNOWN_FIELD")
    missing = sorted(required - set(body))
    if missing:
        raise ValidationError(f"Missing required field(s): {', '.join(missing)}", "MISSING_FIELD")
    return body


def boolean(body: dict[str, Any], name: str, default: bool | None = None) -> bool:
    value = body.get(name, default)
    if type(value) is not bool:
        raise ValidationError(f"'{name}' must be a JSON boolean (true or false)", "INVALID_FIELD")
    return value


def mapping(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name, {})
    if not isinstance(value, dict):
        raise ValidationError(f"'{name}' must be a JSON object", "INVALID_FIELD")
    return value


def integer(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if type(value) is not int:
        raise ValidationError(f"'{name}' must be a JSON integer", "INVALID_FIELD")
    return value


def choice(body: dict[str, Any], name: str, choices: tuple[str, ...]) -> str:
    value = body.get(name)
    if value not in choices or type(value) is not str:
        raise ValidationError(f"'{name}' must be one of: {', '.join(choices)}", "INVALID_FIELD")
    return value


def query_int(name: str, default: int, minimum: int, maximum: int) -> int:
    """A whole-number query parameter within bounds."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not _WHOLE_NUMBER.match(raw) or not minimum <= int(raw) <= maximum:
        raise ValidationError(f"'{name}' must be an integer from {minimum} to {maximum}", "INVALID_QUERY")
    return int(raw)


def query_choice(name: str, choices: tuple[str, ...]) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        raise ValidationError(f"'{name}' must be one of: {', '.join(choices)}", "INVALID_QUERY")
    return raw


def query_text(name: str, max_length: int = 200) -> str | None:
    raw = request.args.get(name, "").strip()
    if len(raw) > max_length:
        raise ValidationError(f"'{name}' must be at most {max_length} characters", "INVALID_QUERY")
    return raw or None
