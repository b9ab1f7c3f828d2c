"""The coordinator's audit log: what was changed in their region, by whom and when."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from natteravn.audit import log
from natteravn.audit.forms import AuditFilter
from natteravn.audit.service import Vocabulary
from natteravn.web import choices, coordinated_regions, db_session, page_number, region_coordinator_required, written

bp = Blueprint("audit", __name__, url_prefix="/coordinator/audit")


def _choices(values: list[str], label) -> list[SelectChoice]:
    named = sorted(((value, label(value, _)) for value in values), key=lambda pair: pair[1])
    return choices(named, first=("", _("All")))


@bp.get("")
@region_coordinator_required
def index():
    db = db_session()
    regions = coordinated_regions()
    words: Vocabulary = current_app.extensions["natteravn.audit"]
    actions, objects = log.present_values(db, regions)
    form = AuditFilter(request.args)
    form.action.choices = _choices(actions, words.action_label)
    form.object_type.choices = _choices(objects, words.object_label)
    form.validate()
    wanted = log.LogFilter(
        action="" if form.action.errors else form.action.data or "",
        object_type="" if form.object_type.errors else form.object_type.data or "",
        object_id=None if form.object_id.errors else form.object_id.data,
    )
    page = log.log_page(db, regions, wanted, page_number())
    names = log.person_names(db, page.items)
    things = words.thing_names(db, page.items, written)
    return render_template(
        "audit/index.html",
        title=_("Audit log"),
        form=form,
        events=[
            (event, names.get(event.actor_id), words.describe(event, names, _, things, written)) for event in page.items
        ],
        object_label=lambda object_type: words.object_label(object_type, _),
        page=page,
        filters={"action": wanted.action, "object_type": wanted.object_type, "object_id": wanted.object_id or ""},
    )
