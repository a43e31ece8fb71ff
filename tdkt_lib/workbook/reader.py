"""Read a bloc workbook or a unit form (as a snapshot) into the engine's inputs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from tdkt_lib.adapters.tables import fold, table_from_rows, units_from_rows
from tdkt_lib.core.model import ScoringTable, Unit, code_key
from tdkt_lib.core.numbers import NumberError, clean_text, parse_decimal
from tdkt_lib.core.problems import InputError, Problem, error
from tdkt_lib.core.scores import REFUSED, Entry
from tdkt_lib.workbook import layout
from tdkt_lib.workbook.snapshot import ERROR_VALUES, BookSnapshot, NameRef


def cell_text(value: object) -> str:
    """A cell's value as the text an officer sees: 1 not 1.0, 9.5, dates as dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value).removesuffix(".0")
    if isinstance(value, dt.datetime):
        return f"{value:%d/%m/%Y %H:%M}" if value.time() != dt.time() else f"{value:%d/%m/%Y}"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return clean_text(str(value)) if isinstance(value, str) else str(value)


def same_value(a: object, b: object) -> bool:
    """Equal as numbers when both are numbers (9,5 == 9.5 == 9.50), else as shown text; blank == blank."""
    if cell_text(a) == "" and cell_text(b) == "":
        return True
    try:
        return parse_decimal(a) == parse_decimal(b)
    except NumberError:
        return cell_text(a) == cell_text(b)


def is_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith("=")


def is_error_value(value: object) -> bool:
    return isinstance(value, str) and value.strip().upper() in ERROR_VALUES


@dataclass
class Grid:
    """One scorer's score grid: which names, whose scores, and its cells by code."""

    scorer: str
    grid: NameRef
    rows: dict[str, int]          # criterion/section code key → row offset in the grid
    cols: dict[str, int]          # unit code key → column offset in the grid
    received: NameRef | None = None
    labels: dict[str, str] = field(default_factory=dict)   # unit code key → code as typed in the sheet


@dataclass
class BlocData:
    snapshot: BookSnapshot
    units: tuple[Unit, ...]
    table: ScoringTable
    entries: list[Entry]
    grids: dict[str, Grid]        # scorer code key → grid
    info: dict[str, object]
    problems: list[Problem] = field(default_factory=list)


def _require(snapshot: BookSnapshot, name: str, what: str) -> NameRef:
    ref = snapshot.ref(name)
    if ref is None:
        raise InputError([error(
            "MISSING_NAME",
            f"Không tìm thấy vùng tên «{name}» ({what}). Tệp không đúng mẫu tdkt hoặc vùng tên đã bị xoá; "
            "tạo lại sổ bằng lệnh «tdkt new».",
            file=snapshot.label)])
    return ref


def _table_rows(snapshot: BookSnapshot, name: str, columns: tuple[str, ...], what: str):
    ref = _require(snapshot, name, what)
    for i, row in enumerate(snapshot.values(ref)):
        texts = [cell_text(v) for v in row]
        if any(texts):
            yield snapshot.where(ref, i), dict(zip(columns, texts + [""] * (len(columns) - len(texts)), strict=False))


def check_kind(snapshot: BookSnapshot, expected: str) -> None:
    kind = cell_text(snapshot.value(layout.KIND))
    if kind == expected:
        return
    if expected == layout.KIND_BLOC and kind == layout.KIND_FORM:
        message = ("Đây là phiếu chấm của một đơn vị, không phải sổ tổng hợp của khối. Dùng «tdkt merge SỔ_KHỐI "
                   "PHIẾU…» để gộp phiếu vào sổ tổng hợp.")
    elif expected == layout.KIND_FORM and kind == layout.KIND_BLOC:
        message = "Đây là sổ tổng hợp của khối, không phải phiếu chấm của đơn vị."
    else:
        message = ("Tệp không phải sổ chấm điểm do tdkt tạo (không có ô đánh dấu «tdkt_kind»). Tạo sổ bằng "
                   "«tdkt new» hoặc nhập điểm vào mẫu trong thư mục xlsx_templates.")
    raise InputError([error("WRONG_WORKBOOK", message, file=snapshot.label)])


