"""The coordinator's pages: dashboard, terms and their nights, the roster grid, one night's
people, publishing and exports. Every object is looked up within the coordinator's regions;
anything else is 404."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime, get_locale, ngettext, pgettext
from flask_babel import gettext as _
from flask_login import current_user

from natteravn.accounts.forms import ConfirmForm
from natteravn.accounts.models import Person
from natteravn.clock import local, night_span, weekend_of
from natteravn.db import as_id
from natteravn.i18n import Refusal
from natteravn.people import service as people
from natteravn.places import breaks, budget
from natteravn.places import service as places
from natteravn.places.models import Municipality, Region, SchoolBreak
from natteravn.roster import broadcasts, first_steps, grid, terms
from natteravn.roster import service as roster
from natteravn.roster.autofill import asking
from natteravn.roster.forms import (
    NOT_COPIED,
    AddNightForm,
    AssignForm,
    BreakForm,
    CancelNightForm,
    CancelNightsForm,
    ClassWeekendForm,
    CopyTermForm,
    GridFilter,
    MessageForm,
    MovePersonForm,
    NightForm,
    PatternForm,
    SearchForm,
    SignupForm,
    TermForm,
    parse_dates,
)
from natteravn.roster.models import NightPattern
from natteravn.shifts.models import ClassWeekend, Shift, Signup, SignupRole, SignupState, Term
from natteravn.web import (
    Form,
    choices,
    coordinated_regions,
    coordinator_required,
    coordinator_scope,
    db_session,
    links,
    now,
    region_coordinator_required,
    show_refusal,
    sms_price,
    written,
)

bp = Blueprint("roster", __name__, url_prefix="/coordinator")


# --- Looking things up within what the coordinator coordinates. ---


def _term(term_id: int) -> Term:
    """A term to plan: the coordinator must run its whole region."""
    term = db_session().get(Term, term_id)
    if term is None or term.region_id not in coordinated_regions():
        abort(404)
    return term


def _term_in_scope(term_id: int) -> Term:
    """A term whose nights the coordinator has some of (its grid and exports show only those)."""
    term = db_session().get(Term, term_id)
    if term is None or term.region_id not in coordinator_scope().touched:
        abort(404)
    return term


def _night(shift_id: int) -> Shift:
    shift = db_session().get(Shift, shift_id)
    if shift is None or not coordinator_scope().covers(shift.term.region_id, shift.route.municipality_id):
        abort(404)
    return shift


def _signup_on(shift: Shift, signup_id: str | None) -> Signup:
    wanted = as_id(signup_id)
    signup = db_session().get(Signup, wanted) if wanted else None
    if signup is None or signup.shift_id != shift.id:
        abort(404)
    return signup


def _refused(form, refusal: Refusal) -> None:
    """Roll back and show why beside the field it concerns, or above the form."""
    db_session().rollback()
    show_refusal(form, refusal)


def _done(refusal: Refusal | None, success: str) -> None:
    """Commit and say so, or roll back and say why not."""
    db = db_session()
    if refusal is None:
        db.commit()
        flash(success, "success")
    else:
        db.rollback()
        flash(refusal.translated(_), "error")


def _warn_if_leaderless(gone: Signup, refusal: Refusal | None) -> None:
    if refusal is None and roster.left_without_leader(db_session(), gone):
        shift = gone.shift
        day = written(shift.starts_at, "day")
        flash(_("%(route)s, %(day)s, now has no group leader.", route=shift.route.name, day=day), "error")


def _zone(term: Term) -> ZoneInfo:
    return ZoneInfo(term.region.timezone)


def _cell_words() -> dict:
    """A night's state in words, translated once per page rather than once per night."""
    return {
        "states": {
            grid.CellState.CANCELLED: pgettext("a night called off", "Cancelled"),
            grid.CellState.EMPTY: _("Empty"),
            grid.CellState.SHORT: _("Short"),
            grid.CellState.NO_LEADER: _("No leader"),
            grid.CellState.FULL: _("Full"),
            grid.CellState.OK: _("OK"),
        },
        "fill": _("%(taken)d of min %(min)d / max %(max)d"),
        "leader_yes": _("Leader: yes"),
        "leader_none": _("Leader: none"),
        "waiting": _("%(num)d waiting"),
        "answers": _("%(confirmed)d confirmed, %(unanswered)d not answered"),
        "opted_out": _("%(num)d opted out of SMS"),
        "unreachable": _("%(num)d not reached by SMS"),
        "contacts": {
            grid.Contact.CONFIRMED: _("Confirmed (answered JA)"),
            grid.Contact.NOT_ANSWERED: _("Not answered"),
            grid.Contact.OFFERED: _("Offered the place from the waitlist, not taken yet"),
            grid.Contact.OPTED_OUT: _("Opted out (STOP): gets no SMS"),
            grid.Contact.UNREACHABLE: _("Not reached: the last SMS failed"),
        },
    }


def _starts(shifts: list[Shift], tz: ZoneInfo) -> dict[datetime, str]:
    """Each distinct start as the page shows it; a region's nights share a few dozen starts."""
    return {moment: format_datetime(local(moment, tz), "EEE d.M. HH:mm") for moment in {s.starts_at for s in shifts}}


# --- Dashboard and terms. ---


@bp.get("")
@coordinator_required
def dashboard():
    db = db_session()
    scope = coordinator_scope()
    return render_template(
        "roster/dashboard.html",
        board=grid.dashboard(db, scope, now()),
        waiting=people.count_waiting(db, scope),
        terms=terms.terms_of(db, scope.touched)[:5],
        region_wide=scope.regions,
        states=grid.CellState,
        words=_cell_words(),
        budgets=budget.budget_uses(db, scope.touched, now(), price=sms_price()),
        first_steps=first_steps.first_steps(db, scope.regions),
    )


@bp.get("/terms", endpoint="terms")
@coordinator_required
def term_list():
    scope = coordinator_scope()
    found = terms.terms_of(db_session(), scope.touched)
    return render_template("roster/terms.html", terms=found, region_wide=scope.regions)


def _term_form(term: Term | None = None) -> TermForm:
    regions = places.regions_of(db_session(), coordinated_regions())
    form = TermForm(obj=term) if term is not None else TermForm()
    form.region_id.choices = choices((r.id, r.name) for r in regions)
    if term is not None:
        del form.region_id
        if request.method == "GET":
            tz = _zone(term)
            form.signup_opens_at.data = local(term.signup_opens_at, tz).replace(tzinfo=None)
            closes = term.signup_closes_at
            form.signup_closes_at.data = local(closes, tz).replace(tzinfo=None) if closes else None
    return form


