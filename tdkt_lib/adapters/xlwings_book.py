"""Read an open workbook (xlwings) into a BookSnapshot, and write a WritePlan back into it.

The same code serves Excel over COM (`xw.Book.caller()`) and xlwings' remote engine
(`xw.Book(json=payload)`): one 2-D read per sheet, one 2-D write per range. Only the public
xlwings API is used here, so nothing in this module needs a licence key.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from tdkt_lib.workbook.outputs import SheetPlan, WritePlan
from tdkt_lib.workbook.snapshot import OUTPUT_PREFIX, BookSnapshot, NameRef, parse_reference, quote_sheet

# Strings Excel would turn into something else when typed (numbers, dates, booleans,
# formulas): written with Excel's text prefix «'» so the cell keeps the exact text.
_LOOKS_NUMERIC = re.compile(r"^\s*[-+]?(\d[\d,]*\.?\d*|\.\d+)([eE][-+]?\d+)?%?\s*$")
_LOOKS_DATE = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}([-/.]\d{1,4})?([ T]+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*$"
                         r"|^\s*\d{1,2}:\d{2}(:\d{2})?\s*$")
_TEXT_PREFIX_NEEDED = ("=", "+", "-", "@", "'")


def is_remote(book: Any) -> bool:
    """True for xlwings' remote engine (values from a JSON payload, writes as actions)."""
    try:
        return book.app.engine.name == "remote"
    except Exception:
        return False


def _normal(value: Any) -> Any:
    """A cell value as openpyxl gives it: whole numbers as int, blanks as None."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if value == "":
        return None
    return value


def cell_out(value: Any) -> Any:
    """A value ready for xlwings: Decimal → float, blank → None, risky text with «'»."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        number = float(value)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if isinstance(value, str):
        if (value.startswith(_TEXT_PREFIX_NEEDED) or _LOOKS_NUMERIC.match(value) or _LOOKS_DATE.match(value)
                or value.strip().upper() in ("TRUE", "FALSE")):
            return "'" + value
        return value
    return value


def rectangle(rows: Iterable[Iterable[Any]], width: int = 0) -> list[list[Any]]:
    """Rows padded with None to one width (at least `width`), values ready for xlwings."""
    rows = [[cell_out(v) for v in row] for row in rows]
    width = max([width, 1, *(len(r) for r in rows)])
    return [row + [None] * (width - len(row)) for row in rows]


# --------------------------------------------------------------------------- reading


def book_names(book: Any) -> tuple[dict[str, NameRef], dict[str, str]]:
    """Workbook-scoped defined names pointing at one range: (lower name → ref, lower name → why bad)."""
    titles = {sheet.name for sheet in book.sheets}
    names: dict[str, NameRef] = {}
    bad: dict[str, str] = {}
    for name in book.names:
        try:
            text = name.name
            if "!" in text:          # sheet-scoped (`Sheet1!x`): not part of the contract
                continue
            refers = name.refers_to or ""
        except Exception:
            continue
        parsed = parse_reference(refers)
        if parsed is None or parsed[0] not in titles:
            bad[text.lower()] = refers
            continue
        sheet, (min_col, min_row, max_col, max_row) = parsed
        names[text.lower()] = NameRef(text, sheet, min_row, min_col, max_row, max_col)
    return names, bad


def read_block(book: Any, title: str, last_row: int, last_col: int) -> list[list[Any]]:
    """Values of A1:(last_row, last_col) of one sheet in one read, normalised like openpyxl."""
    values = book.sheets[title].range((1, 1), (last_row, last_col)).options(ndim=2, err_to_str=True).value
    return [[_normal(v) for v in row] for row in values or []]


def snapshot_from_book(book: Any, wanted: set[str] | None = None) -> BookSnapshot:
    """The open workbook as a BookSnapshot: defined names, then one read per sheet tdkt needs.

    `wanted` limits the sheets read to those of these names (lower-case); None reads every
    sheet a tdkt_* name points at, from A1 to the furthest named cell (as read_snapshot).
    """
    names, bad = book_names(book)
    snapshot = BookSnapshot(book.name, names, bad_names=bad)
    keys = wanted if wanted is not None else {k for k in names if k.startswith("tdkt_")}
    needed = [names[k] for k in keys if k in names]
    whole = {ref.sheet for ref in needed if ref.name.lower().startswith(OUTPUT_PREFIX)}
    for sheet in sorted({ref.sheet for ref in needed}):
        if sheet in whole:        # output sheets are read entirely, as read_snapshot does
            snapshot.sheets[sheet] = read_used(book, sheet)
            continue
        last_row = max(ref.max_row for ref in needed if ref.sheet == sheet)
        last_col = max(ref.max_col for ref in needed if ref.sheet == sheet)
        snapshot.sheets[sheet] = read_block(book, sheet, last_row, last_col)
    return snapshot


