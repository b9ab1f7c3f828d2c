"""The `natteravn` command (also `flask natteravn …`)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from alembic import command as alembic
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext
from werkzeug.serving import run_simple

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

    _write_demo_config(Path(os.environ.get("NATTERAVN_INSTANCE_PATH") or ROOT / "instance"))
    app = create_app({"BASE_URL": f"http://127.0.0.1:{port}"})
    upgrade(app)
    with app.app_context():
        people = seed(app)
    click.echo("\nNatteravn demo: Solør (Grue, Åsnes, Våler).")
    click.echo(f"Open http://127.0.0.1:{port}/login and log in with one of these numbers;")
    click.echo("the one-time code is printed here in the console, as an SMS would be sent.\n")
    for role, (name, phone) in people.items():
        click.echo(f"  {role:<15} {name:<22} {phone}")
    click.echo("")
    if no_serve:
        return
    from natteravn.scheduler import start_in_process

    start_in_process(app)
    # Not app.run: under the `natteravn`/`flask` command line Flask ignores it.
    run_simple("127.0.0.1", port, app, use_reloader=False, threaded=True)


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


@cli.command("purge")
@with_appcontext
def purge() -> None:
    """Erase the free text of reports past their retention period (the scheduler does this too)."""
    from natteravn.db import transaction
    from natteravn.reports.retention import configured, purge_expired

    app = current_app
    with transaction(app.extensions["natteravn.sessions"]) as session:
        erased = purge_expired(session, app.config["CLOCK"](), **configured(app.config))
    click.echo(f"Erased the free text of {erased} reports.")


@cli.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Run the periodic jobs (SMS dispatch, expiry, purges) as a process of its own."""
    import logging

    from natteravn.scheduler import run_blocking

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    run_blocking(current_app)


sms_cli = AppGroup("sms", help="SMS gateway checks.")
cli.add_command(sms_cli)


@sms_cli.command("test")
@click.argument("number")
@click.option("--text", default="Natteravn: test message. No need to answer.", show_default=True)
@with_appcontext
def sms_test(number: str, text: str) -> None:
    """Send one SMS to NUMBER through the configured gateway and print the provider's answer."""
    from natteravn.accounts.service import InvalidPhone, normalise_phone
    from natteravn.sms.models import Purpose
    from natteravn.sms.service import enqueue, send_one

    try:
        phone = normalise_phone(number)
    except InvalidPhone as error:
        raise click.BadParameter(str(error), param_hint="NUMBER") from error
    factory, clock = current_app.extensions["natteravn.sessions"], current_app.config["CLOCK"]
    gateway = current_app.extensions["natteravn.gateway"]
    with factory() as session:
        message = enqueue(session, to=phone, body=text, purpose=Purpose.TEST, now=clock(), urgent=True)
        session.commit()
        send_one(session, gateway, message.id, clock(), policy=current_app.extensions["natteravn.sms_policy"])
        click.echo(
            f"gateway={gateway.name} to={phone} state={message.state} provider_id={message.provider_id or '-'} "
            f"segments={message.segments} encoding={message.encoding}"
        )
        if message.last_error:
            click.echo(f"error={message.last_error}")
            raise SystemExit(1)


def main() -> None:
    """The `natteravn` program: the same commands, each building the app from the configuration."""
    cli.main(prog_name="natteravn", obj=ScriptInfo(create_app=create_app))