def _overlaps(term: Term) -> list[Term]:
    return terms.overlapping_terms(db_session(), term.region_id, term.starts_on, term.ends_on, keep=term)


def _warn_of_overlaps(term: Term) -> None:
    for other in _overlaps(term):
        first, last = written(other.starts_on, "date"), written(other.ends_on, "date")
        flash(
            _("The dates overlap the term %(term)s (%(first)s–%(last)s).", term=other.name, first=first, last=last),
            "error",
        )


def _term_input(form: TermForm, tz: ZoneInfo) -> terms.TermInput:
    closes = form.signup_closes_at.data
    return terms.TermInput(
        name=form.name.data,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        signup_opens_at=form.signup_opens_at.data.replace(tzinfo=tz),
        signup_closes_at=closes.replace(tzinfo=tz) if closes else None,
        nights_cap=form.nights_cap.data,
    )


@bp.route("/terms/new", methods=["GET", "POST"])
@region_coordinator_required
def new_term():
    form = _term_form()
    if form.validate_on_submit():
        db = db_session()
        region = db.get(Region, form.region_id.data)
        try:
            term = terms.create_term(db, region, _term_input(form, ZoneInfo(region.timezone)), now(), current_user)
        except Refusal as refusal:
            _refused(form, refusal)
        else:
            db.commit()
            flash(_("Term created. Now add its nights."), "success")
            _warn_of_overlaps(term)
            return redirect(url_for("roster.term", term_id=term.id))
    return render_template("roster/term_form.html", form=form, term=None), 422 if form.errors else 200


@bp.route("/terms/<int:term_id>/edit", methods=["GET", "POST"])
@region_coordinator_required
def edit_term(term_id: int):
    term = _term(term_id)
    form = _term_form(term)
    if form.validate_on_submit():
        db = db_session()
        try:
            removed = terms.update_term(db, term, _term_input(form, _zone(term)), now(), current_user)
        except Refusal as refusal:
            _refused(form, refusal)
        else:
            db.commit()
            saved = _("Saved.")
            if removed:
                saved += " " + ngettext(
                    "%(num)d night outside the new dates, with nobody on it, is taken off the term.",
                    "%(num)d nights outside the new dates, with nobody on them, are taken off the term.",
                    removed,
                )
            flash(saved, "success")
            _warn_of_overlaps(term)
            return redirect(url_for("roster.term", term_id=term.id))
    return render_template("roster/term_form.html", form=form, term=term), 422 if form.errors else 200


def _pattern_form(term: Term, pattern: NightPattern | None = None) -> PatternForm:
    form = PatternForm(prefix=f"p{pattern.id}" if pattern else "new")
    form.term_days = (term.starts_on, term.ends_on)
    form.route_ids.choices = choices(
        (r.id, f"{r.municipality.name}: {r.name}") for r in terms.region_routes(db_session(), term.region_id)
    )
    if request.method == "GET" and pattern is not None:
        form.weekdays.data = pattern.weekdays
        form.starts_local.data, form.ends_local.data = pattern.starts_local, pattern.ends_local
        form.route_ids.data = pattern.route_ids
        form.min_walkers.data, form.max_walkers.data = pattern.min_walkers, pattern.max_walkers
        form.needs_leader.data = pattern.needs_leader
        form.skip_holidays.data, form.skip_breaks.data = pattern.skip_holidays, pattern.skip_breaks
        form.skip_dates.data = "\n".join(datetime.fromisoformat(d).strftime("%d.%m.%Y") for d in pattern.skip_dates)
    elif request.method == "GET":
        form.route_ids.data = [choice.value for choice in form.route_ids.choices]
    return form


def _class_weekend_form(term: Term) -> ClassWeekendForm:
    form = ClassWeekendForm()
    form.school_class_id.choices = choices((c.id, c.label) for c in terms.region_classes(db_session(), term.region_id))
    in_breaks = terms.weekend_breaks(db_session(), term)
    holidays = terms.weekend_holidays(term, str(get_locale()))
    form.weekend_on.choices = choices(
        (friday.isoformat(), _weekend_label(friday, in_breaks.get(friday, []), holidays.get(friday, {})))
        for friday in terms.term_weekends(term)
    )
    return form


def _weekend_label(friday: date, in_breaks: list[SchoolBreak], holidays: dict[date, str]) -> str:
    """ "Weekend of 26.3.2027 – fre. 26.3.: Langfredag; Påskeferie: Grue, Våler": a weekend with a
    public holiday or a school break on its nights says which, and a break says whose."""
    weekend = _("Weekend of %(date)s", date=written(friday, "date"))
    by_name: dict[str, list[str]] = {}
    for school_break in in_breaks:
        by_name.setdefault(school_break.name, []).append(school_break.municipality.name)
    days_off = [f"{written(day, 'short_day')}: {name}" for day, name in sorted(holidays.items())]
    days_off += [f"{name}: {', '.join(sorted(places))}" for name, places in by_name.items()]
    return f"{weekend} – {'; '.join(days_off)}" if days_off else weekend


def _break_form(term: Term, *, fresh: bool = False) -> BreakForm:
    """The form for a school break; `fresh`: empty again after one was added, not as it was sent."""
    # Prefixed: beside (or within) a term's own form, whose fields have the same names.
    form = BreakForm(prefix="break", formdata=None) if fresh else BreakForm(prefix="break")
    form.municipality_ids.choices = choices((m.id, m.name) for m in term.region.municipalities if not m.archived)
    if fresh or request.method == "GET":
        form.municipality_ids.data = [choice.value for choice in form.municipality_ids.choices]
    return form


def _break_added(term: Term, form: BreakForm) -> bool:
    """Add the school break the form gives, take out the empty nights the term's patterns now leave
    out, commit and say so; or say on the form why not."""
    if not form.validate_on_submit():
        return False
    db = db_session()
    given = breaks.BreakInput(form.name.data, form.first_day.data, form.last_day.data, form.municipality_ids.data or [])
    try:
        breaks.add_break(db, term.region_id, given, now(), current_user)
        refitted = terms.refit_term(db, term, now())
    except Refusal as refusal:
        _refused(form, refusal)
        return False
    db.commit()
    flash(_("The break is added."), "success")
    _flash_left_out(refitted)
    return True


