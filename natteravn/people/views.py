"""The coordinator's people pages: the list, one person, roles, deactivation and CSV import."""

from __future__ import annotations

from babel.lists import format_list
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from natteravn.accounts.forms import ConfirmForm
from natteravn.accounts.models import Person, RoleKind
from natteravn.accounts.service import ProfileRefused, display_phone
from natteravn.extensions import csrf
from natteravn.i18n import Refusal
from natteravn.people import adding, importing
from natteravn.people import service as people
from natteravn.people.forms import (
    CHANGE_NAMES,
    COLUMN_LABELS,
    FIELD_NAMES,
    NO_COLUMN,
    ColumnsForm,
    ConfirmImportForm,
    DeclineForm,
    ImportForm,
    ImportStepForm,
    PeopleFilter,
    PersonForm,
)
from natteravn.places import service as places
from natteravn.web import (
    choices,
    coordinated_regions,
    coordinator_required,
    coordinator_scope,
    db_session,
    links,
    now,
    page_number,
    region_coordinator_required,
    show_refusal,
)

bp = Blueprint("people", __name__, url_prefix="/coordinator/people")


def _query(form: PeopleFilter) -> people.PeopleQuery:
    form.validate()  # an unknown choice in the address is ignored rather than an error
    return people.PeopleQuery(
        text="" if form.q.errors else form.q.data or "",
        municipality_id=form.municipality.data if not form.municipality.errors else None,
        role=people.RoleFilter(form.role.data) if form.role.data and not form.role.errors else None,
        activity=people.Activity(form.activity.data) if form.activity.data and not form.activity.errors else None,
        order=people.Order(form.order.data) if form.order.data and not form.order.errors else people.Order.NAME,
        page=page_number(),
    )


@bp.get("")
@coordinator_required
def index():
    form = PeopleFilter(request.args)
    scope = coordinator_scope()
    municipalities = places.municipalities_in_scope(db_session(), scope)
    form.municipality.choices = choices(((m.id, m.name) for m in municipalities), first=(0, _("All")))
    query = _query(form)
    found = people.list_people(db_session(), scope, query, now())
    filters = {
        "q": query.text,
        "municipality": query.municipality_id or "",
        "role": query.role or "",
        "activity": query.activity or "",
        "order": query.order,
    }
    return render_template(
        "people/index.html",
        title=_("People"),
        form=form,
        found=found,
        filters=filters,
        waiting=people.waiting_for_approval(db_session(), scope),
        confirm=ConfirmForm(),
        decline=DeclineForm(formdata=None),
        display_phone=display_phone,
    )


def _person(person_id: int) -> Person:
    person = people.person_in(db_session(), person_id, coordinator_scope())
    if person is None:
        abort(404)
    return person


@bp.get("/<int:person_id>")
@coordinator_required
def show(person_id: int):
    person = _person(person_id)
    scope = coordinator_scope()
    region_id = people.home_region(person, scope)
    return render_template(
        "people/show.html",
        title=person.name or display_phone(person.phone),
        person=person,
        phone=display_phone(person.phone),
        nights=people.nights_of(db_session(), person, scope, now()),
        leader=person.holds(RoleKind.LEADER, region_id),
        coordinator=person.holds(RoleKind.COORDINATOR, region_id),
        confirm=ConfirmForm(),
        decline=DeclineForm(formdata=None),
    )


def _person_choices(form: PersonForm) -> list[places.SchoolChoice]:
    """The coordinator's municipalities in use, and their schools with their classes, for the check boxes."""
    db = db_session()
    municipalities = [m for m in places.municipalities_in_scope(db, coordinator_scope()) if not m.archived]
    one = len(municipalities) == 1  # a coordinator of one municipality has nothing to choose
    first = None if one else (0, _("Choose…"))
    form.municipality.choices = choices(((m.id, m.name) for m in municipalities), first=first)
    if one and not form.municipality.data:
        form.municipality.data = municipalities[0].id
    return places.open_classes(db, [m.id for m in municipalities])


def _added(added: adding.Added) -> str:
    if added.person is None:  # lives in another region: said no more of than an import says
        return _(
            "%(name)s gets an invitation to walk in %(municipality)s.",
            name=added.name,
            municipality=added.municipality.name,
        )
    if added.invited:
        return _("%(name)s is added and gets an invitation by SMS.", name=added.name)
    if added.changed:  # registered already: what an import of the row would have changed
        said = [_("%(name)s was registered already.", name=added.name)]
        if "school_class" in added.changed:
            said.append(_("The classes you ticked are added to theirs."))
        if "municipality" in added.changed:
            said.append(_("They now belong to %(municipality)s.", municipality=added.municipality.name))
        if "name" in added.changed:
            said.append(_("Their name is now written as you wrote it."))
        return " ".join(said)
    return _("%(name)s is added.", name=added.name)


