"""The leader's logbook and report (phone, no JavaScript), and the coordinator's reports,
statistics, CSV export and printable summary for the police council."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from functools import wraps

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale, format_date, format_decimal, format_percent, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from natteravn.accounts.forms import ConfirmForm
from natteravn.accounts.models import Person
from natteravn.clock import local
from natteravn.db import as_id
from natteravn.extensions import csrf
from natteravn.i18n import N_, Refusal
from natteravn.places import service as places
from natteravn.reports import access, council, logbook, redaction, reminders, search, svg, writing
from natteravn.reports import retention as text_kept
from natteravn.reports.forms import (
    AGE_BAND_LABELS,
    CATEGORY_LABELS,
    AssessmentForm,
    CouncilLinkForm,
    FilterForm,
    FollowUpForm,
    IncidentForm,
    LogbookForm,
    RemoveIncidentForm,
    ReportForm,
    StatisticsForm,
    WalkInForm,
)
from natteravn.reports.models import TEXT_FIELDS, IncidentCategory, ReportState
from natteravn.reports.redaction import FLAG_LABELS
from natteravn.reports.stats import Figures, Statistics, retention, statistics, terms_of_region
from natteravn.shifts.models import Term
from natteravn.spreadsheets import csv_text
from natteravn.web import (
    choices,
    coordinator_required,
    coordinator_scope,
    db_session,
    links,
    now,
    page_number,
    show_refusal,
)

bp = Blueprint("reports", __name__)

PAGE_SIZE = 50


# The leader's side ---------------------------------------------------------------------------

#: Set by the link in a report SMS: [night, leader]. It opens that night's logbook and report
#: only, for as long as the browser keeps the session, without logging the leader in.
REPORT_PASS = "report_pass"
#: What a leader typed into the report after their session had ended: picked up after logging in.
KEPT = "kept_report_input"


@dataclass(frozen=True)
class Reporter:
    """Who writes a night's logbook and report: the person logged in, or the leader a report link let
    in (`by_link`), who has a leader's rights on this night and nothing else."""

    person: Person
    by_link: bool = False


def _reporter(shift_id: int) -> Reporter | None:
    if current_user.is_authenticated:
        return Reporter(current_user)
    passed = session.get(REPORT_PASS)
    if isinstance(passed, list) and len(passed) == 2 and passed[0] == shift_id:
        person = db_session().get(Person, passed[1])
        if person is not None and person.active:
            return Reporter(person, by_link=True)
    return None


def reporter_required(view):
    """A night's logbook and report pages, for the logged-in person or the holder of the night's
    report link. Text sent after the session ended is kept and waits for the leader to log in."""

    @wraps(view)
    def wrapper(shift_id: int, **kwargs):
        reporter = _reporter(shift_id)
        if reporter is None:
            if request.method == "POST" and request.endpoint == "reports.night_report":
                session[KEPT] = writing.keep_typed(db_session(), shift_id, list(request.form.items(multi=True)), now())
                db_session().commit()
                flash(_("Your session had ended. What you typed is kept: log in, and it is waiting for you."), "info")
            return redirect(url_for("accounts.login", next=url_for("reports.night_report", shift_id=shift_id)))
        return view(reporter, shift_id, **kwargs)

    return wrapper


@bp.get("/r/<token>")
def from_link(token: str):
    """The SMS link: opens the night's report for its leader, for this night only, in their language."""
    db = db_session()
    value = links().unsign("report", token)
    found = access.person_for_link(db, value, now()) if value is not None else None
    if found is None:
        return _dead_link(access.person_named_by_link(db, value))
    person, shift = found
    session[REPORT_PASS] = [shift.id, person.id]
    session["lang"] = person.locale  # as the SMS was: their phone may be set to another language
    return redirect(url_for("reports.night_report", shift_id=shift.id))


def _dead_link(person: Person | None):
    """The page for a report link that no longer works, in the language of the leader it was sent
    to, as the SMS was: they may be on a phone set to another language."""
    with force_locale(person.locale) if person is not None else nullcontext():
        return render_template(
            "error.html",
            title=_("The link no longer works"),
            text=_("It has expired or the night is no longer yours. Log in and open the night from My nights."),
        ), 404


def _night_or_refuse(reporter: Reporter, shift_id: int):
    """The night, or a response saying why not (404 for nights the person has no part in)."""
    db = db_session()
    try:
        shift = access.night_for(db, reporter.person, shift_id, now(), by_link=reporter.by_link)
    except Refusal as refusal:
        return None, (render_template("error.html", title=_("Not open yet"), text=refusal.translated(_)), 403)
    if shift is None:
        abort(404)
    return shift, None


@bp.route("/nights/<int:shift_id>/logbook", methods=["GET", "POST"], endpoint="logbook")
@csrf.exempt  # the form checks its own token, valid as long as the session (see forms.ReportPageForm)
@reporter_required
def keep_logbook(reporter: Reporter, shift_id: int):
    shift, refused = _night_or_refuse(reporter, shift_id)
    if refused:
        return refused
    db = db_session()
    form, walk_in = LogbookForm(), WalkInForm(prefix="walkin")
    if (form.save.data or form.to_report.data) and form.validate_on_submit():
        try:
            logbook.record_attendance(db, reporter.person, shift, _ticked(), now(), by_link=reporter.by_link)
        except Refusal as refusal:
            db.rollback()
            flash(refusal.translated(_), "error")
        else:
            db.commit()
            flash(_("The logbook is saved."), "success")
            if form.to_report.data:
                return redirect(url_for("reports.night_report", shift_id=shift.id))
            return redirect(url_for("reports.logbook", shift_id=shift.id))
    return _logbook_page(reporter, shift, form, walk_in)


def _ticked() -> set[int]:
    """The sign-ups ticked as here in the logbook form sent."""
    return {signup_id for v in request.form.getlist("present") if (signup_id := as_id(v))}


def _logbook_page(reporter: Reporter, shift, form, walk_in, status: int = 200, ticked: set[int] | None = None):
    db = db_session()
    report = access.report_of(db, shift)
    return render_template(
        "reports/logbook.html",
        shift=shift,
        me=reporter.person,
        lines=logbook.logbook(db, shift),
        walk_ins=logbook.walk_ins(db, shift),
        form=form,
        walk_in=walk_in,
        editable=access.may_change(reporter.person, report, now(), by_link=reporter.by_link),
        ticked=ticked,
        tonight=logbook.is_tonight(shift, now()),
    ), status


