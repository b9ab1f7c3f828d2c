"""The `natteravn` command (also `flask natteravn …`)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import click
from alembic import command as alembic
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext
from sqlalchemy.orm import Session
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


# --- Setting up regions, coordinators and administrators: each command can run again and then
# changes nothing; each change is in the audit log, made by "the system". ---

#: The option each kind of refused input came from, where its name differs.
OPTION_OF = {"municipalities": "--municipality"}


def _change(make: Callable[[Session, datetime], list[str]]) -> None:
    """Run one setup in one transaction and print a line per thing done or found; a refusal
    changes nothing and exits non-zero, naming the option it is about."""
    from natteravn.db import transaction
    from natteravn.i18n import Refusal

    app = current_app
    try:
        with transaction(app.extensions["natteravn.sessions"]) as session:
            lines = make(session, app.config["CLOCK"]())
    except Refusal as refusal:
        if refusal.field:
            option = OPTION_OF.get(refusal.field, f"--{refusal.field}")
            raise click.BadParameter(str(refusal), param_hint=option) from refusal
        raise click.ClickException(str(refusal)) from refusal
    for line in lines:
        click.echo(line)


def _nothing_changed(lines: list[str], changed: bool) -> list[str]:
    return lines if changed else [*lines, "Nothing changed."]


region_cli = AppGroup("region", help="Regions and their municipalities.")
cli.add_command(region_cli)


@region_cli.command("create")
@click.option("--slug", required=True, help="Short name: lowercase letters, digits and hyphens (solor, nord-odal).")
@click.option("--name", required=True, help="The region's name as people read it.")
@click.option("--municipality", "municipalities", multiple=True, help="A municipality of the region; repeat for more.")
@click.option("--timezone", default=None, help="For a new region; default Europe/Oslo.")
@click.option("--rename", is_flag=True, help="Give an existing region this name.")
@with_appcontext
def region_create(slug: str, name: str, municipalities: tuple[str, ...], timezone: str | None, rename: bool) -> None:
    """Create a region and its municipalities, or add the municipalities it lacks."""
    from natteravn.places.service import RenameNeeded, set_up_region

    def make(session: Session, now: datetime) -> list[str]:
        try:
            setup = set_up_region(
                session,
                slug=slug,
                name=name,
                municipalities=list(municipalities),
                timezone=timezone,
                rename=rename,
                actor=None,
                now=now,
            )
        except RenameNeeded as refusal:
            raise click.BadParameter(f"{refusal} Add --rename to call it {name}.", param_hint="--name") from refusal
        region = setup.region
        if setup.created:
            lines = [f"Created region {region.slug}: {region.name} (time zone {region.timezone})."]
        elif setup.renamed_from is not None:
            lines = [f"Renamed region {region.slug} from {setup.renamed_from} to {region.name}."]
        else:
            lines = [f"Region {region.slug} already exists: {region.name} (time zone {region.timezone})."]
        lines += [f"Added municipality {added} to {region.slug}." for added in setup.added]
        lines += [f"Municipality {found} is already in {region.slug}." for found in setup.found]
        return _nothing_changed(lines, setup.created or setup.renamed_from is not None or bool(setup.added))

    _change(make)


coordinator_cli = AppGroup("coordinator", help="Who coordinates a region, or one of its municipalities.")
cli.add_command(coordinator_cli)


def _coordinator_place(session: Session, slug: str, municipality: str | None):
    from natteravn.places.service import named_municipality, named_region

    region = named_region(session, slug)
    return region, named_municipality(region, municipality) if municipality is not None else None


def _who(person) -> str:
    return f"{person.name or '(no name yet)'} ({person.phone})"


@coordinator_cli.command("grant")
@click.option("--region", "slug", required=True, help="The region's short name.")
@click.option("--phone", required=True, help="Their mobile number.")
@click.option("--name", default="", help="Their name; needed when the number is new.")
@click.option("--municipality", default=None, help="Only this municipality of the region.")
@with_appcontext
def coordinator_grant(slug: str, phone: str, name: str, municipality: str | None) -> None:
    """Make someone coordinator of a region (registering their number if new)."""
    from natteravn.people.service import RoleChange, grant_coordinator, register

    def make(session: Session, now: datetime) -> list[str]:
        region, place = _coordinator_place(session, slug, municipality)
        person, new = register(session, phone, name, None, now)
        change = grant_coordinator(session, person, region, place, None, now)
        where = f"{place.name} in {region.name}" if place else f"the whole of {region.name}"
        lines = [
            f"Registered {_who(person)}; they answer the first-time questions when they first log in."
            if new
            else f"Found {_who(person)}."
        ]
        lines.append(
            {
                RoleChange.GRANTED: f"{_who(person)} is now coordinator of {where}.",
                RoleChange.HELD: f"{_who(person)} is already coordinator of {where}.",
                RoleChange.COVERED: f"{_who(person)} already coordinates the whole of {region.name}.",
            }[change]
        )
        return _nothing_changed(lines, new or change == RoleChange.GRANTED)

    _change(make)


@coordinator_cli.command("revoke")
@click.option("--region", "slug", required=True, help="The region's short name.")
@click.option("--phone", required=True, help="Their mobile number.")
@click.option("--municipality", default=None, help="The municipality they coordinate alone.")
@with_appcontext
def coordinator_revoke(slug: str, phone: str, municipality: str | None) -> None:
    """Take away someone's coordinator role for a region, or for one municipality of it."""
    from natteravn.people.service import RoleChange, registered, revoke_coordinator

    def make(session: Session, now: datetime) -> list[str]:
        region, place = _coordinator_place(session, slug, municipality)
        person = registered(session, phone)
        change = revoke_coordinator(session, person, region, place, None, now)
        where = f"{place.name} in {region.name}" if place else f"the whole of {region.name}"
        if change == RoleChange.REVOKED:
            return [f"{_who(person)} is no longer coordinator of {where}."]
        return _nothing_changed([f"{_who(person)} is not coordinator of {where}."], False)

    _change(make)


