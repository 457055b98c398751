"""Tests of artwork rendering: recipe parsing, the artwork print file, the proof image, travelers.

Covers parse_recipe on good and broken customizer answers (the error names the field path), the
text of the artwork PDF, the PNG proof's size and swatch pixels, the traveler's content and page
flow with 60 lines, CJK text that stays extractable, untrusted values (long, multi-line, control
characters, empty) that must neither crash nor run off the page, and byte-identical output.
"""

from __future__ import annotations

import copy
import io
import re
from dataclasses import replace
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from oms_pipeline.artwork.render import (
    ArtworkRequest,
    Recipe,
    RecipeComponent,
    TravelerDocument,
    TravelerLine,
    parse_recipe,
    render_artwork_pdf,
    render_artwork_png,
    render_traveler_pdf,
)
from oms_pipeline.errors import OmsError

ORDER_REF = "shopify-450789469"
SWATCH_RGB = (0x1F, 0x3A, 0x93)


def recipe_document(name_text: str = "Zoë Ångström") -> dict[str, Any]:
    """A customizer GET /recipes/{id} answer with a colour, a text and a material component."""
    return {
        "data": {
            "token": "1609c0e8",
            "sku": "HELMET-RED-M",
            "body": {
                "shell": {
                    "tab": {"name": "Shell", "code": "shell_tab"},
                    "element": {"type": "color", "name": "Shell colour", "code": "shell_color"},
                    "value": {
                        "name": "Royal Blue",
                        "code": "RB01",
                        "upcharge": "0.00",
                        "swatch": "#1f3a93",
                    },
                    "companions": [],
                },
                "name_text": {
                    "tab": {"name": "Personalize", "code": "perso"},
                    "element": {"type": "text", "name": "Name", "code": "name"},
                    "value": {"name": name_text, "code": "name_text"},
                },
                "chinstrap": {
                    "tab": {"name": "Strap", "code": "strap"},
                    "element": {"type": "material", "name": "Material", "code": "mat"},
                    "value": {"name": "Leather", "code": "LEA", "swatch": None},
                },
            },
        }
    }


def artwork_request(name_text: str = "Zoë Ångström") -> ArtworkRequest:
    return ArtworkRequest(
        order_ref=ORDER_REF,
        order_number="1001",
        line_no=2,
        sku="HELMET-RED-M",
        quantity=3,
        recipe=parse_recipe(recipe_document(name_text)),
    )


def traveler_line(number: int, *, recipe_id: str | None = "1609c0e8") -> TravelerLine:
    return TravelerLine(
        line_no=number,
        line_reference=f"{ORDER_REF}-{number}",
        sku=f"SKU-{number:03d}",
        description="Full-face helmet, size M",
        quantity=number + 1,
        recipe_id=recipe_id,
        personalization=(("Name", f"Rider {number}"), ("gift_wrap", "yes")),
        artwork_files=(f"{ORDER_REF}-{number}.pdf",),
    )


def traveler(lines: tuple[TravelerLine, ...]) -> TravelerDocument:
    return TravelerDocument(
        order_ref=ORDER_REF,
        order_number="1001",
        order_date="2026-12-01",
        partner_code="acme",
        partner_name="Acme Helmets",
        ship_method="UPS Ground",
        ship_to_country="US",
        lines=lines,
    )


def pdf_pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def squashed(text: str) -> str:
    """Text with all whitespace removed, so wrapping and run boundaries do not matter."""
    return re.sub(r"\s+", "", text)


# parse_recipe


def test_parse_recipe_keeps_body_order_and_fields() -> None:
    recipe = parse_recipe(recipe_document())

    assert recipe.token == "1609c0e8"
    assert recipe.sku == "HELMET-RED-M"
    assert [c.code for c in recipe.components] == ["shell", "name_text", "chinstrap"]
    assert recipe.components[0] == RecipeComponent(
        code="shell",
        tab="Shell",
        element="Shell colour",
        element_type="color",
        value="Royal Blue",
        value_code="RB01",
        swatch="#1f3a93",
    )
    assert recipe.components[1].value == "Zoë Ångström"
    assert recipe.components[1].swatch is None
    assert recipe.components[2].swatch is None


def test_parse_recipe_accepts_the_bare_inner_object() -> None:
    document = recipe_document()

    assert parse_recipe(document["data"]) == parse_recipe(document)