def read_grid(snapshot: BookSnapshot, parts: dict[str, NameRef], problems: list[Problem]) -> tuple[str, Grid]:
    """Scorer code and grid positions of one scorer's sheet."""
    scorer = cell_text(snapshot.values(parts["scorer"])[0][0])
    codes = [cell_text(row[0]) for row in snapshot.values(parts["codes"])]
    units = [cell_text(v) for v in snapshot.values(parts["units"])[0]]
    grid = parts["grid"]
    rows: dict[str, int] = {}
    cols: dict[str, int] = {}
    for index, found, texts, ref, what in ((rows, rows, codes, parts["codes"], "Mã tiêu chí"),
                                           (cols, cols, units, parts["units"], "Mã đơn vị")):
        for k, text in enumerate(texts):
            if not text:
                continue
            if code_key(text) in found:
                cell = snapshot.where(ref, k, 0) if ref is parts["codes"] else snapshot.where(ref, 0, k)
                problems.append(error("DUPLICATE_CODE", f"{what} «{text}» xuất hiện hai lần trong phiếu chấm của "
                                      f"{scorer}. Không sửa các ô mã trong phiếu; dùng lại mẫu phiếu gốc.", **cell))
                continue
            index[code_key(text)] = k
    if grid.shape != (len(codes), len(units)):
        problems.append(error("BROKEN_LAYOUT", "Vùng điểm không khớp với cột mã tiêu chí / hàng mã đơn vị. "
                              "Không chèn hay xoá hàng, cột trong phiếu chấm.", **snapshot.where(grid)))
    problems += scorer_mismatch(snapshot, parts, scorer, units)
    problems += merged_problems(snapshot, [parts["grid"], parts["codes"], parts["units"]])
    labels = {code_key(u): u for u in units if u}
    return scorer, Grid(scorer, grid, rows, cols, parts.get("received"), labels)


SELF_MARK = "tu cham"     # the builder writes «Tự chấm» above the scorer's own column


def scorer_mismatch(snapshot: BookSnapshot, parts: dict[str, NameRef], scorer: str,
                    units: list[str]) -> list[Problem]:
    """A scorer cell changed to another unit (forms swapped between units) is refused.

    The builder marks the scorer's own column «Tự chấm» in the row just above the unit
    codes; that column's unit must be the one in the scorer cell.
    """
    ref = parts["units"]
    if ref.min_row < 2:
        return []
    marks = NameRef(ref.name, ref.sheet, ref.min_row - 1, ref.min_col, ref.min_row - 1, ref.max_col)
    own = [j for j, v in enumerate(snapshot.values(marks)[0]) if fold(cell_text(v)) == SELF_MARK]
    if len(own) != 1 or own[0] >= len(units) or not units[own[0]]:
        return []
    marked = units[own[0]]
    if code_key(marked) == code_key(scorer):
        return []
    return [error(
        "SCORER_MISMATCH",
        f"Ô «Đơn vị chấm» ghi «{scorer}» nhưng cột «Tự chấm» của phiếu là của {marked}: phiếu của {marked} đã bị "
        f"sửa ô đơn vị chấm hoặc gửi nhầm. Đề nghị {marked} và {scorer} mỗi đơn vị gửi đúng phiếu của mình "
        "(không sửa ô «Đơn vị chấm»).",
        scorer=scorer, **snapshot.where(parts["scorer"]))]


def merged_problems(snapshot: BookSnapshot, refs: list[NameRef]) -> list[Problem]:
    """Merged cells over a score grid, its codes column or units row are refused.

    Uses `snapshot.merged` (sheet → [(min_row, min_col, max_row, max_col)], 1-based) when the
    snapshot reader provides it; Excel keeps only the top-left value of a merge.
    """
    merged = getattr(snapshot, "merged", None) or {}
    found = []
    for ref in refs:
        for min_row, min_col, max_row, max_col in merged.get(ref.sheet, ()):
            if min_row > ref.max_row or max_row < ref.min_row or min_col > ref.max_col or max_col < ref.min_col:
                continue
            area = NameRef(ref.name, ref.sheet, min_row, min_col, max_row, max_col)
            span = f"{area.cell(0, 0)}:{area.cell(max_row - min_row, max_col - min_col)}"
            found.append(error(
                "MERGED_CELLS",
                f"Các ô {span} bị gộp (Merge Cells) trong vùng nhập điểm hoặc vùng mã: ô gộp chỉ giữ giá trị ô đầu. "
                "Bỏ gộp ô (Unmerge Cells) rồi nhập điểm vào từng ô.",
                file=snapshot.label, sheet=ref.sheet, cell=area.cell(0, 0)))
    return found


