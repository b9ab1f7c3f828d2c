"""A person's own data: download it, or ask to be deleted."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from natteravn.privacy import service as privacy
from natteravn.privacy.forms import DeleteForm
from natteravn.web import db_session, links, now

bp = Blueprint("privacy", __name__)


@bp.get("/profile/data")
@login_required
def my_data():
    return render_template("privacy/my_data.html", form=DeleteForm())


@bp.get("/profile/data.json")
@login_required
def download():
    db = db_session()
    data = privacy.export(db, current_user, now())
    db.commit()
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="natteravn-my-data.json"'},
    )


@bp.post("/profile/delete")
@login_required
def delete_me():
    form = DeleteForm()
    if not form.validate_on_submit():
        return render_template("privacy/my_data.html", form=form), 422
    db = db_session()
    privacy.delete_person(db, current_user, now(), links())
    db.commit()
    # Emptied first: logout_user leaves in the session the order to delete the remember-me cookie.
    session.clear()
    logout_user()
    flash(_("You are deleted. Thank you for walking with us."), "success")
    return redirect(url_for("accounts.login"))
