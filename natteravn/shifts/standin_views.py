"""The night page's stand-in buttons: give my night away, or keep it after all."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from natteravn.accounts.forms import ConfirmForm
from natteravn.accounts.views import onboarded_required
from natteravn.i18n import Refusal
from natteravn.shifts import standin
from natteravn.shifts.models import Signup
from natteravn.web import db_session, links, now

bp = Blueprint("standin", __name__)


def _own_signup(signup_id: int) -> Signup:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    signup = db_session().get(Signup, signup_id)
    if signup is None or signup.person_id != current_user.id:
        abort(404)
    return signup


@bp.post("/signups/<int:signup_id>/standin")
@onboarded_required
def request(signup_id: int):
    shift_id = _own_signup(signup_id).shift_id
    db = db_session()
    try:
        standin.request_standin(db, current_user, signup_id, now(), links())
    except Refusal as refusal:
        db.rollback()
        flash(refusal.translated(_), "error")
    else:
        db.commit()
        flash(_("We are asking for a stand-in. You stay on the night until someone takes your place."), "success")
    return redirect(url_for("shifts.night", shift_id=shift_id))


@bp.post("/signups/<int:signup_id>/keep")
@onboarded_required
def keep(signup_id: int):
    shift_id = _own_signup(signup_id).shift_id
    db = db_session()
    try:
        standin.keep_place(db, current_user, signup_id, now())
    except Refusal as refusal:
        db.rollback()
        flash(refusal.translated(_), "error")
    else:
        db.commit()
        flash(_("Good. Your place is yours again."), "success")
    return redirect(url_for("shifts.night", shift_id=shift_id))
