"""What each app builds once at start-up: its settings, the instrument, the clinic and the form
class, and the typed accessors views read them through."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, current_app
from flask_babel import get_locale
from flask_wtf import FlaskForm

from screening.codes.seal import ResultCodeKeys
from screening.core.about import Block
from screening.core.clinic import Clinic
from screening.core.dates import now_utc
from screening.core.instrument import Instrument
from screening.settings import Settings

EXTENSION_KEY = "screening"
SETTINGS_KEY = "screening.settings"


@dataclass(frozen=True)
class ScreeningState:
    instrument: Instrument
    clinic: Clinic
    questionnaire_form_class: type[FlaskForm]
    result_code_key: ResultCodeKeys
    # Interface language -> the instrument in that language, when a validated one is installed.
    translations: Mapping[str, Instrument] = field(default_factory=dict)
    # Interface language -> the clinic's name and hours as that language shows them.
    clinics: Mapping[str, Clinic] = field(default_factory=dict)
    # The clinic's own about-page paragraphs, by language ("" for every language).
    about_texts: Mapping[str, list[Block]] = field(default_factory=dict)
    # What time it is: tests give a fixed instant to see "open now" and "closed now".
    clock: Callable[[], datetime] = now_utc

    def instrument_for(self, language: str) -> Instrument:
        """The translation for ``language`` while its permission is in force (a server may
        run past the day it ends), else the instrument as published."""
        translated = self.translations.get(language)
        if translated is None or translated.provenance is None:
            return self.instrument
        today = self.clock().astimezone(self.clinic.timezone).date()
        return (
            translated if translated.provenance.permission.in_force_on(today) else self.instrument
        )

    @property
    def installed_texts(self) -> tuple[Instrument, ...]:
        """Every text of the items installed here, the published one first: what a result code's
        fingerprint is looked up in."""
        return (self.instrument, *self.translations.values())

    def clinic_for(self, language: str) -> Clinic:
        return self.clinics.get(language, self.clinic)

    def questionnaire_form(self) -> FlaskForm:
        return self.questionnaire_form_class()

    def install(self, app: Flask) -> None:
        app.extensions[EXTENSION_KEY] = self


def screening_state() -> ScreeningState:
    return screening_state_of(current_app)


def screening_state_of(app: Flask) -> ScreeningState:
    return app.extensions[EXTENSION_KEY]


def current_instrument() -> Instrument:
    """The instrument in the interface language if a validated translation is installed."""
    return screening_state().instrument_for(str(get_locale()))


def current_clinic() -> Clinic:
    """The clinic's details with its name and hours in the interface language."""
    return screening_state().clinic_for(str(get_locale()))


def install_settings(app: Flask, settings: Settings) -> None:
    app.extensions[SETTINGS_KEY] = settings


def current_settings() -> Settings:
    """The app's settings, parsed once at start-up: views read these, never app.config."""
    return settings_of(current_app)


def settings_of(app: Flask) -> Settings:
    return app.extensions[SETTINGS_KEY]
