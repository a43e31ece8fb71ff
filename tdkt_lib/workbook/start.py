"""Start next year's workbook from a bloc workbook: its Đơn vị and Tiêu chí tables, found by name.

The rows are parsed by tdkt_lib.adapters.tables, so every message is the same as for CSV
files, located by file, sheet and cell. Rows an officer appended right below a named
table (until the first blank row) are read too.
"""

from __future__ import annotations

from pathlib import Path

from tdkt_lib.adapters.tables import table_from_rows, units_from_rows
from tdkt_lib.core.model import ScoringTable, Unit
from tdkt_lib.core.problems import InputError, Problem, error
from tdkt_lib.workbook import layout
from tdkt_lib.workbook.reader import cell_text

MAX_APPENDED_ROWS = 5000


def _table_rows(book, label: str, name: str, columns: tuple[str, ...]):
    """Yield (where, {column: text}) for the named table's rows and rows appended below it."""
    from openpyxl.utils import get_column_letter

    from tdkt_lib.workbook.snapshot import parse_reference

    defined = book.defined_names.get(name)
    parsed = parse_reference(defined.attr_text or "") if defined is not None else None
    if parsed is None or parsed[0] not in book.sheetnames:
        raise InputError([error(
            "MISSING_NAME",
            f"Không tìm thấy bảng «{name}» (tên đã định nghĩa) trong sổ: tệp không phải sổ của khối do tdkt "
            "lập, hoặc tên đã bị xoá. Lập lại sổ bằng «tdkt new --units … --criteria …».",
            file=label)])
    sheet, (min_col, min_row, _max_col, max_row) = parsed
    ws = book[sheet]
    width = len(columns)
    rows = ws.iter_rows(min_row=min_row, max_row=max_row + MAX_APPENDED_ROWS, min_col=min_col,
                        max_col=min_col + width - 1, values_only=True)
    for offset, values in enumerate(rows):
        row = min_row + offset
        texts = [cell_text(v) for v in (*values, *([None] * width))[:width]]
        if not any(texts):
            if row > max_row:
                break
            continue
        where = {"file": label, "sheet": sheet, "cell": f"{get_column_letter(min_col)}{row}"}
        yield where, dict(zip(columns, texts, strict=True))


def read_previous(path: Path) -> tuple[tuple[Unit, ...], ScoringTable, dict[str, object]]:
    """Units, scoring table and {bloc, year, profile} of a bloc workbook."""
    import openpyxl

    from tdkt_lib.workbook.snapshot import check_package, parse_reference

    path = Path(path)
    check_package(path)
    label = path.name
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:
        raise InputError([error(
            "CORRUPT_FILE", f"Không đọc được nội dung bảng tính ({type(exc).__name__}). Mở tệp bằng Excel, "
            "lưu lại dạng .xlsx rồi thử lại.", file=label)]) from None
    try:
        problems: list[Problem] = []
        units: tuple[Unit, ...] = ()
        table = ScoringTable(())
        try:
            units = units_from_rows(_table_rows(book, label, layout.UNIT_TABLE, layout.UNIT_COLUMNS))
        except InputError as exc:
            problems += exc.problems
        try:
            table = table_from_rows(_table_rows(book, label, layout.CRITERIA_TABLE, layout.CRITERIA_COLUMNS))
        except InputError as exc:
            problems += exc.problems
        if problems:
            raise InputError(problems)
        info: dict[str, object] = {}
        for key, name in (("bloc", layout.BLOC), ("year", layout.YEAR), ("profile", layout.PROFILE)):
            defined = book.defined_names.get(name)
            parsed = parse_reference(defined.attr_text or "") if defined is not None else None
            if parsed and parsed[0] in book.sheetnames:
                min_col, min_row = parsed[1][0], parsed[1][1]
                value = next(book[parsed[0]].iter_rows(min_row=min_row, max_row=min_row, min_col=min_col,
                                                       max_col=min_col, values_only=True))[0]
                info[key] = value
        year = info.get("year")
        if isinstance(year, float) and year.is_integer():
            info["year"] = int(year)
        elif isinstance(year, str) and year.strip().isdigit():
            info["year"] = int(year.strip())
        elif not isinstance(year, int):
            info.pop("year", None)
        if not isinstance(info.get("profile"), str) or not str(info["profile"]).strip():
            info.pop("profile", None)
        return units, table, info
    finally:
        book.close()
