"""Availability (volunteers, on the phone) and auto-fill (the coordinator)."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from natteravn.accounts.models import Person, RoleKind
from natteravn.accounts.service import display_phone
from natteravn.clock import local
from natteravn.i18n import WEEKDAYS, Refusal
from natteravn.places import service as places
from natteravn.roster import terms
from natteravn.roster.autofill import asking, service
from natteravn.roster.autofill.forms import AcceptForm, AvailabilityForm, LockForm, RunForm, WeightsForm
from natteravn.roster.autofill.problem import Weights
from natteravn.shifts.models import Term
from natteravn.web import (
    choices,
    coordinated_regions,
    coordinator_required,
    coordinator_scope,
    db_session,
    links,
    now,
    onboarded_required,
    region_coordinator_required,
    show_refusal,
    written,
)

bp = Blueprint("autofill", __name__)


def _term_dates(term: Term) -> list[date]:
    return sorted({local(s.starts_at).date() for s in term.shifts if s.cancelled_at is None})


def _availability_form(term: Term, person: Person) -> AvailabilityForm:
    form = AvailabilityForm()
    days = _term_dates(term)
    weekdays = sorted({d.weekday() for d in days}) or [4, 5]
    form.weekdays.choices = choices((d, WEEKDAYS[d][1]) for d in weekdays)
    saved = service.availability_for(db_session(), person, term)
    # Dates still ahead, with their weekdays; one said before and passed since stays, as said.
    kept = {*saved.dates, *saved.blocked_dates} if saved else set()
    today = local(now()).date()
    date_choices = [(d.isoformat(), written(d, "weekday_date")) for d in days if d >= today or d.isoformat() in kept]
    form.blocked_dates.choices = date_choices
    form.dates.choices = date_choices
    most = service.most_nights_offered(term, person)
    form.max_nights.choices = choices((n, str(n)) for n in range(0, most + 1))
    others = [
        m
        for m in places.municipalities_in(db_session(), {term.region_id})
        if not m.archived and m.id != person.municipality_id
    ]
    form.municipality_ids.choices = choices((m.id, m.name) for m in others)
    if not person.holds(RoleKind.LEADER, term.region_id):
        del form.wants_to_lead
    if request.method == "GET":
        form.weekdays.data = saved.weekdays if saved else service.usual_weekdays(term)
        # The cap may have been lowered since: what was said is shown as no more than it allows.
        form.max_nights.data = min(saved.max_nights, most) if saved else term.cap
        form.blocked_dates.data = saved.blocked_dates if saved else []
        form.dates.data = saved.dates if saved else []
        form.municipality_ids.data = saved.municipality_ids if saved else []
        form.same_weekend_ok.data = saved.same_weekend_ok if saved else False
        form.partner_phone.data = display_phone(saved.partner_phone) if saved and saved.partner_phone else ""
        if "wants_to_lead" in form:
            form.wants_to_lead.data = saved.wants_to_lead if saved else True
    return form


def _save(form: AvailabilityForm, person: Person, term: Term) -> bool:
    db = db_session()
    given = service.AvailabilityInput(
        weekdays=form.weekdays.data or [],
        dates=[date.fromisoformat(d) for d in form.dates.data or []],
        blocked_dates=[date.fromisoformat(d) for d in form.blocked_dates.data or []],
        max_nights=form.max_nights.data,
        wants_to_lead=bool(form.wants_to_lead.data) if "wants_to_lead" in form else False,
        same_weekend_ok=form.same_weekend_ok.data,
        partner_phone=(form.partner_phone.data or "").strip() or None,
        municipality_ids=form.municipality_ids.data or [],
    )
    try:
        service.save_availability(db, person, term, given, now(), current_user)
    except Refusal as refusal:
        db.rollback()
        show_refusal(form, refusal)
        return False
    db.commit()
    return True


@bp.get("/availability")
@onboarded_required
def availabilities():
    """Where the nights and My nights pages send a volunteer: straight to the one term that is
    coming, or a choice between several."""
    coming = terms.open_terms(db_session(), current_user.municipality.region_id, local(now()).date())
    if len(coming) == 1:
        return redirect(url_for("autofill.availability", term_id=coming[0].id))
    return render_template("roster/autofill/terms.html", terms=coming)


@bp.route("/availability/<int:term_id>", methods=["GET", "POST"])
@onboarded_required
def availability(term_id: int):
    term = db_session().get(Term, term_id)
    if term is None or term.region_id != current_user.municipality.region_id:
        abort(404)
    form = _availability_form(term, current_user)
    if form.validate_on_submit() and _save(form, current_user, term):
        flash(_("Thank you. The coordinator uses this to put you on nights that suit you."), "success")
        return redirect(url_for("shifts.my_nights"))
    return _availability_page(form, term, current_user)


def _coordinated_term(term_id: int) -> Term:
    term = db_session().get(Term, term_id)
    if term is None or term.region_id not in coordinated_regions():
        abort(404)
    return term


@bp.route("/coordinator/terms/<int:term_id>/availability/<int:person_id>", methods=["GET", "POST"])
@coordinator_required
def availability_for_person(term_id: int, person_id: int):
    """What someone told the coordinator by phone or in person, filled in for them: by anyone
    coordinating the person's municipality."""
    term = db_session().get(Term, term_id)
    person = db_session().get(Person, person_id)
    if term is None or person is None or person.municipality is None:
        abort(404)
    if person.municipality.region_id != term.region_id or not coordinator_scope().covers(
        term.region_id, person.municipality_id
    ):
        abort(404)
    form = _availability_form(term, person)
    if form.validate_on_submit() and _save(form, person, term):
        flash(_("Saved when %(name)s can walk.", name=person.name or display_phone(person.phone)), "success")
        return redirect(url_for("roster.answers", term_id=term.id))
    return _availability_page(form, term, person)


