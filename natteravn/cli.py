"""The `natteravn` command (also `flask natteravn …`)."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from pathlib import Path

import click
from alembic import command as alembic
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext
from sqlalchemy.exc import DBAPIError
from werkzeug.serving import run_simple

from natteravn import ROOT, create_app
from natteravn.health import SCHEMA_MISSING, schema_missing

log = logging.getLogger("natteravn.cli")


class Commands(AppGroup):
    """Any command run against a database without the schema says what to do, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DBAPIError as error:
            if not schema_missing(error):
                raise
            raise click.ClickException(SCHEMA_MISSING) from error


cli = Commands("natteravn", help="Natteravn: rosters, SMS reminders and night reports.")
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
    from natteravn.sms.gateway import ConsoleGateway

    if not no_serve:
        _check_port_free(port)  # before the login table, which would scroll the refusal out of sight
    _write_demo_config(Path(os.environ.get("NATTERAVN_INSTANCE_PATH") or ROOT / "instance"))
    # The codes are shown in the console on purpose: that is how people log in to the demo.
    app = create_app({"BASE_URL": f"http://127.0.0.1:{port}", "GATEWAY": ConsoleGateway(reveal=True)})
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


def _check_port_free(port: int) -> None:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise click.ClickException(
                f"Port {port} is in use ({error.strerror}). Stop what runs there, or pick another port: "
                f"make demo PORT={port + 1}"
            ) from error


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
@click.option("--once", is_flag=True, help="Run each job once, print how it went, exit non-zero if any failed.")
@with_appcontext
def scheduler(once: bool) -> None:
    """Run the periodic jobs (SMS dispatch, expiry, purges) as a process of its own, until SIGTERM or
    SIGINT: then it finishes the SMS in flight and hands back the ones it had claimed."""
    from natteravn import scheduler as jobs

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # Twilio's client logs each request's headers (and a lookup's phone number) at INFO, and
    # APScheduler two lines per run: the jobs log what matters themselves.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    app = current_app  # the jobs get plain things taken from it (jobs.context_from), never the proxy itself
    _check_schema(app)
    context = jobs.context_from(app)
    if not once:
        jobs.run_until_stopped(context)
        return
    outcomes = jobs.run_once(context)
    for job in jobs.jobs(context):
        if job.id not in outcomes:
            click.echo(f"{job.id} not run: stopping")
        elif outcomes[job.id] is None:
            click.echo(f"{job.id} ok")
        else:
            click.echo(f"{job.id} failed: {outcomes[job.id]}")
    if any(outcomes.values()):
        raise SystemExit(1)


def _check_schema(app: Flask) -> None:
    """Refuse to start on a database without the schema; a database that is down may come back."""
    from natteravn.health import describe, read_heartbeats

    try:
        with app.extensions["natteravn.sessions"]() as session:
            read_heartbeats(session)
    except DBAPIError as error:
        if schema_missing(error):
            raise
        log.warning("The database cannot be read yet: %s", describe(error))


sms_cli = AppGroup("sms", help="SMS gateway checks.")
cli.add_command(sms_cli)


@sms_cli.command("test")
@click.argument("number")
@click.option("--text", default="Natteravn: test message. No need to answer.", show_default=True)
@click.option("--queue", is_flag=True, help="Put it in the outbox for `natteravn scheduler` to send, due now.")
@with_appcontext
def sms_test(number: str, text: str, queue: bool) -> None:
    """Send one SMS to NUMBER through the configured gateway and print the provider's answer
    (with --queue: leave the sending to the scheduler, to test the whole path)."""
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
        if queue:
            every = current_app.config["SCHEDULER_DISPATCH_SECONDS"]
            click.echo(f"queued id={message.id} to={phone} state={message.state} due=now")
            click.echo(
                f"`natteravn scheduler` sends it within {every} s. Watch it with `natteravn sms status {message.id}`."
            )
            return
        send_one(session, gateway, message.id, clock(), policy=current_app.extensions["natteravn.sms_policy"])
        click.echo(
            f"gateway={gateway.name} to={phone} state={message.state} provider_id={message.provider_id or '-'} "
            f"segments={message.segments} encoding={message.encoding}"
        )
        if message.last_error:
            click.echo(f"error={message.last_error}")
            raise SystemExit(1)


@sms_cli.command("status")
@click.argument("message_id", type=int)
@with_appcontext
def sms_status(message_id: int) -> None:
    """Where the outbox message MESSAGE_ID is: state, tries, the provider's id, the last error."""
    from natteravn.sms.models import SmsMessage

    with current_app.extensions["natteravn.sessions"]() as session:
        message = session.get(SmsMessage, message_id)
    if message is None:
        raise click.ClickException(f"No SMS with id {message_id} in the outbox.")
    sent_at = message.sent_at.isoformat() if message.sent_at else "-"
    click.echo(
        f"id={message.id} to={message.to} purpose={message.purpose} state={message.state} "
        f"attempts={message.attempts} provider_id={message.provider_id or '-'} sent_at={sent_at}"
    )
    if message.last_error:
        click.echo(f"error={message.last_error}")


def main() -> None:
    """The `natteravn` program: the same commands, each building the app from the configuration."""
    cli.main(prog_name="natteravn", obj=ScriptInfo(create_app=create_app))