@bp.route("/new", methods=["GET", "POST"])
@coordinator_required
def add():
    """One person by hand, as an import of one row would add them."""
    form = PersonForm()
    schools = _person_choices(form)
    added, known = None, None
    if form.validate_on_submit():
        added, known = _add_from(form)
    elif form.is_submitted() and "csrf_token" not in form.errors:
        _say_the_rest(form)
    if added is not None:
        flash(_added(added), "success")
        if added.person is None:
            return redirect(url_for("people.index"))
        return redirect(url_for("people.show", person_id=added.person.id))
    classes = {"home": places.by_municipality(schools), "others": []}
    page = render_template("people/add.html", title=_("Add a person"), form=form, classes=classes, known=known)
    return page, 422 if form.errors or form.form_errors else 200


def _new_person(form: PersonForm) -> adding.NewPerson:
    return adding.NewPerson(
        name=form.name.data or "",
        phone=form.phone.data or "",
        municipality_id=form.municipality.data,
        school_class_ids=form.school_classes.data or [],
        locale=form.locale.data,
    )


def _say_the_rest(form: PersonForm) -> None:
    """A form that found an answer missing says, beside the other fields, what else is wrong: every
    error at once, not one per try."""
    problems = adding.problems_with(db_session(), coordinator_scope(), _new_person(form))
    for name, refusal in problems.items():
        if not form[name].errors:
            form[name].errors = [*form[name].errors, refusal.translated(_)]


def _add_from(form: PersonForm) -> tuple[adding.Added | None, Person | None]:
    """Run the service; what it refuses goes beside its field and nothing is stored. Also the
    coordinator's own person the number already belongs to, for the page to link to."""
    db = db_session()
    try:
        added = adding.add_person(db, coordinator_scope(), _new_person(form), current_user, now(), links())
    except ProfileRefused as refused:
        db.rollback()
        for name, refusal in refused.problems.items():
            form[name].errors.append(refusal.translated(_))
        return None, None
    except Refusal as refusal:
        db.rollback()
        show_refusal(form, refusal)
        return None, refusal.person if isinstance(refusal, adding.AlreadyRegistered) else None
    db.commit()
    return added, None


def _act(person_id: int, action, form=None) -> object:
    """Run a change to a person from a one-tap form (or `form`); a refusal is flashed and nothing
    is stored."""
    person = _person(person_id)
    if not (form or ConfirmForm()).validate_on_submit():
        abort(400)
    db = db_session()
    region_id = people.home_region(person, coordinator_scope())
    try:
        outcome = action(db, person, region_id)
    except Refusal as refusal:
        db.rollback()
        flash(refusal.translated(_), "error")
        return redirect(url_for("people.show", person_id=person_id))
    db.commit()
    return outcome


def _name(person: Person) -> str:
    return person.name or display_phone(person.phone)


@bp.post("/<int:person_id>/leader")
@coordinator_required
def make_leader(person_id: int):
    def grant(db, person, region_id):
        people.make_leader(db, person, region_id, current_user, now())
        flash(_("%(name)s is now a group leader.", name=_name(person)), "success")

    return _act(person_id, grant) or redirect(url_for("people.show", person_id=person_id))


@bp.post("/<int:person_id>/leader/remove")
@coordinator_required
def remove_leader(person_id: int):
    def remove(db, person, region_id):
        nights = people.remove_leader(db, person, region_id, current_user, now(), links())
        flash(_("%(name)s is no longer a group leader.", name=_name(person)), "success")
        if nights:
            flash(
                ngettext(
                    "On %(num)d coming night they now walk as a walker; that night may need a new leader.",
                    "On %(num)d coming nights they now walk as a walker; those nights may need a new leader.",
                    nights,
                ),
                "info",
            )

    return _act(person_id, remove) or redirect(url_for("people.show", person_id=person_id))


