"""The leader's logbook and report (phone, no JavaScript), and the coordinator's reports,
statistics, CSV export and printable summary for the police council."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal, format_percent, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from markupsafe import Markup

from natteravn.accounts.forms import ConfirmForm
from natteravn.clock import local
from natteravn.extensions import csrf
from natteravn.i18n import Refusal
from natteravn.places import service as places
from natteravn.reports import access, council, logbook, redaction, reminders, search, svg, writing
from natteravn.reports.forms import (
    AGE_BAND_LABELS,
    CATEGORY_LABELS,
    AssessmentForm,
    CouncilLinkForm,
    FilterForm,
    FollowUpForm,
    IncidentForm,
    LogbookForm,
    ReportForm,
    StatisticsForm,
    WalkInForm,
)
from natteravn.reports.models import TEXT_FIELDS, IncidentCategory
from natteravn.reports.redaction import FLAG_LABELS
from natteravn.reports.stats import Figures, Statistics, retention, statistics
from natteravn.web import choices, coordinator_required, coordinator_scope, db_session, links, now

bp = Blueprint("reports", __name__)

PAGE_SIZE = 50


# The leader's side ---------------------------------------------------------------------------


@bp.get("/r/<token>")
def from_link(token: str):
    """The SMS link: logs the night's leader in and opens the report."""
    db = db_session()
    value = links().unsign("report", token)
    found = access.person_for_link(db, value, now()) if value is not None else None
    if found is None:
        return render_template(
            "error.html",
            title=_("The link no longer works"),
            text=_("It has expired or the night is no longer yours. Log in and open the night from My nights."),
        ), 404
    person, shift = found
    login_user(person, remember=True)
    return redirect(url_for("reports.night_report", shift_id=shift.id))


def _night_or_refuse(shift_id: int):
    """The night, or a response saying why not (404 for nights the person has no part in)."""
    db = db_session()
    try:
        shift = access.night_for(db, current_user, shift_id, now())
    except Refusal as refusal:
        return None, (render_template("error.html", title=_("Not open yet"), text=refusal.translated(_)), 403)
    if shift is None:
        abort(404)
    return shift, None


@bp.route("/nights/<int:shift_id>/logbook", methods=["GET", "POST"], endpoint="logbook")
@csrf.exempt  # the form checks its own token, valid for a whole night (see forms.REPORT_CSRF_SECONDS)
@login_required
def keep_logbook(shift_id: int):
    shift, refused = _night_or_refuse(shift_id)
    if refused:
        return refused
    db = db_session()
    form, walk_in = LogbookForm(), WalkInForm(prefix="walkin")
    if form.save.data and form.validate_on_submit():
        present = {int(v) for v in request.form.getlist("present") if v.isdigit()}
        try:
            logbook.record_attendance(db, current_user, shift, present, now())
        except Refusal as refusal:
            db.rollback()
            flash(refusal.translated(_), "error")
        else:
            db.commit()
            flash(_("The logbook is saved."), "success")
            return redirect(url_for("reports.night_report", shift_id=shift.id))
    return _logbook_page(shift, form, walk_in)


def _logbook_page(shift, form, walk_in, status: int = 200):
    db = db_session()
    report = access.report_of(db, shift)
    return render_template(
        "reports/logbook.html",
        shift=shift,
        lines=logbook.logbook(db, shift),
        form=form,
        walk_in=walk_in,
        editable=access.may_change(current_user, report, now()),
    ), status


@bp.post("/nights/<int:shift_id>/logbook/walk-in")
@csrf.exempt  # checked by the form, as above
@login_required
def walk_in(shift_id: int):
    shift, refused = _night_or_refuse(shift_id)
    if refused:
        return refused
    db = db_session()
    form = WalkInForm(prefix="walkin")
    if form.validate_on_submit():
        try:
            logbook.add_walk_in(db, current_user, shift, form.phone.data, form.name.data, form.adult.data, now())
        except Refusal as refusal:
            db.rollback()
            form.phone.errors.append(refusal.translated(_))
        else:
            db.commit()
            flash(_("The walker is in the logbook."), "success")
            return redirect(url_for("reports.logbook", shift_id=shift.id))
    return _logbook_page(shift, LogbookForm(formdata=None), form, status=422)


@bp.route("/nights/<int:shift_id>/report", methods=["GET", "POST"])
@csrf.exempt  # checked by the form, as above
@login_required
def night_report(shift_id: int):
    shift, refused = _night_or_refuse(shift_id)
    if refused:
        return refused
    db = db_session()
    form = ReportForm()
    if request.method == "POST":
        return _save_report(shift, form)
    report = access.read_report(db, current_user, shift, now())
    db.commit()  # the audit entry for the read
    _fill_report_form(form, shift, report)
    return _report_page(shift, report, form)


