"""The handlers every provider kind's page shares, and the routes that bind them to a kind.

Every form works as a plain POST: a change answers with a flash and a 303 to the kind's page,
a refusal or a test with the whole page, the answer in place. htmx swaps the section alone, or
a Test's answer alone into the provider's answer slot, so that what is being typed stays.
Every answer is ``Cache-Control: no-store``.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from flask import flash, redirect, render_template, url_for
from flask_login import login_required
from htmx_flask import request
from markupsafe import Markup
from werkzeug.wrappers import Response

from ...clock import iso, now_utc
from ...errors import AppError, NotFound
from ...services.providers import ProviderCheck
from .. import bp
from .. import settings as settings_page
from ..formatting import absolute
from .forms import Answer, Kind, ProviderForm, Section, changes, empty_form, field_of, new_settings, saved_form, section
from .forms import sent_form


def html(text: str, status: int = 200) -> Response:
    return Response(text, status=status, headers=settings_page.NO_STORE, mimetype="text/html")


def show(kind: Kind, shown: Section, status: int = 200) -> Response:
    """htmx: the section alone (always a 200: htmx swaps no other); else the whole page."""
    if request.htmx:
        return html(render_template(kind.template, section=shown))
    return html(render_template(kind.page, section=shown, **kind.page_context()), status)


def _done(kind: Kind, message: str) -> Response:
    """A change made: htmx gets the section with the notice; a plain form a flash and a 303."""
    if request.htmx:
        return show(kind, section(kind, notice=message))
    flash(message, "info")
    return redirect(url_for(kind.endpoint), 303)


def _gone(kind: Kind, error: AppError) -> Response:
    """The provider is not there (deleted meanwhile, or never was)."""
    if request.htmx:
        return show(kind, section(kind, notice=error.message, notice_error=True))
    flash(error.message, "error")
    return redirect(url_for(kind.endpoint), 303)


def _refused(kind: Kind, provider_id: int | None, error: AppError) -> Response:
    """The form again as sent, the error in it; nothing was changed."""
    form = sent_form(kind, request.form, _base_form(kind, provider_id), error=error.message,
                     error_field=field_of(kind, error), open=True)
    return show(kind, section(kind, (provider_id, form)), error.status)


def _tested(kind: Kind, provider_id: int | None, answer: Answer) -> Response:
    """htmx: the answer alone, for the form's answer slot; else the page with the answer in the form."""
    if request.htmx:
        return html(render_template("_provider_answer.html", answer=answer))
    form = sent_form(kind, request.form, _base_form(kind, provider_id), answer=answer,
                     open=answer.outcome == "refused")
    return show(kind, section(kind, (provider_id, form)), 400 if answer.outcome == "refused" else 200)


def _base_form(kind: Kind, provider_id: int | None) -> ProviderForm:
    """The form as saved: the provider's, or the empty add form (also once the provider is gone)."""
    if provider_id is not None:
        try:
            return saved_form(kind, kind.get(kind.current(), provider_id))
        except NotFound:
            pass
    return empty_form(kind)


def _answer_of(check: ProviderCheck) -> Answer:
    return Answer("passed" if check.passed else "failed", check.message)


# -- the handlers, for any kind -------------------------------------------------------


def _show_saved(kind: Kind) -> Response:
    return show(kind, section(kind))


def _create(kind: Kind) -> Response:
    try:
        settings = new_settings(kind, request.form)
        kind.create(kind.current(), settings, now_utc())
    except AppError as error:
        return _refused(kind, None, error)
    return _done(kind, f"Added the {kind.noun} “{settings.name}”")


def _test_new(kind: Kind) -> Response:
    try:
        answer = _answer_of(kind.test(kind.current(), new_settings(kind, request.form)))
    except AppError as error:
        answer = Answer("refused", error.message)
    return _tested(kind, None, answer)


def _update(kind: Kind, provider_id: int) -> Response:
    service = kind.current()
    try:
        kind.get(service, provider_id)  # an unknown id is gone, whatever the form says
        settings = kind.update(service, provider_id, changes(kind, request.form), now_utc())
    except NotFound as error:
        return _gone(kind, error)
    except AppError as error:
        return _refused(kind, provider_id, error)
    return _done(kind, f"Saved the {kind.noun} “{settings.name}”")


def _test_saved(kind: Kind, provider_id: int) -> Response:
    """Tries the saved provider with the form's values in place of the saved ones; saves nothing."""
    service = kind.current()
    try:
        kind.get(service, provider_id)
        answer = _answer_of(kind.test_saved(service, provider_id, changes(kind, request.form)))
    except NotFound as error:
        return _gone(kind, error)
    except AppError as error:
        answer = Answer("refused", error.message)
    return _tested(kind, provider_id, answer)


def _delete(kind: Kind, provider_id: int) -> Response:
    """Without ``confirm=yes`` (a plain form, no JavaScript): the confirmation page first."""
    service = kind.current()
    try:
        settings = kind.get(service, provider_id)
        if request.form.get("confirm") != "yes":
            return html(render_template("settings_delete_provider.html", kind=kind, settings=settings,
                                        action=request.path))
        kind.delete(service, provider_id)
    except AppError as error:
        return _gone(kind, error)
    return _done(kind, f"Deleted the {kind.noun} “{settings.name}”")


@bp.app_template_global()
def clock_time(moment: datetime, now: datetime) -> Markup:
    """``14:05 UTC`` as ``<time>`` (the date too when not today), the full time on hover."""
    text = absolute(moment)[11:16] if moment.date() == now.date() else absolute(moment)[:16]
    return Markup(f'<time datetime="{iso(moment)}" title="{absolute(moment)}">{text} UTC</time>')


def add_routes(kind: Kind, one: str) -> None:
    """The kind's routes, ``pages.create_indexer`` and so on; a provider's id is ``provider_id``."""
    listed, saved = f"/settings/{kind.slug}", f"/settings/{kind.slug}/<int(max={settings_page.MAX_ID}):provider_id>"
    routes: tuple[tuple[str, str, Callable[..., Response], str], ...] = (
        (listed, kind.slug.replace("-", "_"), _show_saved, "GET"),  # the page, or the section alone for htmx
        (listed, f"create_{one}", _create, "POST"),
        (f"{listed}/test", f"test_new_{one}", _test_new, "POST"),
        (saved, f"update_{one}", _update, "POST"),
        (f"{saved}/test", f"test_{one}", _test_saved, "POST"),
        (f"{saved}/delete", f"delete_{one}", _delete, "POST"),
    )
    for rule, endpoint, handler, method in routes:
        bp.add_url_rule(rule, endpoint, login_required(partial(handler, kind)), methods=[method])
