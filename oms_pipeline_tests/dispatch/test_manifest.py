"""What partners' files are made of: manifest cells a spreadsheet would run as formulas are
defused (numbers such as phones are left alone), and file names are only ever safe."""

from __future__ import annotations

import csv
import io

import pytest

from oms_pipeline.dispatch.dispatcher import _cell
from oms_pipeline.errors import UnsafeFileName
from oms_pipeline.paths import safe_component, slug_component


def test_formula_cells_are_defused() -> None:
    for hostile in ("=1+1", "@SUM(1)", '=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3"):
        assert _cell(hostile) == "'" + hostile
    for harmless in ("+1 555 0100", "-12.5", "Jane", "1 Example Street", 3, ""):
        assert _cell(harmless) == harmless


def test_defused_cells_survive_a_csv_round_trip() -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_cell("=1+1"), _cell("+1 555 0100")])
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ["'=1+1", "+1 555 0100"]


def test_names_with_a_trailing_newline_are_not_safe() -> None:
    with pytest.raises(UnsafeFileName):
        safe_component("evil\n")
    assert "\n" not in slug_component("evil\n")
    safe_component(slug_component("evil\n"))
