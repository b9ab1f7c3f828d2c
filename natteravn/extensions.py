"""Flask extensions and what every page shares: language, login, CSRF, headers, errors."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from flask import Flask, render_template, request, session
from flask_babel import Babel, format_date, format_decimal, format_percent, get_translations, gettext, lazy_pgettext
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import pass_context
from jinja2.runtime import Context
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from natteravn.clock import OSLO
from natteravn.i18n import LOCALE_NAMES, LOCALES, N_, TRANSLATIONS_DIR, text_direction
from natteravn.links import personal_links_hidden
from natteravn.web import abandon_changes, coordinator_scope, now, written

log = logging.getLogger("natteravn")
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Log in to see this page.")
login_manager.login_message_category = "info"


#: The coordinator's menu, by endpoint; entries whose page is not registered are left out.
COORDINATOR_NAV = (
    ("roster.dashboard", _l("Dashboard")),
    ("roster.terms", _l("Terms and nights")),
    ("reports.index", _l("Reports")),
    ("reports.statistics", _l("Statistics")),
    ("people.index", _l("People")),
    ("places.index", lazy_pgettext("the coordinator's page of municipalities, routes and schools", "Places")),
    ("roster.message_people", _l("Message people")),
    ("sms.outbox", _l("SMS outbox")),
    ("audit.index", _l("Audit log")),
)
#: Pages about a whole region, left out of the menu of a coordinator of single municipalities.
REGION_WIDE = {"places.index", "audit.index"}


#: Language tags browsers send for what we call nb and nn: Norwegian set in a browser often
#: arrives as the macrolanguage "no", which in practice means bokmål.
BROWSER_TAGS = {"no": "nb", "nb": "nb", "nob": "nb", "nn": "nn", "nno": "nn", "en": "en"}


def pick_locale() -> str:
    """The profile's language, then one picked on the page, then the browser's. A profile's language
    that is only an import's default gives way to the browser's until the person chooses one."""
    if current_user.is_authenticated and current_user.locale in LOCALES:
        if current_user.locale_guessed:
            return browser_locale() or current_user.locale
        return current_user.locale
    if session.get("lang") in LOCALES:
        return session["lang"]
    return browser_locale() or LOCALES[0]


def browser_locale() -> str | None:
    """The first of the browser's languages, best first, that we speak."""
    for tag, _quality in request.accept_languages:
        locale = BROWSER_TAGS.get(tag.replace("_", "-").split("-")[0].lower())
        if locale:
            return locale
    return None


def init_app(app: Flask) -> None:
    if app.config["PROXY_FIX"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    babel.init_app(
        app,
        locale_selector=pick_locale,
        default_translation_directories=str(TRANSLATIONS_DIR),
    )
    _page_catalogue(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    _template_helpers(app)
    _headers(app)
    _errors(app)


def _page_catalogue(app: Flask) -> None:
    """Templates translate with the catalogue their page was rendered with (`_catalogue`, set by
    `_globals` below), looked up once a page. Flask-Babel looks it up for every string, through the
    request's globals three times over; on the region list's few hundred strings that came to half
    the page's time. A template rendered without the page's variables, such as a macro imported
    without context, asks Flask-Babel as before."""

    def catalogue(context: Context):
        return context.get("_catalogue") or get_translations()

    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by Jinja's i18n extension
        gettext=pass_context(lambda context, text: catalogue(context).ugettext(text)),
        ngettext=pass_context(lambda context, one, many, n: catalogue(context).ungettext(one, many, n)),
        pgettext=pass_context(lambda context, where, text: catalogue(context).upgettext(where, text)),
        npgettext=pass_context(lambda context, where, one, many, n: catalogue(context).unpgettext(where, one, many, n)),
        newstyle=True,
    )


def _template_helpers(app: Flask) -> None:
    @app.context_processor
    def _globals():
        from flask_babel import get_locale

        locale = str(get_locale() or LOCALES[0])
        return {
            "_catalogue": get_translations(),
            "coordinator_nav": _coordinator_nav(app),
            "locale": locale,
            "text_dir": text_direction(locale),
            "locale_names": LOCALE_NAMES,
            "now": now(),
        }

    def _coordinator_nav(app: Flask) -> list[tuple[str, str]]:
        scope = coordinator_scope()
        return [
            (endpoint, label)
            for endpoint, label in COORDINATOR_NAV
            if scope and endpoint in app.view_functions and (scope.regions or endpoint not in REGION_WIDE)
        ]

    def _local(value: datetime) -> datetime:
        return value.astimezone(OSLO)

    app.jinja_env.filters["local"] = _local
    for kind in ("day", "short_day", "when", "date", "weekday_date", "clock"):
        app.jinja_env.filters[kind] = partial(lambda value, kind: written(value, kind), kind=kind)
    # Kroner and øre, as a price is written: 1 234,50 in Norwegian.
    app.jinja_env.filters["money"] = lambda v: format_decimal(v, "#,##0.00")
    # A count as the language groups it: 2 000 in Norwegian, 2,000 in English.
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.filters["percent"] = format_percent
    app.jinja_env.filters["month"] = lambda v: format_date(v, "LLLL yyyy")
    app.jinja_env.filters["personal_links_hidden"] = lambda text: personal_links_hidden(
        text, gettext("(personal link hidden)")
    )


def _headers(app: Flask) -> None:
    @app.after_request
    def _secure(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
        )
        if session.get("_user_id") and request.endpoint != "static":
            # A shared phone's back button, or a proxy, must not keep a logged-in person's pages,
            # exports or data download. (The session's login key, not `current_user`: reading the
            # person here would load them for every response, a health check's included.)
            response.headers.setdefault("Cache-Control", "no-store")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def _errors(app: Flask) -> None:
    from flask_babel import gettext as _

    def page(status: int, title: str, text: str):
        # First the rollback: picking the page's language reads the person, which a failed
        # statement's transaction would refuse.
        abandon_changes()
        return render_template("error.html", title=_(title), text=_(text)), status

    @app.errorhandler(CSRFError)
    def _csrf(_error):
        return page(400, N_("The form expired"), N_("Go back, reload the page and try again."))

    @app.errorhandler(400)
    def _bad(_error):
        return page(400, N_("Something in the request was wrong"), N_("Go back and try again."))

    @app.errorhandler(403)
    def _forbidden(_error):
        return page(403, N_("Not allowed"), N_("You do not have access to this page."))

    @app.errorhandler(404)
    def _missing(_error):
        return page(404, N_("Not found"), N_("The page does not exist, or you do not have access to it."))

    @app.errorhandler(500)
    def _broken(_error):
        try:
            return page(500, N_("Something went wrong"), N_("Nothing you saved is lost. Try again in a moment."))
        except Exception:  # the error page must never fail in turn: the plainest page there is
            log.exception("The error page itself failed")
            return "Something went wrong. Nothing you saved is lost. Try again in a moment.", 500

    @app.errorhandler(HTTPException)
    def _other(error: HTTPException):
        # Every other refusal (405, 413, 429 …) gets the same page in the reader's language,
        # rather than Werkzeug's English one.
        if error.code is None or error.code < 400:
            return error
        if error.code >= 500:
            return _broken(error)[0], error.code
        return page(error.code, N_("Something in the request was wrong"), N_("Go back and try again."))
