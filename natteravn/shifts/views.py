"""A parent's nights: the list, one night, signing up and off, giving a night to a stand-in, My
nights, offers, calendars."""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from natteravn.accounts.forms import ConfirmForm
from natteravn.accounts.models import RoleKind
from natteravn.accounts.service import person_for_calendar
from natteravn.clock import local
from natteravn.i18n import WEEKDAYS, Refusal, translations
from natteravn.places import service as places
from natteravn.places.models import Municipality, Registration
from natteravn.shifts import calls, joining, messages, service, standin
from natteravn.shifts.calendar import calendar_for, entry_for
from natteravn.shifts.forms import ANY_DAY, CancelForm, NightsForm, OfferForm, SignupForm
from natteravn.shifts.models import LIVE, InvitationOutcome, Signup, SignupRole, SignupState
from natteravn.web import LARGEST_NUMBER, choices, db_session, links, now, onboarded_required, safe_next, written

bp = Blueprint("shifts", __name__)


#: Weekends on one screenful of the list; "Later weekends" shows the next ones.
WEEKENDS_AT_ONCE = 2
#: Each filter's value when nothing is chosen.
NOT_CHOSEN = {"municipality": 0, "route": 0, "day": ANY_DAY, "without_leader": False}


@bp.get("/nights")
@onboarded_required
def nights():
    db = db_session()
    form = NightsForm(request.args)
    start = min(max(request.args.get("start", 0, type=int), 0), LARGEST_NUMBER)
    found = service.upcoming_nights(db, current_user, now(), _chosen(form), skip=start, weekends=WEEKENDS_AT_ONCE)
    _fill_night_choices(form, found)
    filters = {name: value for name, value in _filters(form).items() if value != NOT_CHOSEN[name]}
    return render_template(
        "shifts/nights.html",
        found=found,
        start=start,
        step=WEEKENDS_AT_ONCE,
        filters=filters,
        weekdays=dict(WEEKDAYS),
        can_lead=current_user.holds(RoleKind.LEADER, current_user.municipality.region_id),
        filter_form=form,
        form=SignupForm(),
        awaiting=current_user.awaiting_approval,
    )


def _fill_night_choices(form: NightsForm, found: service.Nights) -> None:
    form.municipality.choices = choices(
        ((m.id, m.name) for m in found.municipalities), first=(0, _("All municipalities"))
    )
    form.route.choices = choices(
        ((r.id, f"{r.name} ({r.municipality.name})") for r in found.routes), first=(0, _("All routes"))
    )
    # The days nights fall on, as the quick links offer them: not seven days for two.
    form.day.choices = choices(
        ((d, name) for d, name in WEEKDAYS if d in found.weekdays), first=(ANY_DAY, _("Any day"))
    )


def _chosen(form: NightsForm) -> service.NightsFilter:
    values = _filters(form)
    return service.NightsFilter(
        municipality_id=values["municipality"] or None,
        route_id=values["route"] or None,
        weekday=values["day"] if values["day"] != ANY_DAY else None,
        without_leader=values["without_leader"],
    )


def _filters(form: NightsForm) -> dict:
    """What the address asks for, as it goes in the list's links. A value that is no number counts
    as nothing chosen, and one that matches no night finds none: no error either way."""
    chosen: dict = {"without_leader": bool(form.without_leader.data)}
    for name in ("municipality", "route", "day"):
        value = form[name].data
        chosen[name] = value if isinstance(value, int) else NOT_CHOSEN[name]
    return chosen


@bp.get("/nights/<int:shift_id>")
@onboarded_required
def night(shift_id: int):
    db = db_session()
    found = service.night_for(db, current_user, shift_id, now())
    if found is None:
        abort(404)
    invitation = calls.invitation_to_answer(db, current_user, shift_id, now())
    return render_template(
        "shifts/night.html",
        night=found,
        invitation=invitation,
        standin_wanted=invitation is not None and calls.asks_for_standin(db, invitation),
        company=service.co_walkers(db, current_user, found.shift, now()),
        can_lead=current_user.holds(RoleKind.LEADER, found.shift.term.region_id),
        cutoff=service.cancel_until(found.mine) if found.mine else None,
        logbook_opens=service.logbook_opens_at(found.shift),
        leader_place_until=service.leader_place_until(found.shift),
        offer_url=links().offer(found.mine.id) if found.mine else None,
        queue_place=service.waitlist_place(db, found.mine)
        if found.mine and found.mine.state == SignupState.WAITLISTED
        else None,
        reminding=service.reminding(current_user, found.mine, now()) if found.mine else None,
        by_sms=messages.answers_by_sms(current_user),
        awaiting=current_user.awaiting_approval,
        form=SignupForm(),
        confirm=ConfirmForm(),
    )


