"""Helpers for tests on built workbooks: find cells through defined names, fill score grids."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from openpyxl import Workbook
from openpyxl.utils.cell import range_boundaries

from tdkt_lib.core.model import code_key
from tdkt_lib.core.scores import Entry
from tdkt_lib.workbook import layout


def destinations(wb: Workbook, name: str) -> list[tuple[str, str]]:
    """(sheet title, A1 range) of a workbook-scoped defined name."""
    return list(wb.defined_names[name].destinations)


def cells(wb: Workbook, name: str) -> list[list]:
    """The cells a one-area name points at, as rows of openpyxl cells."""
    (title, area), = destinations(wb, name)
    ws = wb[title]
    min_col, min_row, max_col, max_row = range_boundaries(area.replace("$", ""))
    return [list(row) for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col)]


def column(wb: Workbook, name: str) -> list:
    """Values of a single-column name, top to bottom."""
    return [row[0].value for row in cells(wb, name)]


def single(wb: Workbook, name: str):
    return cells(wb, name)[0][0].value


def grid_prefixes(wb: Workbook) -> Iterator[str]:
    """Name prefix of every score grid in the workbook (bloc: tdkt_sNN_, form: tdkt_form_)."""
    for name in sorted(wb.defined_names):
        parsed = layout.parse_scorer_name(name)
        if parsed and parsed[1] == "grid":
            yield f"tdkt_s{parsed[0]:02d}_"
        elif name == layout.form_name("grid"):
            yield layout.FORM_PREFIX


def fill(wb: Workbook, entries: Iterable[Entry]) -> None:
    """Write score entries into the grids, locating every cell through the names only."""
    by_scorer: dict[str, list[Entry]] = {}
    for entry in entries:
        by_scorer.setdefault(code_key(entry.scorer), []).append(entry)
    for prefix in grid_prefixes(wb):
        scorer = code_key(str(single(wb, prefix + "scorer")))
        codes = [code_key(str(v)) for v in column(wb, prefix + "codes")]
        unit_codes = [code_key(str(c.value)) for c in cells(wb, prefix + "units")[0]]
        grid = cells(wb, prefix + "grid")
        for entry in by_scorer.get(scorer, []):
            value = entry.value
            if isinstance(value, str):
                value = float(value.replace(",", "."))
            grid[codes.index(code_key(entry.criterion))][unit_codes.index(code_key(entry.unit))].value = value
