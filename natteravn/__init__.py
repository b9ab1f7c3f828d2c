"""Natteravn: rosters, SMS reminders and night reports for volunteer night walks."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("natteravn")


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    from natteravn import config as settings

    settings.load(app, config)

    from natteravn import db, extensions, health, web
    from natteravn.sms.gateway import make_gateway
    from natteravn.sms.mail import make_mailer

    # A failed statement's values (a login SMS's text, a phone number) stay out of errors and logs.
    engine = db.make_engine(app.config["DATABASE_URL"], hide_parameters=True)
    app.extensions["natteravn.engine"] = engine
    app.extensions["natteravn.sessions"] = db.make_session_factory(engine)
    app.extensions["natteravn.gateway"] = app.config.get("GATEWAY") or make_gateway(app.config)
    app.extensions["natteravn.mailer"] = app.config.get("MAILER") or make_mailer(app.config)
    _warn_if_not_sending(app)

    web.init_app(app)
    extensions.init_app(app)
    health.init_app(app)
    _register_blueprints(app)
    _wire_login()
    _wire_sms(app)
    _wire_channel_choice()
    _wire_audit(app)
    _wire_led_reports(app)
    _wire_own_answers(app)
    if app.config["SCHEDULER_IN_PROCESS"]:  # off in production: `natteravn scheduler` runs on its own
        from natteravn.scheduler import start_in_process

        start_in_process(app)
    return app


def _warn_if_not_sending(app: Flask) -> None:
    """The console gateway is the default so that nothing needs setting up to try the app; a server
    left on it must say so, or nobody notices that no parent gets a reminder."""
    if app.debug or app.testing:
        return
    gateway = app.extensions["natteravn.gateway"]
    if gateway.name == "console":
        shown = "as written" if gateway.reveal else "with numbers and codes masked"
        log.warning(
            "SMS_GATEWAY is 'console': no SMS is really sent, each goes to the log %s. "
            "Set NATTERAVN_SMS_GATEWAY=twilio (see README, Production) to send them.",
            shown,
        )
    if app.extensions["natteravn.mailer"].name == "console":
        log.warning(
            "SMTP_HOST is not set: no e-mail is really sent, each goes to the log. "
            "Set NATTERAVN_SMTP_HOST and NATTERAVN_SMTP_FROM (see README, Production) for people who choose e-mail."
        )


def _wire_sms(app: Flask) -> None:
    """What incoming SMS mean and who may receive them belong to the features; `sms` gets them here."""
    from natteravn.accounts import replies as account_replies
    from natteravn.accounts import service as accounts
    from natteravn.config import price_per_segment
    from natteravn.places import budget
    from natteravn.places import service as places
    from natteravn.shifts import replies as shift_replies
    from natteravn.sms import keywords
    from natteravn.sms.service import policy_from_config

    app.extensions["natteravn.sms_policy"] = policy_from_config(
        app.config,
        opted_out=accounts.opted_out_among,
        on_opted_out=accounts.opt_out_number,
        quiet_hours_of=places.quiet_hours_of,
        segments_left=partial(budget.segments_left, price=price_per_segment(app.config)),
    )
    app.extensions["natteravn.sms_senders"] = account_replies.sender
    app.extensions["natteravn.replies"] = {
        keywords.YES: shift_replies.reply_yes,
        keywords.NO: shift_replies.reply_no,
        keywords.STOP: account_replies.reply_stop,
        keywords.START: shift_replies.reply_start,
        keywords.HELP: account_replies.reply_help,
        keywords.UNKNOWN: shift_replies.reply_other,
    }


def _wire_channel_choice() -> None:
    """Messages waiting in the outbox are worded in the person's language and for the channel they
    go by; `accounts`, where both are chosen, may not import `shifts` and `roster`, where they are
    written, so it says so by a signal connected here."""
    from natteravn.accounts.service import wording_changed
    from natteravn.roster.autofill.asking import reword_requests
    from natteravn.roster.terms import reword_class_invitations, reword_published_rosters
    from natteravn.shifts.calls import reword_calls
    from natteravn.shifts.messages import reword_waiting

    wording_changed.connect(reword_waiting)
    wording_changed.connect(reword_calls)
    wording_changed.connect(reword_class_invitations)
    wording_changed.connect(reword_published_rosters)
    wording_changed.connect(reword_requests)


def _wire_led_reports(app: Flask) -> None:
    """My nights (`shifts`) says whether the report of each night a leader led has come; reports
    stand above `shifts`, so the page is given the question here."""
    from natteravn.reports.access import led_nights_reports

    app.extensions["natteravn.led_nights_reports"] = led_nights_reports


def _wire_own_answers(app: Flask) -> None:
    """My nights (`shifts`) shows what the person said about walking in the open terms, or asks
    for it; availability belongs to the roster, above `shifts`, so the page is given it here."""
    from natteravn.roster.autofill.service import own_answers

    app.extensions["natteravn.own_answers"] = own_answers


def _wire_login() -> None:
    from natteravn.accounts.models import Visitor
    from natteravn.accounts.service import load_session_person
    from natteravn.extensions import login_manager
    from natteravn.web import db_session

    login_manager.user_loader(lambda session_id: load_session_person(db_session(), session_id))
    login_manager.anonymous_user = Visitor


def _wire_audit(app: Flask) -> None:
    app.extensions["natteravn.audit"] = audit_vocabulary()


def audit_vocabulary():
    """What each feature's audit entries mean, for the audit log page."""
    from natteravn.audit.service import Vocabulary
    from natteravn.people import service as people
    from natteravn.places import breaks
    from natteravn.places import service as places
    from natteravn.privacy import service as privacy
    from natteravn.reports import access, council, logbook, retention, writing
    from natteravn.roster import broadcasts, terms
    from natteravn.roster import service as roster
    from natteravn.roster.autofill import asking
    from natteravn.roster.autofill import service as autofill
    from natteravn.shifts import service as shifts

    return Vocabulary.merged(
        places.AUDIT,
        breaks.AUDIT,
        shifts.AUDIT,
        roster.AUDIT,
        broadcasts.AUDIT,
        terms.AUDIT,
        autofill.AUDIT,
        asking.AUDIT,
        people.AUDIT,
        access.AUDIT,
        logbook.AUDIT,
        writing.AUDIT,
        retention.AUDIT,
        council.AUDIT,
        privacy.AUDIT,
    )


def _register_blueprints(app: Flask) -> None:
    from natteravn.accounts.views import bp as accounts
    from natteravn.admin.views import bp as admin
    from natteravn.audit.views import bp as audit
    from natteravn.people.views import bp as people
    from natteravn.places.views import bp as places
    from natteravn.privacy.views import bp as privacy
    from natteravn.reports.views import bp as reports
    from natteravn.roster.autofill.views import bp as autofill
    from natteravn.roster.views import bp as roster
    from natteravn.shifts.views import bp as shifts
    from natteravn.sms.views import bp as sms

    for blueprint in (accounts, places, sms, audit, shifts, roster, autofill, people, reports, privacy, admin):
        app.register_blueprint(blueprint)
