"""The command line: ``python -m webapp serve | seed-demo | create-user | api-key | db``."""
from __future__ import annotations

import sys

import click
from flask import Flask

from . import create_app, migrate
from .bootstrap import bootstrap
from .clock import now_utc
from .errors import AppError
from .runtime import runtime_of


def _ready_app() -> Flask:
    app = create_app()
    bootstrap(app)
    return app


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Cinephage Tasks: scheduled-task monitor, Tasks API and dashboard."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=3000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes  [default: the number of cores]")
def serve(host: str, port: int, workers: int | None) -> None:
    """Run the production server with the scheduler."""
    from . import server

    server.run(_ready_app(), host, port, workers or server.default_workers())


@cli.command("seed-demo")
@click.option("--items", default=500, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--no-providers", is_flag=True, help="Seed the library only, without the offline demo providers.")
def seed_demo(items: int, no_providers: bool) -> None:
    """Fill the database with a demo library of about N media items, and set up the offline demo providers."""
    from .demo.history import RETENTION_DAYS, seed_old_runs
    from .demo.providers import seed_demo_providers
    from .library.demo import seed_demo as seed

    app = _ready_app()
    runtime = runtime_of(app)
    counts = seed(runtime.db, items, now_utc(), runtime.library.root())  # its files: placeholders in the library
    click.echo("demo library: " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    old = seed_old_runs(runtime.db, now_utc())
    if old:
        click.echo(f"demo history: {old} runs older than {RETENTION_DAYS} days, for History Cleanup to delete")
    if not no_providers:
        done = seed_demo_providers(runtime.providers, app.config["DATA_DIR"], now_utc())
        click.echo("demo providers: " + ("; ".join(done) or "already set up"))


@cli.command("import")
@click.argument("path")
@click.option("--move", is_flag=True, help="Move the files into the library instead of hard-linking them (or copying).")
def import_files(path: str, move: bool) -> None:
    """Import the video files under PATH into the library, and queue them for Subtitle Search on Import."""
    from .library.importing import ImportOptions
    from .library.files import HARDLINK, MOVE

    runtime = runtime_of(_ready_app())
    options = ImportOptions(mode=MOVE if move else HARDLINK)
    report = runtime.library.import_path(path, now_utc(), options)
    click.echo(f"{report.summary()} (library: {runtime.library.root()})")
    for done in report.imported:
        replaced = ", replacing a worse file" if done.replaced else ""
        click.echo(f"  imported  {', '.join(done.titles)} ({done.quality}, {done.mode}{replaced}): {done.destination}")
    for passed in report.skipped:
        click.echo(f"  skipped   {passed.path}: {passed.reason}")
    for passed in report.unmatched:
        click.echo(f"  unmatched {passed.path}: {passed.reason}")


@cli.command("create-user")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(name: str, password_stdin: bool) -> None:
    """Create a dashboard user."""
    from .auth import users

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    app = _ready_app()
    users.create_user(runtime_of(app).db, name, password, now_utc())
    click.echo(f"created user {name}")


@cli.group("api-key")
def api_key() -> None:
    """Manage API keys."""


@api_key.command("create")
@click.argument("name")
def api_key_create(name: str) -> None:
    """Create a key and print it (this is the only time it is shown)."""
    from .auth import api_keys

    key = api_keys.create_key(runtime_of(_ready_app()).db, name, now_utc())
    click.echo(key)


@api_key.command("list")
def api_key_list() -> None:
    """List keys by name and prefix."""
    from .auth import api_keys

    for key in api_keys.list_keys(runtime_of(_ready_app()).db):
        state = "revoked" if key.revoked_at else "active"
        used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never"
        click.echo(f"{key.prefix}…\t{key.name}\t{state}\tlast used {used}")


@api_key.command("revoke")
@click.argument("prefix")
def api_key_revoke(prefix: str) -> None:
    """Revoke the key with this prefix."""
    from .auth import api_keys

    api_keys.revoke_key(runtime_of(_ready_app()).db, prefix, now_utc())
    click.echo(f"revoked {prefix}")


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply schema migrations."""
    app = create_app()
    runtime = runtime_of(app)
    revision = migrate.upgrade(runtime.db, app.config["DATA_DIR"])
    click.echo(f"upgraded to {revision}" if revision else f"already at {migrate.head_revision()}")


def main() -> None:
    try:
        cli.main(prog_name="python -m webapp")
    except AppError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
