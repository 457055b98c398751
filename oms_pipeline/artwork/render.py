"""Print files, proof images and travelers rendered from recipes and order lines.

Pure functions from plain data to bytes, with no database and no Dagster. The output is
deterministic: the same input gives byte-identical files, so an unchanged file is never rewritten.

Everything drawn comes from orders or the customizer and is untrusted: line breaks become `` / ``,
control and invisible format characters are dropped and long values are cut with an ellipsis.
Text the standard PDF fonts cannot show is drawn with a CID font built into PDF readers, so it
stays visible and extractable.
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from PIL import Image, ImageDraw, ImageFont
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from oms_pipeline.errors import OmsError

_ELLIPSIS = "\u2026"
_DOT = " \u00b7 "
_MAX_CHARS = 300  # no drawn value is longer than this, before it is fitted to its space
_LATIN = "Helvetica"
_LATIN_BOLD = "Helvetica-Bold"
_CJK_FONT = "HeiseiKakuGo-W5"  # ideographs, kana and anything else outside Windows-1252
_HANGUL_FONT = "HYSMyeongJo-Medium"
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_LINE_BREAKS = re.compile(r"\s*[\r\n\x0b\x0c\x85\u2028\u2029]+\s*")
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_SWATCH = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_BARCODE_TEXT = re.compile(r"[!-~]{1,40}")
_PROOF_SIZE = (1200, 800)
_BLACK = (0, 0, 0)
_GREY = (110, 110, 110)
_STYLES = {
    "head": ParagraphStyle("head", fontName=_LATIN_BOLD, fontSize=11, leading=14, spaceAfter=2),
    "body": ParagraphStyle("body", fontName=_LATIN, fontSize=9, leading=11.5),
}


@dataclass(frozen=True)
class RecipeComponent:
    """One configured component of a recipe, flattened from the customizer's body entry."""

    code: str
    tab: str
    element: str
    element_type: str
    value: str
    value_code: str
    swatch: str | None


@dataclass(frozen=True)
class Recipe:
    """A customizer recipe: the RecipeID, its SKU and its components in the body's order."""

    token: str
    sku: str
    components: tuple[RecipeComponent, ...]


@dataclass(frozen=True)
class ArtworkRequest:
    """What the artwork print file and the proof image of one order line are made from."""

    order_ref: str
    order_number: str
    line_no: int
    sku: str
    quantity: int
    recipe: Recipe


@dataclass(frozen=True)
class TravelerLine:
    """One order line as printed on a traveler."""

    line_no: int
    line_reference: str
    sku: str
    description: str
    quantity: int
    recipe_id: str | None
    personalization: tuple[tuple[str, str], ...]
    artwork_files: tuple[str, ...]


@dataclass(frozen=True)
class TravelerDocument:
    """The production document of one order for one partner; it holds no personal data."""

    order_ref: str
    order_number: str
    order_date: str
    partner_code: str
    partner_name: str
    ship_method: str | None
    ship_to_country: str | None
    lines: tuple[TravelerLine, ...]


