"""Domain errors, raised by services and turned into the API's JSON error shape."""
from __future__ import annotations


class AppError(Exception):
    """An error a client caused or can act on; ``status`` is the HTTP status."""

    status = 400
    code = "BAD_REQUEST"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ValidationError(AppError):
    status = 400
    code = "VALIDATION_ERROR"


class InvalidState(AppError):
    """The request is well formed but the target is not in a state that allows it."""

    status = 400
    code = "INVALID_STATE"


class NotFound(AppError):
    status = 404
    code = "NOT_FOUND"


class Unauthorized(AppError):
    status = 401
    code = "UNAUTHORIZED"


class Conflict(AppError):
    """The request clashes with what is stored (a name already taken)."""

    status = 409
    code = "CONFLICT"
