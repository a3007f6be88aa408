"""The kit every PDF of the app is made with, after pretix's invoice renderer: the fonts and their
registration, the stylesheet, the page template with its frame from ``doc.width`` and
``doc.height``, the footer, the alert box, the licence notice, the metadata (Info and XMP) and
fitting a story to one page. The result, series and blank-form renderers subclass ``Renderer``
and use only what is public here. No Flask.

What does not depend on the request is made once per process (fonts, styles, and the fixed
text's paragraphs as start-up lays them out: ``fixed()``); nothing that depends on a person's
answers is kept after the document is made.
"""

from __future__ import annotations

import copy
import io
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import XMP, PDFArray, PDFDocument, PDFName, PDFZCompress
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import Paragraph as _ReportlabParagraph

from screening.core.clinic import Clinic
from screening.core.instrument import Instrument
from screening.core.marks import N_
from screening.core.translator import Translator

GAP = 2.5 * mm
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#9aa5b1")
ALERT = colors.HexColor("#a4262c")
ALERT_BACKGROUND = colors.HexColor("#fdecea")
SHADE = colors.HexColor("#f0f4f8")

FONT_DIRECTORY = Path(__file__).parent / "fonts"  # DejaVu 2.37, licence in its LICENSE file
REGULAR, BOLD, CODE = "DejaVuSansCondensed", "DejaVuSansCondensed-Bold", "DejaVuSansMono-Bold"
FONT_FILES = {font: f"{font}.ttf" for font in (REGULAR, BOLD, CODE)}
# Said in the footer and the metadata's subject of every document.
NOT_DIAGNOSIS = N_("Screening, not diagnosis")


class MissingFontError(RuntimeError):
    """A font the PDF embeds is missing from the package: start-up stops rather than print
    without it."""


# (font file, subset) -> the embedded subset font file, as made and as compressed; made at
# start-up for each registered language's subsets, only read by a request.
_SUBSET_FILES: dict[tuple[str, tuple[int, ...]], tuple[bytes, bytes]] = {}
# What a subset holds besides ASCII, which reportlab always puts in subset 0: codes 1-31, 128-255.
SUBSET_ROOM = 31 + 128
DOCUMENT_CHARACTERS = "screening_characters"


class _KeptSubsetFace(TTFontFace):
    """A font face whose subsets start-up made (``register_characters``) go into a document as
    made and compressed once per process; any other subset is made as reportlab makes it."""

    def makeSubset(self, subset: list[int]) -> bytes:
        kept = _SUBSET_FILES.get((self.filename, tuple(subset)))
        return kept[0] if kept is not None else super().makeSubset(subset)

    def addSubsetObjects(self, doc: PDFDocument, fontname: str, subset: list[int]) -> Any:
        descriptor = super().addSubsetObjects(doc, fontname, subset)
        kept = _SUBSET_FILES.get((self.filename, tuple(subset)))
        if kept is not None and doc.compression:
            # Compressed already: a stream with a /Filter is written as it is, not compressed.
            font_file = doc.idToObject[f"fontFile:{self.filename}({fontname})"]
            font_file.content = kept[1]
            font_file.dictionary["Filter"] = PDFArray([PDFName(PDFZCompress.pdfname)])
        return descriptor