def _save_report(shift, form: ReportForm):
    db = db_session()
    form.validate()
    if "csrf_token" in form.errors:
        abort(400)
    # An incident typed but not added is added by any button, so no button loses it.
    adding = bool(form.add_incident.data) or _incident_typed(form)
    if adding and not form.category.data:
        form.category.errors.append(_("Choose a category for the incident."))
    incident_ready = adding and not _incident_errors(form)
    try:
        saved = writing.save_report(
            db,
            current_user,
            shift,
            _report_input(form),
            now(),
            submit=bool(form.submit_report.data) and (incident_ready or not adding),
            incident=_incident_input(form) if incident_ready else None,
            remove_incident_id=_int_or_none(request.form.get("remove_incident")),
        )
    except Refusal as refusal:
        db.rollback()
        flash(refusal.translated(_), "error")
        return redirect(url_for("reports.night_report", shift_id=shift.id))
    db.commit()
    if _has_errors(form, adding):
        flash(_("Saved as a draft. Check the fields marked below."), "error")
        return _report_page(shift, saved.report, form, status=422)
    edit = _int_or_none(request.form.get("edit_incident"))
    if edit:
        return redirect(url_for("reports.edit_incident", shift_id=shift.id, incident_id=edit))
    flash(*_saved_message(form, saved))
    return redirect(url_for("reports.night_report", shift_id=shift.id))


def _saved_message(form: ReportForm, saved: writing.Saved) -> tuple[str, str]:
    if saved.not_submitted is not None:
        return _("Saved as a draft, not submitted: %(why)s", why=saved.not_submitted.translated(_)), "error"
    if form.submit_report.data:
        return _("The report is submitted. Thank you for walking tonight!"), "success"
    if form.add_incident.data:
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
    return any(getattr(form, name).errors for name in ("category", "around", "place", "description"))


def _has_errors(form: ReportForm, adding: bool) -> bool:
    report_fields = ("started", "ended", *AGE_BAND_LABELS)
    return any(getattr(form, name).errors for name in report_fields) or (adding and _incident_errors(form))


def _int_or_none(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


def _report_input(form: ReportForm) -> writing.ReportInput:
    def valid(field):
        return None if field.errors else field.data

    return writing.ReportInput(
        started=valid(form.started),
        ended=valid(form.ended),
        places_visited=form.places_visited.data or "",
        weather=form.weather.data or "",
        atmosphere=form.atmosphere.data or "",
        youths={band: valid(getattr(form, band)) for band in AGE_BAND_LABELS},
    )


def _incident_input(form) -> writing.IncidentInput:
    return writing.IncidentInput(
        category=IncidentCategory(form.category.data),
        around=form.around.data,
        place=form.place.data or "",
        police_contacted=form.police_contacted.data,
        health_contacted=form.health_contacted.data,
        child_welfare_contacted=form.child_welfare_contacted.data,
        description=form.description.data or "",
    )


def _fill_report_form(form: ReportForm, shift, report) -> None:
    if report is None:  # the planned times are the likeliest answer
        form.started.data, form.ended.data = local(shift.starts_at).time(), local(shift.ends_at).time()
        return
    form.started.data = local(report.started_at).time() if report.started_at else None
    form.ended.data = local(report.ended_at).time() if report.ended_at else None
    for name in (*TEXT_FIELDS, *AGE_BAND_LABELS):
        getattr(form, name).data = getattr(report, name)


def _report_page(shift, report, form, status: int = 200):
    return render_template(
        "reports/report.html",
        shift=shift,
        report=report,
        form=form,
        editable=access.may_change(current_user, report, now()),
        deadline=access.correction_deadline(report) if report else None,
        age_bands=AGE_BAND_LABELS,
        categories=CATEGORY_LABELS,
        walkers=logbook.logbook(db_session(), shift),
    ), status


@bp.route("/nights/<int:shift_id>/report/incidents/<int:incident_id>", methods=["GET", "POST"])
@csrf.exempt  # checked by the form, as above
@login_required
def edit_incident(shift_id: int, incident_id: int):
    shift, refused = _night_or_refuse(shift_id)
    if refused:
        return refused
    db = db_session()
    report = access.report_of(db, shift)
    incident = next((i for i in report.incidents if i.id == incident_id), None) if report else None
    if incident is None:
        abort(404)
    form = IncidentForm(obj=incident if request.method == "GET" else None)
    if request.method == "GET":
        access.read_report(db, current_user, shift, now())
        db.commit()  # the audit entry for the read
        form.category.data = incident.category.value
    elif form.validate_on_submit() and form.category.data:
        try:
            writing.save_incident(db, current_user, shift, incident.id, _incident_input(form), now())
        except Refusal as refusal:
            db.rollback()
            flash(refusal.translated(_), "error")
        else:
            db.commit()
            flash(_("The incident is saved."), "success")
        return redirect(url_for("reports.night_report", shift_id=shift.id))
    elif not form.category.data:
        form.category.errors.append(_("Choose a category for the incident."))
    return render_template("reports/incident.html", shift=shift, form=form, incident=incident)


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
    page = max(_int_or_none(request.args.get("page")) or 1, 1)
    reports = []
    if form.validate():
        wanted = search.ReportFilter(
            scope=scope,
            municipality_id=form.municipality.data or None,
            route_id=form.route.data or None,
            first_day=form.first_day.data,
            last_day=form.last_day.data,
            category=IncidentCategory(form.category.data) if form.category.data else None,
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
    )


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
    )


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


