"""`tdkt addin simulate FILE BUTTON_ID`: run a ribbon button headless through xlwings' remote engine.

The workbook is read with openpyxl into the payload Excel's Office.js client would send
(every sheet's values from A1, the defined names), the handler runs on `xw.Book(json=…)`,
and the actions it returns (`book.json()`) are applied back onto the file with openpyxl.

A developer's and tester's tool: the remote engine belongs to xlwings PRO (PolyForm
Noncommercial), so this is the one place that sets XLWINGS_LICENSE_KEY=noncommercial, and
only while the handler runs and only when no key is set. Officers' Excel never comes here.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tdkt_lib.adapters.xlwings_book import points_to_chars

LICENSE_VARIABLE = "XLWINGS_LICENSE_KEY"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}:\d{2})?$")
_NUMBER = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$")
_HORIZONTAL = {"General": "general", "Left": "left", "Center": "center", "Right": "right", "Fill": "fill",
               "Justify": "justify", "CenterAcrossSelection": "centerContinuous", "Distributed": "distributed"}
_VERTICAL = {"Top": "top", "Center": "center", "Bottom": "bottom", "Justify": "justify",
             "Distributed": "distributed"}
_VISIBILITY = {"Visible": "visible", "Hidden": "hidden", "VeryHidden": "veryHidden"}


class SimulateError(Exception):
    """The simulation cannot go on; the message is Vietnamese."""


@dataclass
class Simulation:
    outcome: Any                                   # the handler's Outcome
    actions: list[dict[str, Any]]                  # what book.json() returned
    messages: list[str] = field(default_factory=list)   # message boxes the handler showed
    written: Path | None = None


# --------------------------------------------------------------------------- payload


def _payload_value(value: Any) -> Any:
    """A cell value as Office.js sends it: blanks as "", dates as ISO text."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day).isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    if isinstance(value, int | float | str | bool):
        return value
    return str(value)


def _name_entry(name: str, attr_text: str, titles: list[str], scope: int | None) -> dict[str, Any]:
    from tdkt_lib.workbook.snapshot import parse_reference

    parsed = parse_reference(attr_text or "")
    sheet_index = address = None
    if parsed and parsed[0] in titles:
        from openpyxl.utils import get_column_letter

        min_col, min_row, max_col, max_row = parsed[1]
        sheet_index = titles.index(parsed[0])
        first = f"{get_column_letter(min_col)}{min_row}"
        last = f"{get_column_letter(max_col)}{max_row}"
        address = first if first == last else f"{first}:{last}"
    return {"name": name, "refers_to": "=" + (attr_text or ""), "sheet_index": sheet_index, "address": address,
            "book_scope": scope is None, "scope_sheet_name": None if scope is None else titles[scope],
            "scope_sheet_index": scope}


def payload_from_workbook(wb: Any, label: str) -> dict[str, Any]:
    """The remote-engine payload of an openpyxl workbook (values as stored: formulas as text,
    exactly what `tdkt score` reads)."""
    import xlwings as xw

    sheets = wb.worksheets
    titles = [ws.title for ws in sheets]
    names = [_name_entry(n, d.attr_text, titles, None) for n, d in wb.defined_names.items()]
    for index, ws in enumerate(sheets):
        names += [_name_entry(n, d.attr_text, titles, index) for n, d in ws.defined_names.items()]
    payload_sheets = []
    for ws in sheets:
        values = [[_payload_value(v) for v in row] for row in ws.iter_rows(values_only=True)] or [[]]
        payload_sheets.append({
            "name": ws.title, "values": values, "visibility": {v: k for k, v in _VISIBILITY.items()}.get(
                ws.sheet_state, "Visible"),
            "pictures": [], "shapes": [], "charts": [], "notes": [], "tables": [], "pivot_tables": [],
            "show_gridlines": True, "print_area": None,
        })
    active = wb.active
    return {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": label, "active_sheet_index": sheets.index(active) if active in sheets else 0,
                 "selection": "A1"},
        "names": names,
        "sheets": payload_sheets,
    }


def build_payload(path: Path) -> dict[str, Any]:
    """The payload of a workbook file (through the same guards as every tdkt reader)."""
    from tdkt_lib.workbook.snapshot import check_package
    from tdkt_lib.workbook.writer import load_for_update

    check_package(path)
    return payload_from_workbook(load_for_update(path), path.name)


@contextlib.contextmanager
def noncommercial_key() -> Iterator[None]:
    """XLWINGS_LICENSE_KEY=noncommercial while the remote engine runs, when no key is set."""
    if os.environ.get(LICENSE_VARIABLE):
        yield
        return
    os.environ[LICENSE_VARIABLE] = "noncommercial"
    try:
        yield
    finally:
        os.environ.pop(LICENSE_VARIABLE, None)


