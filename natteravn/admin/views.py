"""The administrator's pages: every region in one table, each region's own page, setting one up,
adding a municipality, and granting and revoking coordinators. Only administrators: anyone else
logged in gets 403."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from natteravn.accounts.forms import ConfirmForm
from natteravn.accounts.models import Role
from natteravn.accounts.service import display_phone
from natteravn.admin import service
from natteravn.admin.forms import CoordinatorForm, MunicipalityForm, RegionForm
from natteravn.i18n import N_, Refusal
from natteravn.people import service as people
from natteravn.places import service as places
from natteravn.places.models import Region
from natteravn.web import admin_required, choices, db_session, links, now, show_refusal

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _region(region_id: int) -> Region:
    region = service.region(db_session(), region_id)
    if region is None:
        abort(404)
    return region


def _saved(form, save: Callable[[], str]) -> bool:
    """Run the change and flash what it says; a refusal is shown by the field it concerns (or above
    the form) and nothing is stored."""
    db = db_session()
    try:
        done = save()
    except Refusal as refusal:
        db.rollback()
        show_refusal(form, refusal)
        return False
    db.commit()
    flash(done, "success")
    return True


def _form_page(form, title: str, action: str, back: Region | None = None, hints: dict[str, str] | None = None):
    """`back`: the region whose page the form was opened from; else the list of regions."""
    page = render_template("admin/form.html", form=form, title=title, action=action, back=back, hints=hints or {})
    return page, 422 if form.errors or form.form_errors else 200


def _back(region: Region):
    return redirect(url_for("admin.region", region_id=region.id))


@bp.get("")
@admin_required
def index():
    rows = service.regions_overview(db_session())
    return render_template("admin/index.html", title=_("Regions"), rows=rows, display_phone=display_phone)


@bp.get("/regions/<int:region_id>")
@admin_required
def region(region_id: int):
    row = service.region_overview(db_session(), _region(region_id))
    return render_template(
        "admin/region.html", title=row.region.name, row=row, display_phone=display_phone, confirm=ConfirmForm()
    )


@bp.route("/regions/new", methods=["GET", "POST"])
@admin_required
def new_region():
    form = RegionForm()
    made: list[Region] = []

    def create() -> str:
        region = places.create_region(
            db_session(),
            slug=form.slug.data,
            name=form.name.data,
            timezone=form.timezone.data,
            municipalities=form.municipality_names(),
            actor=current_user,
            now=now(),
        )
        made.append(region)
        return _("The region %(name)s is set up. Now give it a coordinator.", name=region.name)

    if form.validate_on_submit() and _saved(form, create):
        return _back(made[0])
    hints = {
        "slug": _("Lowercase letters, digits and hyphens, for example nord-odal. It cannot be changed later."),
        "municipalities": _("You can add more later."),
    }
    return _form_page(form, _("Set up a region"), url_for("admin.new_region"), hints=hints)


@bp.route("/regions/<int:region_id>/municipalities/new", methods=["GET", "POST"])
@admin_required
def new_municipality(region_id: int):
    region = _region(region_id)
    form = MunicipalityForm()

    def add() -> str:
        municipality = places.add_municipality(db_session(), region, form.name.data, current_user, now())
        return _("%(name)s is added to %(region)s.", name=municipality.name, region=region.name)

    if form.validate_on_submit() and _saved(form, add):
        return _back(region)
    title = _("New municipality in %(region)s", region=region.name)
    return _form_page(form, title, url_for("admin.new_municipality", region_id=region.id), region)


def _granted(change: people.RoleChange, name: str, region: Region, place: str, registered: bool) -> str:
    said = {
        people.RoleChange.GRANTED: _("%(name)s is now coordinator of %(place)s.", name=name, place=place),
        people.RoleChange.HELD: _("%(name)s is already coordinator of %(place)s.", name=name, place=place),
        people.RoleChange.COVERED: _(
            "%(name)s already coordinates the whole of %(region)s.", name=name, region=region.name
        ),
    }[change]
    if registered:
        said += " " + _("They answer the first-time questions when they first log in with this number.")
    return said


@bp.route("/regions/<int:region_id>/coordinators/new", methods=["GET", "POST"])
@admin_required
def new_coordinator(region_id: int):
    region = _region(region_id)
    form = CoordinatorForm()
    form.municipality.choices = choices(
        ((m.id, m.name) for m in region.municipalities if not m.archived),
        first=(0, _("The whole region")),
    )

    def grant() -> str:
        municipality = service.municipality_of(region, form.municipality.data) if form.municipality.data else None
        if form.municipality.data and municipality is None:
            raise Refusal(N_("Choose a municipality from the list."), field="municipality")
        db = db_session()
        person, registered = people.register(db, form.phone.data, form.name.data, current_user, now())
        change = people.grant_coordinator(db, person, region, municipality, current_user, now(), links=links())
        place = municipality.name if municipality else region.name
        return _granted(change, person.name, region, place, registered)

    if form.validate_on_submit() and _saved(form, grant):
        return _back(region)
    hints = {
        "name": _("Someone already registered with this number keeps the name they gave."),
        "municipality": _("A coordinator of one municipality sees its nights, people and reports only."),
    }
    title = _("New coordinator in %(region)s", region=region.name)
    return _form_page(form, title, url_for("admin.new_coordinator", region_id=region.id), region, hints)


@bp.post("/regions/<int:region_id>/coordinators/<int:role_id>/revoke")
@admin_required
def revoke_coordinator(region_id: int, role_id: int):
    region = _region(region_id)
    role: Role | None = service.coordinator_role(db_session(), region, role_id)
    if role is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    person, municipality = role.person, role.municipality
    people.revoke_coordinator(db_session(), person, region, municipality, current_user, now())
    db_session().commit()
    place = municipality.name if municipality else region.name
    name = person.name or display_phone(person.phone)
    flash(_("%(name)s is no longer coordinator of %(place)s.", name=name, place=place), "success")
    return _back(region)