def grid_entries(snapshot: BookSnapshot, grid: Grid, table: ScoringTable, units: tuple[Unit, ...],
                 problems: list[Problem], blanks: bool = True) -> list[Entry]:
    """Every score cell of a grid as an Entry; formulas, error values and dates are refused.

    With `blanks` False, cells left blank (or refused) give no Entry: for Gộp phiếu, which only
    needs the bloc's scores already there; the problems are the same.
    """
    values = snapshot.values(grid.grid)
    columns = [(unit.code, j) for unit in units if (j := grid.cols.get(code_key(unit.code))) is not None]
    cell_where = snapshot.cell_where
    scorer = grid.scorer
    entries = []
    add = entries.append
    decimals: dict[float, Decimal] = {}     # one Decimal per distinct number: later steps cache by object
    for criterion in table.criteria:
        i = grid.rows.get(code_key(criterion.code))
        if i is None:
            problems.append(error("MISSING_CRITERION_ROW",
                                  f"Phiếu chấm của {grid.scorer} thiếu hàng tiêu chí {criterion.code}.",
                                  scorer=grid.scorer, criterion=criterion.code, **snapshot.where(grid.grid)))
            continue
        row = values[i] if i < len(values) else []
        if not blanks and row.count(None) == len(row):
            continue            # a blank row of a blank bloc: nothing to report, nothing to keep
        width = len(row)
        code = criterion.code
        for unit_code, j in columns:
            value = row[j] if j < width else None
            kind = type(value)
            if kind is float:
                number = decimals.get(value)
                if number is None:
                    number = Decimal(repr(value))
                    if value:           # 0.0 and -0.0 are equal keys but print differently
                        decimals[value] = number
                value = number
            elif value is None:
                if blanks:
                    add(Entry(scorer, unit_code, code, None, cell_where(grid.grid, i, j)))
                continue
            elif kind is not int:
                refusal = _refusal(value)
                if refusal is not None:
                    where = cell_where(grid.grid, i, j)
                    problems.append(error(refusal[0], refusal[1], scorer=scorer, unit=unit_code,
                                          criterion=code, **where))
                    # Kept as refused content: the sheet was sent, and the cell is not reported again as blank.
                    if blanks:
                        add(Entry(scorer, unit_code, code, REFUSED, where))
                    continue
            add(Entry(scorer, unit_code, code, value, cell_where(grid.grid, i, j)))
    unit_keys = {code_key(u.code) for u in units}
    for code, j in grid.cols.items():
        if code not in unit_keys:
            problems.append(error("UNKNOWN_UNIT", f"Cột đơn vị «{grid.labels.get(code, code)}» không có trong danh "
                                  "sách đơn vị của khối. Không sửa hàng mã đơn vị; dùng lại mẫu phiếu gốc.",
                                  **snapshot.where(grid.grid, 0, j)))
    return entries


def _refusal(value: object) -> tuple[str, str] | None:
    """Why a score cell's content can never be a score (code, message), or None."""
    if is_formula(value):
        return "FORMULA_IN_SCORE", "Ô điểm chứa công thức. Chỉ nhập số điểm (ví dụ 9,5)."
    if is_error_value(value):
        return "ERROR_VALUE", f"Ô điểm chứa giá trị lỗi {value}. Nhập lại số điểm."
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return "INVALID_NUMBER", "Ô điểm chứa ngày tháng, không phải số điểm. Nhập lại."
    return None


