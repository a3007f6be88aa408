"""Request bodies: a form parser that keeps every readable field of a body with a stray byte.

Werkzeug decodes a form-encoded body as one UTF-8 string, so a single raw byte that is not
UTF-8 (a broken client, an old proxy re-encoding to Windows-1251) empties the whole form, and
the person was told their page had been open too long. Here each ``name=value`` part is decoded
on its own; a part that cannot be read is left out and the request says so, so the page can
explain what happened and keep every answer that was readable.
"""

from __future__ import annotations

from typing import IO
from urllib.parse import parse_qsl

from flask import Request
from werkzeug.formparser import FormDataParser


class ReadablePartsParser(FormDataParser):
    """Form-encoded bodies decoded part by part; ``dropped_parts`` counts the unreadable ones."""

    dropped_parts = 0

    def _parse_urlencoded(
        self, stream: IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> tuple[IO[bytes], object, object]:
        readable = []
        for part in stream.read().split(b"&"):
            try:
                readable.append(part.decode())
            except UnicodeDecodeError:
                self.dropped_parts += 1
        # As Werkzeug does: percent-escapes that are not UTF-8 stay as typed.
        items = parse_qsl("&".join(readable), keep_blank_values=True, errors="werkzeug.url_quote")
        return stream, self.cls(items), self.cls()


class ScreeningRequest(Request):
    form_data_parser_class = ReadablePartsParser
    _form_parser: ReadablePartsParser | None = None

    def make_form_data_parser(self) -> FormDataParser:
        parser = super().make_form_data_parser()
        self._form_parser = parser  # type: ignore[assignment]
        return parser

    @property
    def form_parts_dropped(self) -> bool:
        """Whether part of the posted form could not be read as UTF-8 and was left out."""
        self.form  # noqa: B018  (parses the body, once)
        return bool(self._form_parser and self._form_parser.dropped_parts)