@bp.post("/nights/<int:shift_id>/logbook/walk-in")
@csrf.exempt  # checked by the form, as above
@reporter_required
def walk_in(reporter: Reporter, shift_id: int):
    shift, refused = _night_or_refuse(reporter, shift_id)
    if refused:
        return refused
    db = db_session()
    form = WalkInForm(prefix="walkin")
    if form.validate_on_submit():
        try:
            walked = logbook.add_walk_in(
                db,
                reporter.person,
                shift,
                form.phone.data,
                form.name.data,
                form.adult.data,
                now(),
                by_link=reporter.by_link,
            )
            # The ticks came with the walker (one form): saved with them, as the page shows them.
            present = _ticked() | ({walked} if walked else set())
            logbook.record_attendance(db, reporter.person, shift, present, now(), by_link=reporter.by_link)
        except Refusal as refusal:
            db.rollback()
            show_refusal(form, refusal)
        else:
            db.commit()
            flash(_("The walker is in the logbook, and the logbook is saved."), "success")
            return redirect(url_for("reports.logbook", shift_id=shift.id))
    return _logbook_page(reporter, shift, LogbookForm(formdata=None), form, status=422, ticked=_ticked())


@bp.post("/nights/<int:shift_id>/logbook/walk-ins/<int:walk_in_id>/remove")
@csrf.exempt  # checked by the form, as above
@reporter_required
def remove_walk_in(reporter: Reporter, shift_id: int, walk_in_id: int):
    shift, refused = _night_or_refuse(reporter, shift_id)
    if refused:
        return refused
    if not LogbookForm().validate_on_submit():
        abort(400)
    db, by_link = db_session(), reporter.by_link
    try:
        removed = logbook.remove_walk_in(db, reporter.person, shift, walk_in_id, now(), by_link=by_link)
        logbook.record_attendance(db, reporter.person, shift, _ticked(), now(), by_link=by_link)  # as a walk-in added
    except Refusal as refusal:
        db.rollback()
        flash(refusal.translated(_), "error")
    else:
        db.commit()
        flash(_("%(name)s is taken out of the logbook.", name=removed.first_name), "success")
    return redirect(url_for("reports.logbook", shift_id=shift.id))


@bp.route("/nights/<int:shift_id>/report", methods=["GET", "POST"])
@csrf.exempt  # checked by the form, as above
@reporter_required
def night_report(reporter: Reporter, shift_id: int):
    shift, refused = _night_or_refuse(reporter, shift_id)
    if refused:
        return refused
    db = db_session()
    if request.method == "POST":
        return _save_report(reporter, shift, ReportForm())
    report = access.read_report(db, reporter.person, shift, now())
    kept = writing.take_kept(db, session.pop(KEPT, None), shift.id)
    db.commit()  # the audit entry for the read
    if kept is not None:
        flash(_("This is what you typed before your session ended. Check it, then save."), "info")
        typed_in = _sections_of({name for name, value in kept if value})  # shown open, not folded away
        return _report_page(
            reporter, shift, report, ReportForm(formdata=MultiDict(kept)), unsaved=True, opened=typed_in
        )
    form = ReportForm(formdata=None)
    _fill_report_form(form, shift, report)
    return _report_page(reporter, shift, report, form, opened=set(request.args.getlist("open")))


def _save_report(reporter: Reporter, shift, form: ReportForm):
    db = db_session()
    form.validate()
    if "csrf_token" in form.errors:  # nothing is lost: the page comes back with all that was typed
        flash(_("The page had been open a long time. Everything you typed is still here: save again."), "error")
        return _report_page(reporter, shift, access.report_of(db, shift), form, status=422)
    # An incident typed but not added is added by any button, so no button loses it; one without a
    # category is kept too, and waits for its category before the report can be submitted. The add
    # button under empty fields adds nothing.
    adding = _incident_typed(form)
    if form.to_logbook.data and not adding and not _has_errors(form, adding) and _nothing_to_keep(shift, form):
        return redirect(url_for("reports.logbook", shift_id=shift.id))
    try:
        saved = writing.save_report(
            db,
            reporter.person,
            shift,
            _report_input(form),
            now(),
            submit=bool(form.submit_report.data),
            incident=_incident_input(form) if adding and not _incident_errors(form) else None,
            confirmed=request.form.getlist("confirm"),
            based_on=form.based_on.data,
            by_link=reporter.by_link,
            another=bool(form.add_again.data),
        )
    except writing.StaleCopy as stale:
        db.rollback()
        form.based_on.data, form.based_on.raw_data = stale.latest.number, [str(stale.latest.number)]
        flash(stale.translated(_), "error")
        report = access.report_of(db, shift)
        return _report_page(reporter, shift, report, form, status=409, theirs=stale.latest)
    except Refusal as refusal:
        db.rollback()
        flash(refusal.translated(_), "error")
        return _report_page(reporter, shift, access.report_of(db, shift), form, status=422)
    db.commit()
    if _has_errors(form, adding):
        flash(_("The rest is saved; the fields marked below are not. Correct them and save again."), "error")
        worked = _worked_in(form, saved, adding)
        return _report_page(reporter, shift, saved.report, form, 422, refusal=saved.not_submitted, opened=worked)
    incident_page = _incident_step(shift, saved)
    if incident_page:
        return redirect(incident_page)
    if saved.same_as is not None:  # the fields stay as typed, and the page asks beside the add button
        worked = _worked_in(form, saved, adding)
        return _report_page(
            reporter, shift, saved.report, form, 422, refusal=saved.not_submitted, opened=worked, same_as=saved.same_as
        )
    message = _saved_message(form, saved, adding)
    if message:  # several reasons not to submit are listed on the page instead, all together
        flash(*message)
    if saved.not_submitted is not None:
        return _not_submitted_page(reporter, shift, saved)
    if form.to_logbook.data:  # the report is saved: its "Go to the report" button brings them back to it
        return redirect(url_for("reports.logbook", shift_id=shift.id))
    if form.submit_report.data:  # done: the top of the page, where the thanks and its state are
        return redirect(url_for("reports.night_report", shift_id=shift.id))
    # After adding an incident the leader lands on the incidents, the new one among them.
    at = "incidents" if adding or form.add_incident.data or form.add_again.data else None
    return redirect(_report_url(shift.id, *_worked_in(form, saved, adding), at=at))