def remote_engine() -> None:
    """Register xlwings' remote engine (xlwings registers it at import only when a key is set)."""
    with noncommercial_key():
        import xlwings as xw

        if "remote" not in [engine.name for engine in xw.engines]:
            from xlwings.main import Engine
            from xlwings.pro import _xlremote

            xw.engines.add(Engine(impl=_xlremote.engine))


def remote_book(payload: dict[str, Any]) -> Any:
    """`xw.Book(json=payload)` with the noncommercial key (needed for the remote engine only)."""
    with noncommercial_key():
        remote_engine()
        import xlwings as xw

        return xw.Book(json=payload)


# --------------------------------------------------------------------------- applying actions


def excel_value(value: Any) -> Any:
    """What Excel stores when a script writes `value`: "" blank, «'» text, numbers and ISO dates parsed."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:]
        if _NUMBER.match(value):
            number = float(value)
            return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
        if _ISO_DATE.match(value):
            return dt.datetime.fromisoformat(value)
        if value.upper() in ("TRUE", "FALSE"):
            return value.upper() == "TRUE"
    return value


def _cells(ws: Any, action: dict[str, Any]) -> Iterator[Any]:
    r0, c0 = action["start_row"] + 1, action["start_column"] + 1
    for r in range(r0, r0 + action["row_count"]):
        for c in range(c0, c0 + action["column_count"]):
            yield ws.cell(r, c)


def _bounds(action: dict[str, Any]) -> tuple[int, int, int, int]:
    r0, c0 = action["start_row"] + 1, action["start_column"] + 1
    return r0, c0, r0 + action["row_count"] - 1, c0 + action["column_count"] - 1


def _clear(ws: Any, contents: bool = True, formats: bool = True) -> None:
    from openpyxl.worksheet.cell_range import MultiCellRange

    if contents and formats:
        ws._cells.clear()
        ws.merged_cells = MultiCellRange()
        ws.column_dimensions.clear()
        ws.row_dimensions.clear()
        ws.freeze_panes = None
        return
    for cell in list(ws._cells.values()):
        if contents:
            cell.value = None
        if formats:
            cell.style = "Normal"


def _freeze_cell(address: str) -> str | None:
    """Office.js freezeAt(range): the range's rows/columns stay; openpyxl wants the first free cell."""
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.cell import column_index_from_string, range_boundaries

    text = address.replace("$", "").upper()
    if re.fullmatch(r"\d+:\d+", text):
        return f"A{int(text.split(':')[1]) + 1}"
    if re.fullmatch(r"[A-Z]+:[A-Z]+", text):
        return f"{get_column_letter(column_index_from_string(text.split(':')[1]) + 1)}1"
    _, _, max_col, max_row = range_boundaries(text)
    return f"{get_column_letter(max_col + 1)}{max_row + 1}"


def _font(cell: Any, prop: str, value: Any) -> None:
    font = copy(cell.font)
    if prop == "color":
        value = "FF" + str(value).lstrip("#").upper()
    setattr(font, {"size": "sz", "name": "name"}.get(prop, prop), value)
    cell.font = font


def _align(cell: Any, **changes: Any) -> None:
    alignment = copy(cell.alignment)
    for key, value in changes.items():
        setattr(alignment, key, value)
    cell.alignment = alignment