def _flash_left_out(refitted: terms.Refitted) -> None:
    """What became of the nights that patterns now leave out."""
    if refitted.removed:
        flash(
            ngettext(
                "%(num)d night nobody was on is removed: its pattern now leaves it out.",
                "%(num)d nights nobody was on are removed: their patterns now leave them out.",
                refitted.removed,
            ),
            "success",
        )
    if refitted.left_out_kept:
        flash(
            ngettext(
                "%(num)d night its pattern now leaves out has people on it and stays: cancel it on its own page, "
                "and they are told.",
                "%(num)d nights their patterns now leave out have people on them and stay: cancel each on its own "
                "page, and they are told.",
                refitted.left_out_kept,
            ),
            "info",
        )


def _render_term(
    term: Term,
    new_pattern: PatternForm | None = None,
    break_form: BreakForm | None = None,
    night_form: AddNightForm | None = None,
    status: int = 200,
    edited: tuple[NightPattern, PatternForm] | None = None,
    refused: Form | None = None,
):
    """The term's page; `edited`: a pattern's form as sent and refused, shown open with its
    errors; `refused`: the form whose errors are summed up at the top of the page."""
    db = db_session()
    patterns = [
        (p, edited[1] if edited and edited[0].id == p.id else _pattern_form(term, p))
        for p in terms.patterns_of(db, term)
    ]
    return render_template(
        "roster/term.html",
        term=term,
        patterns=patterns,
        new_pattern=new_pattern or _pattern_form(term),
        night_form=night_form or _add_night_form(term),
        days_off=terms.term_days_off(db, term, str(get_locale())),
        break_form=break_form or _break_form(term),
        class_weekends=terms.class_weekends_of(db, term),
        class_form=_class_weekend_form(term),
        button=ConfirmForm(),
        municipalities=grid.term_municipalities(db, term, coordinator_scope()),
        nights=len(term.shifts),
        before_reminder=terms.before_day_reminder(term),
        overlapping=_overlaps(term),
        refused=refused,
    ), status


@bp.get("/terms/<int:term_id>")
@region_coordinator_required
def term(term_id: int):
    return _render_term(_term(term_id))


def _pattern_input(form: PatternForm) -> terms.PatternInput:
    return terms.PatternInput(
        weekdays=form.weekdays.data or [],
        starts_local=form.starts_local.data,
        ends_local=form.ends_local.data,
        route_ids=form.route_ids.data or [],
        min_walkers=form.min_walkers.data,
        max_walkers=form.max_walkers.data,
        needs_leader=form.needs_leader.data,
        skip_dates=parse_dates(form.skip_dates.data, form.term_days),
        skip_holidays=form.skip_holidays.data,
        skip_breaks=form.skip_breaks.data,
    )


def _pattern_refused(term: Term, form: PatternForm, pattern: NightPattern | None):
    """The term's page with the pattern as typed, open, its errors beside its fields and summed up
    at the top: a pattern folded away looks saved."""
    if pattern is None:
        return _render_term(term, new_pattern=form, refused=form, status=422)
    return _render_term(term, edited=(pattern, form), refused=form, status=422)


def _save_and_generate(term: Term, form: PatternForm, pattern: NightPattern | None):
    if not form.validate_on_submit():
        return _pattern_refused(term, form, pattern)
    db = db_session()
    try:
        saved = terms.save_pattern(db, term, _pattern_input(form), now(), current_user, pattern)
        refitted = terms.refit_nights(db, saved, now()) if pattern is not None else None
        made = terms.generate_nights(db, term, saved, now(), current_user)
    except Refusal as refusal:
        _refused(form, refusal)
        return _pattern_refused(term, form, pattern)
    db.commit()
    flash(
        ngettext("%(num)d night made.", "%(num)d nights made.", len(made.made))
        + " "
        + _(
            "%(there)d were there already; %(skipped)d left out for holidays and school breaks.",
            there=made.already_there,
            skipped=made.skipped,
        ),
        "success",
    )
    if refitted and refitted.changed:
        flash(
            ngettext(
                "%(num)d night nobody is on has the pattern's new times and numbers.",
                "%(num)d nights nobody is on have the pattern's new times and numbers.",
                refitted.changed,
            ),
            "success",
        )
    if refitted:
        _flash_left_out(refitted)
    if refitted and refitted.kept:
        flash(
            ngettext(
                "%(num)d night with people on it keeps its times: change it on its own page, and they are told.",
                "%(num)d nights with people on them keep their times: change each on its own page, and they are told.",
                refitted.kept,
            ),
            "info",
        )
    for other, there in made.in_other_terms.items():
        flash(
            ngettext(
                "%(num)d of the nights there already belongs to the term %(term)s, not to this one.",
                "%(num)d of the nights there already belong to the term %(term)s, not to this one.",
                there,
                term=other,
            ),
            "error",
        )
    return redirect(url_for("roster.term", term_id=term.id))


@bp.post("/terms/<int:term_id>/patterns")
@region_coordinator_required
def add_pattern(term_id: int):
    term = _term(term_id)
    return _save_and_generate(term, _pattern_form(term), None)


def _pattern(term: Term, pattern_id: int) -> NightPattern:
    pattern = db_session().get(NightPattern, pattern_id)
    if pattern is None or pattern.term_id != term.id:
        abort(404)
    return pattern


@bp.post("/terms/<int:term_id>/patterns/<int:pattern_id>")
@region_coordinator_required
def edit_pattern(term_id: int, pattern_id: int):
    term = _term(term_id)
    pattern = _pattern(term, pattern_id)
    return _save_and_generate(term, _pattern_form(term, pattern), pattern)


def _add_night_form(term: Term) -> AddNightForm:
    form = AddNightForm(prefix="night")
    form.route_id.choices = choices(
        ((r.id, f"{r.municipality.name}: {r.name}") for r in terms.region_routes(db_session(), term.region_id)),
        first=("", _("Choose a route…")),
    )
    return form