def read_used(book: Any, title: str) -> list[list[Any]]:
    """Values of a sheet from A1 to the last cell of its used range ([] when empty)."""
    sheet = book.sheets[title]
    last = sheet.used_range.last_cell
    rows = read_block(book, title, last.row, last.column)
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    width = max((max((j + 1 for j, v in enumerate(r) if v is not None), default=0) for r in rows), default=0)
    return [r[:width] for r in rows]


def sheet_of_name(book: Any, name: str) -> str | None:
    """Title of the sheet a workbook-scoped name points at, or None."""
    try:
        parsed = parse_reference(book.names[name].refers_to or "")
    except Exception:
        return None
    titles = {sheet.name for sheet in book.sheets}
    return parsed[0] if parsed and parsed[0] in titles else None


# --------------------------------------------------------------------------- writing


def _try(action: Any) -> None:
    """Formatting the engine may not support (remote clients, macOS): skipped, never fatal."""
    try:
        action()
    except (NotImplementedError, AttributeError, TypeError, ValueError):
        pass
    except Exception as exc:  # COM errors: formatting must not stop the write
        if type(exc).__name__ != "com_error":
            raise


def chars_to_points(width: float) -> float:
    """Excel column width in characters (Calibri 11) → points (the remote engine's unit)."""
    return round((int(width * 7 + 0.5) + 5) * 0.75, 2)


def points_to_chars(points: float) -> float:
    return round((points / 0.75 - 5) / 7, 2)


def write_values(book: Any, title: str, row: int, col: int, rows: list[list[Any]]) -> None:
    """One 2-D write at (row, col); rows are padded to a rectangle first."""
    if rows:
        book.sheets[title].range((row, col)).value = rectangle(rows)


def write_cells(book: Any, cells: Iterable[tuple[str, int, int, Any]]) -> int:
    """Write scattered cells (sheet, row, col, value), one write per run of adjacent cells in a row."""
    by_row: dict[tuple[str, int], dict[int, Any]] = {}
    for sheet, row, col, value in cells:
        by_row.setdefault((sheet, row), {})[col] = value
    writes = 0
    for (sheet, row), cols in sorted(by_row.items()):
        ordered = sorted(cols)
        start = ordered[0]
        run = [cols[start]]
        for prev, col in itertools.pairwise(ordered):
            if col == prev + 1:
                run.append(cols[col])
                continue
            write_values(book, sheet, row, start, [run])
            writes += 1
            start, run = col, [cols[col]]
        write_values(book, sheet, row, start, [run])
        writes += 1
    return writes


def unique_title(book: Any, title: str) -> str:
    titles = {sheet.name.casefold() for sheet in book.sheets}
    while title.casefold() in titles:
        title = f"{title} (tdkt)"[:31]
    return title


def output_sheet(book: Any, plan: SheetPlan) -> Any:
    """The sheet the plan's defined name points at, cleared; or a new sheet plus the name."""
    title = sheet_of_name(book, plan.name)
    if title is not None:
        sheet = book.sheets[title]
        sheet.clear()
        return sheet
    sheet = book.sheets.add(name=unique_title(book, plan.title), after=book.sheets[len(book.sheets) - 1])
    refers = f"={quote_sheet(sheet.name)}!$A$1"
    try:
        book.names[plan.name].refers_to = refers   # a name left pointing nowhere (#REF!)
    except Exception:
        book.names.add(plan.name, refers)
    return sheet


