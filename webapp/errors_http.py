"""One place that turns every error into ``{"success": false, "error", "code"}`` for JSON routes."""
from __future__ import annotations

import logging
import re

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .errors import AppError

log = logging.getLogger("cinephage.http")


def error_response(status: int, message: str, code: str) -> tuple[Response, int]:
    return jsonify(success=False, error=message, code=code), status


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz" or not request.accept_mimetypes.accept_html


def _code_of(error: HTTPException) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", (error.name or "error").upper()).strip("_")


def init_app(app: Flask) -> None:
    @app.errorhandler(AppError)
    def app_error(error: AppError):  # type: ignore[no-untyped-def]
        response, status = error_response(error.status, error.message, error.code)
        if error.status == 401:
            response.headers["WWW-Authenticate"] = 'ApiKey header="x-api-key"'
        return response, status

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        message = f"CSRF check failed: {error.description}"
        if _wants_json():
            return error_response(403, message, "CSRF_FAILED")
        return message, 403

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        if not _wants_json():
            return error
        response, status = error_response(error.code or 500, error.description or error.name, _code_of(error))
        # Keep the exception's own headers, e.g. the ``Allow`` that RFC 9110 requires on a 405.
        response.headers.extend((name, value) for name, value in error.get_headers() if name.lower() != "content-type")
        return response, status

    @app.errorhandler(Exception)
    def unexpected(error: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not _wants_json():
            return render_template("error.html", status=500, message="Something went wrong on the server."), 500
        return error_response(500, "Internal server error", "INTERNAL_ERROR")