def parse_recipe(document: dict[str, Any]) -> Recipe:
    """Read the customizer's ``GET /recipes/{id}`` answer into a recipe.

    Args:
        document: the answer, ``{"data": {"token", "sku", "body"}}``, or its bare inner object.
            ``tab.name``, ``element.type``, ``element.name``, ``value.name`` and ``value.code``
            are required in every body entry; ``swatch``, ``upcharge`` and ``companions`` are not.

    Raises:
        OmsError: the document does not have that shape; the message names the field path,
            e.g. ``body.shell.value.name``, relative to the object holding ``token``.
    """
    inner = document.get("data", document) if isinstance(document, dict) else None
    if not isinstance(inner, dict):
        raise OmsError(
            "recipe document: expected an object with token, sku and body (optionally inside "
            "data); check what the customizer answered"
        )
    raw_token = inner.get("token")
    label = raw_token[:20] if isinstance(raw_token, str) and raw_token else "(no token)"

    token = _required_text(inner, "token", "token", label, allow_empty=False)
    sku = _required_text(inner, "sku", "sku", label, allow_empty=False)
    body = _required(inner, "body", "body", label, dict)
    components = []
    for code, entry in body.items():
        path = f"body.{str(code)[:40]}"
        if not isinstance(entry, dict):
            raise OmsError(f"recipe {label}: {path} must be an object, got {type(entry).__name__}")
        tab = _required(entry, "tab", f"{path}.tab", label, dict)
        element = _required(entry, "element", f"{path}.element", label, dict)
        value = _required(entry, "value", f"{path}.value", label, dict)
        swatch = value.get("swatch")
        if swatch is not None and not isinstance(swatch, str):
            raise OmsError(
                f"recipe {label}: {path}.value.swatch must be a string or null, "
                f"got {type(swatch).__name__}"
            )
        components.append(
            RecipeComponent(
                code=str(code),
                tab=_required_text(tab, "name", f"{path}.tab.name", label),
                element=_required_text(element, "name", f"{path}.element.name", label),
                element_type=_required_text(element, "type", f"{path}.element.type", label),
                value=_required_text(value, "name", f"{path}.value.name", label),
                value_code=_required_text(value, "code", f"{path}.value.code", label),
                swatch=(swatch.strip() or None) if swatch else None,
            )
        )
    return Recipe(token=token, sku=sku, components=tuple(components))


def render_artwork_pdf(request: ArtworkRequest) -> bytes:
    """Render the one-page print file of an order line.

    The page shows the order number, line, SKU and RecipeID, every text component large (the
    personalization), every colour component as a filled swatch, then all components with
    tab, element and value. Whatever does not fit on the page is summarized in a last line.
    """
    _register_cid_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    canvas.setTitle(_clean(f"Artwork {request.order_number} line {request.line_no}"))
    page_width, page_height = A4
    left, span = 40.0, page_width - 80.0
    recipe = request.recipe
    texts, swatches = _texts_and_swatches(recipe)

    y = page_height - 60
    title = f"Order {request.order_number}{_DOT}line {request.line_no}"
    _draw(canvas, title, left, y, _LATIN_BOLD, 22, span)
    y -= 20
    facts = f"SKU {request.sku}{_DOT}RecipeID {recipe.token}{_DOT}quantity {request.quantity}"
    _draw(canvas, f"{facts}{_DOT}{request.order_ref}", left, y, _LATIN, 11, span)
    canvas.line(left, y - 8, left + span, y - 8)
    y -= 40

    # The personalization is what an operator checks first, so it is drawn as large as it fits.
    for component in texts:
        if y < 430:
            break
        _draw(canvas, f"{component.element} ({component.tab})", left, y, _LATIN, 9, span)
        size = _shrink(component.value or "(blank)", _LATIN_BOLD, 40, 14, span)
        _draw(canvas, component.value or "(blank)", left, y - size, _LATIN_BOLD, size, span)
        y -= size + 28

    column = span / 3
    for index, component in enumerate(swatches):
        x = left + (index % 3) * column
        if index % 3 == 0 and index:
            y -= 36
        if y < 250:
            break
        _draw_pdf_swatch(canvas, component.swatch, x, y - 22)
        label = f"{component.element}: {component.value}"
        _draw(canvas, label, x + 54, y - 14, _LATIN, 9, column - 60)
    y -= 56 if swatches else 0

    widths = (span * 0.22, span * 0.24, span * 0.38, span * 0.16)
    rows = [(c.tab, c.element, c.value, c.value_code) for c in recipe.components]
    for number, row in enumerate([("Tab", "Element", "Value", "Code"), *rows]):
        if y < 50:
            _draw(canvas, f"{_ELLIPSIS} {len(rows) - number + 1} more", left, y, _LATIN, 9, span)
            break
        x = left
        for cell, cell_width in zip(row, widths, strict=True):
            _draw(canvas, cell, x, y, _LATIN_BOLD if number == 0 else _LATIN, 9, cell_width - 6)
            x += cell_width
        y -= 12

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render_artwork_png(request: ArtworkRequest) -> bytes:
    """Render a 1200x800 proof image of an order line: personalization, swatches and a caption.

    Characters the default font has no glyph for come out as placeholder boxes; the image is
    produced all the same.
    """
    image = Image.new("RGB", _PROOF_SIZE, "white")
    draw = ImageDraw.Draw(image)
    recipe = request.recipe
    texts, swatches = _texts_and_swatches(recipe)
    left, span = 40, _PROOF_SIZE[0] - 80

    _draw_png(draw, f"Order {request.order_number}{_DOT}line {request.line_no}", left, 30, 36, span)
    y = 100
    for component in texts:
        if y > 380:
            break
        _draw_png(draw, f"{component.element} ({component.tab})", left, y, 20, span, _GREY)
        value = component.value or "(blank)"
        size = _shrink_with(value, lambda t, s: _pil_font(s).getlength(t), 80, 28, span)
        _draw_png(draw, value, left, y + 28, size, span)
        y += size + 60

    y = max(y, 300)
    for index, component in enumerate(swatches):
        x = left + (index % 6) * 186
        if index % 6 == 0 and index:
            y += 170
        if y + 150 > 730:
            break
        box = (x, y, x + 160, y + 110)
        rgb = _swatch_rgb(component.swatch)
        if rgb is None:
            draw.rectangle(box, outline=_GREY, width=2)
            draw.line(box, fill=_GREY, width=2)
        else:
            draw.rectangle(box, fill=rgb, outline=_GREY)
        _draw_png(draw, component.value, x, y + 118, 18, 170)

    caption = f"RecipeID {recipe.token}{_DOT}SKU {request.sku}{_DOT}quantity {request.quantity}"
    _draw_png(draw, caption, left, 750, 24, span, _GREY)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def render_traveler_pdf(document: TravelerDocument) -> bytes:
    """Render the traveler of an order: a header on every page, then one block per line.

    Blocks flow onto further pages; long values wrap and are cut at a fixed length.
    """
    _register_cid_fonts()
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        invariant=1,
        leftMargin=36,
        rightMargin=36,
        topMargin=140,
        bottomMargin=48,
        title=_clean(f"Traveler {document.order_number}"),
        author="oms-pipeline",
    )
    story: list[Flowable] = [
        KeepTogether(_traveler_block(line, template.width)) for line in document.lines
    ]
    if not story:
        story.append(Paragraph("This order has no lines for this partner.", _STYLES["body"]))
    header = functools.partial(_draw_traveler_header, document)
    template.build(story, onFirstPage=header, onLaterPages=header)
    return buffer.getvalue()