@bp.post("/<int:person_id>/deactivate")
@coordinator_required
def deactivate(person_id: int):
    def stop(db, person, region_id):
        cancelled = people.deactivate(db, person, region_id, current_user, now(), links())
        flash(
            _("%(name)s is deactivated and can no longer log in.", name=_name(person))
            + " "
            + ngettext("%(num)d coming night was cancelled.", "%(num)d coming nights were cancelled.", cancelled),
            "success",
        )

    return _act(person_id, stop) or redirect(url_for("people.show", person_id=person_id))


def _back_to(person_id: int):
    """To the people list when the change was made there, else to the person's page."""
    if request.form.get("from") == "list":
        return redirect(url_for("people.index"))
    return redirect(url_for("people.show", person_id=person_id))


@bp.post("/<int:person_id>/approve")
@coordinator_required
def approve(person_id: int):
    def accept(db, person, region_id):
        people.approve(db, person, region_id, current_user, now(), links())
        flash(
            _("%(name)s is approved and can sign up for nights. They get a message saying so.", name=_name(person)),
            "success",
        )

    _act(person_id, accept)
    return _back_to(person_id)


@bp.post("/<int:person_id>/decline")
@coordinator_required
def decline(person_id: int):
    form = DeclineForm()
    if not form.validate_on_submit():
        _person(person_id)
        for error in form.reason.errors or [_("Something in the request was wrong")]:
            flash(error, "error")
        return _back_to(person_id)

    def refuse(db, person, region_id):
        people.decline(db, person, region_id, form.reason.data, current_user, now(), links())
        flash(_("%(name)s is declined and can no longer log in.", name=_name(person)), "success")

    _act(person_id, refuse, form)
    return _back_to(person_id)


@bp.post("/<int:person_id>/reactivate")
@coordinator_required
def reactivate(person_id: int):
    def start(db, person, region_id):
        people.reactivate(db, person, region_id, current_user, now())
        flash(_("%(name)s can log in and sign up again.", name=_name(person)), "success")

    return _act(person_id, start) or redirect(url_for("people.show", person_id=person_id))


def _with_column_choices(form: ColumnsForm, headers: list[str]) -> ColumnsForm:
    for name in COLUMN_LABELS:
        form[f"column_{name}"].choices = choices(enumerate(headers), first=(NO_COLUMN, _("(not in the file)")))
    municipalities = [m for m in places.municipalities_in(db_session(), coordinated_regions()) if not m.archived]
    form.municipality_id.choices = choices(
        ((m.id, m.name) for m in municipalities), first=(0, _("(read from the file)"))
    )
    classes = [c for m in municipalities for s in m.schools if not s.archived for c in s.classes if not c.archived]
    form.school_class_id.choices = choices(
        ((c.id, c.label) for c in classes), first=(0, _("(read from the file, or none)"))
    )
    return form


def _columns_form(text: str, guess: importing.Guess, mapping: importing.Mapping) -> ColumnsForm:
    """The column-mapping step, filled in with the headers' best guess or the coordinator's last choice."""
    form = _with_column_choices(ColumnsForm(formdata=None, text=text), guess.headers)
    for name in COLUMN_LABELS:
        form[f"column_{name}"].data = mapping.columns.get(name, NO_COLUMN)
    form.municipality_id.data = mapping.municipality_id or 0
    form.school_class_id.data = mapping.school_class_id or 0
    return form


def _preview_page(form: ImportForm, text: str | None, mapping: importing.Mapping | None = None):
    preview, guess, unsure = None, None, False
    if text is not None:
        try:
            guess = importing.guess_columns(text)
            unsure = mapping is None and not guess.sure
            if unsure:
                form.form_errors.append(_("Say which column of the file holds what, below."))
            else:
                preview = importing.preview_import(db_session(), coordinated_regions(), text, mapping or guess.mapping)
        except importing.ColumnsNeeded as refusal:
            unsure = True
            form.form_errors.append(refusal.translated(_))
        except Refusal as refusal:
            form.form_errors.append(refusal.translated(_))
    chosen = mapping or (guess.mapping if guess else None)
    confirm = ConfirmImportForm(
        formdata=None,
        text=text or "",
        mapping=chosen.encoded() if chosen else "",
        leaving_out=len(preview.errors) if preview is not None else 0,
    )
    to_correct = form.errors or form.form_errors or (preview is not None and preview.errors)
    page = render_template(
        "people/import.html",
        title=_("Import parents"),
        form=form,
        preview=preview,
        confirm=confirm,
        columns=_columns_form(text, guess, chosen) if text is not None and guess and chosen else None,
        unsure=unsure,
        column_labels=COLUMN_LABELS,
        changes=CHANGE_NAMES,
        field_names=FIELD_NAMES,
        translate=lambda refusal: refusal.translated(_),
    )
    return page, 422 if to_correct else 200


