"""The `natteravn` command (also `flask natteravn …`)."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import click
from alembic import command as alembic
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from werkzeug.serving import run_simple

from natteravn import ROOT, create_app
from natteravn.health import SCHEMA_MISSING, schema_missing
from natteravn.i18n import LOCALES, translations
from natteravn.links import Links

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
    from natteravn.sms.mail import ConsoleMailer

    if not no_serve:
        _check_port_free(port)  # before the login table, which would scroll the refusal out of sight
    _write_demo_config(Path(os.environ.get("NATTERAVN_INSTANCE_PATH") or ROOT / "instance"))
    # The codes are shown in the console on purpose, e-mailed ones too: that is how people log in to the demo.
    app = create_app(
        {
            "BASE_URL": f"http://127.0.0.1:{port}",
            "GATEWAY": ConsoleGateway(reveal=True),
            "MAILER": ConsoleMailer(reveal=True),
        }
    )
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


reports_cli = AppGroup("reports", help="Night reports: the check for what may identify someone.")
cli.add_command(reports_cli)


@reports_cli.command("check-text", with_appcontext=False)
@click.option("--language", type=click.Choice(LOCALES), default=LOCALES[0], show_default=True)
def reports_check_text(language: str) -> None:
    """Read a text on standard input and print what the report check flags in it. Exits 1 when
    anything is flagged, 0 when the text is clean: for trying out a report's wording."""
    from natteravn.reports import redaction

    found = redaction.flags(sys.stdin.read())
    gettext = translations(language).gettext
    for flag in found:
        click.echo(f"{gettext(redaction.FLAG_LABELS[flag.kind])}: «{flag.text}»")
    if found:
        raise SystemExit(1)
    click.echo(gettext("Nothing flagged."))


@reports_cli.command("scan")
@click.option("--region", "slug", help="Only this region's reports (its slug).")
@with_appcontext
def reports_scan(slug: str | None) -> None:
    """Check the stored reports again with today's rules and mark what an older check missed."""
    from natteravn.db import transaction
    from natteravn.places.service import region_by_slug
    from natteravn.reports.redaction import rescan

    with transaction(current_app.extensions["natteravn.sessions"]) as session:
        region = region_by_slug(session, slug) if slug else None
        if slug and region is None:
            raise click.BadParameter(f"no region has the slug {slug!r}", param_hint="--region")
        scan = rescan(session, region.id if region else None)
    click.echo(f"Checked {scan.checked} reports: {scan.flagged} flagged, {len(scan.newly_flagged)} newly.")
    for report_id in scan.newly_flagged:
        click.echo(f"  newly flagged: report {report_id}")


sms_cli = AppGroup("sms", help="SMS gateway checks.")
cli.add_command(sms_cli)
email_cli = AppGroup("email", help="Mail server checks.")
cli.add_command(email_cli)

TEST_TEXT = "Natteravn: test message. No need to answer."
QUEUE_HELP = "Put it in the outbox for `natteravn scheduler` to send, due now."


@sms_cli.command("test")
@click.argument("number")
@click.option("--text", default=TEST_TEXT, show_default=True)
@click.option("--queue", is_flag=True, help=QUEUE_HELP)
@with_appcontext
def sms_test(number: str, text: str, queue: bool) -> None:
    """Send one SMS to NUMBER through the configured gateway and print the provider's answer
    (with --queue: leave the sending to the scheduler, to test the whole path)."""
    from natteravn.accounts.service import InvalidPhone, normalise_phone

    try:
        phone = normalise_phone(number)
    except InvalidPhone as error:
        raise click.BadParameter(str(error), param_hint="NUMBER") from error
    _send_test(phone, None, text, queue)


@email_cli.command("test")
@click.argument("address")
@click.option("--text", default=TEST_TEXT, show_default=True)
@click.option("--queue", is_flag=True, help=QUEUE_HELP)
@with_appcontext
def email_test(address: str, text: str, queue: bool) -> None:
    """Send one e-mail to ADDRESS through the configured mail server and print its answer
    (with --queue: leave the sending to the scheduler, to test the whole path)."""
    from natteravn.accounts.service import EmailRefused, normalise_email

    try:
        email = normalise_email(address)
    except EmailRefused as error:
        raise click.BadParameter(str(error), param_hint="ADDRESS") from error
    _send_test("", email, text, queue)


