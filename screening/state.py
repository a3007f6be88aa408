"""What each app builds once at start-up: the instrument, the clinic and the form classes."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from flask_wtf import FlaskForm

from screening.clinic import Clinic
from screening.instrument import Instrument

EXTENSION_KEY = "screening"


@dataclass(frozen=True)
class ScreeningState:
    instrument: Instrument
    clinic: Clinic
    questionnaire_form_class: type[FlaskForm]
    result_form_class: type[FlaskForm]
    result_code_key: bytes

    def questionnaire_form(self) -> FlaskForm:
        return self.questionnaire_form_class()

    def result_form(self) -> FlaskForm:
        return self.result_form_class()

    def install(self, app: Flask) -> None:
        app.extensions[EXTENSION_KEY] = self


def screening_state() -> ScreeningState:
    return current_app.extensions[EXTENSION_KEY]
