"""The coordinator's audit log: what was changed in their region, by whom and when."""

from __future__ import annotations

import re

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from natteravn.accounts.models import Person
from natteravn.accounts.views import coordinated_regions, coordinator_required
from natteravn.audit.models import AuditEvent
from natteravn.web import db_session

bp = Blueprint("audit", __name__, url_prefix="/coordinator/audit")
PAGE_SIZE = 50

#: What each action means, in words; details of the event fill the placeholders.
ACTIONS = {
    "region.updated": _l("Changed the settings of %(name)s"),
    "municipality.created": _l("Added the municipality %(name)s"),
    "municipality.updated": _l("Changed the municipality %(name)s"),
    "municipality.archived": _l("Archived the municipality %(name)s"),
    "municipality.restored": _l("Restored the municipality %(name)s"),
    "route.created": _l("Added the route %(name)s, meeting at %(meeting_point)s"),
    "route.updated": _l("Changed the route %(name)s"),
    "route.archived": _l("Archived the route %(name)s"),
    "route.restored": _l("Restored the route %(name)s"),
    "school.created": _l("Added the school %(name)s"),
    "school.updated": _l("Changed the school %(name)s"),
    "school.archived": _l("Archived the school %(name)s"),
    "school.restored": _l("Restored the school %(name)s"),
    "school_class.created": _l("Added the class %(name)s"),
    "school_class.updated": _l("Changed the class %(name)s"),
    "school_class.archived": _l("Archived the class %(name)s"),
    "school_class.restored": _l("Restored the class %(name)s"),
    "person.leader_granted": _l("Made %(person)s a group leader"),
    "person.leader_removed": _l(
        "Removed the group leader role from %(person)s (now a walker on %(nights_now_walker)s coming nights)"
    ),
    "person.deactivated": _l("Deactivated %(person)s (%(signups_cancelled)s coming sign-ups cancelled)"),
    "person.reactivated": _l("Reactivated %(person)s"),
    "people.imported": _l("Imported parents: %(created)s new, %(updated)s updated, %(unchanged)s unchanged"),
    "shift.moved": _l("Moved night %(object_id)s"),
    "shift.cancelled": _l("Cancelled night %(object_id)s: %(reason)s"),
    "signup.cancelled_by_sms": _l("Cancelled their place by SMS (sign-up %(object_id)s)"),
    "signup.standin_requested": _l("Asked for a stand-in (%(asked)s people asked)"),
    "signup.standin_withdrawn": _l("Took back the request for a stand-in"),
    "signup.standin_taken": _l("Took a place as stand-in (sign-up %(object_id)s)"),
    "autofill.drafted": _l("Ran auto-fill: %(proposed)s places proposed, %(short)s nights still short"),
    "autofill.accepted": _l("Accepted the auto-fill draft: %(signed_up)s signed up, %(left_out)s left out"),
    "logbook.saved": _l("Kept the logbook of night %(object_id)s: %(attended)s came, %(no_show)s did not"),
    "logbook.walk_in": _l("Added %(walker)s to the logbook of night %(object_id)s"),
    "reports.purged": _l("Erased the free text of %(reports)s old reports"),
    "report.read": _l("Read the report of night %(shift_id)s"),
    "report.draft": _l("Saved a draft of the report of night %(shift_id)s"),
    "report.submit": _l("Sent the report of night %(shift_id)s"),
    "report.correction": _l("Corrected the report of night %(shift_id)s"),
    "report.redacted": _l("Removed text from the report of night %(shift_id)s"),
    "report.followed_up": _l("Marked the report of night %(shift_id)s as followed up"),
}

OBJECT_TYPES = {
    "region": _l("Region"),
    "municipality": _l("Municipality"),
    "route": _l("Route"),
    "school": _l("School"),
    "school_class": _l("School class"),
    "person": _l("Person"),
    "term": _l("Term"),
    "shift": _l("Night"),
    "signup": _l("Sign-up"),
    "shift_report": _l("Report"),
}

#: Names of changed settings and fields, for "what changed".
FIELDS = {
    "name": _l("name"),
    "meeting_point": _l("meeting point"),
    "notes": _l("notes"),
    "nights_per_term_cap": _l("most nights per person and term"),
    "cancel_cutoff_hours": _l("cancel cut-off (hours)"),
    "offer_hours": _l("hours to accept an offered place"),
    "reminder_before_days": _l("days before for the early reminder"),
    "reminder_before_at": _l("time of the early reminder"),
    "reminder_day_at": _l("time of the reminder on the day"),
    "report_request_at": _l("time to ask for the report"),
    "quiet_from": _l("no SMS from"),
    "quiet_until": _l("no SMS until"),
    "call_weekday": _l("weekday of the call for walkers"),
    "call_at": _l("time of the call for walkers"),
}

