"""Login by a one-time code, the first-time profile, and the person's own settings."""

from __future__ import annotations

from collections.abc import Callable, Collection

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from natteravn.accounts import service
from natteravn.accounts.forms import (
    CodeForm,
    ConfirmForm,
    ContactForm,
    LanguageForm,
    PhoneForm,
    ProfileForm,
    WelcomeForm,
)
from natteravn.i18n import LOCALES, N_, Refusal
from natteravn.places import service as places
from natteravn.places.models import Municipality
from natteravn.sms import service as sms
from natteravn.sms.mail import masked_address
from natteravn.sms.models import Channel, MessageState
from natteravn.web import choices, db_session, gateway, links, mailer, now, onboarded_required, safe_next

bp = Blueprint("accounts", __name__)
# A number in a page as people write it ("912 34 567"); a tel: link keeps the whole number.
bp.add_app_template_filter(service.display_phone, "phone")

#: The municipality a visitor chose on its public page, kept until they answer the first-time questions.
CHOSEN_MUNICIPALITY = "chosen_municipality"


def _client() -> str:
    return request.remote_addr or "unknown"


def webcal(feed: str) -> str:
    """The feed's address as a subscription link: a phone opens it in its calendar app, which then
    keeps the nights up to date."""
    return "webcal://" + feed.split("://", 1)[1]


#: Set when a visitor picks a language before logging in: the profile takes it at login. A
#: language left in the session by someone who logged out on the same phone is not a choice.
PICKED_LANGUAGE = "language_picked"


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
            email = _send_code(phone)
        except Refusal as refused:
            refusal = refused
            form.phone.errors.append(refusal.translated(_))
        else:
            _code_sent_to(phone, email)
            return redirect(url_for("accounts.code", next=request.args.get("next")))
    return render_template("accounts/login.html", form=form, joining=_joining()), _status(form, refusal)


def _joining() -> Municipality | None:
    """The municipality whose public page the visitor came from to join, if they did."""
    chosen = session.get(CHOSEN_MUNICIPALITY)
    return places.open_municipality(db_session(), chosen) if isinstance(chosen, int) else None


def _status(form, refusal: Refusal | None = None) -> int:
    """200 for a fresh form, 429 when a rate limit said no, 422 for anything else to correct."""
    if isinstance(refusal, service.TooManyRequests):
        return 429
    return 422 if form.errors else 200


def _code_sent_to(phone: str, email: str | None) -> None:
    """What the code page says the code went to."""
    session["login_phone"] = phone
    # Only a hint of the address: whoever types a number must not learn its person's e-mail.
    session["login_email"] = masked_address(email) if email else None


def _send_code(phone: str) -> str | None:
    """Send a login code to the number's person; returns the e-mail address it went to, if it did."""
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
            picked=bool(session.get(PICKED_LANGUAGE)),
            countries=current_app.config["LOGIN_COUNTRIES"],
            budget=current_app.config["LOGIN_SMS_PER_HOUR"],
        )
        db.commit()
    except Refusal:
        db.rollback()
        raise
    email = message.email
    policy = current_app.extensions["natteravn.sms_policy"]
    sent = sms.send_one(db, gateway(), message.id, now(), policy=policy, mailer=mailer())
    if sent is None:  # a dispatcher in another process took it first
        return email
    service.forget_code(sent)
    db.commit()
    if sent.state == MessageState.FAILED and sent.channel == Channel.EMAIL:
        raise Refusal(N_("We could not send the code to your e-mail address. Try again in a moment."))
    if sent.state == MessageState.FAILED:
        raise Refusal(N_("We could not send an SMS to that number. Check it and try again."))
    return email


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
            session.pop("login_email", None)
            session.permanent = True
            login_user(person, remember=True)
            picked = session.pop(PICKED_LANGUAGE, False) and session.get("lang") in LOCALES
            if picked and (session["lang"] != person.locale or person.locale_guessed):
                service.choose_language(db, person, session["lang"], links())  # picked on the login page: their choice
                db.commit()
            if person.is_admin and not person.onboarded:  # sets up regions; walks in none of them
                return redirect(safe_next(url_for("admin.index")))
            if not person.onboarded:
                return redirect(url_for("accounts.welcome", next=request.args.get("next")))
            return redirect(safe_next(url_for("shifts.nights")))
    email = session.get("login_email")
    if email:
        form.code.label.text = _("Code from the e-mail")
    page = render_template(
        "accounts/code.html",
        form=form,
        phone=service.display_phone(phone),
        email=email,
        resend=ConfirmForm(),
        next=request.args.get("next"),
    )
    return page, _status(form, refusal)


