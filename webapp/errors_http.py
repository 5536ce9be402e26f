"""One place that turns every error into ``{"success": false, "error", "code"}`` for JSON routes."""
from __future__ import annotations

import logging
import re

from flask import Flask, Response, g, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .errors import AppError

log = logging.getLogger("cinephage.http")
DRAIN_LIMIT = 4 * 1024 * 1024  # an oversized body of up to this size is read, and dropped, before its 413


def error_response(status: int, message: str, code: str) -> tuple[Response, int]:
    return jsonify(success=False, error=message, code=code), status


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz" or not request.accept_mimetypes.accept_html


def _code_of(error: HTTPException) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", (error.name or "error").upper()).strip("_")


def _authenticated() -> bool:
    return bool(g.get("auth_method")) or current_user.is_authenticated


def _drain_body() -> None:
    """Reads what is left of a declared, oversized body that its client is still sending.

    A client sends its whole body before it reads the answer, and a connection closed on
    unread data is reset: the reset can overtake the 413 on its way and lose it.
    """
    left = request.content_length or 0
    if left > DRAIN_LIMIT:
        return  # not worth reading: that client gets the reset
    body = request.environ["wsgi.input"]
    while left > 0:
        chunk = body.read(min(left, 64 * 1024))
        if not chunk:
            return
        left -= len(chunk)


def init_app(app: Flask) -> None:
    @app.errorhandler(AppError)
    def app_error(error: AppError) -> tuple[Response, int]:
        response, status = error_response(error.status, error.message, error.code)
        if error.status == 401:
            response.headers["WWW-Authenticate"] = 'ApiKey header="x-api-key"'
        return response, status

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[Response | str, int]:
        message = f"CSRF check failed: {error.description}"
        if _wants_json():
            return error_response(403, message, "CSRF_FAILED")
        return message, 403

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> HTTPException | tuple[Response, int]:
        if error.code == 413 and _authenticated():
            _drain_body()  # a stranger's body is never read, not even to drop it
        if not _wants_json():
            return error
        response, status = error_response(error.code or 500, error.description or error.name, _code_of(error))
        # Keep the exception's own headers, e.g. the ``Allow`` that RFC 9110 requires on a 405.
        response.headers.extend((name, value) for name, value in error.get_headers() if name.lower() != "content-type")
        return response, status

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response | str, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not _wants_json():
            return render_template("error.html", status=500, message="Something went wrong on the server."), 500
        return error_response(500, "Internal server error", "INTERNAL_ERROR")
