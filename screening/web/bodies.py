"""Request bodies: a size limit that holds for chunked bodies too, and a form parser that keeps
every readable field of a body with a stray byte.

Werkzeug applies ``MAX_CONTENT_LENGTH`` to a chunked body (no Content-Length) by reading up to
the limit and stopping there, so a larger body was cut silently at the limit and answered as if
it were whole. ``limit_chunked_body`` reads such a body before anything else does: one byte over
the limit is a 413, as for a body whose Content-Length is too large, and a malformed chunk is a
400 rather than the server's exception surfacing as a 500.

Werkzeug decodes a form-encoded body as one UTF-8 string, so a single raw byte that is not
UTF-8 (a broken client, an old proxy re-encoding to Windows-1251) empties the whole form, and
the person was told their page had been open too long. Here each ``name=value`` part is decoded
on its own; a part that cannot be read is left out and the request says so, so the page can
explain what happened and keep every answer that was readable.
"""

from __future__ import annotations

import io
from typing import IO
from urllib.parse import parse_qsl

from flask import Flask, Request, abort, request
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.formparser import FormDataParser

from screening.web.state import current_settings


class ReadablePartsParser(FormDataParser):
    """Form-encoded bodies decoded part by part; ``dropped_parts`` counts the unreadable ones."""

    dropped_parts = 0

    def _parse_urlencoded(
        self, stream: IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> tuple[IO[bytes], MultiDict[str, str], MultiDict[str, FileStorage]]:
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
    """Flask's request, with form bodies parsed by ``ReadablePartsParser``."""

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


def limit_chunked_body() -> None:
    """Before each request: buffer a chunked body up to ``MAX_CONTENT_LENGTH``; 413 past it."""
    environ = request.environ
    if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return
    limit = current_settings().server.max_content_length
    stream, body = environ["wsgi.input"], bytearray()
    try:
        while len(body) <= limit:
            part = stream.read(limit + 1 - len(body))
            if not part:
                break
            body += part
    except Exception:  # each server raises its own (gunicorn: InvalidChunkSize, NoMoreData)
        # A malformed chunk or a dropped connection: what was sent cannot be used (400).
        abort(400)
    if len(body) > limit:
        abort(413)
    environ["wsgi.input"] = io.BytesIO(bytes(body))
    environ["CONTENT_LENGTH"] = str(len(body))
    del environ["HTTP_TRANSFER_ENCODING"]


def register_bodies(app: Flask) -> None:
    app.request_class = ScreeningRequest
    # First of all before_request functions: nothing may read the body before it is limited.
    app.before_request_funcs.setdefault(None, []).insert(0, limit_chunked_body)