def _availability_page(form, term: Term, person: Person):
    """The form, as asked for or as sent back refused (422: what was sent is not saved)."""
    status = 422 if request.method == "POST" else 200
    page = render_template(
        "roster/autofill/availability.html",
        form=form,
        term=term,
        person=person,
        most=service.most_nights_offered(term, person),
        answered=service.availability_for(db_session(), person, term) is not None,
    )
    return page, status


def _tally_in_words(tally: dict[str, int]) -> list[str]:
    """What the draft leaves unmet, in sentences a coordinator reads at a glance. A person on
    several nights or on both nights of a weekend is not among them: the draft never gives
    anyone more nights than they offered, nor two in a weekend unless they said they can (drafts
    made before may still count them, and are read without them)."""
    words = {
        # Each figure as `costs.tally` counts it: places still needed to reach the minimums, nights
        # without a leader or an experienced walker, places given against a wish.
        "short_walker": lambda n: ngettext(
            "%(num)d place still needed to reach a night's minimum",
            "%(num)d places still needed to reach the nights' minimums",
            n,
        ),
        "missing_leader": lambda n: ngettext("%(num)d night without a leader", "%(num)d nights without a leader", n),
        "other_municipality": lambda n: ngettext(
            "%(num)d place given to a walker outside their own municipality",
            "%(num)d places given to walkers outside their own municipality",
            n,
        ),
        "outside_class_weekend": lambda n: ngettext(
            "%(num)d place given to a parent outside their class's weekend",
            "%(num)d places given to parents outside their class's weekend",
            n,
        ),
        "no_experienced": lambda n: ngettext(
            "%(num)d night without an experienced walker", "%(num)d nights without an experienced walker", n
        ),
        "repeat_pair": lambda n: ngettext(
            "%(num)d pair walking together again", "%(num)d pairs walking together again", n
        ),
        "waitlist_slack": lambda n: ngettext(
            "%(num)d place filled on a night with a waitlist", "%(num)d places filled on nights with a waitlist", n
        ),
    }
    return [words[kind](count) for kind, count in tally.items() if kind in words and count]


