"""The dispatch manifest's cells: text a spreadsheet would run as a formula is defused,
numbers such as phones are left alone."""

from __future__ import annotations

import csv
import io

from oms_pipeline.dispatch.dispatcher import _cell


def test_formula_cells_are_defused() -> None:
    for hostile in ("=1+1", "@SUM(1)", '=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3"):
        assert _cell(hostile) == "'" + hostile
    for harmless in ("+1 555 0100", "-12.5", "Jane", "1 Example Street", 3, ""):
        assert _cell(harmless) == harmless


def test_defused_cells_survive_a_csv_round_trip() -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_cell("=1+1"), _cell("+1 555 0100")])
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ["'=1+1", "+1 555 0100"]