def _required(container: Mapping[str, Any], key: str, path: str, label: str, kind: type) -> Any:
    """Return ``container[key]`` if it is present and of ``kind``, else raise with the path."""
    value = container.get(key)
    if value is None:
        raise OmsError(
            f"recipe {label}: {path} is missing; check the customizer's answer for this RecipeID"
        )
    if not isinstance(value, kind):
        expected = "an object" if kind is dict else "a string"
        raise OmsError(f"recipe {label}: {path} must be {expected}, got {type(value).__name__}")
    return value


def _required_text(
    container: Mapping[str, Any], key: str, path: str, label: str, *, allow_empty: bool = True
) -> str:
    """Return a required string field; empty identifiers count as missing."""
    value: str = _required(container, key, path, label, str)
    if not value and not allow_empty:
        raise OmsError(f"recipe {label}: {path} is empty; a recipe needs a {key}")
    return value


def _texts_and_swatches(recipe: Recipe) -> tuple[list[RecipeComponent], list[RecipeComponent]]:
    """Split out the text components (personalization) and the colour components."""
    texts = [c for c in recipe.components if c.element_type.lower() == "text"]
    swatches = [c for c in recipe.components if c.element_type.lower() in {"color", "colour"}]
    return texts, swatches


def _clean(text: str, limit: int = _MAX_CHARS) -> str:
    """Make an untrusted value drawable: one line, no control characters, at most ``limit``."""
    text = _LINE_BREAKS.sub(" / ", text[: limit * 4].strip()).replace("\t", " ")
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED)
    return text if len(text) <= limit else text[: limit - 1] + _ELLIPSIS