def _places_for_people(places: int, people: int) -> str:
    """How much a draft proposes, in the same words in the flash and on the page: places, for so
    many people (one may be proposed for several nights)."""
    return _(
        "%(places)s proposed for %(people)s",
        places=ngettext("%(num)d place", "%(num)d places", places),
        people=ngettext("%(num)d person", "%(num)d people", people),
    )


def _short_in_words(short: dict) -> str:
    """Why a night stays short, as one sentence: what is missing, then what keeps away the
    people who said they can walk it, counted by what holds each of them."""
    missing = []
    if short["walkers_missing"]:
        missing.append(ngettext("%(num)d walker missing", "%(num)d walkers missing", short["walkers_missing"]))
    if short["leader_missing"]:
        missing.append(_("no group leader"))
    held = short.get("held", {})
    reasons = [_short_reason(reason, held.get(reason, 0)) for reason in short["reasons"]]
    return _("%(missing)s: %(reasons)s", missing=", ".join(missing), reasons="; ".join(reasons))


def _short_reason(reason: str, people: int) -> str:
    counted = {
        "leaders_at_their_most": lambda n: ngettext(
            "%(num)d leader who can walk that night already has all the nights they offered",
            "%(num)d leaders who can walk that night already have all the nights they offered",
            n,
        ),
        "leaders_on_that_weekend": lambda n: ngettext(
            "%(num)d leader who can walk that night is already on another night that weekend",
            "%(num)d leaders who can walk that night are already on another night that weekend",
            n,
        ),
        "leaders_not_fitting": lambda n: ngettext(
            "%(num)d leader who can walk that night could not be fitted in with the other rules"
            " (a partner to walk with, a full night)",
            "%(num)d leaders who can walk that night could not be fitted in with the other rules"
            " (a partner to walk with, a full night)",
            n,
        ),
        "volunteers_at_their_most": lambda n: ngettext(
            "%(num)d volunteer who can walk that night already has all the nights they offered or the term allows",
            "%(num)d volunteers who can walk that night already have all the nights they offered or the term allows",
            n,
        ),
        "volunteers_on_that_weekend": lambda n: ngettext(
            "%(num)d volunteer who can walk that night is already on another night that weekend",
            "%(num)d volunteers who can walk that night are already on another night that weekend",
            n,
        ),
        "volunteers_not_fitting": lambda n: ngettext(
            "%(num)d volunteer who can walk that night could not be fitted in with the other rules"
            " (a partner to walk with, a full night)",
            "%(num)d volunteers who can walk that night could not be fitted in with the other rules"
            " (a partner to walk with, a full night)",
            n,
        ),
    }
    if reason in counted and people:
        return counted[reason](people)
    plain = {
        "no_leader_available": _("nobody who can lead is free that night"),
        "too_few_volunteers": _("too few volunteers are free that night"),
        # Drafts made before the reasons were counted:
        "leaders_needed_elsewhere": _("the leaders free that night are needed on other nights"),
    }
    return plain.get(reason, _("the volunteers free that night are needed on other nights"))


@bp.get("/coordinator/terms/<int:term_id>/autofill")
@region_coordinator_required
def page(term_id: int):
    term = _coordinated_term(term_id)
    weights = service.weights_for(db_session(), term.region_id)
    return _autofill_page(term, WeightsForm(data=asdict(weights)))


def _autofill_page(term: Term, weights_form: WeightsForm) -> str:
    db = db_session()
    draft = service.latest_draft(db, term)
    review = service.review(db, term)
    return render_template(
        "roster/autofill/autofill.html",
        term=term,
        draft=draft,
        review=review,
        proposed=_places_for_people(review.places_proposed, review.people_proposed),
        nobody_has_said=None if service.anyone_has_said(db, term) else _(service.NOBODY_HAS_SAID),
        summary=service.availability_summary(db, term),
        answers=asking.answers(db, term),
        weights_form=weights_form,
        unmet=_tally_in_words(draft.tally) if draft else [],
        short_words={short["shift_id"]: _short_in_words(short) for short in draft.short} if draft else {},
        run_form=RunForm(),
        accept_form=AcceptForm(),
        lock_form=LockForm(),
    )


