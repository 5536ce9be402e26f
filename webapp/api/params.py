"""Parsing of request bodies and query strings into checked values, or a clear 400."""
from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any

from flask import current_app, request

from ..errors import ValidationError
from ..parsing import JSONTooDeep


def json_object(allowed: AbstractSet[str], required: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    """The request body as a JSON object with only ``allowed`` keys; an empty body is ``{}``."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        body: Any = {}
    else:
        try:
            body = current_app.json.loads(raw)  # the app's provider: deep nesting is a ValueError too
        except JSONTooDeep as error:
            raise ValidationError(f"Request body is not accepted: {error}", "INVALID_JSON") from None
        except ValueError:  # UnicodeDecodeError included
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


def string(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if type(value) is not str:
        raise ValidationError(f"'{name}' must be a JSON string", "INVALID_FIELD")
    return value


def integer_list(body: dict[str, Any], name: str) -> list[int]:
    value = body.get(name)
    if type(value) is not list or any(type(item) is not int for item in value):
        raise ValidationError(f"'{name}' must be a JSON array of integers", "INVALID_FIELD")
    return value
