"""The coordinator's places: region settings, municipalities, routes, schools and classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user

from natteravn.accounts.forms import ConfirmForm
from natteravn.i18n import WEEKDAYS, Refusal
from natteravn.places import budget, service
from natteravn.places.forms import REGISTRATION_NAMES, NameForm, RegionForm, RouteForm
from natteravn.places.models import Municipality, Region, Route, School, SchoolClass
from natteravn.web import coordinated_regions, db_session, now, region_coordinator_required, show_refusal, sms_price

bp = Blueprint("places", __name__, url_prefix="/coordinator/places")

KINDS = {"municipalities": Municipality, "routes": Route, "schools": School, "classes": SchoolClass}


def _place(model, place_id: int):
    place = service.place_in(db_session(), model, place_id, coordinated_regions())
    if place is None:
        abort(404)
    return place


def _region(region_id: int) -> Region:
    region = db_session().get(Region, region_id) if region_id in coordinated_regions() else None
    if region is None:
        abort(404)
    return region


def _just_saved(_place: Any) -> str:
    return _("Saved.")


def _saved(form, save: Callable[[], Any], said: Callable[[Any], str] = _just_saved) -> bool:
    """Run the service; a refusal becomes a message on the form and nothing is stored. What was
    saved is said by name: back on the long list of places, the new one is not in sight."""
    db = db_session()
    try:
        place = save()
    except Refusal as refusal:
        db.rollback()
        show_refusal(form, refusal)
        return False
    db.commit()
    flash(said(place), "success")
    return True


def _back():
    return redirect(url_for("places.index"))


@bp.get("")
@region_coordinator_required
def index():
    regions = service.region_tree(db_session(), coordinated_regions())
    return render_template(
        "places/index.html",
        regions=regions,
        weekdays=dict(WEEKDAYS),
        registrations=REGISTRATION_NAMES,
        confirm=ConfirmForm(),
        title=pgettext("the coordinator's page of municipalities, routes and schools", "Places"),
    )


@bp.route("/regions/<int:region_id>", methods=["GET", "POST"])
@region_coordinator_required
def region(region_id: int):
    place = _region(region_id)
    form = RegionForm(obj=place)
    if form.validate_on_submit():
        settings = service.RegionSettings(**{name: form[name].data for name in service.RegionSettings.__annotations__})
        if _saved(form, lambda: service.update_region(db_session(), place, settings, current_user, now())):
            return _back()
    title = _("Settings for %(name)s", name=place.name)
    spent = budget.segments_sent(db_session(), [place.id], now()).get(place.id, 0) * sms_price()
    page = render_template("places/region.html", form=form, region=place, title=title, spent=spent, price=sms_price())
    return page, _status(form)


def _status(form) -> int:
    return 422 if form.errors or form.form_errors else 200


def _edit_page(form, title: str, *, place=None, kind: str = "", parent: str = ""):
    page = render_template(
        "places/edit.html", form=form, title=title, place=place, kind=kind, parent=parent, confirm=ConfirmForm()
    )
    return page, _status(form)


def _name_page(
    form: NameForm, title: str, save: Callable[[str], Any], said: Callable[[Any], str] = _just_saved, **page
):
    if form.validate_on_submit() and _saved(form, lambda: save(form.name.data), said):
        return _back()
    return _edit_page(form, title, **page)


@bp.route("/regions/<int:region_id>/municipalities/new", methods=["GET", "POST"])
@region_coordinator_required
def new_municipality(region_id: int):
    region = _region(region_id)
    return _name_page(
        NameForm(),
        _("New municipality in %(region)s", region=region.name),
        lambda name: service.add_municipality(db_session(), region, name, current_user, now()),
        lambda added: _("The municipality %(name)s is added to %(region)s.", name=added.name, region=region.name),
    )


@bp.route("/municipalities/<int:municipality_id>", methods=["GET", "POST"])
@region_coordinator_required
def municipality(municipality_id: int):
    place = _place(Municipality, municipality_id)
    return _name_page(
        NameForm(obj=place),
        _("Municipality %(name)s", name=place.name),
        lambda name: service.rename_municipality(db_session(), place, name, current_user, now()),
        place=place,
        kind="municipalities",
    )


@bp.route("/municipalities/<int:municipality_id>/schools/new", methods=["GET", "POST"])
@region_coordinator_required
def new_school(municipality_id: int):
    parent = _place(Municipality, municipality_id)
    return _name_page(
        NameForm(),
        _("New school in %(municipality)s", municipality=parent.name),
        lambda name: service.add_school(db_session(), parent, name, current_user, now()),
        lambda added: _("The school %(name)s is added to %(municipality)s.", name=added.name, municipality=parent.name),
    )


@bp.route("/schools/<int:school_id>", methods=["GET", "POST"])
@region_coordinator_required
def school(school_id: int):
    place = _place(School, school_id)
    return _name_page(
        NameForm(obj=place),
        _("School %(name)s", name=place.name),
        lambda name: service.rename_school(db_session(), place, name, current_user, now()),
        place=place,
        kind="schools",
        parent=place.municipality.name,
    )


@bp.route("/schools/<int:school_id>/classes/new", methods=["GET", "POST"])
@region_coordinator_required
def new_class(school_id: int):
    parent = _place(School, school_id)
    return _name_page(
        NameForm(),
        _("New class at %(school)s", school=parent.name),
        lambda name: service.add_class(db_session(), parent, name, current_user, now()),
        lambda added: _("The class %(name)s is added to %(school)s.", name=added.name, school=parent.name),
    )


@bp.route("/classes/<int:class_id>", methods=["GET", "POST"])
@region_coordinator_required
def school_class(class_id: int):
    place = _place(SchoolClass, class_id)
    return _name_page(
        NameForm(obj=place),
        _("Class %(name)s", name=place.label),
        lambda name: service.rename_class(db_session(), place, name, current_user, now()),
        place=place,
        kind="classes",
        parent=place.school.name,
    )


def _route_page(
    form: RouteForm, title: str, save: Callable[..., Any], said: Callable[[Any], str] = _just_saved, **page
):
    if form.validate_on_submit():
        values = dict(name=form.name.data, meeting_point=form.meeting_point.data, notes=form.notes.data or "")
        if _saved(form, lambda: save(**values), said):
            return _back()
    return _edit_page(form, title, **page)


@bp.route("/municipalities/<int:municipality_id>/routes/new", methods=["GET", "POST"])
@region_coordinator_required
def new_route(municipality_id: int):
    parent = _place(Municipality, municipality_id)
    return _route_page(
        RouteForm(),
        _("New route in %(municipality)s", municipality=parent.name),
        lambda **values: service.add_route(db_session(), parent, actor=current_user, now=now(), **values),
        lambda added: _("The route %(name)s is added to %(municipality)s.", name=added.name, municipality=parent.name),
    )


@bp.route("/routes/<int:route_id>", methods=["GET", "POST"])
@region_coordinator_required
def route(route_id: int):
    place = _place(Route, route_id)
    return _route_page(
        RouteForm(obj=place),
        _("Route %(name)s", name=place.name),
        lambda **values: service.edit_route(db_session(), place, actor=current_user, now=now(), **values),
        place=place,
        kind="routes",
        parent=place.municipality.name,
    )


def _set_archived(kind: str, place_id: int, archived: bool):
    place = _place(KINDS[kind], place_id)
    if ConfirmForm().validate_on_submit():
        service.set_archived(db_session(), place, archived, current_user, now())
        db_session().commit()
        name = place.label if isinstance(place, SchoolClass) else place.name
        if archived:
            flash(_("%(name)s is archived. Restore it from the list of places.", name=name), "success")
        else:
            flash(_("%(name)s is in use again.", name=name), "success")
    return _back()


@bp.post("/<any(municipalities, routes, schools, classes):kind>/<int:place_id>/archive")
@region_coordinator_required
def archive(kind: str, place_id: int):
    return _set_archived(kind, place_id, True)


@bp.post("/<any(municipalities, routes, schools, classes):kind>/<int:place_id>/restore")
@region_coordinator_required
def restore(kind: str, place_id: int):
    return _set_archived(kind, place_id, False)