class EmbeddedFont(TTFont):
    """A TrueType font embedded as subsets, as reportlab embeds it, except that in a document
    that names its characters (``DOCUMENT_CHARACTERS``, a font name -> characters) the font's
    subset starts with all of them: the same subset in every document of a language, whatever
    its text, made and compressed once per process."""

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename)
        self.face.__class__ = _KeptSubsetFace

    def splitString(self, text: str, doc: Any, encoding: str = "utf-8") -> list[tuple[int, bytes]]:
        characters = getattr(doc, DOCUMENT_CHARACTERS, {}).get(self.fontName, "")
        if doc not in self.state:
            self.state[doc] = TTFont.State(self._asciiReadable, self)
            if characters:
                super().splitString(characters, doc)
        table = _ENCODINGS.get((self.fontName, characters))
        if table is not None and text and isinstance(text, str):
            # What reportlab's loop gives for text of characters the subset started with.
            try:
                return [(0, text.translate(table).encode("latin-1"))]
            except UnicodeEncodeError:
                pass  # a character the subset did not start with: reportlab adds it
        return super().splitString(text, doc, encoding)

    def subsets_of(self, characters: str) -> list[list[int]]:
        """The subsets a document naming these characters starts with; their codes for the
        characters they hold are kept as an encoding for ``str.translate``."""
        document = _Document()
        setattr(document, DOCUMENT_CHARACTERS, {self.fontName: characters})
        self.splitString("", document)
        state = self.state[document]
        subsets = [list(subset) for subset in state.subsets]
        if len(subsets) == 1:
            _ENCODINGS[(self.fontName, characters)] = _encoding(state.assignments)
        del self.state[document]
        return subsets


def _encoding(assignments: dict[int, int]) -> dict[int, str]:
    """Character -> its code in subset 0, as a ``str.translate`` table. Every other character
    below 256 becomes one that Latin-1 cannot encode, so the fast path falls back for it."""
    table = dict.fromkeys(range(256), "\uffff")
    table.update({char: chr(code) for char, code in assignments.items() if code < 256})
    table[0xA0] = table[32]  # reportlab prints a no-break space as a space
    return table


# (font name, characters) -> the encoding of a document's subset that starts with them.
_ENCODINGS: dict[tuple[str, str], dict[int, str]] = {}


class _Document:
    """Stands for a document when working out a font's subsets (fonts key their state by it)."""


def register_characters(text: str) -> str:
    """Start-up: the characters beyond ASCII that ``text`` holds (all a language's documents
    can print), for ``Translator.characters``, with the regular and bold subsets that start
    with them and the result code's subset made and compressed now. Empty when they would not
    fit one subset: its documents' subsets are then reportlab's, made per document."""
    characters = "".join(sorted(char for char in set(text) if ord(char) > 127 and char != "\xa0"))
    if len(characters) > SUBSET_ROOM:
        return ""
    regular, bold = fonts()
    for name in (regular, bold, CODE):
        font = pdfmetrics.getFont(name)
        assert isinstance(font, EmbeddedFont)
        for subset in font.subsets_of(characters if name != CODE else ""):
            key = (font.face.filename, tuple(subset))
            if key not in _SUBSET_FILES:
                made = TTFontFace.makeSubset(font.face, subset)
                _SUBSET_FILES[key] = (made, zlib.compress(made))
    return characters


def document_characters(characters: str) -> dict[str, str]:
    """A document's ``DOCUMENT_CHARACTERS``: ``characters`` in its regular and bold fonts."""
    regular, bold = fonts()
    return {regular: characters, bold: characters} if characters else {}


@cache
def fonts() -> tuple[str, str]:
    """Regular and bold font names, registered once per process: DejaVu Sans Condensed (Unicode,
    Cyrillic included, about as wide as Helvetica), with DejaVu Sans Mono Bold for the result code.
    All ship in ``screening/documents/fonts`` and are embedded as subsets; no standard-14 font
    (which a reader substitutes, and which has no Cyrillic) is ever referenced."""
    missing = [name for name in FONT_FILES.values() if not (FONT_DIRECTORY / name).is_file()]
    if missing:
        raise MissingFontError(
            f"The PDF fonts {', '.join(missing)} are missing from {FONT_DIRECTORY}: the package "
            "is incomplete. Reinstall it (pip install --force-reinstall), or restore screening/"
            "fonts from the repository."
        )
    for font_name, file_name in FONT_FILES.items():
        pdfmetrics.registerFont(EmbeddedFont(font_name, str(FONT_DIRECTORY / file_name)))
    registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
    return REGULAR, BOLD


def require_fonts() -> None:
    """Stop start-up, with the reason, when a PDF font cannot be loaded."""
    fonts()


