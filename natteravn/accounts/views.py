"""Login by SMS code, the first-time profile, and the person's own settings."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from natteravn.accounts import service
from natteravn.accounts.forms import CodeForm, ConfirmForm, LanguageForm, PhoneForm, ProfileForm, WelcomeForm
from natteravn.i18n import N_, Refusal
from natteravn.places import service as places
from natteravn.sms import service as sms
from natteravn.sms.models import MessageState
from natteravn.web import choices, db_session, gateway, links, now, onboarded_required, safe_next

bp = Blueprint("accounts", __name__)


def _client() -> str:
    return request.remote_addr or "unknown"


def webcal(feed: str) -> str:
    """The feed's address as a subscription link: a phone opens it in its calendar app, which then
    keeps the nights up to date."""
    return "webcal://" + feed.split("://", 1)[1]


def _page_locale() -> str:
    return str(get_locale())


@bp.get("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("shifts.nights"))
    return redirect(url_for("accounts.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(url_for("shifts.nights")))
    form = PhoneForm()
    refusal = None
    if form.validate_on_submit():
        try:
            phone = service.normalise_phone(form.phone.data)
            _send_code(phone)
        except Refusal as refused:
            refusal = refused
            form.phone.errors.append(refusal.translated(_))
        else:
            session["login_phone"] = phone
            return redirect(url_for("accounts.code", next=request.args.get("next")))
    return render_template("accounts/login.html", form=form), _status(form, refusal)


def _status(form, refusal: Refusal | None = None) -> int:
    """200 for a fresh form, 429 when a rate limit said no, 422 for anything else to correct."""
    if isinstance(refusal, service.TooManyRequests):
        return 429
    return 422 if form.errors else 200


def _send_code(phone: str) -> None:
    db = db_session()
    try:
        message = service.request_code(
            db,
            phone,
            _client(),
            now(),
            secret=current_app.config["SECRET_KEY"],
            ttl_minutes=current_app.config["OTP_TTL_MINUTES"],
            locale=_page_locale(),
        )
        db.commit()
    except Refusal:
        db.rollback()
        raise
    sent = sms.send_one(db, gateway(), message.id, now(), policy=current_app.extensions["natteravn.sms_policy"])
    if sent is None:  # a dispatcher in another process took it first
        return
    service.forget_code(sent)
    db.commit()
    if sent.state == MessageState.FAILED:
        raise Refusal(N_("We could not send an SMS to that number. Check it and try again."))


@bp.route("/login/code", methods=["GET", "POST"])
def code():
    phone = session.get("login_phone")
    if not phone:
        return redirect(url_for("accounts.login", next=request.args.get("next")))
    form = CodeForm()
    refusal = None
    if form.validate_on_submit():
        db = db_session()
        try:
            person = service.verify_code(
                db,
                phone,
                form.code.data,
                _client(),
                now(),
                secret=current_app.config["SECRET_KEY"],
                max_tries=current_app.config["OTP_MAX_TRIES"],
                locale=_page_locale(),
            )
        except Refusal as refused:
            db.commit()  # the failed try counts
            refusal = refused
            form.code.errors.append(refusal.translated(_))
        else:
            db.commit()
            session.pop("login_phone", None)
            session.permanent = True
            login_user(person, remember=True)
            if not person.onboarded:
                return redirect(url_for("accounts.welcome", next=request.args.get("next")))
            return redirect(safe_next(url_for("shifts.nights")))
    page = render_template("accounts/code.html", form=form, phone=service.display_phone(phone))
    return page, _status(form, refusal)


def _end_session() -> None:
    """Log out here; the page keeps speaking the language the person just used. The session is
    emptied before `logout_user`, which leaves in it the order to delete the remember-me cookie."""
    locale = _page_locale()
    session.clear()
    logout_user()
    session["lang"] = locale


@bp.post("/logout")
@login_required
def logout():
    if ConfirmForm().validate_on_submit():
        _end_session()
    return redirect(url_for("accounts.login"))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    if ConfirmForm().validate_on_submit():
        service.log_out_everywhere(current_user)
        db_session().commit()
        _end_session()
        flash(_("You are logged out on every device."), "info")
    return redirect(url_for("accounts.login"))


def _fill_choices(form: ProfileForm) -> list[places.SchoolChoice]:
    """The form's choices; returns the schools with their classes, for the class check boxes."""
    db = db_session()
    form.municipality.choices = choices(
        ((m.id, m.name) for m in places.open_municipalities(db)), first=(0, _("Choose…"))
    )
    schools = places.open_classes(db)
    form.school_classes.choices = choices((c.id, c.label) for s in schools for c in s.classes)
    return schools


def _save_profile(form: ProfileForm, *, first_time: bool) -> bool:
    db = db_session()
    fields = dict(
        name=form.name.data,
        municipality_id=form.municipality.data,
        locale=form.locale.data,
        school_class_ids=form.school_classes.data or [],
    )
    try:
        if first_time:
            service.complete_profile(
                db, current_user, adult=form.adult.data, accepts_conduct=form.conduct.data, now=now(), **fields
            )
        else:
            service.update_profile(db, current_user, **fields)
    except service.ProfileRefused as refused:
        db.rollback()
        for name, refusal in refused.problems.items():
            form[name].errors.append(refusal.translated(_))
        return False
    db.commit()
    return True


@bp.route("/welcome", methods=["GET", "POST"])
@login_required
def welcome():
    if current_user.onboarded:
        return redirect(safe_next(url_for("shifts.nights")))
    form = WelcomeForm()
    schools = _fill_choices(form)
    if request.method == "GET":
        form.locale.data = current_user.locale
        form.name.data = current_user.name
    if form.validate_on_submit() and _save_profile(form, first_time=True):
        return redirect(safe_next(url_for("shifts.nights")))
    return render_template("accounts/welcome.html", form=form, schools=schools), _status(form)


@bp.route("/profile", methods=["GET", "POST"])
@onboarded_required
def profile():
    form = ProfileForm()
    schools = _fill_choices(form)
    if request.method == "GET":
        form.name.data = current_user.name
        form.municipality.data = current_user.municipality_id
        form.school_classes.data = sorted(current_user.school_class_ids)
        form.locale.data = current_user.locale
    if form.validate_on_submit() and _save_profile(form, first_time=False):
        flash(_("Saved."), "success")
        return redirect(url_for("accounts.profile"))
    feed = links().calendar(service.calendar_token(current_user, links()))
    page = render_template(
        "accounts/profile.html",
        form=form,
        schools=schools,
        feed=feed,
        subscribe=webcal(feed),
        confirm=ConfirmForm(),
    )
    return page, _status(form)


@bp.post("/profile/calendar/new")
@onboarded_required
def new_calendar_link():
    if ConfirmForm().validate_on_submit():
        service.revoke_calendar(current_user)
        db_session().commit()
        flash(_("Your calendar has a new address. The old one no longer works."), "success")
    return redirect(url_for("accounts.profile"))


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            service.choose_language(current_user, form.lang.data)
            db_session().commit()
    return redirect(safe_next(url_for("accounts.home")))
