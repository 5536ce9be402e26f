"""``POST /settings/subtitles/languages``: the wanted subtitle languages, one form on the subtitles page.

A plain POST answers with a flash and a 303 to the page (or the page again with the error, as
typed); htmx swaps the languages' section alone.
"""
from __future__ import annotations

import re

from flask import flash, redirect, render_template, url_for
from flask_login import login_required
from htmx_flask import request
from werkzeug.wrappers import Response

from ...errors import AppError
from ...runtime import get_runtime
from .. import bp
from ..settings import NO_STORE
from .forms import section
from .handlers import html as page_html
from .kinds import SUBTITLES
from .languages import LanguagesForm, languages_context

_SEPARATORS = re.compile(r"[\s,;]+")


@bp.post("/settings/subtitles/languages")
@login_required
def set_subtitle_languages() -> Response:
    text = request.form.get("languages", "")
    codes = [code for code in _SEPARATORS.split(text) if code]
    try:
        saved = get_runtime().subtitles.set_languages(codes)
    except AppError as error:
        return _answer(LanguagesForm(text, error=error.message), error.status)
    message = f"Wanted subtitle languages: {', '.join(saved)}" if saved else "No subtitle language is wanted now"
    if request.htmx:
        return _answer(LanguagesForm(", ".join(saved), notice=message))
    flash(message, "info")
    return redirect(url_for("pages.subtitles"), 303)


def _answer(form: LanguagesForm, status: int = 200) -> Response:
    """htmx: the section alone (a 200, which htmx swaps); else the whole page with the form as sent."""
    if request.htmx:
        html = render_template("_subtitle_languages.html", languages=form)
        return Response(html, headers=NO_STORE, mimetype="text/html")
    return page_html(render_template("settings_subtitles.html", section=section(SUBTITLES),
                                     **languages_context(form)), status)