#: Details that hold the id of a person, shown by name.
PERSON_DETAILS = ("walker_id", "taker_id", "person_id")


class AuditFilter(FlaskForm):
    """Read from the query string; a filter changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    action = SelectField(_l("What was done"), default="")
    object_type = SelectField(_l("Kind of thing"), default="")
    object_id = IntegerField(
        _l("Number of the thing (optional)"),
        validators=[Optional(), NumberRange(min=1, message=_l("Write a number, or leave it empty."))],
        render_kw={"inputmode": "numeric"},
    )


def _choices(session: Session, column, region_ids: set[int], label) -> list[tuple[str, str]]:
    """The values that occur in the region's log, so the filter offers nothing that finds nothing."""
    present = session.scalars(select(column).where(AuditEvent.region_id.in_(region_ids)).distinct())
    named = sorted(((value, label(value)) for value in present), key=lambda pair: pair[1])
    return [("", _("All"))] + named


def _action_label(action: str) -> str:
    """The action's sentence without its details: "Archived the route …"."""
    template = ACTIONS.get(action)
    if template is None:
        return action
    short = re.split(r":| \(", str(template))[0]
    return re.sub(r"%\(\w+\)[sd]", "…", short)


def _person_names(session: Session, events: list[AuditEvent]) -> dict[int, str]:
    """Names of every person an event on the page mentions, in one query."""
    ids = {e.actor_id for e in events if e.actor_id}
    for event in events:
        if event.object_type == "person" and event.object_id:
            ids.add(event.object_id)
        ids.update(v for k, v in (event.details or {}).items() if k in PERSON_DETAILS and isinstance(v, int))
    if not ids:
        return {}
    return {
        pid: name or phone
        for pid, name, phone in session.execute(select(Person.id, Person.name, Person.phone).where(Person.id.in_(ids)))
    }


def describe(event: AuditEvent, names: dict[int, str]) -> str:
    """The event in a sentence; an action without words of its own shows its details as they are."""
    details = dict(event.details or {})
    unknown = _("a deleted person")
    values = {
        **{k: v for k, v in details.items() if k != "changed"},
        "object_id": event.object_id,
        "person": names.get(event.object_id, unknown) if event.object_type == "person" else "",
        "walker": names.get(details.get("walker_id"), unknown),
    }
    template = ACTIONS.get(event.action)
    try:
        sentence = str(template) % values if template else None
    except (KeyError, TypeError, ValueError):
        sentence = None
    if sentence is None:
        shown = ", ".join(f"{k}: {v}" for k, v in details.items() if k not in ("changed", "person_ids"))
        sentence = f"{event.action} ({shown})" if shown else event.action
    changed = details.get("changed")
    if isinstance(changed, dict) and changed:
        parts = [f"{FIELDS.get(k, k)}: {_shown(old)} → {_shown(new)}" for k, (old, new) in changed.items()]
        sentence += ". " + "; ".join(parts)
    return sentence


def _shown(value) -> str:
    if value is None or value == "":
        return "–"
    return str(value)


@bp.get("")
@coordinator_required
def index():
    db = db_session()
    regions = coordinated_regions(current_user)
    form = AuditFilter(request.args)
    form.action.choices = _choices(db, AuditEvent.action, regions, _action_label)
    form.object_type.choices = _choices(db, AuditEvent.object_type, regions, lambda t: str(OBJECT_TYPES.get(t, t)))
    form.validate()
    query = select(AuditEvent).where(AuditEvent.region_id.in_(regions))
    if form.action.data and not form.action.errors:
        query = query.where(AuditEvent.action == form.action.data)
    if form.object_type.data and not form.object_type.errors:
        query = query.where(AuditEvent.object_type == form.object_type.data)
    if form.object_id.data and not form.object_id.errors:
        query = query.where(AuditEvent.object_id == form.object_id.data)
    total = db.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    events = list(
        db.scalars(
            query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
        )
    )
    names = _person_names(db, events)
    filters = {
        "action": form.action.data or "",
        "object_type": form.object_type.data or "",
        "object_id": form.object_id.data or "",
    }
    return render_template(
        "audit/index.html",
        title=_("Audit log"),
        form=form,
        events=[(event, names.get(event.actor_id), describe(event, names)) for event in events],
        object_types=OBJECT_TYPES,
        page=page,
        pages=pages,
        total=total,
        filters=filters,
    )
