"""Cinephage Tasks: the app factory."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from htmx_flask import Htmx

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Builds the app. Nothing starts here: ``serve`` starts the scheduler and the server."""
    app = Flask(
        __name__, instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
    )
    from . import config
    from .parsing import JSONProvider, refuse_nul_in_path

    app.config.update(config.load(app.instance_path))
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.json = JSONProvider(app)  # deeply nested JSON is a 400, never a RecursionError
    app.url_value_preprocessor(refuse_nul_in_path)
    # ``/api/tasks//history`` is no route (a 404 in the API's JSON), not a redirect to another one.
    app.url_map.merge_slashes = False
    app.json.sort_keys = False  # keep the documented field order
    if test_config:
        app.config.update(test_config)

    from . import auth, db, errors_http, health, logs, pages, security, stream
    from .api import bp as api_bp
    from .demo import bp as demo_bp
    from .demo.downloads import finish_demo_grabs
    from .engine.context import ContextSettings
    from .engine.events import EventBroker
    from .engine.scheduler import Engine, EngineSettings
    from .runtime import Runtime
    from .services.completed import FIRST_ROUND_SECONDS, CompletedDownloads, CompletedDownloadWatcher
    from .services.configured import ConfiguredProviders
    from .tasks import build_registry

    logs.init_app(app)
    database = db.init_app(app)
    broker = EventBroker(database, poll_seconds=app.config["EVENT_POLL_SECONDS"])
    registry = build_registry(ConfiguredProviders(database))  # the stored providers, read as each run starts
    settings = EngineSettings(
        workers=app.config["ENGINE_WORKERS"], lease_seconds=app.config["LEASE_SECONDS"],
        heartbeat_seconds=app.config["HEARTBEAT_SECONDS"], reap_seconds=app.config["REAP_SECONDS"],
        context=ContextSettings(item_delay_seconds=app.config["ITEM_DELAY_SECONDS"]),
    )
    engine = Engine(database, registry, broker, settings)
    runtime = Runtime(database, registry, broker, engine, Path(app.config["DATA_DIR"]))
    app.extensions["cinephage.runtime"] = runtime
    # Completed-download handling runs while the engine does; the demo's stand-in for a client
    # watching its blackhole finishes the Demo Blackhole's grabs before each round.
    completed = CompletedDownloads(database, runtime.library, prepare=finish_demo_grabs)
    poll = app.config["DOWNLOADS_POLL_SECONDS"]
    engine.attach(CompletedDownloadWatcher(completed, interval=poll, first_round=min(poll, FIRST_ROUND_SECONDS)))

    Htmx(app)  # request.htmx: the htmx request headers, parsed
    security.init_app(app)
    auth.init_app(app)
    errors_http.init_app(app)
    app.register_blueprint(health.bp)
    # The API guard checks CSRF itself, only for requests authenticated by the session cookie.
    auth.csrf.exempt(api_bp)
    auth.csrf.exempt(stream.bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(stream.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(demo_bp)  # the demo indexer's feed: it checks its ``apikey`` itself
    return app