class ActionApplier:
    """Replays remote-engine actions on an openpyxl workbook, in order."""

    def __init__(self, wb: Any):
        self.wb = wb
        self.messages: list[str] = []

    def sheet(self, action: dict[str, Any]) -> Any:
        position = action.get("sheet_position")
        try:
            return self.wb.worksheets[position]
        except (IndexError, TypeError):
            raise SimulateError(f"Thao tác «{action['func']}» chỉ tới trang tính số {position} không có trong sổ."
                                ) from None

    def apply(self, actions: list[dict[str, Any]]) -> list[str]:
        for action in actions:
            func = action.get("func")
            method = getattr(self, f"do_{func}", None)
            if method is None:
                raise SimulateError(f"Thao tác xlwings «{func}» chưa được hỗ trợ khi áp dụng lại bằng openpyxl; "
                                    "tệp không bị thay đổi.")
            method(action, action.get("args") or [])
        self._fix_active()
        return self.messages

    def _fix_active(self) -> None:
        visible = [ws for ws in self.wb.worksheets if ws.sheet_state == "visible"]
        if visible and self.wb.active not in visible:
            self.wb.active = self.wb.worksheets.index(visible[0])
        for ws in self.wb.worksheets:
            ws.sheet_view.tabSelected = ws is self.wb.active

    # values and cells
    def do_setValues(self, action: dict[str, Any], args: list[Any]) -> None:
        ws = self.sheet(action)
        r0, c0 = action["start_row"] + 1, action["start_column"] + 1
        for i, row in enumerate(action["values"]):
            for j, value in enumerate(row):
                stored = excel_value(value)
                if stored is None and not ws._cells.get((r0 + i, c0 + j)):
                    continue
                ws.cell(r0 + i, c0 + j).value = stored

    def do_rangeClearContents(self, action: dict[str, Any], args: list[Any]) -> None:
        for cell in _cells(self.sheet(action), action):
            cell.value = None

    def do_rangeClearFormats(self, action: dict[str, Any], args: list[Any]) -> None:
        for cell in _cells(self.sheet(action), action):
            cell.style = "Normal"

    def do_rangeClear(self, action: dict[str, Any], args: list[Any]) -> None:
        self.do_rangeClearContents(action, args)
        self.do_rangeClearFormats(action, args)

    def do_setColumnWidth(self, action: dict[str, Any], args: list[Any]) -> None:
        from openpyxl.utils import get_column_letter

        ws = self.sheet(action)
        _, c0, _, c1 = _bounds(action)
        for c in range(c0, c1 + 1):
            ws.column_dimensions[get_column_letter(c)].width = points_to_chars(float(args[0]))

    def do_setRowHeight(self, action: dict[str, Any], args: list[Any]) -> None:
        ws = self.sheet(action)
        r0, _, r1, _ = _bounds(action)
        for r in range(r0, r1 + 1):
            ws.row_dimensions[r].height = float(args[0])

    def do_setFontProperty(self, action: dict[str, Any], args: list[Any]) -> None:
        prop, value = args[0], args[1]
        if prop not in ("bold", "italic", "size", "color", "name"):
            raise SimulateError(f"Thuộc tính phông chữ «{prop}» chưa được hỗ trợ.")
        for cell in _cells(self.sheet(action), action):
            _font(cell, prop, value)

    def do_setNumberFormat(self, action: dict[str, Any], args: list[Any]) -> None:
        for cell in _cells(self.sheet(action), action):
            cell.number_format = args[0]

    def do_setHorizontalAlignment(self, action: dict[str, Any], args: list[Any]) -> None:
        for cell in _cells(self.sheet(action), action):
            _align(cell, horizontal=_HORIZONTAL.get(args[0], "general"))

    def do_setVerticalAlignment(self, action: dict[str, Any], args: list[Any]) -> None:
        for cell in _cells(self.sheet(action), action):
            _align(cell, vertical=_VERTICAL.get(args[0], "bottom"))

    def do_setWrapText(self, action: dict[str, Any], args: list[Any]) -> None:
        for cell in _cells(self.sheet(action), action):
            _align(cell, wrap_text=bool(args[0]))

    def do_rangeMerge(self, action: dict[str, Any], args: list[Any]) -> None:
        ws = self.sheet(action)
        r0, c0, r1, c1 = _bounds(action)
        if args and args[0]:       # across: one merge per row
            for r in range(r0, r1 + 1):
                if c1 > c0:
                    ws.merge_cells(start_row=r, start_column=c0, end_row=r, end_column=c1)
        elif (r1, c1) != (r0, c0):
            ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)

    def do_rangeUnmerge(self, action: dict[str, Any], args: list[Any]) -> None:
        ws = self.sheet(action)
        r0, c0, r1, c1 = _bounds(action)
        for merged in list(ws.merged_cells.ranges):
            if not (merged.max_row < r0 or merged.min_row > r1 or merged.max_col < c0 or merged.min_col > c1):
                ws.unmerge_cells(str(merged))

    # sheets
    def do_addSheet(self, action: dict[str, Any], args: list[Any]) -> None:
        index, name = args[0], args[1]
        sheets = self.wb.worksheets
        position = self.wb._sheets.index(sheets[index]) if index < len(sheets) else len(self.wb._sheets)
        self.wb.create_sheet(name, position)

    def do_sheetDelete(self, action: dict[str, Any], args: list[Any]) -> None:
        self.wb.remove(self.sheet(action))
        if self.wb.active is None and self.wb.worksheets:
            self.wb.active = 0

    def do_sheetClear(self, action: dict[str, Any], args: list[Any]) -> None:
        _clear(self.sheet(action))

    def do_sheetClearContents(self, action: dict[str, Any], args: list[Any]) -> None:
        _clear(self.sheet(action), formats=False)

    def do_sheetClearFormats(self, action: dict[str, Any], args: list[Any]) -> None:
        _clear(self.sheet(action), contents=False)

    def do_setSheetName(self, action: dict[str, Any], args: list[Any]) -> None:
        self.sheet(action).title = args[0]

    def do_setSheetVisibility(self, action: dict[str, Any], args: list[Any]) -> None:
        self.sheet(action).sheet_state = _VISIBILITY.get(args[0], "visible")

    def do_activateSheet(self, action: dict[str, Any], args: list[Any]) -> None:
        self.wb.active = int(args[0])

    def do_freezePaneAtRange(self, action: dict[str, Any], args: list[Any]) -> None:
        self.sheet(action).freeze_panes = _freeze_cell(str(args[0]))

    def do_freezePaneUnfreeze(self, action: dict[str, Any], args: list[Any]) -> None:
        self.sheet(action).freeze_panes = None

    # names
    def do_namesAdd(self, action: dict[str, Any], args: list[Any]) -> None:
        from openpyxl.workbook.defined_name import DefinedName

        name, refers_to = args[0], str(args[1]).lstrip("=")
        if action.get("sheet_position") is not None:
            self.sheet(action).defined_names[name] = DefinedName(name, attr_text=refers_to)
        else:
            self.wb.defined_names[name] = DefinedName(name, attr_text=refers_to)

    def do_setNameRefersTo(self, action: dict[str, Any], args: list[Any]) -> None:
        from openpyxl.workbook.defined_name import DefinedName

        name, book_scope, scope_index, refers_to = args[:4]
        names = self.wb.defined_names if book_scope else self.wb.worksheets[scope_index].defined_names
        names[name] = DefinedName(name, attr_text=str(refers_to).lstrip("="))

    def do_nameDelete(self, action: dict[str, Any], args: list[Any]) -> None:
        name, book_scope, scope_index = args[2], args[4], args[5]
        names = self.wb.defined_names if book_scope else self.wb.worksheets[scope_index].defined_names
        names.pop(name, None)

    # no effect on the file
    def do_alert(self, action: dict[str, Any], args: list[Any]) -> None:
        self.messages.append(str(args[0]))

    def do_setScreenUpdating(self, action: dict[str, Any], args: list[Any]) -> None:
        pass

    def do_calculate(self, action: dict[str, Any], args: list[Any]) -> None:
        pass                      # the saved file is recalculated when Excel opens it (fullCalcOnLoad)