@bp.post("/login/code/new")
def new_code():
    """Another code to the number the code page is for, without typing it again or losing the page
    the person was on their way to. The limits on sending hold as on the login page, and a refusal
    is said on the code page, where the code already sent can still be typed."""
    phone = session.get("login_phone")
    back = {"next": request.args.get("next")}
    if not phone:
        return redirect(url_for("accounts.login", **back))
    if ConfirmForm().validate_on_submit():
        try:
            email = _send_code(phone)
        except Refusal as refused:
            flash(refused.translated(_), "error")
        else:
            _code_sent_to(phone, email)
            flash(_("A new code is sent."), "success")
    return redirect(url_for("accounts.code", **back))


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
        flash(_("You are logged out."), "info")
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


def _fill_choices(form: ProfileForm, home: Collection[int] = ()) -> dict[str, list[places.MunicipalityClasses]]:
    """The form's choices: the municipalities and school classes of the person's own regions
    (`home`) first, the other regions' after. Returns the classes by municipality, the own regions'
    ("home") and the others' ("others"), for the class check boxes."""
    db = db_session()
    municipalities, schools = places.open_municipalities(db), places.open_classes(db)
    form.school_classes.choices = choices((c.id, c.label) for s in schools for c in s.classes)
    ours = [m for m in municipalities if m.region_id in home]
    if not ours or len(ours) == len(municipalities):  # nothing to put first
        form.municipality.choices = choices(((m.id, m.label) for m in municipalities), first=(0, _("Choose…")))
        return {"home": places.by_municipality(schools), "others": []}
    form.municipality.choices = _home_first(municipalities, home)
    return {
        "home": places.by_municipality([s for s in schools if s.municipality.region_id in home]),
        "others": places.by_municipality([s for s in schools if s.municipality.region_id not in home]),
    }


def _home_first(municipalities: list[places.MunicipalityChoice], home: Collection[int]) -> dict:
    """The municipalities of the person's own regions, each region's under its name, then the others
    under "Other regions": nobody picks another region's municipality by mistake, and someone who
    lives elsewhere still finds theirs."""
    grouped: dict[str | None, list] = {None: choices([], first=(0, _("Choose…")))}
    for m in municipalities:
        if m.region_id in home:
            grouped.setdefault(m.region, []).append(SelectChoice(m.id, m.label))
    grouped[_("Other regions")] = choices((m.id, m.label) for m in municipalities if m.region_id not in home)
    return grouped


def _profile_fields(form: ProfileForm) -> dict:
    """What the profile services take: the answers, and the links that the messages still waiting
    for the person carry when they are written again in the language chosen."""
    return dict(
        name=form.name.data,
        municipality_id=form.municipality.data,
        locale=form.locale.data,
        school_class_ids=form.school_classes.data or [],
        links=links(),
    )


def _saved(form: ProfileForm, save: Callable[[], None]) -> bool:
    """Run the service; a refusal goes on the form (about the e-mail address: on its field) and
    nothing is stored."""
    db = db_session()
    try:
        save()
    except service.ProfileRefused as refused:
        db.rollback()
        for name, refusal in refused.problems.items():
            form[name].errors.append(refusal.translated(_))
        return False
    except Refusal as refusal:
        db.rollback()
        errors = form.email.errors if isinstance(refusal, service.EmailRefused) else form.form_errors
        errors.append(refusal.translated(_))
        return False
    db.commit()
    return True


def _save_contact(form: ContactForm) -> None:
    service.update_profile(db_session(), current_user, now=now(), **_profile_fields(form))
    service.choose_channel(db_session(), current_user, Channel(form.channel.data), form.email.data or "", links())


def _after_welcome() -> str:
    """Where someone goes once they have answered the first-time questions: a coordinator was
    made one to plan, so to their dashboard; everyone else to the nights."""
    if current_user.coordinator_scope:
        return url_for("roster.dashboard")
    return url_for("shifts.nights")


@bp.route("/welcome", methods=["GET", "POST"])
@login_required
def welcome():
    if current_user.onboarded:
        return redirect(safe_next(url_for("shifts.nights")))
    switching = request.method == "POST" and LANGUAGE_BUTTON in request.form
    if request.method == "POST":
        # First: the form's labels, choices and errors are then in the language chosen, by a
        # button above the form or by the form's own language question.
        _switch_language(LANGUAGE_BUTTON if switching else "locale")
    form = WelcomeForm()
    chosen = session.get(CHOSEN_MUNICIPALITY)
    classes = _fill_choices(form, service.home_regions(db_session(), current_user, chosen))
    if request.method == "GET":
        _fill_in_what_is_known(form, chosen)
    elif switching:
        form.locale.data = _page_locale()
        return _welcome_page(form, classes)
    if form.validate_on_submit() and _saved(
        form,
        lambda: service.complete_profile(
            db_session(),
            current_user,
            adult=form.adult.data,
            accepts_conduct=form.conduct.data,
            now=now(),
            **_profile_fields(form),
        ),
    ):
        session.pop(CHOSEN_MUNICIPALITY, None)
        return redirect(safe_next(_after_welcome()))
    return _welcome_page(form, classes), _status(form)