def _chosen() -> tuple[StatisticsForm, council.Selection | None]:
    """The region, period and municipalities asked for, within what the coordinator coordinates.
    The selection names no municipalities when a region's coordinator asks for the whole region."""
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
    today = local(now()).date()
    form.first_day.data = form.first_day.data or date(today.year, 1, 1)
    form.last_day.data = form.last_day.data or today
    form.validate()
    if form.first_day.data > form.last_day.data:
        form.last_day.errors = [*form.last_day.errors, _("The last day must be after the first.")]
        return form, None
    if form.last_day.data - form.first_day.data > timedelta(days=366 * 10):
        form.last_day.errors = [*form.last_day.errors, _("Choose a period of ten years or less.")]
        return form, None
    offered = [m.id for m in mine]
    chosen = [m for m in (form.municipalities.data or []) if m in offered]
    if not chosen and region.id not in scope.regions:
        chosen = offered  # a municipality's coordinator sees their own figures, never the region's
    period = council.Period(form.first_day.data, form.last_day.data)
    return form, council.Selection(region.id, period, tuple(sorted(chosen)))


def _statistics_request() -> tuple[StatisticsForm, Statistics | None]:
    form, chosen = _chosen()
    if chosen is None:
        return form, None
    period = chosen.period
    found = statistics(
        db_session(), chosen.region_id, period.first_day, period.last_day, list(chosen.municipality_ids) or None
    )
    return form, found


def _number(value: float) -> str:
    return format_decimal(round(value, 1))


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
    }


@bp.get("/coordinator/reports/statistics", endpoint="statistics")
@coordinator_required
def statistics_page():
    form, chosen = _chosen()
    stats, kept = None, []
    if chosen is not None:
        db, period, ids = db_session(), chosen.period, list(chosen.municipality_ids) or None
        stats = statistics(db, chosen.region_id, period.first_day, period.last_day, ids)
        kept = retention(db, chosen.region_id, ids)
    return render_template("reports/statistics.html", form=form, retention=kept, **_figures_context(stats))


# The police-council report ---------------------------------------------------------------


def _council_selection() -> council.Selection:
    _form, chosen = _chosen()
    if chosen is None:
        abort(400)
    return chosen


def _period_words(period: council.Period) -> str:
    return _(
        "%(first)s to %(last)s", first=format_date(period.first_day, "long"), last=format_date(period.last_day, "long")
    )


def _council_charts(report: council.CouncilReport) -> list[tuple[str, Markup]]:
    figures = report.chosen.figures

    def chart(title: str, rows: list[tuple[str, float]]) -> tuple[str, Markup]:
        drawn = svg.bar_chart(
            title,
            svg.described(rows, council.shown),
            rows,
            value_format=council.shown,
            hidden_below=council.SMALLEST_SHOWN,
        )
        return title, drawn

    return [
        chart(
            _("Nights walked by municipality"),
            [(m.name, report.chosen.by_municipality[m.id].nights) for m in report.municipalities],
        ),
        chart(
            _("Incidents by category"),
            [(str(label), figures.incidents.get(c, 0)) for c, label in CATEGORY_LABELS.items()],
        ),
        chart(
            _("Incidents by hour of the night"),
            [(_hour_words(h), report.chosen.by_hour.get(h, 0)) for h in council.NIGHT_HOURS],
        ),
    ]


def _hour_words(hour: int | None) -> str:
    if hour is None:
        return _("Other time, or none given")
    return f"{hour:02d}–{(hour + 1) % 24:02d}"