@bp.route("/import", methods=["GET", "POST"])
@region_coordinator_required
def import_people():
    form = ImportForm()
    text = None
    if form.validate_on_submit():
        try:
            text = importing.read_upload(form.file.data.read(importing.MAX_IMPORT_BYTES + 1))
        except Refusal as refusal:
            form.file.errors.append(refusal.translated(_))
    return _preview_page(form, text)


def _row_left_out(error: Refusal) -> str:
    name = error.params.get("name")
    if name:
        return _("%(name)s (row %(row)d)", name=name, row=error.params["row"])
    return _("row %(row)d", row=error.params["row"])


def _start_again(message: str):
    """The upload form with why the file must be chosen again; nothing was stored."""
    form = ImportForm(formdata=None)
    form.form_errors.append(message)
    return _preview_page(form, None)


def _refused_step(form: ImportStepForm):
    """A step with the checked file that cannot go on: the file is lost (or too large), or the page
    is out of date (its token no longer matches the session, a municipality was archived since).
    A page out of date never shows a preview to confirm: that would let another site put a list of
    its own before the coordinator, one press away from importing it."""
    if form.text.errors:
        return _start_again(form.text.errors[0])
    return _start_again(_("The page had expired, and nothing was imported. Choose the file again."))


@bp.post("/import/columns")
@csrf.exempt  # the form checks its own token (see forms.ImportStepForm)
@region_coordinator_required
def import_columns():
    """The coordinator's answer to which column holds what."""
    form = ColumnsForm()
    if not form.text.validate(form):
        return _refused_step(form)
    try:
        guess = importing.guess_columns(form.text.data)
    except Refusal as refusal:
        return _start_again(refusal.translated(_))
    if not _with_column_choices(form, guess.headers).validate_on_submit():
        return _refused_step(form)
    mapping = importing.Mapping(
        columns={n: form[f"column_{n}"].data for n in COLUMN_LABELS if form[f"column_{n}"].data != NO_COLUMN},
        municipality_id=form.municipality_id.data or None,
        school_class_id=form.school_class_id.data or None,
    )
    return _preview_page(ImportForm(formdata=None), form.text.data, mapping)


@bp.post("/import/confirm")
@csrf.exempt  # the form checks its own token (see forms.ImportStepForm)
@region_coordinator_required
def import_confirm():
    confirm = ConfirmImportForm()
    if not confirm.validate_on_submit():
        return _refused_step(confirm)
    db = db_session()
    mapping = importing.Mapping.decoded(confirm.mapping.data) if confirm.mapping.data else None
    try:
        result = importing.apply_import(
            db,
            coordinated_regions(),
            confirm.text.data,
            current_user,
            now(),
            links(),
            mapping,
            leaving_out=confirm.leaving_out.data or 0,
        )
    except Refusal as refusal:
        db.rollback()
        form = ImportForm(formdata=None)
        form.form_errors.append(refusal.translated(_))
        return _preview_page(form, confirm.text.data, mapping)
    db.commit()
    if result.already_imported:  # the second click of a double click, say: the first did the work
        flash(
            ngettext(
                "This list has already been imported: its %(num)d person is registered, "
                "and nothing in the list has changed.",
                "This list has already been imported: its %(num)d people are registered, "
                "and nothing in the list has changed.",
                result.people,
            ),
            "info",
        )
        return redirect(url_for("people.index"))
    flash(
        _(
            "Imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged. "
            "New people get an SMS inviting them to log in and accept the code of conduct.",
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        ),
        "success",
    )
    if result.errors_left_out:
        who = format_list([_row_left_out(error) for error in result.errors_left_out], locale=str(get_locale()))
        left_out = ngettext(
            "%(num)d row with an error was left out: %(who)s. Add that parent by hand, "
            "or import the corrected list again.",
            "%(num)d rows with errors were left out: %(who)s. Add those parents by hand, "
            "or import the corrected list again.",
            len(result.errors_left_out),
            who=who,
        )
        # Where to add them, in the message that says to: the sentence is escaped, the link is ours.
        add_link = Markup('<a href="{}">{}</a>').format(url_for("people.add"), _("Add a person"))
        flash(Markup("{} {}").format(left_out, add_link), "info")
    return redirect(url_for("people.index"))
