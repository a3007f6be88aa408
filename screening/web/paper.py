"""The blank paper form as a download on the clinician's side: the request's language picks
the installed text and the interface words; blank_form lays out the page."""

from __future__ import annotations

from flask import Response
from flask_babel import get_locale, gettext, ngettext

from screening.core.translator import Translator
from screening.documents.blank_form import render_blank_form
from screening.web.extensions import document_limit
from screening.web.pages import NO_STORE
from screening.web.state import current_clinic, current_instrument


@document_limit()
def blank_form() -> Response:
    """GET /intake/blank-form.pdf?lang=uk: one A4 page to print, with nothing of anyone's."""
    language = str(get_locale())
    translator = Translator(gettext, ngettext, language)
    body = render_blank_form(current_instrument(), current_clinic(), translator)
    response = Response(body, mimetype="application/pdf", headers=NO_STORE)
    name = f"epds-blank-form-{language}.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response
