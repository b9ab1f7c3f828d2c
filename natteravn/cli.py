"""The `natteravn` command (also `flask natteravn …`)."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from alembic import command as alembic
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from natteravn import ROOT, create_app

cli = AppGroup("natteravn", help="Natteravn: rosters, SMS reminders and night reports.")
db_cli = AppGroup("db", help="Database migrations.")
cli.add_command(db_cli)


def alembic_config(app: Flask) -> Config:
    config = Config(str(ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", app.config["DATABASE_URL"].replace("%", "%%"))
    return config


def upgrade(app: Flask) -> None:
    alembic.upgrade(alembic_config(app), "head")


@db_cli.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Bring the database to the newest schema."""
    upgrade(current_app)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    alembic.revision(alembic_config(current_app), message=message, autogenerate=True)


@cli.command(with_appcontext=False)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Set up and seed, but do not start the server.")
def demo(port: int, no_serve: bool) -> None:
    """Set up a demo region in instance/ (SQLite) and serve it on http://127.0.0.1:PORT."""
    from natteravn.demo import seed

    _write_demo_config(ROOT / "instance")
    app = create_app({"BASE_URL": f"http://127.0.0.1:{port}"})
    upgrade(app)
    with app.app_context():
        people = seed(app)
    click.echo("\nNatteravn demo: Solør (Grue, Åsnes, Våler).")
    click.echo(f"Open http://127.0.0.1:{port}/login and log in with one of these numbers;")
    click.echo("the one-time code is printed here in the console, as an SMS would be sent.\n")
    for role, (name, phone) in people.items():
        click.echo(f"  {role:<13} {name:<22} {phone}")
    click.echo("")
    if no_serve:
        return
    from natteravn.scheduler import start_in_process

    start_in_process(app)
    app.run(host="127.0.0.1", port=port, debug=False, use_reloader=False)


def _write_demo_config(instance: Path) -> None:
    """A local config with its own secret, so the demo never runs on a known key."""
    instance.mkdir(exist_ok=True)
    path = instance / "config.py"
    if path.exists():
        return
    path.write_text(
        "# Written by `natteravn demo` for a local run over plain http.\n"
        f"SECRET_KEY = {secrets.token_urlsafe(48)!r}\n"
        "SESSION_COOKIE_SECURE = False\n"
        "REMEMBER_COOKIE_SECURE = False\n",
        encoding="utf-8",
    )


def main() -> None:
    group = FlaskGroup(name="natteravn", create_app=create_app, add_default_commands=False, add_version_option=False)
    for name, command in cli.commands.items():
        group.add_command(command, name)
    group.help = cli.help
    group.main(prog_name="natteravn")


def init_app(app: Flask) -> None:
    app.cli.add_command(cli)