#: The name of the language buttons (templates/_language.html). On the welcome page they send the
#: welcome form, so that what was typed comes back in the language chosen.
LANGUAGE_BUTTON = "lang"


def _switch_language(field: str) -> None:
    """A language chosen on the welcome page, by a button (`field` "lang") or by the form's own
    question ("locale", sent with the answers: the page then speaks it, even to say what is still
    missing): the page's language and the profile's, as the footer's buttons set them on any other
    page. A language we do not speak changes nothing."""
    switch = LanguageForm(formdata=MultiDict({"lang": request.form.get(field, ""), **_csrf_of(request.form)}))
    if switch.validate() and (field == LANGUAGE_BUTTON or switch.lang.data != _page_locale()):
        session["lang"] = switch.lang.data
        service.choose_language(db_session(), current_user, switch.lang.data, links())
        db_session().commit()
        refresh()


def _csrf_of(form) -> dict[str, str]:
    return {"csrf_token": form["csrf_token"]} if "csrf_token" in form else {}


def _fill_in_what_is_known(form: WelcomeForm, chosen_municipality: int | None) -> None:
    """What a coordinator's import or the public page it came from already said, so that a
    question left alone keeps its answer: the school classes above all, which an import gives and
    which would otherwise be dropped by a form sent with none ticked. The language is the page's:
    the person's own, or their browser's while their profile's is only an import's default."""
    form.name.data = current_user.name
    form.municipality.data = current_user.municipality_id or chosen_municipality
    form.school_classes.data = sorted(current_user.school_class_ids)
    form.locale.data = _page_locale()


def _welcome_page(form: WelcomeForm, classes: dict) -> str:
    # `language_form`: the language buttons, on top and in the footer, send this form.
    return render_template("accounts/welcome.html", form=form, classes=classes, language_form="welcome")


@bp.get("/sign-up/<int:municipality_id>")
def join_municipality(municipality_id: int):
    """The "Sign up" link of a municipality's public page: log in, then find it chosen in the
    first-time questions. Someone already walking just goes to the nights. A visitor goes straight
    to the login page, which says they join here (`login`): not "Log in to see this page", which
    reads as if they needed an account already."""
    session[CHOSEN_MUNICIPALITY] = municipality_id
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=url_for("accounts.welcome")))
    return redirect(url_for("accounts.welcome"))


@bp.get("/conduct")
def conduct():
    """The walkers' code of conduct, as accepted on /welcome, to read again before a night."""
    return render_template("accounts/conduct.html")


@bp.get("/i/<token>")
def invitation(token: str):
    """The link in an imported parent's invitation SMS: it logs them in for this visit only (no
    remember-me cookie) to answer the first-time questions. Once they have, it logs nobody in."""
    person = service.person_for_invitation(db_session(), token, links(), now())
    if person is None:
        text = _("The link is wrong or has expired. Log in with your mobile number instead.")
        return render_template("error.html", title=_("This invitation no longer works"), text=text), 404
    if person.onboarded:
        flash(_("You have already joined. Log in with your mobile number."), "info")
        return redirect(url_for("accounts.login"))
    if current_user.is_authenticated:
        _end_session()
    session.permanent = False
    login_user(person, remember=False)
    return redirect(url_for("accounts.welcome"))


@bp.route("/profile", methods=["GET", "POST"])
@onboarded_required
def profile():
    form = ContactForm()
    classes = _fill_choices(form)
    if request.method == "GET":
        form.name.data = current_user.name
        form.municipality.data = current_user.municipality_id
        form.school_classes.data = sorted(current_user.school_class_ids)
        form.locale.data = current_user.locale
        form.channel.data = current_user.channel.value
        form.email.data = current_user.email
    if form.validate_on_submit() and _saved(form, lambda: _save_contact(form)):
        refresh()  # "Saved" in the language just chosen
        flash(_("Saved."), "success")
        return redirect(url_for("accounts.profile"))
    feed = links().calendar(service.calendar_token(current_user, links()))
    page = render_template(
        "accounts/profile.html",
        form=form,
        classes=classes,
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
        session[PICKED_LANGUAGE] = not current_user.is_authenticated
        if current_user.is_authenticated:
            service.choose_language(db_session(), current_user, form.lang.data, links())
            db_session().commit()
    return redirect(safe_next(url_for("accounts.home")))