@bp.post("/nights/<int:shift_id>/signup")
@onboarded_required
def signup(shift_id: int):
    form = SignupForm()
    if not form.validate_on_submit():
        flash(_("Choose to sign up as walker or as group leader."), "error")
        return redirect(url_for("shifts.night", shift_id=shift_id))
    db = db_session()
    try:
        joined = service.join(db, current_user, shift_id, SignupRole(form.role.data), now(), links())
    except Refusal as refusal:
        db.rollback()
        flash(refusal.translated(_), "error")
        return redirect(url_for("shifts.night", shift_id=shift_id))
    db.commit()
    made = joined.signup
    if made.state == SignupState.WAITLISTED and joined.kept_for_leader:
        until = written(service.leader_place_until(made.shift), "when")
        flash(
            _(
                "The last place is kept for a group leader until %(when)s. You are on the waitlist and get a message "
                "if the place is yours.",
                when=until,
            ),
            "info",
        )
    elif made.state == SignupState.WAITLISTED:
        flash(_("The night is full. You are on the waitlist and get a message if a place frees up."), "info")
    elif made.state == SignupState.OFFERED:
        flash(_("A place is offered to you. Answer the offer on this page to take it."), "info")
    else:
        flash(_("You are signed up. See you on the night!"), "success")
    return redirect(url_for("shifts.night", shift_id=shift_id))


@bp.post("/nights/<int:shift_id>/take")
@onboarded_required
def take_place(shift_id: int):
    """The night page's "Yes, I take the place": the web's JA to a call for walkers or a stand-in,
    for those who get their calls by e-mail. Only someone asked about the night may answer."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db = db_session()
    invitation = calls.invitation_to(db, current_user, shift_id)
    if invitation is None:
        abort(404)
    answer = calls.take_place(db, invitation, now(), links())
    db.commit()  # a refused or late answer is kept too, as by SMS: the invitation is answered
    taken = answer.outcome == InvitationOutcome.TAKEN and invitation.shift.cancelled_at is None
    flash(calls.answer_text(_, answer, invitation.shift, now()), "success" if taken else "error")
    return redirect(url_for("shifts.night", shift_id=shift_id))


@bp.route("/signups/<int:signup_id>/cancel", methods=["GET", "POST"])
@onboarded_required
def cancel(signup_id: int):
    """First a page that says what cancelling does; its button cancels."""
    db = db_session()
    try:
        cancelling = standin.what_cancelling_does(db, current_user, signup_id, now())
    except Refusal:
        abort(404)
    back = safe_next(url_for("shifts.night", shift_id=cancelling.signup.shift_id))
    form = CancelForm()
    if request.method == "GET":
        if cancelling.signup.state not in LIVE:
            return redirect(back)
        return render_template(
            "shifts/cancel.html",
            cancelling=cancelling,
            form=form,
            back=back,
            confirm=ConfirmForm(),
            by_sms=messages.answers_by_sms(current_user),
        )
    if not form.validate_on_submit():
        abort(400)
    try:
        standin.cancel_place(db, current_user, signup_id, now(), links())
    except Refusal as refusal:
        db.rollback()
        flash(refusal.translated(_), "error")
    else:
        db.commit()
        flash(_("You are no longer on this night."), "success")
    return redirect(back)


def _own_signup(signup_id: int) -> Signup:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    signup = db_session().get(Signup, signup_id)
    if signup is None or signup.person_id != current_user.id:
        abort(404)
    return signup


@bp.post("/signups/<int:signup_id>/confirm")
@onboarded_required
def confirm_place(signup_id: int):
    """The night page's "I'm coming": the web's JA, for those who get their reminders by e-mail."""
    return _on_own_signup(
        signup_id,
        lambda: service.confirm_place(db_session(), current_user, signup_id, now(), links()),
        _("Thank you! You are confirmed for this night. The group leader counts on you."),
    )


@bp.post("/signups/<int:signup_id>/standin")
@onboarded_required
def request_standin(signup_id: int):
    return _on_own_signup(
        signup_id,
        lambda: standin.request_standin(db_session(), current_user, signup_id, now(), links()),
        _("We are asking for a stand-in. You stay on the night until someone takes your place."),
    )


@bp.post("/signups/<int:signup_id>/keep")
@onboarded_required
def keep_place(signup_id: int):
    return _on_own_signup(
        signup_id,
        lambda: standin.keep_place(db_session(), current_user, signup_id, now()),
        _("Good. Your place is yours again."),
    )