@cache
def styles() -> StyleSheet1:
    """The PDFs' one stylesheet, built once per process."""
    regular, bold = fonts()
    sheet = StyleSheet1()
    base = ParagraphStyle("Body", fontName=regular, fontSize=8.5, leading=10.5, textColor=INK)
    sheet.add(base)
    sheet.add(ParagraphStyle("Letterhead", base, fontName=bold, fontSize=13, leading=16))
    sheet.add(ParagraphStyle("Contact", base, textColor=MUTED))
    sheet.add(ParagraphStyle("Title", base, fontName=bold, fontSize=12, leading=15))
    sheet.add(ParagraphStyle("Cell", base, fontSize=8, leading=9.5))
    sheet.add(ParagraphStyle("CellBold", base, fontName=bold, fontSize=8, leading=9.5))
    sheet.add(ParagraphStyle("Alert", base, fontName=bold, textColor=ALERT))
    sheet.add(ParagraphStyle("Small", base, fontSize=6.5, leading=8, textColor=MUTED))
    # The blank form's: larger type, read by the person answering, tired, perhaps by candlelight.
    form = ParagraphStyle("FormBody", base, fontSize=9.2, leading=11.2)
    sheet.add(form)
    sheet.add(ParagraphStyle("FormBold", form, fontName=bold))
    sheet.add(ParagraphStyle("FormAlert", sheet["Alert"], fontSize=11, leading=14))
    return sheet


class Paragraph(_ReportlabParagraph):
    """reportlab's Paragraph, laid out once per width: a table lays each cell out to measure it
    and again to draw it, and breaking the lines is most of a page's cost. A paragraph of fixed
    text (``fixed()``), whose words depend only on the language, the instrument and the
    settings, takes its lines from start-up's layout at the same width when there is one."""

    _wrapped_at: tuple[float, float, float] | None = None
    fixed_text = False

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        # split() drops the lines it broke (blPara): then they are broken again.
        wrapped = self._wrapped_at
        if wrapped is not None and wrapped[0] == availWidth and "blPara" in self.__dict__:
            return wrapped[1], wrapped[2]
        key = (self.text, self.style.name, availWidth)
        if self.fixed_text and key in _LAID_OUT:
            self.__dict__.update(_LAID_OUT[key])
            return self.width, self.height
        recording = self.fixed_text and _recording
        before = dict(self.__dict__) if recording else {}
        width, height = super().wrap(availWidth, availHeight)
        self._wrapped_at = (availWidth, width, height)
        if recording:
            _LAID_OUT[key] = {
                name: value
                for name, value in self.__dict__.items()
                if name not in before or before[name] is not value
            }
        return width, height


# Fixed text as start-up parsed it, (markup, style) -> a paragraph not yet laid out, and as it
# laid it out, (markup, style, width) -> what wrapping set. Written only at start-up, before
# gunicorn forks, from made-up results; a request only reads them, so they hold nothing of it.
_PARSED: dict[tuple[str, str], Paragraph] = {}
_LAID_OUT: dict[tuple[str, str, float], dict[str, Any]] = {}
_recording = False


@contextmanager
def laying_out_fixed_text() -> Iterator[None]:
    """While this lasts, the fixed paragraphs made and laid out are kept for the process."""
    global _recording  # start-up only, before any request or thread
    _recording = True
    try:
        yield
    finally:
        _recording = False


def fixed(text: str, style: str = "Body") -> Paragraph:
    """A paragraph of plain fixed text (see ``Paragraph``): a copy of start-up's when it made
    this one, or made now (and kept only while start-up lays out fixed text)."""
    key = (escape(text), style)
    parsed = _PARSED.get(key)
    if parsed is not None:
        return copy.copy(parsed)
    made = Paragraph(key[0], styles()[style])
    made.fixed_text = True
    if _recording:
        _PARSED[key] = copy.copy(made)
    return made