def _shorten(text: str, measure: Callable[[str], float], max_width: float) -> str:
    """Cut ``text`` with an ellipsis so that it measures at most ``max_width``."""
    if measure(text) <= max_width:
        return text
    low, high = 0, len(text)  # the longest prefix that fits with the ellipsis is in [low, high)
    while high - low > 1:
        middle = (low + high) // 2
        if measure(text[:middle] + _ELLIPSIS) <= max_width:
            low = middle
        else:
            high = middle
    return text[:low].rstrip() + _ELLIPSIS


def _shrink_with(
    text: str, measure: Callable[[str, int], float], size: int, smallest: int, max_width: float
) -> int:
    """Return the font size, from ``size`` down to ``smallest``, at which ``text`` fits."""
    width = measure(_clean(text), size)
    if width <= max_width:
        return size
    return max(smallest, int(size * max_width / width))


def _shrink(text: str, font: str, size: int, smallest: int, max_width: float) -> int:
    """Return the PDF font size at which ``text`` fits ``max_width``, never below ``smallest``."""
    return _shrink_with(text, lambda t, s: _pdf_width(t, font, s), size, smallest, max_width)


@functools.cache
def _register_cid_fonts() -> None:
    """Register the CID fonts once per process; they need no font files."""
    pdfmetrics.registerFont(UnicodeCIDFont(_CJK_FONT))
    pdfmetrics.registerFont(UnicodeCIDFont(_HANGUL_FONT))


def _runs(text: str, latin_font: str) -> list[tuple[str, str]]:
    """Split text into (font, chunk) runs: Windows-1252 in the standard font, the rest in CID."""
    runs: list[tuple[str, str]] = []
    for ch in text:
        if ch == " " and runs:
            font = runs[-1][0]
        elif _HANGUL.match(ch):
            font = _HANGUL_FONT
        else:
            try:
                ch.encode("cp1252")
                font = latin_font
            except UnicodeEncodeError:
                font = _CJK_FONT
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    return runs


def _pdf_width(text: str, font: str, size: float) -> float:
    """Width in points of ``text`` drawn in ``font`` with CID fallback."""
    return sum(pdfmetrics.stringWidth(chunk, name, size) for name, chunk in _runs(text, font))


def _draw(canvas: Any, text: str, x: float, y: float, font: str, size: float, width: float) -> None:
    """Draw one cleaned line of untrusted text at (x, y), cut to ``width`` points."""
    line = _shorten(_clean(text), lambda t: _pdf_width(t, font, size), width)
    text_object = canvas.beginText(x, y)
    for name, chunk in _runs(line, font):
        text_object.setFont(name, size)
        text_object.textOut(chunk)
    canvas.drawText(text_object)


def _draw_pdf_swatch(canvas: Any, swatch: str | None, x: float, y: float) -> None:
    """Draw a 48x28 pt swatch filled with the colour, or crossed out when there is none."""
    rgb = _swatch_rgb(swatch)
    canvas.saveState()
    canvas.setStrokeColor(colors.grey)
    if rgb is None:
        canvas.rect(x, y, 48, 28, stroke=1, fill=0)
        canvas.line(x, y, x + 48, y + 28)
    else:
        canvas.setFillColorRGB(*(channel / 255 for channel in rgb))
        canvas.rect(x, y, 48, 28, stroke=1, fill=1)
    canvas.restoreState()


def _swatch_rgb(swatch: str | None) -> tuple[int, int, int] | None:
    """Parse a ``#rgb`` or ``#rrggbb`` swatch; anything else means no colour to show."""
    match = _SWATCH.fullmatch(swatch.strip()) if swatch else None
    if match is None:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


@functools.lru_cache(maxsize=32)
def _pil_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Bitstream Vera (shipped inside reportlab; covers Latin-1) at ``size`` pixels, or
    Pillow's built-in font where it is missing."""
    vera = Path(reportlab.__file__).resolve().parent / "fonts" / "Vera.ttf"
    if vera.is_file():
        return ImageFont.truetype(str(vera), size=size)
    return ImageFont.load_default(size=size)