def read_bloc(snapshot: BookSnapshot, blanks: bool = True) -> BlocData:
    """Units, scoring table, scores and info of a bloc workbook, found through defined names.

    With `blanks` False, `entries` holds only the cells that have a score (see `grid_entries`).
    """
    check_kind(snapshot, layout.KIND_BLOC)
    problems: list[Problem] = []
    notes: list[Problem] = []
    parts: dict[str, object] = {}
    for key, parse, name, columns, what in (
        ("units", units_from_rows, layout.UNIT_TABLE, layout.UNIT_COLUMNS, "danh sách đơn vị"),
        ("table", table_from_rows, layout.CRITERIA_TABLE, layout.CRITERIA_COLUMNS, "bảng tiêu chí"),
    ):
        try:
            parts[key] = parse(_table_rows(snapshot, name, columns, what), notes)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    problems += notes
    units: tuple[Unit, ...] = parts["units"]  # type: ignore[assignment]
    table: ScoringTable = parts["table"]  # type: ignore[assignment]
    by_index: dict[int, dict[str, NameRef]] = {}
    for ref in snapshot.names.values():
        parsed = layout.parse_scorer_name(ref.name)
        if parsed:
            by_index.setdefault(parsed[0], {})[parsed[1]] = ref
    unit_keys = {code_key(u.code) for u in units}
    grids: dict[str, Grid] = {}
    entries: list[Entry] = []
    for index in sorted(by_index):
        names = by_index[index]
        missing = [p for p in ("scorer", "codes", "units", "grid") if p not in names]
        if missing:
            problems.append(error("MISSING_NAME", f"Phiếu số {index:02d} thiếu vùng tên {', '.join(missing)}.",
                                  file=snapshot.label))
            continue
        scorer, grid = read_grid(snapshot, names, problems)
        if code_key(scorer) not in unit_keys:
            problems.append(error("UNKNOWN_SCORER", f"Phiếu của «{scorer}»: đơn vị không có trong danh sách.",
                                  **snapshot.where(names["scorer"])))
            continue
        if code_key(scorer) in grids:
            problems.append(error("DUPLICATE_SHEET", f"Có hai trang phiếu chấm của đơn vị {scorer}.",
                                  **snapshot.where(names["scorer"])))
            continue
        grids[code_key(scorer)] = grid
        entries += grid_entries(snapshot, grid, table, units, problems, blanks)
    for unit in units:
        if code_key(unit.code) not in grids:
            problems.append(error("MISSING_SHEET", f"Sổ không có trang phiếu chấm cho đơn vị {unit.code}.",
                                  scorer=unit.code, file=snapshot.label))
    info = {
        "bloc": cell_text(snapshot.value(layout.BLOC)),
        "year": cell_text(snapshot.value(layout.YEAR)),
        "profile": cell_text(snapshot.value(layout.PROFILE)) or None,
        "leader": cell_text(snapshot.value(layout.LEADER)),
        "table_id": cell_text(snapshot.value(layout.TABLE_ID)),
    }
    return BlocData(snapshot, units, table, entries, grids, info, problems)



def form_table_rows(snapshot: BookSnapshot) -> list[tuple[dict[str, object], dict[str, str]]]:
    """The scoring-table columns a unit form shows, as (where, row) pairs for table_from_rows.

    The form lists code, title, maximum and signed coefficient in consecutive columns,
    starting at the named codes column; a negative coefficient marks a deduction.
    """
    codes = snapshot.ref(layout.form_name("codes"))
    assert codes is not None
    wide = NameRef(codes.name, codes.sheet, codes.min_row, codes.min_col, codes.max_row, codes.min_col + 3)
    rows = []
    for i, (code, title, maximum, coefficient) in enumerate(snapshot.values(wide)):
        if cell_text(code) == "":
            continue
        signed = cell_text(coefficient)
        kind = "section" if cell_text(maximum) == "" else ("deduction" if signed.startswith("-") else "normal")
        rows.append((snapshot.where(wide, i), {
            "criterion": cell_text(code), "title": cell_text(title), "max": cell_text(maximum), "kind": kind,
            "coefficient": signed.lstrip("-") if kind != "section" and not is_formula(coefficient) else "",
        }))
    return rows


def read_form_table(snapshot: BookSnapshot) -> tuple[tuple[Unit, ...], ScoringTable]:
    """Units and table of a stand-alone unit form (to check it before it reaches a bloc)."""
    units_ref = snapshot.ref(layout.form_name("units"))
    assert units_ref is not None
    units = tuple(Unit(cell_text(v)) for v in snapshot.values(units_ref)[0] if cell_text(v))
    return units, table_from_rows(form_table_rows(snapshot))