def paragraph(text: str, style: str = "Body") -> Paragraph:
    """A paragraph of plain text: escaped, so '<', '&' and '>' print as themselves."""
    return Paragraph(escape(text), styles()[style])


def markup(text: str, style: str = "Body") -> Paragraph:
    """A paragraph of our own markup; callers escape every dynamic part they put in."""
    return Paragraph(text, styles()[style])


def columns(width: float, *shares: float) -> list[float]:
    """Column widths that fill ``width``, in proportion to ``shares``."""
    return [width * share / sum(shares) for share in shares]


# A table of rows with a shaded header row, as the answers table and the series table are.
RULED_TABLE = (
    ("GRID", (0, 0), (-1, -1), 0.5, RULE),
    ("BACKGROUND", (0, 0), (-1, 0), SHADE),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
)


def table_style(commands: Iterable[tuple]) -> TableStyle:
    """A table style whose cells start in the document's font: reportlab's default cell font is
    Helvetica, which would be referenced (not embedded) even where every cell is a Paragraph."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), fonts()[0]), *commands])


def plain_cells(*commands: tuple) -> list[tuple]:
    """Table style for cells given as plain strings: cheaper than Paragraphs, and never wrapped."""
    regular, _bold = fonts()
    return [("FONT", (0, 0), (-1, -1), regular, 8), ("TEXTCOLOR", (0, 0), (-1, -1), INK), *commands]


def alert_box(
    rows: Sequence[Flowable | list[Flowable]], width: float, padding: tuple[float, float] | None
) -> Table:
    """The red-bordered box of every document: the safety item on the result, the flagged
    screenings on the series, the crisis numbers on the blank form. One row per entry of
    ``rows``; ``padding`` is the cells' top and bottom padding (None: reportlab's)."""
    box = Table([[row] for row in rows], colWidths=[width])
    commands: list[tuple] = [
        ("BOX", (0, 0), (-1, -1), 1.2, ALERT),
        ("BACKGROUND", (0, 0), (-1, -1), ALERT_BACKGROUND),
    ]
    if padding is not None:
        commands += [
            ("TOPPADDING", (0, 0), (-1, -1), padding[0]),
            ("BOTTOMPADDING", (0, 0), (-1, -1), padding[1]),
        ]
    box.setStyle(table_style(commands))
    return box


def letterhead(clinic: Clinic, translator: Translator) -> list[Flowable]:
    """The clinic's name and contact line, as on every page the clinic prints."""
    _ = translator.gettext
    contact = [clinic.hours, _("Tel. %(phone)s", phone=clinic.phone)]
    if clinic.address:
        contact.append(clinic.address)
    return [
        fixed(clinic.name, "Letterhead"),
        fixed(" \u00b7 ".join(contact), "Contact"),
        Spacer(1, GAP),
    ]


def licence_notice(notice: str, clinic: Clinic, translator: Translator) -> Paragraph:
    """The RCPsych notice, with the clinic's permission reference when it has one."""
    _ = translator.gettext
    if clinic.permission:
        permission = _(
            "Reproduced with the written permission of the Royal College of Psychiatrists "
            "(%(reference)s).",
            reference=clinic.permission,
        )
        notice = f"{notice} {permission}"
    return fixed(notice, "Small")


def bands_used(instrument: Instrument, translator: Translator) -> Paragraph:
    """'Bands used: …', each of the instrument's bands with its range, as the clinician reads
    them, on the result and the series alike."""
    _ = translator.gettext
    bands = "; ".join(
        f"{band.min}\u2013{band.max} {_(band.label).lower()}" for band in instrument.bands
    )
    return fixed(_("Bands used: %(bands)s.", bands=bands), "Small")