def _on_own_signup(signup_id: int, act: Callable[[], object], done: str):
    """A tap on the night's page about one's own place: `act` done and `done` said, or its refusal
    said; back to the night either way."""
    shift_id = _own_signup(signup_id).shift_id
    db = db_session()
    try:
        act()
    except Refusal as refusal:
        db.rollback()
        flash(refusal.translated(_), "error")
    else:
        db.commit()
        flash(done, "success")
    return redirect(url_for("shifts.night", shift_id=shift_id))


@bp.get("/my")
@onboarded_required
def my_nights():
    db = db_session()
    upcoming, past = service.my_nights(db, current_user, now())
    walkers = service.co_walkers_on(db, current_user, (s.shift_id for s in upcoming), now())
    history = service.my_history(db, current_user, past, now())
    cutoffs = {s.id: service.cancel_until(s) for s in upcoming}
    return render_template(
        "shifts/my.html",
        upcoming=upcoming,
        past=past,
        walkers=walkers,
        history=history,
        cutoffs=cutoffs,
        by_sms=messages.answers_by_sms(current_user),
        logbook_opens={s.id: service.logbook_opens_at(s.shift) for s in upcoming},
        awaiting=current_user.awaiting_approval,
        reports=current_app.extensions["natteravn.led_nights_reports"](db, current_user.id),
        answers=current_app.extensions["natteravn.own_answers"](db, current_user, local(now()).date()),
        weekday_names=dict(WEEKDAYS),
    )


@bp.route("/offer/<token>", methods=["GET", "POST"])
def offer(token: str):
    """The link in the offer SMS. It works without logging in (the signed token is the key) and
    speaks the language of the person it was sent to."""
    signup_id = links().unsign("offer", token)
    db = db_session()
    signup = db.get(Signup, signup_id) if isinstance(signup_id, int) else None
    if signup is None:
        abort(404)
    with force_locale(signup.person.locale):
        form = OfferForm()
        if not form.validate_on_submit():
            return render_template("shifts/offer.html", signup=signup, form=form)
        try:
            if form.decline.data:
                service.decline_offer(db, signup.id, now(), links())
            else:
                service.confirm_offer(db, signup.id, now(), links())
        except Refusal as refusal:
            flash(refusal.translated(_), "error")
        else:
            flash(_("Thank you. Your answer is saved."), "success")
    db.commit()  # a refused offer has been passed on to the next on the list: keep that
    return redirect(url_for("shifts.offer", token=token))


def _ics(body: bytes, filename: str) -> Response:
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, max-age=300"},
    )


@bp.get("/nights/<int:shift_id>.ics")
@onboarded_required
def night_ics(shift_id: int):
    found = service.night_for(db_session(), current_user, shift_id, now())
    if found is None or found.mine is None:  # only one's own nights go in one's calendar
        abort(404)
    body = calendar_for([entry_for(found.mine)], current_user.id, links(), now(), "Natteravn", _)
    return _ics(body, f"natteravn-{shift_id}.ics")


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    db = db_session()
    person = person_for_calendar(db, token, links())
    if person is None:
        abort(404)
    gettext = translations(person.locale).gettext
    nights = [entry_for(s) for s in service.calendar_nights(db, person)]
    body = calendar_for(nights, person.id, links(), now(), gettext("Natteravn: my nights"), gettext)
    return _ics(body, "natteravn.ics")


def _public_municipality(region_slug: str, municipality_id: int) -> Municipality:
    municipality = places.public_municipality(db_session(), region_slug, municipality_id)
    if municipality is None:
        abort(404)
    return municipality


@bp.get("/join/<region_slug>/<int:municipality_id>")
def join(region_slug: str, municipality_id: int):
    """The public "Bli natteravn" page: what walking is, the coming nights and a way to sign up."""
    municipality = _public_municipality(region_slug, municipality_id)
    page = render_template(
        "shifts/join.html",
        municipality=municipality,
        nights=joining.coming_nights(db_session(), municipality, now()),
        address=links().join(region_slug, municipality.id),
        approval=municipality.region.registration == Registration.APPROVAL,
    )
    response = make_response(page)
    if not current_user.is_authenticated:  # logged in, a page is never kept (extensions._headers)
        # Kept briefly by the visitor's own browser only: the page carries their session's form token.
        response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/join/<region_slug>/<int:municipality_id>/qr.svg")
def join_qr(region_slug: str, municipality_id: int):
    municipality = _public_municipality(region_slug, municipality_id)
    drawing = joining.qr_code_svg(links().join(region_slug, municipality.id), f"Natteravn {municipality.name}")
    # The same for everyone, and it changes only if the site's address does.
    return Response(drawing, mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})