@bp.post("/terms/<int:term_id>/nights")
@region_coordinator_required
def add_night(term_id: int):
    """One night beside the patterns: a peak night, or a day no pattern covers."""
    term = _term(term_id)
    form = _add_night_form(term)
    if not form.validate_on_submit():
        return _render_term(term, night_form=form, status=422)
    new = roster.NewNight(
        route_id=form.route_id.data,
        day=form.day.data,
        starts_local=form.starts_local.data,
        ends_local=form.ends_local.data,
        min_walkers=form.min_walkers.data,
        max_walkers=form.max_walkers.data,
        needs_leader=form.needs_leader.data,
        note=form.note.data or "",
    )
    db = db_session()
    try:
        night = roster.add_night(db, term, new, now(), current_user)
    except Refusal as refusal:
        _refused(form, refusal)
        return _render_term(term, night_form=form, status=422)
    db.commit()
    flash(_("The night is added."), "success")
    return redirect(url_for("roster.night", shift_id=night.id))


@bp.route("/terms/<int:term_id>/patterns/<int:pattern_id>/delete", methods=["GET", "POST"])
@region_coordinator_required
def delete_pattern(term_id: int, pattern_id: int):
    """A page that says what deleting the pattern takes, then deletes it."""
    term = _term(term_id)
    pattern = _pattern(term, pattern_id)
    form = ConfirmForm()
    if request.method == "GET":
        found = terms.pattern_deletion(db_session(), pattern)
        return render_template("roster/delete_pattern.html", term=term, pattern=pattern, found=found, form=form)
    if not form.validate_on_submit():
        abort(400)
    gone = terms.delete_pattern(db_session(), pattern, now(), current_user)
    done = _("The pattern is deleted.")
    if gone.removed:
        done += " " + ngettext(
            "The %(num)d night it made that nobody was on is gone too.",
            "The %(num)d nights it made that nobody was on are gone too.",
            gone.removed,
        )
    if gone.kept:
        done += " " + ngettext(
            "%(num)d night it made has people on it and stays in the term.",
            "%(num)d nights it made have people on them and stay in the term.",
            gone.kept,
        )
    _done(None, done)
    return redirect(url_for("roster.term", term_id=term.id))


@bp.route("/terms/<int:term_id>/delete", methods=["GET", "POST"])
@region_coordinator_required
def delete_term(term_id: int):
    """A page that says what deleting a draft term takes, then deletes it; a published term is refused."""
    term = _term(term_id)
    form = ConfirmForm()
    db, name = db_session(), term.name
    if request.method == "POST" and not form.validate_on_submit():
        abort(400)
    try:
        if request.method == "GET":
            found = terms.term_deletion(db, term)
        else:
            found = terms.delete_term(db, term, now(), current_user)
    except Refusal as refusal:
        _done(refusal, "")
        return redirect(url_for("roster.term", term_id=term_id))
    if request.method == "GET":
        return render_template("roster/delete_term.html", term=term, found=found, form=form)
    _done(
        None,
        ngettext(
            "%(name)s is deleted, with its %(num)d night.",
            "%(name)s is deleted, with its %(num)d nights.",
            found.nights,
            name=name,
        ),
    )
    return redirect(url_for("roster.terms"))


@bp.post("/terms/<int:term_id>/breaks")
@region_coordinator_required
def add_break(term_id: int):
    term = _term(term_id)
    form = _break_form(term)
    if not _break_added(term, form):
        return _render_term(term, break_form=form, status=422)
    return redirect(url_for("roster.term", term_id=term.id) + "#days-off")


@bp.post("/terms/<int:term_id>/breaks/<int:break_id>/delete")
@region_coordinator_required
def remove_break(term_id: int, break_id: int):
    term = _term(term_id)
    school_break = db_session().get(SchoolBreak, break_id)
    if school_break is None or school_break.municipality.region_id != term.region_id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    breaks.remove_break(db_session(), school_break, now(), current_user)
    _done(None, _("The break is removed."))
    return redirect(url_for("roster.term", term_id=term.id) + "#days-off")


def _copy_form(source: Term) -> CopyTermForm:
    """The new term as sent, or as suggested on first sight."""
    tz = _zone(source)
    form = CopyTermForm()
    del form.region_id
    form.nights_beside.choices = [(night.id, "") for night in terms.nights_beside_patterns(db_session(), source)]
    if request.method == "GET":
        suggested = terms.suggested_copy(db_session(), source)
        form.process(
            data={**vars(suggested), "signup_opens_at": local(suggested.signup_opens_at, tz).replace(tzinfo=None)}
        )
        if suggested.signup_closes_at:
            form.signup_closes_at.data = local(suggested.signup_closes_at, tz).replace(tzinfo=None)
    return form


@bp.route("/terms/<int:term_id>/copy", methods=["GET", "POST"])
@region_coordinator_required
def copy_term(term_id: int):
    """A new term like this one; the first press shows what it would make, the second makes it.
    A school break is added within the same form, so that what was typed for the new term stays."""
    source = _term(term_id)
    tz = _zone(source)
    form, break_form = _copy_form(source), _break_form(source)
    if break_form.submit.data and _break_added(source, break_form):
        break_form = _break_form(source, fresh=True)
    plan = None
    if form.validate_on_submit():
        db = db_session()
        try:
            if form.submit.data:
                term = terms.copy_term(
                    db, source, _term_input(form, tz), now(), links(), current_user, form.nights_beside.data or ()
                )
                db.commit()
                flash(
                    _("The new term is made from %(source)s. Check it and publish when ready.", source=source.name),
                    "success",
                )
                return redirect(url_for("roster.term", term_id=term.id))
            plan = terms.plan_copy(db, source, _term_input(form, tz), str(get_locale()), form.nights_beside.data or ())
        except Refusal as refusal:
            _refused(form, refusal)
    page = render_template(
        "roster/copy.html",
        source=source,
        form=form,
        plan=plan,
        break_form=break_form,
        not_copied=NOT_COPIED,
    )
    return page, 422 if form.errors or form.form_errors or break_form.errors or break_form.form_errors else 200


@bp.post("/terms/<int:term_id>/class-weekends")
@region_coordinator_required
def give_weekend(term_id: int):
    term = _term(term_id)
    form = _class_weekend_form(term)
    if not form.validate_on_submit():
        flash(_("Choose a school class and one of the term's weekends."), "error")
        return redirect(url_for("roster.term", term_id=term.id) + "#class-weekends")
    refusal = None
    try:
        weekend_on = datetime.fromisoformat(form.weekend_on.data).date()
        terms.give_weekend(db_session(), term, form.school_class_id.data, weekend_on, now(), links(), current_user)
    except Refusal as error:
        refusal = error
    _done(refusal, _("The class has the weekend."))
    return redirect(url_for("roster.term", term_id=term.id) + "#class-weekends")