def test_parse_recipe_without_optional_parts() -> None:
    document = recipe_document()
    shell = document["data"]["body"]["shell"]
    del shell["companions"], shell["value"]["upcharge"], shell["value"]["swatch"]

    assert parse_recipe(document).components[0].swatch is None


def _drop(path: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for key in parents:
            data = data[key]
        del data[last]

    return change


def _set(path: str, value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for key in parents:
            data = data[key]
        data[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "field_path"),
    [
        (_drop("body.shell.value.name"), "body.shell.value.name"),
        (_drop("body.name_text.value.code"), "body.name_text.value.code"),
        (_drop("body.shell.element.type"), "body.shell.element.type"),
        (_drop("body.chinstrap.tab"), "body.chinstrap.tab"),
        (_set("body.shell.value", "Royal Blue"), "body.shell.value"),
        (_set("body.name_text.value.name", 42), "body.name_text.value.name"),
        (_set("body.shell.value.swatch", 255), "body.shell.value.swatch"),
        (_set("body.chinstrap", []), "body.chinstrap"),
        (_set("body", []), "body"),
        (_drop("body"), "body"),
        (_drop("sku"), "sku"),
        (_set("sku", ""), "sku"),
    ],
)
def test_parse_recipe_names_the_broken_field(change: Any, field_path: str) -> None:
    inner = copy.deepcopy(recipe_document()["data"])
    change(inner)

    with pytest.raises(OmsError) as raised:
        parse_recipe({"data": inner})

    assert f"recipe 1609c0e8: {field_path} " in str(raised.value)


def test_parse_recipe_without_token_or_object() -> None:
    inner = recipe_document()["data"]
    del inner["token"]

    with pytest.raises(OmsError, match="token is missing"):
        parse_recipe(inner)
    with pytest.raises(OmsError, match="expected an object"):
        parse_recipe({"data": None})


# artwork print file and proof


def test_artwork_pdf_shows_order_recipe_and_personalization() -> None:
    pages = pdf_pages(render_artwork_pdf(artwork_request()))

    assert len(pages) == 1
    text = pages[0]
    for expected in ("1001", "HELMET-RED-M", "1609c0e8", "Zoë Ångström", "Royal Blue", "RB01"):
        assert expected in text
    assert "Leather" in text and "Strap" in text


def test_artwork_pdf_keeps_cjk_personalization_extractable() -> None:
    text = pdf_pages(render_artwork_pdf(artwork_request("測試 たろう")))[0]

    assert "測試たろう" in squashed(text)


def test_artwork_png_is_a_proof_with_the_swatch_colour() -> None:
    image = Image.open(io.BytesIO(render_artwork_png(artwork_request())))

    assert image.format == "PNG"
    assert image.size == (1200, 800)
    rgb = image.convert("RGB")
    mask = Image.new("L", rgb.size)
    mask.putdata([255 if pixel == SWATCH_RGB else 0 for pixel in rgb.get_flattened_data()])
    box = mask.getbbox()
    assert box is not None, "the swatch colour appears nowhere"
    left, top, right, bottom = box
    assert right - left >= 100 and bottom - top >= 80  # a filled rectangle, not a few pixels
    assert rgb.getpixel(((left + right) // 2, (top + bottom) // 2)) == SWATCH_RGB


def test_artwork_png_survives_glyphs_the_font_lacks() -> None:
    image = Image.open(io.BytesIO(render_artwork_png(artwork_request("測試 たろう 😀"))))

    assert image.size == (1200, 800)
    dark = sum(image.convert("L").histogram()[:80])
    assert dark > 2_000  # the title, the boxes of missing glyphs and the caption were drawn


# untrusted values

HOSTILE = [
    "",
    "   ",
    "first\nsecond\r\nthird",
    "bell\x07nul\x00tab\there",
    "<b>not markup</b> & <font face='x'>",
    "\ud800\u202e😀",
    "L" * 20_000,
    "測" * 5_000,
]


@pytest.mark.parametrize("value", HOSTILE)
def test_untrusted_values_do_not_break_rendering(value: str) -> None:
    recipe = Recipe(
        token=value,
        sku=value,
        components=tuple(
            RecipeComponent(value, value, value, kind, value, value, value)
            for kind in ("text", "color", "image") * 20
        ),
    )
    request = ArtworkRequest(value, value, 1, value, 1, recipe)
    line = TravelerLine(1, value, value, value, 1, value or None, ((value, value),) * 3, (value,))
    document = TravelerDocument(value, value, value, value, value, value, value, (line,) * 3)

    assert len(pdf_pages(render_artwork_pdf(request))) == 1
    assert Image.open(io.BytesIO(render_artwork_png(request))).size == (1200, 800)
    assert pdf_pages(render_traveler_pdf(document))


def test_long_values_are_cut_with_an_ellipsis() -> None:
    long_name = "Anna" + "x" * 5_000 + "END"
    artwork = pdf_pages(render_artwork_pdf(artwork_request(long_name)))[0]
    line = replace(traveler_line(1), personalization=(("Name", long_name),))
    traveler_text = "".join(pdf_pages(render_traveler_pdf(traveler((line,)))))

    for text in (artwork, traveler_text):
        assert "Annax" in text and "\u2026" in text
        assert "END" not in text
    assert max(len(line) for line in artwork.splitlines()) < 120  # no line ran off the page


def test_line_breaks_and_control_characters_are_flattened() -> None:
    text = pdf_pages(render_artwork_pdf(artwork_request("Line one\nLine\x07 two")))[0]

    assert "Line one / Line two" in text
    assert "\x07" not in text


# travelers


def test_traveler_lists_every_line_with_its_details() -> None:
    lines = (traveler_line(1), traveler_line(2, recipe_id=None), traveler_line(3))
    pages = pdf_pages(render_traveler_pdf(traveler(lines)))
    text = "\n".join(pages)

    assert len(pages) == 1
    for expected in ("TRAVELER", "1001", ORDER_REF, "acme", "Acme Helmets", "UPS Ground", "US"):
        assert expected in text
    for line in lines:
        assert line.line_reference in text
        assert line.sku in text
        assert re.search(rf"Quantity\s+{line.quantity}\b", text)
        assert f"Rider {line.line_no}" in text
        assert line.artwork_files[0] in text
    assert text.count("RecipeID 1609c0e8") == 2
    assert text.count("stock item") == 1
    assert "gift_wrap" in text


def test_traveler_carries_a_barcode_of_the_order_ref() -> None:
    def rectangles(order_ref: str) -> int:
        document = replace(traveler((traveler_line(1),)), order_ref=order_ref)
        page = PdfReader(io.BytesIO(render_traveler_pdf(document))).pages[0]
        return page.get_contents().get_data().count(b" re")  # type: ignore[union-attr]

    # Bars are drawn as rectangles; a reference Code128 cannot encode gets no barcode.
    assert rectangles("woocommerce-1234567890123") - rectangles("wooc\u00f6mmerce-12") > 20


def test_traveler_with_60_lines_flows_onto_more_pages() -> None:
    lines = tuple(traveler_line(number) for number in range(1, 61))
    pages = pdf_pages(render_traveler_pdf(traveler(lines)))

    assert len(pages) > 1
    assert all("TRAVELER" in page and "1001" in page for page in pages)
    found = {int(n) for n in re.findall(rf"{ORDER_REF}-(\d+)\.pdf", "\n".join(pages))}
    assert found == set(range(1, 61))
    references = re.findall(rf"Line (\d+) · {ORDER_REF}-(\d+)\b", "\n".join(pages))
    assert sorted(int(a) for a, b in references if a == b) == list(range(1, 61))


def test_traveler_keeps_cjk_personalization_extractable() -> None:
    line = replace(traveler_line(1), personalization=(("Name", "測試 たろう"),))
    text = "".join(pdf_pages(render_traveler_pdf(traveler((line,)))))

    assert "測試たろう" in squashed(text)


def test_traveler_without_lines_still_renders() -> None:
    text = pdf_pages(render_traveler_pdf(traveler(())))[0]

    assert "TRAVELER" in text and "no lines" in text


# determinism


def test_rendering_is_byte_identical_for_the_same_input() -> None:
    request = artwork_request("測試 Zoë")
    document = traveler(tuple(traveler_line(number) for number in range(1, 30)))

    assert render_artwork_pdf(request) == render_artwork_pdf(artwork_request("測試 Zoë"))
    assert render_artwork_png(request) == render_artwork_png(artwork_request("測試 Zoë"))
    assert render_traveler_pdf(document) == render_traveler_pdf(document)
    assert render_artwork_pdf(request) != render_artwork_pdf(artwork_request("測試 Zoe"))
    assert render_artwork_png(request) != render_artwork_png(artwork_request("Someone else"))