def _draw_png(
    draw: ImageDraw.ImageDraw,
    text: str,
    x: int,
    y: int,
    size: int,
    width: int,
    fill: tuple[int, int, int] = _BLACK,
) -> None:
    """Draw one cleaned line of untrusted text on the proof, cut to ``width`` pixels."""
    font = _pil_font(size)
    draw.text((x, y), _shorten(_clean(text), font.getlength, width), fill=fill, font=font)


def _markup(text: str, limit: int = _MAX_CHARS) -> str:
    """Paragraph markup for an untrusted value: escaped, with CID fonts for non-Latin runs."""
    parts = []
    for font, chunk in _runs(_clean(text, limit), _LATIN):
        safe = escape(chunk)
        parts.append(safe if font == _LATIN else f'<font face="{font}">{safe}</font>')
    return "".join(parts)


def _traveler_block(line: TravelerLine, width: float) -> list[Flowable]:
    """The flowables of one traveler line: heading, facts, personalization and artwork."""
    body = _STYLES["body"]
    recipe = f"<b>RecipeID</b> {_markup(line.recipe_id)}" if line.recipe_id else "<b>stock item</b>"
    facts = f"<b>SKU</b> {_markup(line.sku)} &nbsp; <b>Quantity</b> {line.quantity} &nbsp; {recipe}"
    block: list[Flowable] = [
        Paragraph(f"Line {line.line_no}{_DOT}{_markup(line.line_reference)}", _STYLES["head"]),
        Paragraph(facts, body),
        Paragraph(f"<b>Description</b> {_markup(line.description) or '-'}", body),
    ]
    if line.personalization:
        rows = [
            [Paragraph(_markup(n, 80), body), Paragraph(_markup(v), body)]
            for n, v in line.personalization
        ]
        table = Table(rows, colWidths=[width * 0.3, width * 0.7], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        block += [Spacer(1, 3), table]
    else:
        block.append(Paragraph("<b>Personalization</b> none", body))
    files = ", ".join(_markup(name, 120) for name in line.artwork_files) or "none"
    block += [
        Spacer(1, 3),
        Paragraph(f"<b>Artwork</b> {files}", body),
        HRFlowable(width="100%", thickness=0.5, color=colors.grey, spaceBefore=6, spaceAfter=8),
    ]
    return block


def _draw_traveler_header(document: TravelerDocument, canvas: Any, template: Any) -> None:
    """Draw the page header (order, partner, shipping, barcode) and the page footer."""
    page_width, page_height = A4
    left, span = 36.0, page_width - 72.0
    top = page_height - 50
    canvas.saveState()
    _draw(canvas, "TRAVELER", left, top, _LATIN_BOLD, 22, 200)
    _draw(canvas, f"Order {document.order_number}", left, top - 22, _LATIN_BOLD, 14, span - 230)
    details = (
        f"Ref {document.order_ref}{_DOT}Date {document.order_date}",
        f"Partner {document.partner_code}{_DOT}{document.partner_name}",
        f"Ship method {document.ship_method or '-'}{_DOT}Country "
        f"{(document.ship_to_country or '-')[:8]}",
    )
    for row, text in enumerate(details):
        _draw(canvas, text, left, top - 40 - 12 * row, _LATIN, 9.5, span - 230)
    if _BARCODE_TEXT.fullmatch(document.order_ref):
        # Narrow the bars to fit 220 pt, but not below what a handheld scanner still reads.
        bar_width = min(1.0, 220 / Code128(document.order_ref, barWidth=1).width)
        if bar_width >= 0.5:
            barcode = Code128(document.order_ref, barHeight=36, barWidth=bar_width)
            barcode.drawOn(canvas, left + span - barcode.width, top - 30)
    canvas.setStrokeColor(colors.grey)
    canvas.line(left, top - 78, left + span, top - 78)
    page = canvas.getPageNumber()
    _draw(canvas, f"{document.order_number}{_DOT}page {page}", left, 28, _LATIN, 8, span)
    canvas.restoreState()