def _nothing_to_keep(shift, form: ReportForm) -> bool:
    """On the way to the logbook from a report not started, with nothing typed in it yet: passing
    through starts no draft."""
    return access.report_of(db_session(), shift) is None and writing.untouched(shift, _report_input(form))


def _not_submitted_page(reporter: Reporter, shift, saved: writing.Saved):
    """The report as saved, with what stops it being submitted beside its field, in its section
    opened. The form is filled from the report: an incident just added is not offered again."""
    form = ReportForm(formdata=None)
    _fill_report_form(form, shift, saved.report)
    opened = _sections_of(saved.changed)
    return _report_page(
        reporter, shift, saved.report, form, status=422, refusal=saved.not_submitted, opened=opened, unsaved=False
    )


#: The folding sections of the report's page, and the names (of the form's fields and of a version's
#: snapshot) each holds. "incidents" is the report's incidents; "logbook" stands above the sections.
SECTIONS = {
    "walk": {"started", "ended", "started_at", "ended_at", "places_visited", "weather"},
    "youths": {*AGE_BAND_LABELS, "atmosphere"},
    "incidents": {
        "incidents",
        "category",
        "around",
        "place",
        "police_contacted",
        "health_contacted",
        "child_welfare_contacted",
        "description",
    },
}


def _sections_of(names) -> set[str]:
    return {section for section, held in SECTIONS.items() if held & set(names)}


def _worked_in(form: ReportForm, saved: writing.Saved, adding: bool) -> set[str]:
    """The sections to keep open on the page the save leads back to: where the leader typed
    something this time, and the incidents when a button of theirs was used."""
    worked = _sections_of(saved.changed)
    if adding or form.add_incident.data or form.add_again.data:
        worked.add("incidents")
    return worked


def _report_url(shift_id: int, *opened: str, at: str | None = None) -> str:
    """The report's page with `opened` sections unfolded, scrolled to `at` or the first of them."""
    shown = [section for section in SECTIONS if section in opened]
    url = url_for("reports.night_report", shift_id=shift_id, open=shown)
    at = at or next(iter(shown), None)
    return f"{url}#{at}" if at else url


def _incident_step(shift, saved: writing.Saved) -> str | None:
    """Where an incident's Change or Remove button leads once the whole page is saved: its form, or
    the question whether to remove it. Nowhere when what was sent is kept as a late correction,
    which no incident page can change."""
    if saved.requested:
        return None
    edit = as_id(request.form.get("edit_incident"))
    if edit:
        return url_for("reports.edit_incident", shift_id=shift.id, incident_id=edit)
    remove = as_id(request.form.get("remove_incident"))
    if remove:
        return url_for("reports.remove_incident", shift_id=shift.id, incident_id=remove)
    return None


def _saved_message(form: ReportForm, saved: writing.Saved, adding: bool) -> tuple[str, str] | None:
    if saved.requested:
        return (
            _(
                "The 48 hours for corrections have passed. Your correction is kept, and the coordinator "
                "decides whether to take it in."
            ),
            "info",
        )
    if saved.not_submitted is not None:
        if len(saved.not_submitted.each()) > 1:
            return None
        return _("Saved as a draft, not submitted: %(why)s", why=saved.not_submitted.translated(_)), "error"
    if adding and not form.category.data:
        return _("Saved. The incident waits for its category: choose one before you submit."), "error"
    if form.submit_report.data:
        return _("The report is submitted. Thank you for walking!"), "success"
    if form.to_logbook.data:
        return _("What you typed in the report is saved. “Go to the report” brings you back to it."), "success"
    if form.add_incident.data and not adding:
        return _("No incident was typed, so none is added. The report is saved."), "info"
    if adding and saved.already_there:
        return _("That incident is in the report already; it is not added twice. The report is saved."), "info"
    if form.add_incident.data or form.add_again.data:
        return _("The incident is added and the report saved."), "success"
    return _("Saved."), "success"


def _incident_typed(form: ReportForm) -> bool:
    return bool(
        form.category.data
        or (form.place.data or "").strip()
        or (form.description.data or "").strip()
        or form.around.data
        or form.police_contacted.data
        or form.health_contacted.data
        or form.child_welfare_contacted.data
    )


def _incident_errors(form) -> bool:
    return any(getattr(form, name).errors for name in ("around", "place", "description"))


def _has_errors(form: ReportForm, adding: bool) -> bool:
    report_fields = ("started", "ended", "weather", *TEXT_FIELDS, *AGE_BAND_LABELS)
    return any(getattr(form, name).errors for name in report_fields) or (adding and _incident_errors(form))


def _report_input(form: ReportForm) -> writing.ReportInput:
    def valid(field):
        return None if field.errors else field.data

    def valid_text(field):
        return None if field.errors else field.data or ""

    return writing.ReportInput(
        started=valid(form.started),
        ended=valid(form.ended),
        places_visited=valid_text(form.places_visited),
        weather=valid_text(form.weather),
        atmosphere=valid_text(form.atmosphere),
        youths={band: valid(getattr(form, band)) for band in AGE_BAND_LABELS},
    )


def _incident_input(form) -> writing.IncidentInput:
    return writing.IncidentInput(
        category=IncidentCategory(form.category.data) if form.category.data and not form.category.errors else None,
        around=form.around.data,
        place=form.place.data or "",
        police_contacted=form.police_contacted.data,
        health_contacted=form.health_contacted.data,
        child_welfare_contacted=form.child_welfare_contacted.data,
        description=form.description.data or "",
        entry=(form.entry.data or None) if "entry" in form and not form.entry.errors else None,
    )


def _fill_report_form(form: ReportForm, shift, report) -> None:
    if report is None:  # the planned times are the likeliest answer
        form.started.data, form.ended.data = local(shift.starts_at).time(), local(shift.ends_at).time()
        return
    form.started.data = local(report.started_at).time() if report.started_at else None
    form.ended.data = local(report.ended_at).time() if report.ended_at else None
    for name in (*TEXT_FIELDS, *AGE_BAND_LABELS):
        getattr(form, name).data = getattr(report, name)
    form.based_on.data = report.versions[-1].number if report.versions else None


