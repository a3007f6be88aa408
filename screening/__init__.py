"""The application factory: create_app() wires configuration, state, views and error pages."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from babel.lists import format_list
from flask import Flask
from flask.logging import default_handler
from flask_babel import get_locale, gettext
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from screening.codes.seal import derive_key
from screening.core.about import load_clinic_texts
from screening.core.clinic import phone_uri
from screening.core.context import WEEKS
from screening.core.dates import now_utc
from screening.core.hours import describe
from screening.core.instrument_file import load_instrument, load_translations, log_installed_texts
from screening.documents.pdf_base import register_characters, require_fonts, styles
from screening.settings import Settings
from screening.web.bodies import register_bodies
from screening.web.config import load_config
from screening.web.error_pages import register_error_pages
from screening.web.extensions import ExplainFallback, babel, limiter
from screening.web.forms import (
    CONTEXT_CHOICES,
    CONTEXT_FIELD,
    LOSS_CHOICE,
    NOT_ANSWERED_CHOICE,
    WEEKS_FIELDS,
    WEEKS_NOT_GIVEN,
    build_questionnaire_form,
    field_name,
    week_number,
)
from screening.web.i18n import LANGUAGES, catalogue_words, register_languages, select_locale
from screening.web.log_addresses import mask_addresses_in_logs
from screening.web.security import register_security
from screening.web.staff_session import sign_in_required
from screening.web.state import ScreeningState, current_clinic, current_instrument, screening_state
from screening.web.translation_cli import translation_cli

CATALOGUES = Path(__file__).parent / "translations"


def create_app(
    test_config: dict[str, object] | None = None, *, budgets_on_first_use: bool = False
) -> Flask:
    """The app. ``budgets_on_first_use``: for the test suite's apps only, measure each response
    budget when a response first needs it rather than all of them now (see
    response_sizes.MeasuredOnFirstUse); gunicorn and ``flask run`` always measure at start."""
    app = Flask(
        __name__,
        # Unset: Flask's own choice, the checkout's instance/ beside the package, or for an
        # installed wheel <environment>/var/screening-instance (never inside site-packages).
        instance_path=os.environ.get("SCREENING_INSTANCE_PATH") or None,
        instance_relative_config=True,
        # Inside the package (screening/web/templates, screening/web/static), so a wheel installed
        # anywhere carries them; Flask resolves both against the package's folder.
        template_folder="web/templates",
        static_folder="web/static",
    )
    settings = load_config(app, test_config)
    register_bodies(app)
    register_security(app, settings)
    register_state(app, settings)
    register_extensions(app)
    register_views(app)
    register_error_pages(app)
    register_template_globals(app)
    register_document_layouts(app)
    register_response_sizes(app, on_first_use=budgets_on_first_use)
    return app


def register_document_layouts(app: Flask) -> None:
    # Before gunicorn forks, and before the budgets are measured on documents made with them:
    # each language's font subsets and the result PDF's fixed text, laid out.
    from screening.web import pages

    characters: dict[str, str] = {}
    app.extensions[pages.PDF_CHARACTERS] = characters
    for language in LANGUAGES:
        with app.test_request_context(f"/?lang={language}"):
            words = pages.pdf_words(catalogue_words(CATALOGUES, language))
            # The test suite's apps that differ only in, say, a rate limit lay out once.
            if words not in _laid_out:
                _laid_out[words] = register_characters(words)
                pages.lay_out_result_pdf_text()
            characters[language] = _laid_out[words]


# Every word a language's documents can print -> their characters, laid out in this process.
_laid_out: dict[str, str] = {}


def register_response_sizes(app: Flask, *, on_first_use: bool = False) -> None:
    # Last: the budgets are measured on pages rendered as a request would render them.
    from screening.web import size_policy

    size_policy.install(app, on_first_use=on_first_use)


def register_state(app: Flask, settings: Settings) -> None:
    # Load the PDF fonts and styles now: the first PDF should not pay for them, and a worker's
    # memory after start-up should already include them.
    require_fonts()
    styles()
    instrument = load_instrument()
    clinic = settings.clinic.main
    # Not a setting: tests give a fixed instant to see "open now" and "closed now".
    clock = app.config.get("CLOCK") or now_utc
    today = clock().astimezone(clinic.timezone).date()
    translations = load_translations(instrument, Path(app.instance_path) / "instruments", today)
    log_installed_texts(instrument, translations)
    ScreeningState(
        translations=translations,
        instrument=instrument,
        clinic=clinic,
        clinics=settings.clinic.by_language,
        about_texts=load_clinic_texts(Path(app.instance_path)),
        questionnaire_form_class=build_questionnaire_form(instrument),
        result_code_key=derive_key(settings.server.secret_key),
        clock=clock,
    ).install(app)


def register_extensions(app: Flask) -> None:
    limiter.init_app(app)
    # init_app gives the one limiter a new store, presumed reachable until a request finds it
    # is not; a store found dead by an earlier app (a test's) says nothing about this one.
    limiter._storage_dead = False
    # One line in the server's log when the rate-limit store goes away, and one when it is back.
    limiter_log = logging.getLogger("flask-limiter")
    limiter_log.setLevel(logging.INFO)
    if default_handler not in limiter_log.handlers:
        limiter_log.addHandler(default_handler)
    if not any(isinstance(each, ExplainFallback) for each in limiter_log.filters):
        limiter_log.addFilter(ExplainFallback())
    # Its "ratelimit ... exceeded" line names the limit's key, for most limits the client's
    # address: that and any other line through these handlers holds the network only.
    mask_addresses_in_logs()
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories=str(CATALOGUES)
    )
    register_languages(app, CATALOGUES)


def register_views(app: Flask) -> None:
    from screening.web import access, callback, intake, staff, views

    app.before_request(access.guard)
    app.before_request(staff.guard)
    app.register_blueprint(access.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(intake.bp)
    app.register_blueprint(callback.bp)
    app.cli.add_command(translation_cli)


def phone_link(uri: str, number: str) -> Markup:
    """A tel: link, for messages that put a number in the middle of a sentence."""
    return Markup('<a href="{}">{}</a>').format(uri, number)


def phone_links(numbers: tuple[str, ...]) -> Markup:
    """Several numbers as tel: links joined as alternatives in the interface language."""
    links = [str(phone_link(phone_uri(number), number)) for number in numbers]
    # The joining words come from CLDR's locale data, which holds no markup.
    return Markup(format_list(links, style="or", locale=str(get_locale())))


def opening_status() -> str:
    """Whether the clinic is open now, as one sentence in the interface language."""
    clinic = current_clinic()
    return describe(clinic.status_at(screening_state().clock()), gettext, str(get_locale()))


def clinic_open_now() -> bool:
    """Whether the clinic is open now: a page says "today" only when it can still answer today."""
    return current_clinic().status_at(screening_state().clock()).is_open


def register_template_globals(app: Flask) -> None:
    def fragment(macro_name: str, *args: object) -> Markup:
        """A macro from _macros.html, rendered afresh on every call: in development and in
        production alike, its words, links and settings are those of the current request."""
        macros = app.jinja_env.get_template("_macros.html").module
        return Markup(getattr(macros, macro_name)(*args))

    app.jinja_env.globals["fragment"] = fragment
    app.jinja_env.globals["csrf_token"] = generate_csrf
    app.jinja_env.globals["staff_sign_in_required"] = sign_in_required
    app.jinja_env.globals["languages"] = LANGUAGES
    app.jinja_env.globals["phone_link"] = phone_link
    app.jinja_env.globals["phone_links"] = phone_links
    app.jinja_env.globals["opening_status"] = opening_status
    app.jinja_env.globals["clinic_open_now"] = clinic_open_now
    app.jinja_env.globals["field_name"] = field_name
    app.jinja_env.globals["context_field"] = CONTEXT_FIELD
    app.jinja_env.globals["context_choices"] = CONTEXT_CHOICES
    app.jinja_env.globals["weeks_fields"] = {
        status.value: name for status, name in WEEKS_FIELDS.items()
    }
    app.jinja_env.globals["weeks_ranges"] = {status.value: WEEKS[status] for status in WEEKS_FIELDS}
    app.jinja_env.globals["weeks_not_given"] = WEEKS_NOT_GIVEN
    app.jinja_env.globals["week_number"] = week_number
    app.jinja_env.globals["context_not_answered"] = NOT_ANSWERED_CHOICE
    app.jinja_env.globals["context_loss_choice"] = LOSS_CHOICE

    @app.context_processor
    def screening_context() -> dict[str, object]:
        # Every render pays for what is here: templates that join several numbers as links
        # call phone_links() where they need them.
        clinic = current_clinic()
        return {
            "clinic": clinic,
            "instrument": current_instrument(),
            "current_language": str(get_locale()),
            "clinic_phone_link": phone_link(clinic.phone_uri, clinic.phone),
        }