@bp.post("/terms/<int:term_id>/class-weekends/<int:given_id>/delete")
@region_coordinator_required
def take_weekend(term_id: int, given_id: int):
    term = _term(term_id)
    given = db_session().get(ClassWeekend, given_id)
    if given is None or given.term_id != term.id or not ConfirmForm().validate_on_submit():
        abort(404)
    terms.take_weekend(db_session(), given, now(), current_user)
    _done(None, _("The weekend is no longer the class's."))
    return redirect(url_for("roster.term", term_id=term.id) + "#class-weekends")


@bp.get("/terms/<int:term_id>/publish")
@region_coordinator_required
def publish_page(term_id: int):
    """What publishing does (who gets an SMS, what it costs, which parents are invited and when),
    before it is done: it cannot be undone."""
    term = _term(term_id)
    db = db_session()
    try:
        preview = terms.publish_preview(db, term, now(), links(), sms_price())
    except Refusal as refusal:
        _done(refusal, "")
        return redirect(url_for("roster.term", term_id=term.id))
    words = _published_words(term, terms.Published(preview.told.people, preview.invited.people))
    return render_template(
        "roster/publish.html",
        term=term,
        preview=preview,
        words=words,
        overlapping=_overlaps(term),
        budgets=budget.budget_uses(db, [term.region_id], now(), price=sms_price()),
        region_wide=coordinated_regions(),
        form=ConfirmForm(),
    )