def _passage_places(db, report, form) -> dict[str, tuple[str, str]]:
    """Each flagged passage, in order, with its place on the page as (words, anchor): "incident 2",
    or a field's label."""
    numbers = {f"incident:{incident.id}": n for n, incident in enumerate(report.incidents, start=1)}
    places = {}
    for passage, where in writing.passage_places(db, report).items():
        if where in numbers:
            places[passage] = (_("incident %(num)d", num=numbers[where]), where.replace(":", "-"))
        else:
            places[passage] = (
                str(form[where].label.text) if where in form else where,
                form[where].id if where in form else "",
            )
    return places


def _report_page(
    reporter: Reporter,
    shift,
    report,
    form,
    status: int = 200,
    theirs=None,
    refusal: Refusal | None = None,
    opened: Collection[str] = (),
    same_as: int | None = None,
    unsaved: bool | None = None,
):
    """The report's page. Past the correction window the form stays open to the leader: what they
    send then is kept as a request for the coordinator. `refusal` says why it was not submitted,
    beside the field or part of the page it is about; `opened` are sections to show unfolded.
    `unsaved`: the form holds typed text no save took (so far every page not answered 200)."""
    db = db_session()
    may = access.may_change(reporter.person, report, now(), by_link=reporter.by_link)
    late = report is not None and report.state == ReportState.SUBMITTED and report.purged_at is None and not may
    places = _passage_places(db, report, form) if report else {}
    reasons = refusal.each() if refusal is not None else []
    for reason in reasons:
        if reason.field in form:
            form[reason.field].errors = [*form[reason.field].errors, reason.translated(_)]
    flagged_at = {"incidents" if anchor.startswith("incident-") else anchor for _place, anchor in places.values()}
    return render_template(
        "reports/report.html",
        shift=shift,
        report=report,
        form=form,
        editable=may or late,
        late=late,
        deadline=access.correction_deadline(report) if report else None,
        passages=list(places),
        passage_places=places,
        opened=_open_sections(form, report, reasons, opened, flagged_at),
        refused={reason.field: reason.translated(_) for reason in reasons},
        reasons=[(_anchor(form, r.field), r.translated(_)) for r in reasons] if len(reasons) > 1 else [],
        confirmed=set(report.confirmed_flags or []) if report else set(),
        theirs=theirs,
        age_bands=AGE_BAND_LABELS,
        categories=CATEGORY_LABELS,
        walkers=logbook.walkers_on(db, shift),
        tonight=logbook.is_tonight(shift, now()),
        same_as=same_as,
        unsaved=status != 200 if unsaved is None else unsaved,
    ), status


def _anchor(form, field: str | None) -> str:
    """Where on the report's page a reason not to submit is put right: a field, or a part of the page."""
    return form[field].id if field in form else field or ""


def _open_sections(form, report, reasons: list[Refusal], opened, flagged_at: set[str]) -> set[str]:
    """The sections shown unfolded: those asked for (the ones last worked in), those with something
    to correct, and the walk of a report not started yet. The rest fold, to keep the page short."""
    to_correct = {f.name for f in form if f.errors} | flagged_at | {reason.field for reason in reasons}
    shown = {section for section in SECTIONS if section in opened} | _sections_of(to_correct)
    if report is None:
        shown.add("walk")
    return shown


@bp.route("/nights/<int:shift_id>/report/incidents/<int:incident_id>", methods=["GET", "POST"])
@csrf.exempt  # checked by the form, as above
@reporter_required
def edit_incident(reporter: Reporter, shift_id: int, incident_id: int):
    shift, refused = _night_or_refuse(reporter, shift_id)
    if refused:
        return refused
    db = db_session()
    report = access.report_of(db, shift)
    incident = next((i for i in report.incidents if i.id == incident_id), None) if report else None
    if incident is None:
        abort(404)
    form = IncidentForm(obj=incident if request.method == "GET" else None)
    if request.method == "GET":
        access.read_report(db, reporter.person, shift, now())
        db.commit()  # the audit entry for the read
        form.category.data = incident.category.value if incident.category else ""
    elif form.validate_on_submit():
        try:
            writing.save_incident(
                db, reporter.person, shift, incident.id, _incident_input(form), now(), by_link=reporter.by_link
            )
        except Refusal as refusal:
            db.rollback()
            flash(refusal.translated(_), "error")
        else:
            db.commit()
            flash(_("The incident is saved."), "success")
        return redirect(_report_url(shift.id, "incidents"))
    return render_template("reports/incident.html", shift=shift, form=form, incident=incident)


@bp.route("/nights/<int:shift_id>/report/incidents/<int:incident_id>/remove", methods=["GET", "POST"])
@csrf.exempt  # checked by the form, as above
@reporter_required
def remove_incident(reporter: Reporter, shift_id: int, incident_id: int):
    """First a page that shows the incident and asks; its button takes it out of the report. A
    mis-tap on Remove loses nothing: the report was saved on the way here, and Keep leads back."""
    shift, refused = _night_or_refuse(reporter, shift_id)
    if refused:
        return refused
    db = db_session()
    report = access.report_of(db, shift)
    number, incident = _numbered(report, incident_id)
    back = _report_url(shift.id, "incidents")
    if incident is None:  # removed already: a second tap, or Back to this page
        flash(_("That incident is not in the report any more."), "info")
        return redirect(back)
    try:
        access.check_may_change(reporter.person, report, now(), by_link=reporter.by_link)
    except Refusal as refusal:
        flash(refusal.translated(_), "error")
        return redirect(back)
    form = RemoveIncidentForm()
    if request.method == "GET":
        access.read_report(db, reporter.person, shift, now())
        db.commit()  # the audit entry for the read
        return render_template(
            "reports/remove_incident.html",
            form=form,
            incident=incident,
            number=number,
            categories=CATEGORY_LABELS,
            back=_report_url(shift.id, "incidents", at=f"incident-{incident.id}"),
            kept_months=text_kept.months_for(shift.term.region, **text_kept.configured(current_app.config)),
        )
    if not form.validate_on_submit():
        abort(400)
    try:
        writing.remove_incident(db, reporter.person, shift, incident.id, now(), by_link=reporter.by_link)
    except Refusal as refusal:
        db.rollback()
        flash(refusal.translated(_), "error")
    else:
        db.commit()
        flash(_("Incident %(num)d is removed from the report.", num=number), "success")
    return redirect(back)