def _send_test(phone: str, email: str | None, text: str, queue: bool) -> None:
    """A test message to `phone`, or by e-mail to `email`, through the outbox as any message goes."""
    from natteravn.sms.models import Purpose
    from natteravn.sms.service import enqueue, send_one

    factory, clock = current_app.extensions["natteravn.sessions"], current_app.config["CLOCK"]
    gateway, mailer = current_app.extensions["natteravn.gateway"], current_app.extensions["natteravn.mailer"]
    with factory() as session:
        message = enqueue(session, to=phone, email=email, body=text, purpose=Purpose.TEST, now=clock())
        session.commit()
        if queue:
            every = current_app.config["SCHEDULER_DISPATCH_SECONDS"]
            click.echo(f"queued id={message.id} to={email or phone} state={message.state} due=now")
            click.echo(
                f"`natteravn scheduler` sends it within {every} s. Watch it with `natteravn sms status {message.id}`."
            )
            return
        policy = current_app.extensions["natteravn.sms_policy"]
        send_one(session, gateway, message.id, clock(), policy=policy, mailer=mailer)
        if email:
            through, size = f"mailer={mailer.name} to={email}", ""
        else:
            through, size = (
                f"gateway={gateway.name} to={phone}",
                f" segments={message.segments} encoding={message.encoding}",
            )
        click.echo(f"{through} state={message.state} provider_id={message.provider_id or '-'}{size}")
        if message.last_error:
            click.echo(f"error={message.last_error}")
            raise SystemExit(1)


@sms_cli.command("status")
@click.argument("message_id", type=int)
@with_appcontext
def sms_status(message_id: int) -> None:
    """Where the outbox message MESSAGE_ID (an SMS or an e-mail) is: state, tries, the provider's
    id, the last error."""
    from natteravn.sms.models import SmsMessage

    with current_app.extensions["natteravn.sessions"]() as session:
        message = session.get(SmsMessage, message_id)
    if message is None:
        raise click.ClickException(f"No SMS with id {message_id} in the outbox.")
    sent_at = message.sent_at.isoformat() if message.sent_at else "-"
    click.echo(
        f"id={message.id} to={message.email or message.to} purpose={message.purpose} state={message.state} "
        f"attempts={message.attempts} provider_id={message.provider_id or '-'} sent_at={sent_at}"
    )
    if message.last_error:
        click.echo(f"error={message.last_error}")


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
    from natteravn.places.service import RenameNeeded, SeveralMunicipalities, set_up_region

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
        except SeveralMunicipalities as refusal:
            *first, last = refusal.names
            given = f"{', '.join(first)} and {last} are {len(refusal.names)} municipalities"
            raise click.BadParameter(
                f"Give each municipality its own --municipality: {given}.", param_hint="--municipality"
            ) from refusal
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


def _links() -> Links:
    """The links a command's messages carry: the site's address, as the web pages' own."""
    return Links(current_app.config["BASE_URL"], current_app.config["SECRET_KEY"])


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
        change = grant_coordinator(session, person, region, place, None, now, links=_links())
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


@cli.command("login-code")
@click.option("--phone", required=True, help="Their mobile number.")
@with_appcontext
def login_code(phone: str) -> None:
    """A login code to pass on to someone whose SMS do not reach them: before an SMS gateway is set
    up (the console gateway masks codes), or a phone that receives none. It replaces the code the
    login page sent them, so run it once they have asked for one there."""
    from natteravn.people.service import code_by_hand

    ttl = current_app.config["OTP_TTL_MINUTES"]

    def make(session: Session, now: datetime) -> list[str]:
        person, code = code_by_hand(session, phone, now, secret=current_app.config["SECRET_KEY"], ttl_minutes=ttl)
        return [
            f"Login code for {_who(person)}: {code}",
            f"It works for {ttl} minutes on the page that asks for the code; a code asked for after it replaces it.",
        ]

    _change(make)


def main() -> None:
    """The `natteravn` program: the same commands, each building the app from the configuration."""
    cli.main(prog_name="natteravn", obj=ScriptInfo(create_app=create_app))