def fill_sheet(book: Any, sheet: Any, plan: SheetPlan) -> None:
    """Values (one write) and the light formatting of the openpyxl writer."""
    width = max(len(plan.widths), 1)
    rows = rectangle(plan.rows, width)
    if rows:
        sheet.range((1, 1)).value = rows
    remote = is_remote(book)
    for c, w in enumerate(plan.widths, 1):
        _try(lambda c=c, w=w: setattr(sheet.range((1, c)), "column_width", chars_to_points(w) if remote else w))
    for r in plan.title_rows:
        title = sheet.range((r, 1), (r, width))
        _try(lambda title=title: title.merge())
        _try(lambda title=title: setattr(title.font, "bold", True))
        _try(lambda title=title: setattr(title.font, "size", 13))
        _try(lambda title=title: setattr(title, "horizontal_alignment", "center"))
        _try(lambda title=title: setattr(title, "wrap_text", True))
    if plan.header_row:
        h = plan.header_row
        header = sheet.range((h, 1), (h, width))
        _try(lambda: setattr(header.font, "bold", True))
        _try(lambda: setattr(header, "wrap_text", True))
        _try(lambda: setattr(header, "horizontal_alignment", "center"))
        _try(lambda: setattr(header, "vertical_alignment", "center"))
        if len(plan.rows) > h:
            for c in plan.number_columns:
                column = sheet.range((h + 1, c), (len(plan.rows), c))
                _try(lambda column=column: setattr(column, "number_format", "0.00"))
        if remote:
            _try(lambda: sheet.freeze_panes.freeze_at(f"1:{h}"))  # rows 1..h stay on screen
        else:
            _try(lambda: _com_page_setup(sheet, plan))


def _com_page_setup(sheet: Any, plan: SheetPlan) -> None:
    """A4, landscape/portrait, fit to one page wide, header row repeated (Excel on Windows only)."""
    setup = sheet.api.PageSetup
    setup.PaperSize = 9                              # xlPaperA4
    setup.Orientation = 2 if plan.landscape else 1   # xlLandscape / xlPortrait
    setup.Zoom = False
    setup.FitToPagesWide = 1
    setup.FitToPagesTall = False
    if plan.header_row:
        setup.PrintTitleRows = f"${plan.header_row}:${plan.header_row}"


def ranks_target(ranks_ref: str | NameRef) -> tuple[str, int, int]:
    """(sheet, first row, column) of the tdkt_ranks column."""
    if isinstance(ranks_ref, NameRef):
        return ranks_ref.sheet, ranks_ref.min_row, ranks_ref.min_col
    parsed = parse_reference(ranks_ref)
    if parsed is None:
        raise ValueError(f"tdkt_ranks: not a range reference: {ranks_ref!r}")
    title, (min_col, min_row, _, _) = parsed
    return title, min_row, min_col


def apply_plan(book: Any, plan: WritePlan, ranks_ref: str | NameRef | None,
               sheets: Iterable[str] | None = None) -> list[str]:
    """Replace tdkt's output sheets and write the ranks column; titles of the sheets written.

    `sheets` limits the output sheets to these defined names (e.g. only the appraisal list);
    `ranks_ref` None leaves tdkt_ranks alone.
    """
    only = set(sheets) if sheets is not None else None
    written = []
    for sheet_plan in plan.sheets:
        if only is not None and sheet_plan.name not in only:
            continue
        sheet = output_sheet(book, sheet_plan)
        fill_sheet(book, sheet, sheet_plan)
        written.append(sheet.name)
    if ranks_ref is not None:
        title, row, col = ranks_target(ranks_ref)
        write_values(book, title, row, col, [[rank] for rank in plan.ranks])
    return written


def merge_cells(changes: Iterable[tuple[NameRef, int, int, Any]]) -> list[tuple[str, int, int, Any]]:
    """(grid, row offset, col offset, value) → absolute cells for write_cells."""
    return [(grid.sheet, grid.min_row + i, grid.min_col + j, value) for grid, i, j, value in changes]


def json_value(value: Any) -> Any:
    """A cell value for the undo record (JSON): dates tagged, Decimals as float."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return {"$dt": value.isoformat()}
    if isinstance(value, Decimal):
        return float(value)
    return value


def from_json_value(value: Any) -> Any:
    if isinstance(value, dict) and "$dt" in value:
        text = value["$dt"]
        if ":" in text and "-" not in text:
            return dt.time.fromisoformat(text)
        return dt.datetime.fromisoformat(text)
    return value