def _numbered(report, incident_id: int):
    """The report's incident and its number on the report's page (1 for the first), or (0, None)."""
    incidents = report.incidents if report else []
    return next(((n, i) for n, i in enumerate(incidents, start=1) if i.id == incident_id), (0, None))


# The coordinator's side ----------------------------------------------------------------------


@bp.get("/coordinator/reports")
@coordinator_required
def index():
    db = db_session()
    scope = coordinator_scope()
    municipalities, routes = places.municipalities_in_scope(db, scope), places.routes_in_scope(db, scope)
    form = FilterForm(request.args)
    form.municipality.choices = choices(((m.id, m.name) for m in municipalities), first=(0, _("All")))
    form.route.choices = choices(((r.id, f"{r.name} ({r.municipality.name})") for r in routes), first=(0, _("All")))
    page = page_number()
    reports = []
    if form.validate():
        wanted = search.ReportFilter(
            scope=scope,
            municipality_id=form.municipality.data or None,
            route_id=form.route.data or None,
            first_day=form.first_day.data,
            last_day=form.last_day.data,
            category=IncidentCategory(form.category.data) if form.category.data and not form.category.errors else None,
            contacted=form.contacted.data or "",
        )
        reports = search.find_reports(db, wanted, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render_template(
        "reports/index.html",
        form=form,
        reports=reports[:PAGE_SIZE],
        more=len(reports) > PAGE_SIZE,
        page=page,
        missing=reminders.missing_reports(db, scope, now()),
        confirm=ConfirmForm(),
    )


@bp.post("/coordinator/reports/missing/<int:shift_id>/remind")
@coordinator_required
def remind_leader(shift_id: int):
    """Chase a missing report now: its group leaders get an SMS with the link to write it."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db = db_session()
    missing = reminders.missing_report_of(db, coordinator_scope(), shift_id, now())
    if missing is None:
        abort(404)
    reminded = reminders.remind_now(db, missing, now(), links())
    db.commit()
    if reminded:
        flash(
            ngettext(
                "The group leader is reminded by SMS.", "The %(num)d group leaders are reminded by SMS.", reminded
            ),
            "success",
        )
    elif missing.leaders:
        flash(_("The group leader was reminded today already."), "info")
    else:
        flash(_("The night has no group leader: only a coordinator can file its report."), "info")
    return redirect(url_for("reports.index") + "#missing")


def _coordinated_report(report_id: int):
    report = search.report_in_scope(db_session(), report_id, coordinator_scope())
    if report is None:
        abort(404)
    return report


@bp.get("/coordinator/reports/<int:report_id>")
@coordinator_required
def show(report_id: int):
    db = db_session()
    report = _coordinated_report(report_id)
    access.read_report(db, current_user, report.shift, now())
    db.commit()
    return render_template(
        "reports/show.html",
        report=report,
        flagged=redaction.flags_in(db, report),
        flag_labels=FLAG_LABELS,
        categories=CATEGORY_LABELS,
        age_bands=AGE_BAND_LABELS,
        follow_up=FollowUpForm(note=report.follow_up_note),
        confirm=ConfirmForm(),
        request_version=writing.pending_request(report),
    )


@bp.post("/coordinator/reports/<int:report_id>/request")
@coordinator_required
def answer_request(report_id: int):
    report = _coordinated_report(report_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db = db_session()
    accept = request.form.get("accept") == "1"
    try:
        writing.answer_request(db, current_user, report, accept, now())
    except Refusal as refusal:
        db.rollback()
        flash(refusal.translated(_), "error")
    else:
        db.commit()
        flash(_("The correction is taken in.") if accept else _("The report is kept as it was."), "success")
    return redirect(url_for("reports.show", report_id=report.id))


@bp.post("/coordinator/reports/<int:report_id>/follow-up")
@coordinator_required
def follow_up(report_id: int):
    report = _coordinated_report(report_id)
    form = FollowUpForm()
    if not form.validate_on_submit():
        abort(400)
    writing.follow_up(db_session(), current_user, report, form.note.data, now())
    db_session().commit()
    flash(_("The report is marked as followed up."), "success")
    return redirect(url_for("reports.show", report_id=report.id))


@bp.post("/coordinator/reports/<int:report_id>/redact")
@coordinator_required
def redact(report_id: int):
    report = _coordinated_report(report_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    removed = writing.redact_flagged(db_session(), current_user, report, now())
    db_session().commit()
    flash(
        ngettext(
            "%(num)d flagged part was removed, also from earlier versions.",
            "%(num)d flagged parts were removed, also from earlier versions.",
            removed,
        ),
        "success",
    )
    return redirect(url_for("reports.show", report_id=report.id))


# Statistics ---------------------------------------------------------------------------------

#: Where the figures come from, said with them on every page and file that shows them.
SOURCES = N_(
    "Nights walked, walker-hours and walkers are counted from the nights' logbooks, every night walked. "
    "Young people met, incidents and police contact are counted from the group leaders' reports, for the "
    "nights whose report has come."
)


def _chosen() -> tuple[StatisticsForm, council.Selection | None, list[Term]]:
    """The region, period and municipalities asked for, within what the coordinator coordinates,
    and the region's terms (read once: the form offers them, the statistics count by them). The
    selection names no municipalities when a region's coordinator asks for the whole region."""
    db = db_session()
    scope = coordinator_scope()
    regions = places.regions_of(db, set(scope.touched))
    form = StatisticsForm(request.args)
    form.region.choices = choices((r.id, r.name) for r in regions)
    if not request.args.get("region"):
        form.region.data = regions[0].id
    region = next((r for r in regions if r.id == form.region.data), None)
    if region is None:
        abort(404)
    mine = [m for m in region.municipalities if scope.covers(region.id, m.id)]
    form.municipalities.choices = choices((m.id, m.name) for m in mine)
    terms = terms_of_region(db, region.id)
    form.term.choices = choices(
        (t.id, f"{t.name} ({format_date(t.starts_on, 'short')}–{format_date(t.ends_on, 'short')})") for t in terms
    )
    period = _period(form, next((t for t in terms if t.id == form.term.data), None))
    if period is None:
        return form, None, terms
    offered = [m.id for m in mine]
    chosen = [m for m in (form.municipalities.data or []) if m in offered]
    if not chosen and region.id not in scope.regions:
        chosen = offered  # a municipality's coordinator sees their own figures, never the region's
    return form, council.Selection(region.id, period, tuple(sorted(chosen))), terms


def _period(form: StatisticsForm, term: Term | None) -> council.Period | None:
    """The period the form asks for: a term's days, or the days typed; from the start of this year
    to today when it asks for none. None, with the reason beside its field, when a day cannot be
    read or the period cannot be counted."""
    if term is not None:
        for day, field in ((term.starts_on, form.first_day), (term.ends_on, form.last_day)):
            field.data, field.raw_data, field.process_errors = day, None, []  # the term's days, shown as such
        return council.Period(term.starts_on, term.ends_on)
    form.term.data = 0  # a term of another region, or none
    today = local(now()).date()
    if "first_day" not in request.args:
        form.first_day.data = date(today.year, 1, 1)
    if "last_day" not in request.args:
        form.last_day.data = today
    form.validate()
    if form.first_day.errors or form.last_day.errors:
        return None
    try:
        return council.Period.checked(form.first_day.data, form.last_day.data)
    except Refusal as refusal:
        problem = getattr(form, refusal.field or "last_day")
        problem.errors = [*problem.errors, refusal.translated(_)]
        return None


def _period_refused(form: StatisticsForm, title: str, endpoint: str):
    """The period form again, its errors beside the days, to send to `endpoint` once corrected."""
    return render_template(
        "reports/statistics.html", form=form, title=title, action=url_for(endpoint), **_figures_context(None)
    ), 422


def _statistics_of(chosen: council.Selection) -> Statistics:
    period, ids = chosen.period, list(chosen.municipality_ids) or None
    return statistics(db_session(), chosen.region_id, period.first_day, period.last_day, now(), ids)


def _number(value: float) -> str:
    return format_decimal(round(value, 1))


def _unreported(nights: int, shown: Callable[[int], str] = str) -> str:
    """How many nights walked have no report yet, the count as `shown` prints it: a count shown as
    "<3" reads as a plural."""
    num = nights if shown(nights) == str(nights) else council.SMALLEST_SHOWN
    return ngettext(
        "%(count)s night walked has no report yet: its incidents are not counted.",
        "%(count)s nights walked have no report yet: their incidents are not counted.",
        num,
        count=shown(nights),
    )


def _share(value: float | None) -> str:
    return format_percent(value, "#,##0.0 %") if value is not None else "–"


def _chart(title: str, rows: list[tuple[str, float]]) -> tuple[str, Markup]:
    return title, svg.bar_chart(title, svg.described(rows), rows)


def _charts(stats: Statistics) -> list[tuple[str, Markup]]:
    total = stats.total
    return [
        _chart(
            _("Nights walked by municipality"),
            [(m.name, stats.by_municipality[m.id].nights) for m in stats.municipalities],
        ),
        _chart(
            _("Young people met by age band"),
            [(str(label), total.youths.get(b, 0)) for b, label in AGE_BAND_LABELS.items()],
        ),
        _chart(
            _("Incidents by category"),
            [(str(label), total.incidents.get(c, 0)) for c, label in CATEGORY_LABELS.items()],
        ),
        _chart(_("Incidents by month"), [(f"{m:02d}.{y}", total.by_month.get((y, m), 0)) for y, m in stats.months]),
    ]


def _figures_context(stats: Statistics | None) -> dict:
    return {
        "stats": stats,
        "charts": _charts(stats) if stats else [],
        "period": _(
            "%(first)s to %(last)s",
            first=format_date(stats.first_day, "long"),
            last=format_date(stats.last_day, "long"),
        )
        if stats
        else "",
        "categories": CATEGORY_LABELS,
        "age_bands": AGE_BAND_LABELS,
        "number": _number,
        "share": _share,
        "unreported": _unreported,
        "sources": _(SOURCES),
    }


@bp.get("/coordinator/reports/statistics", endpoint="statistics")
@coordinator_required
def statistics_page():
    form, chosen, terms = _chosen()
    if chosen is None:
        return _period_refused(form, _("Statistics"), "reports.statistics")
    kept = retention(db_session(), terms, local(now()).date(), list(chosen.municipality_ids) or None)
    return render_template(
        "reports/statistics.html", form=form, retention=kept, **_figures_context(_statistics_of(chosen))
    )


# The police-council report ---------------------------------------------------------------


def _council_selection():
    """The report asked for, or the page that says why its period cannot be counted."""
    form, chosen, _terms = _chosen()
    if chosen is None:
        return None, _period_refused(form, _("Report to the police council"), "reports.summary")
    return chosen, None


def _period_words(period: council.Period) -> str:
    return _(
        "%(first)s to %(last)s", first=format_date(period.first_day, "long"), last=format_date(period.last_day, "long")
    )


def _period_names(report: council.CouncilReport) -> list[str]:
    """The three columns' names: a term beside the term before is named as such."""
    if report.terms:
        return [_("This term"), _("The term before"), _("The same period a year earlier")]
    return [_("This period"), _("The period before"), _("The same period a year earlier")]


def _compared_with(report: council.CouncilReport) -> str:
    """What the period is compared with, in words: "the period before" alone left a council to guess
    whether it meant the term before or as many days before."""
    before, year = _period_words(report.previous.period), _period_words(report.last_year.period)
    if report.terms:
        return _(
            "Compared with the term before, %(term)s (%(before)s), and with the same dates a year earlier (%(year)s).",
            term=report.terms.before.name,
            before=before,
            year=year,
        )
    period = report.selection.period
    if period.months:
        return ngettext(
            "Compared with the month just before (%(before)s), and with the same month a year earlier (%(year)s).",
            "Compared with the %(num)d months just before (%(before)s), and with the same months a year earlier "
            "(%(year)s).",
            period.months,
            before=before,
            year=year,
        )
    return ngettext(
        "Compared with the day just before (%(before)s), and with the same day a year earlier (%(year)s).",
        "Compared with the %(num)d days just before (%(before)s), and with the same dates a year earlier (%(year)s).",
        period.days,
        before=before,
        year=year,
    )


#: Said where a part is kept back (":") so that a "<3" beside it cannot be worked out.
KEPT_BACK_NOTE = N_(
    "A count shown as : is kept back so that a small count beside it cannot be worked out by subtracting "
    "the counts shown from the total."
)
#: What a screen reader says for ":".
KEPT_BACK_WORDS = N_("kept back")

#: Said under the walkers per municipality, which add up to more than the total.
COUNTED_IN_EACH = N_(
    "Someone who walked in more than one municipality is counted in each of them, so the people per "
    "municipality can add up to more than the people who walked in all."
)


def _council_charts(report: council.CouncilReport) -> list[tuple[str, Markup]]:
    chosen = report.chosen

    def chart(title: str, rows: list[tuple[str, float]], shown: list[str]) -> tuple[str, Markup]:
        said = [_(KEPT_BACK_WORDS) if text == council.KEPT_BACK else text for text in shown]
        return title, svg.bar_chart(title, svg.described(rows, said), rows, shown)

    nights: list[tuple[str, float]] = [(m.name, chosen.by_municipality[m.id].nights) for m in report.municipalities]
    categories = list(CATEGORY_LABELS.items())
    return [
        chart(_("Nights walked by municipality"), nights, [council.shown(int(n)) for _m, n in nights]),
        chart(
            _("Incidents by category"),
            [(str(label), chosen.figures.incidents.get(c, 0)) for c, label in categories],
            [chosen.incidents_shown[c] for c, _label in categories],
        ),
        chart(
            _("Incidents by hour of the night"),
            [(_hour_words(h), chosen.by_hour.get(h, 0)) for h in council.NIGHT_HOURS],
            [chosen.hours_shown[h] for h in council.NIGHT_HOURS],
        ),
    ]


def _hour_words(hour: int | None) -> str:
    if hour is None:
        return _("Other time, or none given")
    return f"{hour:02d}–{(hour + 1) % 24:02d}"


def _council_page(
    report: council.CouncilReport,
    *,
    shared: bool,
    link: str | None = None,
    expires_on=None,
    assessment_form: AssessmentForm | None = None,
    unchecked: council.AssessmentUnchecked | None = None,
):
    """The report's page; `assessment_form` brings back what was typed when it could not be saved,
    and `unchecked` the passages in it to rewrite or confirm. A saved assessment with passages
    never confirmed shows them the same way, for the coordinator only."""
    if assessment_form is None:
        assessment_form = AssessmentForm(text=report.assessment.text if report.assessment else "")
    if unchecked is not None:
        passages, confirmed = unchecked.unchecked, unchecked.confirmed
    elif report.assessment is not None:  # confirmed passages go with the form, not to be asked again
        passages, confirmed = report.unchecked, list(report.assessment.confirmed_flags or [])
    else:
        passages, confirmed = [], []
    return render_template(
        "reports/summary.html",
        report=report,
        shared=shared,
        link=link,
        expires_on=expires_on,
        periods=[_period_words(p.period) for p in report.periods],
        period_names=_period_names(report),
        compared_with=_compared_with(report),
        counted_in_each=_(COUNTED_IN_EACH),
        kept_back=council.KEPT_BACK,
        kept_back_note=_(KEPT_BACK_NOTE),
        kept_back_words=_(KEPT_BACK_WORDS),
        age_bands=AGE_BAND_LABELS,
        charts=_council_charts(report),
        hours=[(h, _hour_words(h)) for h in (*council.NIGHT_HOURS, None)],
        categories=CATEGORY_LABELS,
        n=council.shown,
        number=_number,
        assessment_form=assessment_form,
        passages=[] if shared else passages,
        confirmed=[] if shared else confirmed,
        unreported=lambda nights: _unreported(nights, council.shown),
        sources=_(SOURCES),
        link_form=_link_form(),
        query=request.query_string.decode(),
    )


def _link_form() -> CouncilLinkForm:
    form = CouncilLinkForm()
    form.days.choices = choices((d, ngettext("%(num)d day", "%(num)d days", d)) for d in council.LINK_DAYS)
    return form


@bp.get("/coordinator/reports/summary")
@coordinator_required
def summary():
    selection, refused = _council_selection()
    if refused:
        return refused
    return _council_page(council.council_report(db_session(), selection, now()), shared=False)


@bp.post("/coordinator/reports/summary/assessment")
@coordinator_required
def save_assessment():
    selection, refused = _council_selection()
    if refused:
        return refused
    db, form = db_session(), AssessmentForm()
    unchecked = None
    if form.validate_on_submit():
        confirmed = request.form.getlist("confirm")
        try:
            council.save_assessment(db, selection, form.text.data or "", now(), current_user, confirmed)
        except Refusal as refusal:
            db.rollback()
            form.text.errors = [*form.text.errors, refusal.translated(_)]
            unchecked = refusal if isinstance(refusal, council.AssessmentUnchecked) else None
        else:
            db.commit()
            flash(_("Your assessment is saved with the report."), "success")
            return redirect(url_for("reports.summary") + "?" + request.query_string.decode())
    if "csrf_token" in form.errors:  # said once, above the form, not as an answer to correct
        form.csrf_token.errors = []
        flash(_("The page had been open a long time. Everything you typed is still here: save again."), "error")
    # The saved assessment stays as it was, shown above the box that keeps what was typed.
    report = council.council_report(db, selection, now())
    return _council_page(report, shared=False, assessment_form=form, unchecked=unchecked), 422


@bp.post("/coordinator/reports/summary/link")
@coordinator_required
def make_council_link():
    selection, refused = _council_selection()
    if refused:
        return refused
    form = _link_form()
    if not form.validate_on_submit():
        abort(400)
    db = db_session()
    link, expires_on = council.make_link(
        db, selection, form.days.data, now(), links(), current_user, local(now()).date()
    )
    db.commit()
    report = council.council_report(db, selection, now())
    return _council_page(report, shared=False, link=link, expires_on=expires_on)


@bp.get("/council/<token>")
def council_by_link(token: str):
    """The report for the council's members: no login, nothing to change, nothing kept by the browser."""
    db = db_session()
    selection = council.selection_from_link(token, links(), local(now()).date())
    if selection is None:
        page = render_template(
            "error.html",
            title=_("The link no longer works"),
            text=_("It has expired. Ask the coordinator for a new one."),
        )
        response = Response(page, status=404)
    else:
        report = council.council_report(db, selection, now())
        council.link_opened(db, selection, now())
        db.commit()
        response = Response(_council_page(report, shared=True))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/coordinator/reports/summary.csv")
@coordinator_required
def summary_csv():
    selection, refused = _council_selection()
    if refused:
        return refused
    report = council.council_report(db_session(), selection, now())
    period = report.selection.period
    filename = f"natteravn-politirad-{period.first_day}-{period.last_day}.csv"
    return Response(
        csv_text(_council_rows(report)).encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


#: What a period no night walked is recorded for shows instead of its zeros.
NO_DATA = "–"


def _council_rows(report: council.CouncilReport) -> list[list]:
    """The report as rows for a spreadsheet, with the same "<3" and ":" as the page, and the same "–"
    for a period no night walked is recorded for."""
    periods = report.periods

    def n(count: int, period: council.PeriodFigures) -> str:
        return council.shown(count) if period.walked else NO_DATA

    def part(text: str, period: council.PeriodFigures) -> str:
        return text if period.walked else NO_DATA

    unreported = report.chosen.figures.unreported
    rows: list[list] = [
        [_("Counts of 1 or 2 are shown as <3. Totals are exact.")],
        *([[_(KEPT_BACK_NOTE)]] if report.keeps_back else []),
        [_(SOURCES)],
        *([[_unreported(unreported, council.shown)]] if unreported else []),
        [_compared_with(report)],
        ["", *_period_names(report)],
        ["", *(_period_words(p.period) for p in periods)],
        *([["", *("" if p.walked else _("No data") for p in periods)]] if not all(p.walked for p in periods) else []),
        [_("Nights walked"), *(n(p.figures.nights, p) for p in periods)],
        [_("Nights walked without a report yet"), *(n(p.figures.unreported, p) for p in periods)],
        [_("Walker-hours"), *(_number(p.effort.walker_hours) if p.walked else NO_DATA for p in periods)],
        [_("People who walked"), *(n(p.effort.people, p) for p in periods)],
        [_("Of them new"), *(n(p.effort.new_people, p) for p in periods)],
        [_("Young people met"), *(n(p.figures.youths_total, p) for p in periods)],
        *(
            [_("Young people %(band)s", band=label), *(part(p.youths_shown[band], p) for p in periods)]
            for band, label in AGE_BAND_LABELS.items()
        ),
        [_("Incidents"), *(n(p.figures.incidents_total, p) for p in periods)],
        [_("Nights with police contact"), *(n(p.figures.police_nights, p) for p in periods)],
        [],
        [_("Incidents by category")],
    ]
    rows += [[str(label), *(part(p.incidents_shown[c], p) for p in periods)] for c, label in CATEGORY_LABELS.items()]
    rows += [[], [_("Incidents by hour of the night")]]
    rows += [[_hour_words(h), *(part(p.hours_shown[h], p) for p in periods)] for h in (*council.NIGHT_HOURS, None)]
    for title, value in ((_("Nights walked by municipality"), "nights"), (_("Incidents by municipality"), "incidents")):
        rows += [[], [title]]
        for m in report.municipalities:
            mine = [(p.by_municipality[m.id], p) for p in periods]
            rows += [[m.name, *(n(f.nights if value == "nights" else f.incidents_total, p) for f, p in mine)]]
    rows += _people_by_municipality(report, n)
    for title, value in ((_("Nights walked by route"), "nights"), (_("Incidents by route"), "incidents")):
        rows += [[], [title]]
        for route in report.routes:
            rows += [[route.name, *(n(p.by_route.get(route.id, Counter())[value], p) for p in periods)]]
    if report.printed_assessment:
        rows += [[], [_("The coordinator's assessment")], [report.printed_assessment]]
    return rows


def _people_by_municipality(report: council.CouncilReport, n: Callable) -> list[list]:
    """The people who walked by municipality, and then in all on a row of its own that says it counts
    each person once: the municipalities add up to more, and a spreadsheet keeps no note under a table."""
    periods = report.periods
    rows: list[list] = [[], [_("People who walked by municipality")]]
    for m in report.municipalities:
        rows += [[m.name, *(n(p.effort_by_municipality[m.id].people, p) for p in periods)]]
    rows += [[_("All municipalities, each person once"), *(n(p.effort.people, p) for p in periods)]]
    return rows


@bp.get("/coordinator/reports/statistics.csv")
@coordinator_required
def statistics_csv():
    form, chosen, _terms = _chosen()
    if chosen is None:
        return _period_refused(form, _("Statistics"), "reports.statistics")
    stats = _statistics_of(chosen)
    rows: list[list] = [[_("Municipality"), *_csv_headings()]]
    rows += [[m.name, *_csv_values(stats.by_municipality[m.id])] for m in stats.municipalities]
    rows += [[_("Total"), *_csv_values(stats.total)], [], [_("Month"), _("Incidents")]]
    rows += [[f"{year}-{month:02d}", stats.total.by_month.get((year, month), 0)] for year, month in stats.months]
    filename = f"natteravn-{form.first_day.data}-{form.last_day.data}.csv"
    return Response(
        csv_text(rows).encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _csv_headings() -> list[str]:
    return [
        _("Nights walked"),
        _("Nights walked without a report yet"),
        _("Walker-hours"),
        *(_("Young people %(band)s", band=label) for label in AGE_BAND_LABELS.values()),
        _("Young people in all"),
        *(str(label) for label in CATEGORY_LABELS.values()),
        _("Incidents in all"),
        _("Nights with police contact (share)"),
        _("No-show rate"),
    ]


def _csv_values(figures: Figures) -> list:
    return [
        figures.nights,
        figures.unreported,
        _number(figures.walker_hours),
        *(figures.youths.get(band, 0) for band in AGE_BAND_LABELS),
        figures.youths_total,
        *(figures.incidents.get(category, 0) for category in CATEGORY_LABELS),
        figures.incidents_total,
        _share(figures.police_share),
        _share(figures.no_show_rate),
    ]