class OnePage(Flowable):
    """A story as one flowable: laid out once at its size and drawn as laid out when it fits the
    frame; otherwise laid out wider and drawn scaled down until it does (a clinic's longest
    settings, a longer translation). reportlab's KeepInFrame lays everything out again to draw
    it, and a second build to find out that a page overflowed costs a whole document more."""

    def __init__(self, content: list[Flowable]) -> None:
        super().__init__()
        self._content = content
        self._scale = 1.0
        self._placed: list[tuple[Flowable, float, float, float]] = []

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        scale = 1.0
        height = self._lay_out(availWidth)
        # A wider layout is never taller, so the linear guess fits; a step more if it rounds over.
        while height > availHeight * scale + 0.01:
            scale = max(height / availHeight, scale * 1.01)
            height = self._lay_out(availWidth * scale)
        self._scale = scale
        self.width, self.height = availWidth, height / scale
        return self.width, self.height

    def _lay_out(self, width: float) -> float:
        """Each flowable's height at ``width``, with the space before and after it; the total."""
        self._placed = []
        total = 0.0
        for index, flowable in enumerate(self._content):
            used, height = flowable.wrapOn(self.canv, width, 0x7FFFFFFF)
            before = flowable.getSpaceBefore() if index else 0.0
            after = flowable.getSpaceAfter()
            self._placed.append((flowable, width - used, before + height, after))
            total += before + height + after
        return total

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        if self._scale != 1.0:
            canvas.scale(1 / self._scale, 1 / self._scale)
        y = self.height * self._scale
        for flowable, spare, height, after in self._placed:
            y -= height
            flowable.drawOn(canvas, 0, y, _sW=spare)
            y -= after
        canvas.restoreState()


