"""Twilio's webhooks (status callbacks and incoming SMS) and the coordinator's outbox page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from natteravn.db import as_id
from natteravn.extensions import csrf
from natteravn.sms import inbound, notes
from natteravn.sms.forms import PURPOSE_NAMES, STATE_NAMES, OutboxFilter
from natteravn.sms.outbox import (
    LOGIN_CODE_DAYS,
    budgets,
    cost_total,
    held_until,
    login_codes_per_day,
    monthly_costs,
    outbox_page,
)
from natteravn.sms.segments import GSM_BASIC, GSM_EXTENDED, TextCost, cost_of
from natteravn.web import (
    coordinated_regions,
    coordinator_required,
    coordinator_scope,
    db_session,
    links,
    now,
    page_number,
    sms_price,
)

bp = Blueprint("sms", __name__)


@bp.app_template_global()
def sms_cost(text: str) -> TextCost:
    """What a text costs as an SMS, for the pages that count as one types."""
    return cost_of(text)


@bp.app_template_global()
def gsm_alphabet() -> str:
    """The characters an SMS carries at 160 a message, for the counter in the browser."""
    return "".join(sorted(GSM_BASIC))


@bp.app_template_global()
def gsm_extended() -> str:
    """Those that count twice."""
    return "".join(sorted(GSM_EXTENDED))


def _signed_by_twilio() -> bool:
    """Twilio signs each webhook with the account's auth token over the URL it called (the one we
    gave it, under BASE_URL) and the form. Without a token nothing can be checked, so nothing is let in."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not (token and signature):
        return False
    url = current_app.config["BASE_URL"].rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode()
    return RequestValidator(token).validate(url, request.form, signature)


@bp.post("/sms/status")
@csrf.exempt
def status():
    if not _signed_by_twilio():
        abort(403)
    db = db_session()
    error_code = request.form.get("ErrorCode", "")
    known = inbound.record_status(
        db,
        sid=request.form.get("MessageSid", ""),
        status=request.form.get("MessageStatus", ""),
        error_code=as_id(error_code),
        reference=request.args.get("ref"),
        now=now(),
        policy=current_app.extensions["natteravn.sms_policy"],
    )
    if not known:
        abort(404)
    db.commit()
    return "", 204


@bp.post("/sms/inbound")
@csrf.exempt
def incoming():
    if not _signed_by_twilio():
        abort(403)
    sid, sender = request.form.get("MessageSid", ""), request.form.get("From", "")
    if not (sid and sender):
        abort(400)
    db = db_session()
    answer = inbound.receive(
        db,
        sid=sid,
        sender=sender,
        body=request.form.get("Body", ""),
        now=now(),
        links=links(),
        handlers=current_app.extensions["natteravn.replies"],
        identify=current_app.extensions["natteravn.sms_senders"],
    )
    db.commit()
    twiml = MessagingResponse()
    if answer:
        twiml.message(answer)
    return str(twiml), 200, {"Content-Type": "application/xml; charset=utf-8"}


@bp.get("/coordinator/outbox")
@coordinator_required
def outbox():
    form = OutboxFilter(request.args)
    form.validate()
    db, scope = db_session(), coordinator_scope()
    page = outbox_page(
        db,
        scope,
        page_number(),
        state=None if form.state.errors else form.state.data or None,
        purpose=None if form.purpose.errors else form.purpose.data or None,
    )
    costs = monthly_costs(db, scope, now(), price=sms_price())
    return render_template(
        "sms/outbox.html",
        title=_("SMS outbox"),
        form=form,
        page=page,
        filters={"state": form.state.data or "", "purpose": form.purpose.data or ""},
        # Translated once for the page, not once for each of its fifty messages.
        states={state: str(name) for state, name in STATE_NAMES.items()},
        purposes={purpose: str(name) for purpose, name in PURPOSE_NAMES.items()},
        note=lambda stored: notes.shown(stored, _),
        login_codes=login_codes_per_day(db, scope, now()),
        login_code_days=LOGIN_CODE_DAYS,
        costs=costs,
        cost_total=cost_total(costs),
        budgets=budgets(db, scope, now(), price=sms_price()),
        region_wide=coordinated_regions(),
        price=sms_price(),
        held=held_until(db, [message for message, _person in page.items], now()),
    )
