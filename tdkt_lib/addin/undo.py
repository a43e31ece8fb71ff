"""Hoàn tác: the state before the last tdkt write, kept in a hidden sheet of the workbook.

Excel clears its own undo list after a macro, so each ribbon action saves, before it
writes, the previous values of every range it overwrites and which sheets it creates.
The record is JSON split over column A of the hidden sheet `tdkt_undo`; Hoàn tác writes
the values back, deletes the sheets the action created, then deletes `tdkt_undo`.
One level: the record is replaced by the next action.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from tdkt_lib.adapters import xlwings_book as xb
from tdkt_lib.workbook.snapshot import BookSnapshot

UNDO_SHEET = "tdkt_undo"
CHUNK = 30_000          # characters per cell (Excel's limit is 32 767)
MARK = "~"              # every chunk starts with it: Excel never reads a chunk as a number or formula


@dataclass
class UndoRecord:
    action: str                                                  # Vietnamese label of the action
    stamp: str
    blocks: list[list[Any]] = field(default_factory=list)        # [sheet, row, col, rows] written back
    cells: list[list[Any]] = field(default_factory=list)         # [sheet, row, col, value] written back
    sheets: list[list[Any]] = field(default_factory=list)        # [defined name, sheet, rows]: cleared, refilled
    created: list[str] = field(default_factory=list)             # defined names of sheets the action adds


def _rows_json(rows: list[list[Any]]) -> list[list[Any]]:
    return [[xb.json_value(v) for v in row] for row in rows]


def _rows_back(rows: list[list[Any]]) -> list[list[Any]]:
    return [[xb.from_json_value(v) for v in row] for row in rows]


def capture(book: Any, action: str, stamp: str, *, outputs: Iterable[str] = (),
            blocks: Iterable[tuple[str, int, int, list[list[Any]]]] = (),
            cells: Iterable[tuple[str, int, int, Any]] = (), snapshot: BookSnapshot | None = None) -> UndoRecord:
    """The record for an action about to replace the sheets of `outputs` (defined names) and
    overwrite `blocks`/`cells` (their current values, already read by the caller).

    An output sheet already in `snapshot` (read whole by snapshot_from_book) is not read again.
    """
    record = UndoRecord(action, stamp)
    for name in outputs:
        ref = snapshot.ref(name) if snapshot is not None else None
        title = ref.sheet if ref is not None else xb.sheet_of_name(book, name)
        if title is None:
            record.created.append(name)
            continue
        rows = snapshot.sheets.get(title) if snapshot is not None else None
        record.sheets.append([name, title, _rows_json(rows if rows is not None else xb.read_used(book, title))])
    record.blocks = [[s, r, c, _rows_json(rows)] for s, r, c, rows in blocks]
    record.cells = [[s, r, c, xb.json_value(v)] for s, r, c, v in cells]
    return record


def _undo_sheet(book: Any) -> Any | None:
    for sheet in book.sheets:
        if sheet.name.casefold() == UNDO_SHEET:
            return sheet
    return None


def save(book: Any, record: UndoRecord) -> None:
    """Write the record into the hidden sheet (created at the end when missing)."""
    text = json.dumps(asdict(record), ensure_ascii=False, separators=(",", ":"))
    chunks = [[MARK + text[i:i + CHUNK]] for i in range(0, len(text), CHUNK)] or [[MARK]]
    sheet = _undo_sheet(book)
    if sheet is None:
        sheet = book.sheets.add(name=UNDO_SHEET, after=book.sheets[len(book.sheets) - 1])
    else:
        sheet.clear()
    sheet.range((1, 1)).value = chunks
    with contextlib.suppress(Exception):
        sheet.visible = False


def load(book: Any) -> UndoRecord | None:
    """The saved record, or None when there is nothing to undo."""
    sheet = _undo_sheet(book)
    if sheet is None:
        return None
    last = sheet.used_range.last_cell
    rows = xb.read_block(book, sheet.name, last.row, 1)
    text = "".join(str(row[0])[len(MARK):] for row in rows if isinstance(row[0], str) and row[0].startswith(MARK))
    if not text:
        return None
    try:
        return UndoRecord(**json.loads(text))
    except (ValueError, TypeError):
        return None


def restore(book: Any, record: UndoRecord) -> None:
    """Put back what the action overwrote, delete what it created, then drop the record."""
    for title, row, col, rows in record.blocks:
        xb.write_values(book, title, row, col, _rows_back(rows))
    xb.write_cells(book, [(s, r, c, xb.from_json_value(v)) for s, r, c, v in record.cells])
    titles = {sheet.name for sheet in book.sheets}
    for _name, title, rows in record.sheets:
        if title in titles:
            sheet = book.sheets[title]
            sheet.clear()
            xb.write_values(book, title, 1, 1, _rows_back(rows))
    doomed = []
    for name in record.created:
        title = xb.sheet_of_name(book, name)
        with contextlib.suppress(Exception):
            book.names[name].delete()
        if title is not None:
            doomed.append(title)
    undo_sheet = _undo_sheet(book)
    if undo_sheet is not None:
        doomed.append(undo_sheet.name)
    _delete_sheets(book, doomed)


def _delete_sheets(book: Any, titles: list[str]) -> None:
    app = book.app
    try:
        alerts = app.display_alerts
        app.display_alerts = False        # Excel would ask «Delete this sheet?» otherwise
    except Exception:
        alerts = None
    try:
        for title in titles:
            book.sheets[title].delete()
    finally:
        if alerts is not None:
            with contextlib.suppress(Exception):
                app.display_alerts = alerts