@bp.post("/coordinator/terms/<int:term_id>/autofill")
@region_coordinator_required
def run(term_id: int):
    term = _coordinated_term(term_id)
    if not RunForm().validate_on_submit():
        abort(400)
    db = db_session()
    try:
        draft = service.run_autofill(db, term, current_user, now(), current_app.config["AUTOFILL_SECONDS"])
    except Refusal as refusal:
        db.rollback()
        flash(refusal.translated(_), "error")
    else:
        db.commit()
        proposed = _places_for_people(
            len(draft.assignments), len({assignment.person_id for assignment in draft.assignments})
        )
        short = ngettext("%(num)d night still short", "%(num)d nights still short", len(draft.short))
        flash(_("Draft ready: %(proposed)s, %(short)s.", proposed=proposed, short=short), "success")
    return redirect(url_for("autofill.page", term_id=term.id))


@bp.post("/coordinator/terms/<int:term_id>/autofill/weights")
@region_coordinator_required
def weights(term_id: int):
    term = _coordinated_term(term_id)
    form = WeightsForm()
    if not form.validate_on_submit():
        return _autofill_page(term, form), 422  # every value as typed, the error beside the wrong one
    service.save_weights(db_session(), term.region_id, Weights(**{f.name: form[f.name].data for f in fields(Weights)}))
    db_session().commit()
    flash(_("Saved."), "success")
    return redirect(url_for("autofill.page", term_id=term.id))


@bp.post("/coordinator/terms/<int:term_id>/autofill/lock")
@region_coordinator_required
def lock(term_id: int):
    term = _coordinated_term(term_id)
    form = LockForm()
    if not form.validate_on_submit():
        abort(400)
    db = db_session()
    must = {"keep": True, "exclude": False, "free": None}[form.must.data]
    try:
        service.set_lock(db, term, form.shift_id.data, form.person_id.data, must)
    except Refusal as refusal:
        db.rollback()
        flash(refusal.translated(_), "error")
    else:
        db.commit()
    return redirect(url_for("autofill.page", term_id=term.id) + f"#night-{form.shift_id.data}")


@bp.post("/coordinator/terms/<int:term_id>/autofill/accept")
@region_coordinator_required
def accept(term_id: int):
    term = _coordinated_term(term_id)
    if not AcceptForm().validate_on_submit():
        abort(400)
    db = db_session()
    draft = service.latest_draft(db, term)
    if draft is None:  # accepted a moment ago: a second click, or Back and the button again
        flash(_("This draft has already been used."), "info")
        return redirect(url_for("autofill.page", term_id=term.id))
    result = service.accept_draft(db, draft, current_user, now(), links())
    db.commit()
    flash(
        ngettext("%(num)d place filled from the draft.", "%(num)d places filled from the draft.", result.made),
        "success",
    )
    if result.excluded:
        message = ngettext(
            "%(num)d proposal you excluded was not signed up.",
            "%(num)d proposals you excluded were not signed up.",
            result.excluded,
        )
        flash(message, "info")
    if result.partners_out:
        message = ngettext(
            "%(num)d partner of someone you excluded was not signed up either: partners walk together or not at all.",
            "%(num)d partners of people you excluded were not signed up either: partners walk together or not at all.",
            result.partners_out,
        )
        flash(message, "info")
    if result.skipped:
        message = ngettext(
            "%(num)d proposal no longer fitted (the night filled up or the person changed plans) and was left out.",
            "%(num)d proposals no longer fitted (the night filled up or the person changed plans) and were left out.",
            result.skipped,
        )
        flash(message, "info")
    return redirect(url_for("autofill.page", term_id=term.id))