@bp.post("/terms/<int:term_id>/publish")
@region_coordinator_required
def publish(term_id: int):
    term = _term(term_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db = db_session()
    try:
        published = terms.publish(db, term, now(), links(), current_user)
    except Refusal as refusal:
        _done(refusal, "")
    else:
        _done(None, " ".join([_("Published. Parents can see the nights now."), *_published_words(term, published)]))
    return redirect(url_for("roster.term", term_id=term.id))


def _published_words(term: Term, published: terms.Published) -> list[str]:
    told = ngettext(
        "%(num)d person on the roster gets an SMS with their nights.",
        "%(num)d people on the roster get an SMS with their nights.",
        published.told,
    )
    if not published.invited:
        return [told]
    if term.signup_opens_at > now():
        invited = ngettext(
            "%(num)d parent is invited to their class's weekend when sign-up opens, %(when)s.",
            "%(num)d parents are invited to their classes' weekends when sign-up opens, %(when)s.",
            published.invited,
            when=written(term.signup_opens_at, "when"),
        )
    else:
        invited = ngettext(
            "%(num)d parent is invited to their class's weekend now.",
            "%(num)d parents are invited to their classes' weekends now.",
            published.invited,
        )
    return [told, invited]


# --- The grid and one night. ---


@bp.get("/terms/<int:term_id>/grid", endpoint="grid")
@coordinator_required
def grid_page(term_id: int):
    term = _term_in_scope(term_id)
    db = db_session()
    municipalities = grid.term_municipalities(db, term, coordinator_scope())
    chosen = GridFilter(request.args)
    chosen.municipality.choices = choices(((m.id, m.name) for m in municipalities), first=(0, _("All municipalities")))
    valid = chosen.validate()
    picked = chosen.municipality.data if valid and chosen.municipality.data else None
    whole = term.region_id in coordinated_regions()
    found = grid.grid(db, term, [picked] if picked else None if whole else [m.id for m in municipalities])
    if valid and chosen.gaps.data:
        found = found.gaps_only()
    shifts = [cell.shift for weekend in found.weekends for cells in weekend.cells.values() for cell in cells]
    return render_template(
        "roster/grid.html",
        term=term,
        grid=found,
        marks=_days_off_marks(term, shifts),
        classes=grid.class_weekends(db, term, coordinator_scope()),
        region_wide=whole,
        municipalities=municipalities,
        chosen=chosen,
        words=_cell_words(),
        starts=_starts(shifts, _zone(term)),
        night_url=url_for("roster.night", shift_id=0).removesuffix("0"),
    )


# --- Asking volunteers when they can walk. ---


@bp.get("/terms/<int:term_id>/ask")
@coordinator_required
def ask_availability_page(term_id: int):
    """Who would be asked when they can walk, and the message itself, before anything is sent."""
    term = _term_in_scope(term_id)
    db = db_session()
    refused: str | None = None
    try:
        asking.refuse_when_past(db, term, now())
    except Refusal as refusal:
        refused = refusal.translated(_)
    return render_template(
        "roster/ask_availability.html",
        term=term,
        refused=refused,
        preview=asking.preview(db, coordinator_scope(), term, now(), links(), sms_price()),
        everyone_answered=not asking.unanswered(db, coordinator_scope(), term),
        answers=asking.answers(db, term),
        budgets=budget.budget_uses(db, [term.region_id], now(), price=sms_price()),
        region_wide=coordinated_regions(),
        form=ConfirmForm(),
        came_from=_came_from(),
        back=_back_from_asking(term, _came_from()),
    )


@bp.get("/terms/<int:term_id>/answers")
@coordinator_required
def answers(term_id: int):
    """Who in the coordinator's part has said when they can walk, who has not and when each was
    asked: whom to chase, and whose answer given by phone or in person to fill in."""
    term = _term_in_scope(term_id)
    said = asking.roll_call(db_session(), coordinator_scope(), term)
    return render_template(
        "roster/answers.html",
        term=term,
        waiting=[one for one in said if one.availability is None],
        answered=[one for one in said if one.availability is not None],
        planning=_planning_page(term),
    )


@bp.post("/terms/<int:term_id>/ask")
@coordinator_required
def ask_availability(term_id: int):
    term = _term_in_scope(term_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db = db_session()
    try:
        asked = asking.ask(db, coordinator_scope(), term, now(), links(), current_user)
    except Refusal as refusal:
        db.rollback()
        flash(refusal.translated(_), "error")
        return redirect(url_for("roster.ask_availability_page", term_id=term.id, back=_came_from()))
    db.commit()
    if asked:
        flash(
            ngettext(
                "%(num)d person is asked when they can walk.", "%(num)d people are asked when they can walk.", asked
            ),
            "success",
        )
        held = asking.held_until(term, now())
        if held is not None:
            flash(
                _("The messages go out at %(when)s, when the quiet hours end.", when=written(held, "when")),
                "info",
            )
    else:
        flash(_("Everyone who has not answered was asked today already. Ask again another day."), "info")
    return redirect(_back_from_asking(term, _came_from()))


#: The pages that link to asking volunteers when they can walk, by the name their link passes as
#: `back`: a fixed choice, so that Back (and the page after asking) can lead nowhere else.
ASKED_FROM = {"term": "roster.term", "autofill": "autofill.page", "grid": "roster.grid"}


def _came_from() -> str | None:
    came_from = request.args.get("back")
    return came_from if came_from in ASKED_FROM else None


def _back_from_asking(term: Term, came_from: str | None) -> str:
    """The page the coordinator came from. The term's page and auto-fill are for coordinators of
    the whole region; for others, and when no page is named, where the term is planned."""
    endpoint = ASKED_FROM.get(came_from or "")
    if endpoint is None or (endpoint != "roster.grid" and term.region_id not in coordinated_regions()):
        return _planning_page(term)
    return url_for(endpoint, term_id=term.id)


def _planning_page(term: Term) -> str:
    """Where the coordinator plans the term: auto-fill for a whole region, the grid for a municipality."""
    if term.region_id in coordinated_regions():
        return url_for("autofill.page", term_id=term.id)
    return url_for("roster.grid", term_id=term.id)


def _days_off_marks(term: Term, shifts: list[Shift]) -> dict[int, str]:
    """Each night on a public holiday or in its municipality's school break, with what the day is."""
    off, tz = terms.term_days_off(db_session(), term, str(get_locale())), _zone(term)
    marks = {s.id: off.label(s.route.municipality_id, local(s.starts_at, tz).date()) for s in shifts}
    return {shift_id: label for shift_id, label in marks.items() if label}


@bp.get("/nights/<int:shift_id>")
@coordinator_required
def night(shift_id: int):
    shift = _night(shift_id)
    return _render_night(shift)


def _render_night(
    shift: Shift,
    night_form: NightForm | None = None,
    status: int = 200,
    cancel_form: CancelNightForm | None = None,
    cancel_preview: broadcasts.Reach | None = None,
):
    db = db_session()
    search = SearchForm(request.args)
    found = search.q.data and search.validate()
    tz = _zone(shift.term)
    if night_form is None:
        start, end = local(shift.starts_at, tz), local(shift.ends_at, tz)
        # The night as saved, never read from a POST of another form on the page (the cancel
        # preview): that one has no times and no tick, and saving it would blank them.
        night_form = NightForm(
            formdata=None,
            data={
                "day": start.date(),
                "starts_local": start.time().replace(tzinfo=None),
                "ends_local": end.time().replace(tzinfo=None),
                "min_walkers": shift.min_walkers,
                "max_walkers": shift.max_walkers,
                "needs_leader": shift.needs_leader,
                "note": shift.note,
            },
        )
    move_form = MovePersonForm()
    states = _cell_words()["states"]
    move_form.to_shift_id.choices = choices(
        (
            (c.shift.id, f"{written(c.shift.starts_at, 'when')} {c.shift.route.name}: {states[c.state]}")
            for c in grid.other_nights(db, shift, coordinator_scope(), now())
        ),
        first=("", _("Choose a night…")),
    )
    on_it = grid.night_roster(db, shift)
    return render_template(
        "roster/night.html",
        night=on_it,
        over=shift.ends_at <= now(),
        moved_away=roster.moved_away(db, shift) if shift.cancelled_at is not None else [],
        writable=broadcasts.writable_night(shift, now()),
        search=search,
        people=grid.search_people(db, shift.term.region_id, coordinator_scope(), search.q.data) if found else None,
        free_leaders=grid.free_leaders(db, shift, coordinator_scope()) if on_it.wants_a_leader(now()) else None,
        assign_form=AssignForm(),
        signup_form=SignupForm(),
        move_form=move_form,
        night_form=night_form,
        told_of_new_time=roster.told_of_new_time(db, shift),
        cancel_form=cancel_form or CancelNightForm(formdata=None),
        cancel_preview=cancel_preview,
        reason_frame=broadcasts.reason_frame(db, [shift], str(get_locale())),
        words=_cell_words(),
    ), status


@bp.post("/nights/<int:shift_id>/assign")
@coordinator_required
def assign(shift_id: int):
    shift = _night(shift_id)
    form = AssignForm()
    person_id = as_id(form.person_id.data) if form.validate_on_submit() else None
    if person_id is None:
        abort(400)
    person = db_session().get(Person, person_id)
    if person is None:
        abort(404)
    refusal = None
    try:
        roster.assign(db_session(), shift, person, SignupRole(form.role.data), now(), links(), current_user)
    except Refusal as error:
        refusal = error
    _done(refusal, _("%(name)s is on the night.", name=person.name))
    return redirect(url_for("roster.night", shift_id=shift.id))


@bp.post("/nights/<int:shift_id>/remove")
@coordinator_required
def remove(shift_id: int):
    shift = _night(shift_id)
    form = SignupForm()
    if not form.validate_on_submit():
        abort(400)
    signup = _signup_on(shift, form.signup_id.data)
    if not form.confirmed.data:
        return render_template("roster/remove.html", signup=signup, told=roster.removed_text(signup), form=form)
    refusal = None
    try:
        roster.remove(db_session(), signup, now(), links(), current_user)
    except Refusal as error:
        refusal = error
    _done(refusal, _("%(name)s is off the night.", name=signup.person.name))
    _warn_if_leaderless(signup, refusal)
    return redirect(url_for("roster.night", shift_id=shift.id))


@bp.post("/nights/<int:shift_id>/make-leader")
@coordinator_required
def make_leader(shift_id: int):
    shift = _night(shift_id)
    form = SignupForm()
    if not form.validate_on_submit():
        abort(400)
    signup = _signup_on(shift, form.signup_id.data)
    refusal = None
    try:
        roster.make_leader(db_session(), signup, now(), links(), current_user)
    except Refusal as error:
        refusal = error
    _done(refusal, _("%(name)s leads the night now.", name=signup.person.name))
    return redirect(url_for("roster.night", shift_id=shift.id))


@bp.post("/nights/<int:shift_id>/move-person")
@coordinator_required
def move_person(shift_id: int):
    shift = _night(shift_id)
    form = MovePersonForm()
    form.to_shift_id.choices = choices(
        (c.shift.id, "") for c in grid.other_nights(db_session(), shift, coordinator_scope(), now())
    )
    if not form.validate_on_submit():
        flash(_("Choose another night of the term."), "error")
        return redirect(url_for("roster.night", shift_id=shift.id))
    signup = _signup_on(shift, form.signup_id.data)
    refusal = None
    try:
        moved = roster.move_person(db_session(), signup, form.to_shift_id.data, now(), links(), current_user)
    except Refusal as error:
        refusal = error
    if refusal is None and shift.cancelled_at is not None:
        _done(None, _moved_to(signup.person, moved))
        # Back to the cancelled night, where the others still wait for a new one.
        return redirect(url_for("roster.night", shift_id=shift.id))
    _done(refusal, _("%(name)s is moved.", name=signup.person.name))
    _warn_if_leaderless(signup, refusal)
    target = moved.shift_id if refusal is None else shift.id
    return redirect(url_for("roster.night", shift_id=target))


def _moved_to(person: Person, moved: Signup) -> str:
    night = moved.shift
    words = {"name": person.name, "route": night.route.name, "day": written(night.starts_at, "when")}
    if moved.state == SignupState.WAITLISTED:
        return _("%(name)s is moved to the waitlist of %(route)s, %(day)s.", **words)
    return _("%(name)s is moved to %(route)s, %(day)s.", **words)


@bp.post("/nights/<int:shift_id>")
@coordinator_required
def edit_night(shift_id: int):
    shift = _night(shift_id)
    form = NightForm()
    if not form.validate_on_submit():
        return _render_night(shift, form, 422)
    db = db_session()
    starts_at, ends_at = night_span(form.day.data, form.starts_local.data, form.ends_local.data, _zone(shift.term))
    try:
        bumped = roster.set_capacity(
            db,
            shift,
            form.min_walkers.data,
            form.max_walkers.data,
            form.needs_leader.data,
            now(),
            links(),
            current_user,
        )
        roster.update_note(db, shift, form.note.data or "", now(), current_user)
        told = roster.move_night(db, shift, starts_at, ends_at, now(), links(), current_user)
    except Refusal as refusal:
        _refused(form, refusal)
        return _render_night(shift, form, 422)
    db.commit()
    if told:
        flash(
            ngettext(
                "Saved. %(num)d person gets an SMS about the new time.",
                "Saved. %(num)d people get an SMS about the new time.",
                told,
            ),
            "success",
        )
    else:
        flash(_("Saved."), "success")
    if bumped:
        flash(
            ngettext(
                "%(num)d person no longer fits and is first on the waitlist; they get an SMS.",
                "%(num)d people no longer fit and are first on the waitlist; they get an SMS.",
                len(bumped),
            ),
            "info",
        )
    return redirect(url_for("roster.night", shift_id=shift.id))


@bp.post("/nights/<int:shift_id>/cancel")
@coordinator_required
def cancel_night(shift_id: int):
    """Cancelling cannot be undone and texts everyone on the night at once: the first press shows
    the night, its people, the message and its cost; only pressing "Cancel the night" under that
    preview, with the same reason, cancels."""
    shift = _night(shift_id)
    form = CancelNightForm()  # its CSRF token is checked before this view (CSRFProtect)
    if shift.cancelled_at is not None:  # the confirm pressed twice, or Back and again: cancelled once
        flash(_("The night is cancelled."), "success")
        return redirect(url_for("roster.night", shift_id=shift.id))
    if not form.validate_on_submit():
        return _render_night(shift, cancel_form=form, status=422)
    reason = " ".join(form.reason.data.split())
    shown = _fingerprint(shift.id, reason)
    if not (form.submit.data and form.previewed.data == shown):
        form.previewed.data = shown
        preview = broadcasts.preview_cancellation(db_session(), [shift], reason, sms_price())
        return _render_night(shift, cancel_form=form, cancel_preview=preview)
    refusal = None
    try:
        roster.cancel_night(db_session(), shift, reason, now(), links(), current_user)
    except Refusal as error:
        refusal = error
    _done(refusal, _("The night is cancelled."))
    return redirect(url_for("roster.night", shift_id=shift.id))


# --- Reaching many people at once. ---


def _fingerprint(*parts: object) -> str:
    """What a preview showed, to tell whether the form sent is the one previewed."""
    return hashlib.sha256("\n".join(str(part) for part in parts).encode()).hexdigest()[:24]


def _message_targets(form: MessageForm) -> None:
    """The audiences the coordinator may write to, under a first option that chooses none: a
    message never goes to the whole region because nothing else was chosen."""
    found = broadcasts.targets(db_session(), coordinator_scope(), now())
    kinds = broadcasts.Kind

    def night_choices(nights: list[Shift]) -> list:
        return choices(
            (
                str(broadcasts.Target(kinds.NIGHT, n.id)),
                _(
                    "Those on %(route)s, %(when)s",
                    route=n.route.name,
                    when=format_datetime(local(n.starts_at), "EEE d.M. HH:mm"),
                ),
            )
            for n in nights
        )

    groups = {
        _("Region"): choices(
            (str(broadcasts.Target(kinds.REGION, r.id)), _("Everyone in %(name)s", name=r.name)) for r in found.regions
        ),
        _("Municipality"): choices(
            (str(broadcasts.Target(kinds.MUNICIPALITY, m.id)), _("Everyone in %(name)s", name=m.name))
            for m in found.municipalities
        ),
        _("School class"): choices(
            (str(broadcasts.Target(kinds.SCHOOL_CLASS, c.id)), _("Parents in %(school_class)s", school_class=c.label))
            for c in found.classes
        ),
        _("Day"): choices(
            (
                str(broadcasts.Target(kinds.DAY, region.id, day)),
                _(
                    "Everyone on the nights of %(day)s in %(region)s",
                    day=format_date(day, "EEEE d.M."),
                    region=region.name,
                ),
            )
            for region, day in found.days
        ),
        _("Night"): night_choices(found.nights),
        _("Night just over"): night_choices(found.past_nights),
    }
    offered = {group: audiences for group, audiences in groups.items() if audiences}
    form.to.choices = {None: choices([("", _("Choose who gets it…"))]), **offered} if offered else {}


def _asked_for(form: MessageForm, asked: str | None) -> str | None:
    """Choose the audience a link asks for, when it is one the form offers. One it does not offer
    (a night long over, or cancelled) is said plainly and nothing is chosen in its place: the
    browser would otherwise show the first audience, the whole region, as if asked for."""
    if not asked:
        return None
    if asked in {choice.value for group in form.to.choices.values() for choice in group}:
        form.to.data = asked
        return None
    target = broadcasts.Target.parse(asked)
    if target is not None and target.kind == broadcasts.Kind.NIGHT:
        # The weeks are broadcasts.BEHIND and broadcasts.AHEAD.
        return _(
            "You cannot write to the people of that night here: the list has the published nights that are not "
            "cancelled, from two weeks back to the end of the term under way, or eight weeks ahead if that is "
            "later. Nothing is chosen: choose who gets the message."
        )
    return _("You cannot write to that audience here. Nothing is chosen: choose who gets the message.")


@bp.route("/messages", methods=["GET", "POST"])
@coordinator_required
def message_people():
    """A message in the coordinator's own words to one night, a day's nights, a school class's
    parents, a municipality or the region: previewed (people, SMS, cost), then sent."""
    db, scope = db_session(), coordinator_scope()
    form = MessageForm()
    _message_targets(form)
    not_offered = _asked_for(form, request.args.get("to")) if request.method == "GET" else None
    preview = audience = None
    if form.validate_on_submit():
        target = broadcasts.Target.parse(form.to.data)
        audience = broadcasts.audience(db, scope, target, now()) if target else None
        if audience is None:
            abort(404)
        shown = _fingerprint(form.to.data, broadcasts.message_text(form.text.data))
        if form.send.data and form.token.data and form.previewed.data == shown:
            try:
                sent = broadcasts.send_message(
                    db, audience, form.text.data, form.token.data, now(), current_user, sms_price()
                )
            except Refusal as refusal:
                _refused(form, refusal)
            else:
                db.commit()
                flash(
                    ngettext(
                        "The message is on its way to %(num)d person.",
                        "The message is on its way to %(num)d people.",
                        sent.people,
                    ),
                    "success",
                )
                held = broadcasts.held_until(db, audience, form.token.data, now())
                if held is not None:
                    flash(
                        _("The messages go out at %(when)s, when the quiet hours end.", when=written(held, "when")),
                        "info",
                    )
                return redirect(url_for("roster.message_people"))
        else:
            preview = broadcasts.preview_message(audience, form.text.data, sms_price())
            form.previewed.data, form.token.data = shown, secrets.token_urlsafe(12)
    return render_template(
        "roster/message.html",
        form=form,
        not_offered=not_offered,
        preview=preview,
        budgets=budget.budget_uses(db, [audience.region_id], now(), price=sms_price()) if audience else [],
        region_wide=coordinated_regions(),
        before=broadcasts.PREFIX,
    ), 422 if form.errors else 200


def _cancel_choices(form: CancelNightsForm) -> None:
    db, scope = db_session(), coordinator_scope()
    form.weekend.choices = choices(
        (friday.isoformat(), _("Weekend of %(date)s", date=friday.strftime("%d.%m.%Y")))
        for friday in broadcasts.weekends_ahead(db, scope, now())
    )
    form.municipality.choices = choices(
        ((m.id, m.name) for m in places.municipalities_in_scope(db, scope) if not m.archived),
        first=(0, _("All your municipalities")),
    )


@bp.route("/nights/cancel", methods=["GET", "POST"])
@coordinator_required
def cancel_nights():
    """Bad weather: a weekend's nights (or one municipality's that weekend) called off together,
    each person told once about all of theirs."""
    db, scope = db_session(), coordinator_scope()
    form = CancelNightsForm()
    _cancel_choices(form)
    if request.method == "GET" and form.weekend.choices:
        form.weekend.data = form.weekend.choices[0].value
    chosen = form.weekend.data in {choice.value for choice in form.weekend.choices}
    friday = date.fromisoformat(form.weekend.data) if chosen else None
    nights = broadcasts.weekend_nights(db, scope, friday, form.municipality.data or None, now()) if friday else []
    preview = None
    if form.validate_on_submit():
        reason = form.reason.data or ""
        shown = _fingerprint(
            form.weekend.data, form.municipality.data, " ".join(reason.split()), *(n.id for n in nights)
        )
        if form.submit.data and nights and form.previewed.data == shown:
            try:
                notices = roster.cancel_nights(db, nights, reason, now(), current_user)
            except Refusal as refusal:
                _refused(form, refusal)
            else:
                db.commit()
                flash(
                    ngettext("%(num)d night is cancelled.", "%(num)d nights are cancelled.", len(nights))
                    + " "
                    + ngettext("%(num)d person gets a message.", "%(num)d people get a message.", len(notices)),
                    "success",
                )
                return redirect(url_for("roster.cancel_nights"))
        else:
            preview = broadcasts.preview_cancellation(db, nights, reason, sms_price())
            form.previewed.data = shown
    return render_template(
        "roster/cancel_nights.html",
        form=form,
        nights=nights,
        preview=preview,
        reason_frame=broadcasts.reason_frame(db, nights, str(get_locale())),
    ), 422 if form.errors else 200


# --- Exports. ---


@bp.get("/terms/<int:term_id>/roster.csv")
@coordinator_required
def export_csv(term_id: int):
    term = _term_in_scope(term_id)
    header = [
        _("Date"),
        _("Day"),
        _("Starts"),
        _("Ends"),
        _("Municipality"),
        _("Route"),
        _("Meeting point"),
        _("Role"),
        _("Name"),
        _("Phone"),
        _("Class weekend"),
    ]
    roles = {SignupRole.LEADER: _("Group leader"), SignupRole.WALKER: _("Walker")}
    db = db_session()
    body = grid.roster_csv(db, term, coordinator_scope(), header, roles, str(get_locale()))
    roster.roster_downloaded(db, term, current_user, now())
    db.commit()
    filename = f"roster-{term.id}-{term.starts_on.isoformat()}.csv"
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Type": "text/csv; charset=utf-8",
        },
    )


@bp.get("/terms/<int:term_id>/print/<int:municipality_id>")
@coordinator_required
def print_roster(term_id: int, municipality_id: int):
    term = _term_in_scope(term_id)
    municipality = db_session().get(Municipality, municipality_id)
    if municipality is None or municipality.region_id != term.region_id:
        abort(404)
    if not coordinator_scope().covers(term.region_id, municipality.id):
        abort(404)
    nights = grid.printable(db_session(), term, municipality.id)
    classes = grid.class_weekends(db_session(), term, coordinator_scope())
    tz = _zone(term)
    return render_template(
        "roster/print.html",
        term=term,
        municipality=municipality,
        nights=nights,
        classes={
            n.shift.id: classes.of_night(weekend_of(local(n.shift.starts_at, tz).date()), municipality.id)
            for n in nights
        },
    )