# --------------------------------------------------------------------------- simulate


def handler_for(button_id: str, forms: list[Path] | None = None) -> Callable[[Any], Any]:
    from tdkt_lib.addin.handlers import HANDLERS, handle_merge

    if button_id == "tdkt_merge":
        if not forms:
            raise SimulateError("«Gộp phiếu» chạy thử cần danh sách phiếu (--form PHIẾU, có thể lặp lại): "
                                "không có hộp chọn tệp khi chạy không có Excel.")
        return functools.partial(handle_merge, paths=list(forms))
    try:
        return HANDLERS[button_id]
    except KeyError:
        known = ", ".join(sorted(HANDLERS))
        raise SimulateError(f"Không có nút «{button_id}». Các nút chạy thử được: {known}.") from None


def simulate(file: Path, button_id: str, out: Path | None = None, actions_path: Path | None = None,
             forms: list[Path] | None = None) -> Simulation:
    """Run ribbon button `button_id` on FILE through the remote engine; apply its actions onto OUT
    (default: FILE in place, with a backup). Nothing is written when the handler refuses."""
    from tdkt_lib.workbook.snapshot import check_package
    from tdkt_lib.workbook.writer import load_for_update, save, update_lock

    file = Path(file)
    out = Path(out) if out is not None else None
    handler = handler_for(button_id, forms)
    check_package(file)
    with update_lock(out or file):
        wb = load_for_update(file)
        payload = payload_from_workbook(wb, file.name)
        with noncommercial_key():
            book = remote_book(payload)
            outcome = handler(book)
            actions = book.json()["actions"]
        if actions_path is not None:
            Path(actions_path).write_text(json.dumps({"actions": actions}, ensure_ascii=False, indent=1,
                                                     default=str), encoding="utf-8")
        result = Simulation(outcome, actions)
        result.messages = ActionApplier(wb).apply(actions)
        if any(a["func"] != "alert" for a in actions):
            result.written = save(wb, file, out)
        return result


# --------------------------------------------------------------------------- command line


def run(args: argparse.Namespace) -> int:
    try:
        result = simulate(args.file, args.button_id, args.output, args.actions, args.forms)
    except SimulateError as exc:
        print(f"[LỖI] {exc}", file=sys.stderr)
        return 2
    for message in result.messages:
        print(message)
    if args.actions is not None:
        print(f"Đã lưu {len(result.actions)} thao tác xlwings vào: {args.actions}", file=sys.stderr)
    if result.written is not None:
        print(f"Đã ghi: {result.written}", file=sys.stderr)
    else:
        print("Tệp không bị thay đổi.", file=sys.stderr)
    return 0 if getattr(result.outcome, "ok", False) else 2