def _council_page(report: council.CouncilReport, *, shared: bool, link: str | None = None, expires_on=None):
    return render_template(
        "reports/summary.html",
        report=report,
        shared=shared,
        link=link,
        expires_on=expires_on,
        periods=[_period_words(p.period) for p in report.periods],
        period_names=[_("This period"), _("The period before"), _("The same period a year earlier")],
        charts=_council_charts(report),
        hours=[(h, _hour_words(h)) for h in (*council.NIGHT_HOURS, None)],
        categories=CATEGORY_LABELS,
        n=council.shown,
        number=_number,
        assessment_form=AssessmentForm(text=report.assessment.text if report.assessment else ""),
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
    report = council.council_report(db_session(), _council_selection(), now())
    return _council_page(report, shared=False)


@bp.post("/coordinator/reports/summary/assessment")
@coordinator_required
def save_assessment():
    selection = _council_selection()
    form = AssessmentForm()
    if not form.validate_on_submit():
        abort(400)
    council.save_assessment(db_session(), selection, form.text.data or "", now(), current_user)
    db_session().commit()
    flash(_("Your assessment is saved with the report."), "success")
    return redirect(url_for("reports.summary") + "?" + request.query_string.decode())


@bp.post("/coordinator/reports/summary/link")
@coordinator_required
def make_council_link():
    selection = _council_selection()
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
    report = council.council_report(db_session(), _council_selection(), now())
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in _council_rows(report):
        writer.writerow(row)
    period = report.selection.period
    filename = f"natteravn-politirad-{period.first_day}-{period.last_day}.csv"
    return Response(
        out.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _council_rows(report: council.CouncilReport) -> list[list]:
    """The report as rows for a spreadsheet, with the same "<3" as the page."""
    n, periods = council.shown, report.periods
    rows: list[list] = [
        [_("Counts of 1 or 2 are shown as <3. Totals are exact.")],
        ["", *(_period_words(p.period) for p in periods)],
        [_("Nights walked"), *(n(p.figures.nights) for p in periods)],
        [_("Walker-hours"), *(_number(p.effort.walker_hours) for p in periods)],
        [_("People who walked"), *(n(p.effort.people) for p in periods)],
        [_("Of them new"), *(n(p.effort.new_people) for p in periods)],
        [_("Young people met"), *(n(p.figures.youths_total) for p in periods)],
        [_("Incidents"), *(n(p.figures.incidents_total) for p in periods)],
        [_("Nights with police contact"), *(n(p.figures.police_nights) for p in periods)],
        [],
        [_("Incidents by category")],
    ]
    rows += [[str(label), *(n(p.figures.incidents.get(c, 0)) for p in periods)] for c, label in CATEGORY_LABELS.items()]
    rows += [[], [_("Incidents by hour of the night")]]
    rows += [[_hour_words(h), *(n(p.by_hour.get(h, 0)) for p in periods)] for h in (*council.NIGHT_HOURS, None)]
    for title, value in ((_("Nights walked by municipality"), "nights"), (_("Incidents by municipality"), "incidents")):
        rows += [[], [title]]
        for m in report.municipalities:
            mine = [p.by_municipality[m.id] for p in periods]
            rows += [[m.name, *(n(f.nights if value == "nights" else f.incidents_total) for f in mine)]]
    for title, value in ((_("Nights walked by route"), "nights"), (_("Incidents by route"), "incidents")):
        rows += [[], [title]]
        for route in report.routes:
            rows += [[route.name, *(n(p.by_route.get(route.id, Counter())[value]) for p in periods)]]
    if report.assessment and report.assessment.text:
        rows += [[], [_("The coordinator's assessment")], [report.assessment.text]]
    return rows


@bp.get("/coordinator/reports/statistics.csv")
@coordinator_required
def statistics_csv():
    form, stats = _statistics_request()
    if stats is None:
        abort(400)
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Municipality"), *_csv_headings()])
    for municipality in stats.municipalities:
        writer.writerow([municipality.name, *_csv_values(stats.by_municipality[municipality.id])])
    writer.writerow([_("Total"), *_csv_values(stats.total)])
    writer.writerow([])
    writer.writerow([_("Month"), _("Incidents")])
    for year, month in stats.months:
        writer.writerow([f"{year}-{month:02d}", stats.total.by_month.get((year, month), 0)])
    filename = f"natteravn-{form.first_day.data}-{form.last_day.data}.csv"
    return Response(
        out.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _csv_headings() -> list[str]:
    return [
        _("Nights walked"),
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
        _number(figures.walker_hours),
        *(figures.youths.get(band, 0) for band in AGE_BAND_LABELS),
        figures.youths_total,
        *(figures.incidents.get(category, 0) for category in CATEGORY_LABELS),
        figures.incidents_total,
        _share(figures.police_share),
        _share(figures.no_show_rate),
    ]