class Renderer(ABC):
    """One kind of document: the A4 page, its frame, the footer and the metadata are here; a
    subclass gives the title and the story, and how many pages it may take before it is fitted
    to one."""

    pagesize = A4
    left_margin = right_margin = 15 * mm
    top_margin = 10 * mm
    footer_height = 10 * mm
    bottom_margin = 15 * mm + footer_height
    # More pages than this and the story is fitted to one page instead.
    max_pages = 1

    def __init__(self, clinic: Clinic, translator: Translator) -> None:
        self.clinic = clinic
        self.translator = translator

    @abstractmethod
    def title(self) -> str:
        """The document's title, in its Info dictionary and XMP metadata."""

    @abstractmethod
    def story(self, width: float) -> list[Flowable]:
        """Everything on the pages, top to bottom; ``width`` is the frame's (``doc.width``)."""

    @classmethod
    def frame_width(cls) -> float:
        """What ``doc.width`` will be: the page less its side margins."""
        return cls.pagesize[0] - cls.left_margin - cls.right_margin

    def frames(self, doc: BaseDocTemplate) -> list[Frame]:
        return [Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")]

    def on_page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """The footer every page carries: the clinic, its phone, "not a diagnosis", the page."""
        _, clinic = self.translator.gettext, self.clinic
        left, right_edge = doc.leftMargin, doc.leftMargin + doc.width
        canvas.saveState()
        canvas.setFont(fonts()[0], 7)
        canvas.setFillColor(MUTED)
        canvas.setStrokeColor(RULE)
        y = self.bottom_margin - self.footer_height - 4 * mm
        canvas.line(left, y + 3.5 * mm, right_edge, y + 3.5 * mm)
        phone = _("Tel. %(phone)s", phone=clinic.phone)
        page = _("Page %(number)s", number=canvas.getPageNumber())
        right = f"{_(NOT_DIAGNOSIS)} \u00b7 {page}"
        canvas.drawRightString(right_edge, y, right)
        room = doc.width - canvas.stringWidth(right) - 4 * mm
        canvas.drawString(left, y, _fitted(f"{clinic.name} \u00b7 {phone}", canvas, room))
        canvas.restoreState()

    def render(self) -> bytes:
        """The document; fitted to one page when it would take more than ``max_pages``. A
        one-page document is laid out once: fitting it costs nothing when it fits."""
        if self.max_pages == 1:
            return self.build(fit_to_one_page=True)[0]
        pdf, pages = self.build(fit_to_one_page=False)
        return pdf if pages <= self.max_pages else self.build(fit_to_one_page=True)[0]

    def lay_out(self, part: Callable[[float], list[Flowable]] | None = None) -> None:
        """The story (or ``part``, of the frame's width, of it) laid out on the page as
        ``render()`` lays out a one-page document, drawn nowhere: how start-up lays out the
        fixed text."""
        doc = BaseDocTemplate(io.BytesIO(), **self._page_geometry())
        frame = self.frames(doc)[0]
        canvas = Canvas(io.BytesIO(), pagesize=self.pagesize, initialFontName=fonts()[0])
        flowables = (part or self.story)(doc.width)
        OnePage(flowables).wrapOn(canvas, frame._getAvailableWidth(), frame._aH)

    def _page_geometry(self) -> dict[str, Any]:
        return {
            "pagesize": self.pagesize,
            "leftMargin": self.left_margin,
            "rightMargin": self.right_margin,
            "topMargin": self.top_margin,
            "bottomMargin": self.bottom_margin,
        }

    def build(self, fit_to_one_page: bool) -> tuple[bytes, int]:
        """The PDF and its page count, the story as it flows or fitted to one page."""
        _, clinic, language = self.translator.gettext, self.clinic, self.translator.language
        title, subject = self.title(), _(NOT_DIAGNOSIS)
        buffer = io.BytesIO()
        doc = BaseDocTemplate(
            buffer,
            **self._page_geometry(),
            title=title,
            author=clinic.name,
            subject=subject,
            creator=clinic.name,
            lang=language,
            # A reader's window and tab show the title, not the file name (PDF/UA asks for this).
            displayDocTitle=True,
            # The canvas starts in this font rather than Helvetica, so no standard-14 font (which
            # a reader substitutes and which has no Cyrillic) is referenced anywhere in the file.
            initialFontName=fonts()[0],
        )
        doc.addPageTemplates(
            [PageTemplate(id="page", frames=self.frames(doc), onPage=self.on_page)]
        )
        story = self.story(doc.width)
        if fit_to_one_page:
            story = [OnePage(story)]
        metadata = xmp_packet(title, clinic.name, subject, language)
        doc.build(
            story,
            canvasmaker=canvas_with_metadata(
                metadata, document_characters(self.translator.characters)
            ),
        )
        return buffer.getvalue(), doc.page


def _fitted(text: str, canvas: Canvas, width: float) -> str:
    """``text`` cut to ``width`` in the canvas's font, with an ellipsis if anything was cut."""
    if canvas.stringWidth(text) <= width:
        return text
    while text and canvas.stringWidth(text + "\u2026") > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def xmp_packet(title: str, author: str, subject: str, language: str) -> str:
    """The document's XMP metadata: the same title, author, subject and language as its Info
    dictionary, in the form PDF/A and PDF/UA checkers read (Dublin Core in RDF)."""
    title, author, subject = escape(title), escape(author), escape(subject)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>'
        f"<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>"
        '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">'
        f"{subject}</rdf:li></rdf:Alt></dc:description>"
        f"<dc:language><rdf:Bag><rdf:li>{escape(language)}</rdf:li></rdf:Bag></dc:language>"
        f"<xmp:CreatorTool>{author}</xmp:CreatorTool>"
        '</rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end="r"?>'
    )


def canvas_with_metadata(xmp: str, characters: dict[str, str]) -> Any:
    """A canvas maker for ``BaseDocTemplate.build`` whose document catalog carries ``xmp`` as
    its /Metadata stream (reportlab writes one only when asked), and whose fonts' subsets start
    with ``characters`` (``EmbeddedFont``)."""

    def make(*args: Any, **kwargs: Any) -> Canvas:
        canvas = Canvas(*args, **kwargs)
        setattr(canvas._doc, DOCUMENT_CHARACTERS, characters)
        # Uncompressed, as PDF/A requires of the metadata stream, so any tool can read it.
        canvas._doc.Catalog.Metadata = XMP(creator=lambda _doc: xmp.encode("utf-8"))
        return canvas

    return make