admin_cli = AppGroup("admin", help="National administrators: they set up regions and their coordinators.")
cli.add_command(admin_cli)


@admin_cli.command("grant")
@click.option("--phone", required=True, help="Their mobile number.")
@click.option("--name", default="", help="Their name; needed when the number is new.")
@with_appcontext
def admin_grant(phone: str, name: str) -> None:
    """Make someone administrator (registering their number if new)."""
    from natteravn.people.service import RoleChange, grant_admin, register

    def make(session: Session, now: datetime) -> list[str]:
        person, new = register(session, phone, name, None, now)
        change = grant_admin(session, person, None, now)
        lines = [f"Registered {_who(person)}." if new else f"Found {_who(person)}."]
        lines.append(
            f"{_who(person)} is now administrator."
            if change == RoleChange.GRANTED
            else f"{_who(person)} is already administrator."
        )
        return _nothing_changed(lines, new or change == RoleChange.GRANTED)

    _change(make)


@admin_cli.command("revoke")
@click.option("--phone", required=True, help="Their mobile number.")
@with_appcontext
def admin_revoke(phone: str) -> None:
    """Take away someone's administrator role."""
    from natteravn.people.service import RoleChange, registered, revoke_admin

    def make(session: Session, now: datetime) -> list[str]:
        person = registered(session, phone)
        if revoke_admin(session, person, None, now) == RoleChange.REVOKED:
            return [f"{_who(person)} is no longer administrator."]
        return _nothing_changed([f"{_who(person)} is not administrator."], False)

    _change(make)


def main() -> None:
    """The `natteravn` program: the same commands, each building the app from the configuration."""
    cli.main(prog_name="natteravn", obj=ScriptInfo(create_app=create_app))
