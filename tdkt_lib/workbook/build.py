"""Build the bloc workbook and the unit forms (phiếu chấm) from units, scoring table and profile.

The layout follows tdkt_lib.workbook.layout exactly; every cell tdkt reads later is reached
through a workbook-scoped defined name. Formulas are stored with `,` between arguments and
compute every total and score without Python, rounded like the engine (half away from zero).
Builds are deterministic: `save_workbook` writes the same bytes for the same inputs.

Regenerate the committed templates with `python -m tdkt_lib.workbook.build --regenerate`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from tdkt_lib.addin import help_text
from tdkt_lib.core.model import Criterion, Kind, ScoringTable, Section, Unit, code_key
from tdkt_lib.core.profile import Profile
from tdkt_lib.workbook import layout

# --- styles -----------------------------------------------------------------------------

FONT_NAME = "Times New Roman"
_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
BOLD = Font(name=FONT_NAME, size=12, bold=True)
NORMAL = Font(name=FONT_NAME, size=12)
SMALL = Font(name=FONT_NAME, size=9, italic=True, color="808080")
TITLE = Font(name=FONT_NAME, size=14, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")
SELF_FILL = PatternFill("solid", fgColor="FFF2CC")
TOTAL_FILL = PatternFill("solid", fgColor="E2EFDA")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
UNLOCKED = Protection(locked=False)
SCORE_FORMAT = "0.00"

MOTTO_1 = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"
KIND_WORDS = {Kind.NORMAL: "normal", Kind.BONUS: "bonus", Kind.DEDUCTION: "deduction"}
SECTION_KIND = "section"
DEADLINE_LABELS = {
    "score_tables": "Hạn gửi bảng chấm điểm (phiếu chấm) cho Trưởng khối",
    "reports": "Hạn gửi báo cáo tổng kết",
    "results": "Hạn gửi kết quả về Ban Thi đua - Khen thưởng",
    "conference": "Hội nghị bình xét, suy tôn",
}
# Which profile deadline the name tdkt_deadline holds (the first one the profile has).
DEADLINE_ORDER = ("score_tables", "results", "reports")
# Rounding of the formulas: ROUND(ROUND(x, 10), 2) removes binary noise before the 2-place rounding.
NOISE_PLACES = 10
# Cross-score sheets a unit needs under divide_by_received (as the engine's validation).
MIN_CROSS = {"mean": 1, "weighted": 1, "trimmed_cross": 3}


# --- canonical table --------------------------------------------------------------------


def _num(value: Decimal | None) -> str | None:
    """Canonical text of a number: 10 and 10.00 are the same."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


def table_id(table: ScoringTable) -> str:
    """Fingerprint of what makes totals comparable: codes, kinds, maxima, coefficients, sections.

    SHA-256 over a canonical JSON text, first 16 hex digits. Titles, priority and
    disqualifying flags do not change totals and are left out.
    """
    doc = {
        "criteria": [
            [code_key(c.code), c.kind.value, _num(c.maximum), _num(c.coefficient),
             code_key(c.section) if c.section else None]
            for c in table.criteria
        ],
        "sections": sorted(
            [code_key(s.code), _num(s.coefficient), code_key(s.parent) if s.parent else None]
            for s in table.sections
        ),
    }
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Row:
    """A row of the score sheet: a section heading or a criterion."""

    code: str
    title: str
    depth: int
    criterion: Criterion | None = None
    section: Section | None = None


def table_rows(table: ScoringTable) -> list[Row]:
    """Table order with each section heading just before its first criterion (parents first)."""
    rows: list[Row] = []
    shown: set[str] = set()

    def chain(code: str | None) -> list[Section]:
        out: list[Section] = []
        seen: set[str] = set()
        section = table.section(code)
        while section is not None and section.code not in seen:
            out.append(section)
            seen.add(section.code)
            section = table.section(section.parent)
        return out[::-1]

    for crit in table.criteria:
        sections = chain(crit.section)
        for depth, section in enumerate(sections):
            if section.code not in shown:
                shown.add(section.code)
                rows.append(Row(section.code, section.title, depth, section=section))
        rows.append(Row(crit.code, crit.title, len(sections), criterion=crit))
    return rows


def _number(value: Decimal | Fraction | int) -> int | float:
    """A cell value: int when whole, else the shortest float (what a typed number gives)."""
    if isinstance(value, int):
        return value
    value = Decimal(value) if isinstance(value, Decimal) else Decimal(value.numerator) / value.denominator
    return int(value) if value == value.to_integral_value() else float(value)


def signed_coefficient(table: ScoringTable, crit: Criterion) -> int | float:
    """coef × (+1 or −1 for deduction): the weight of the criterion's points in a total."""
    return _number(table.coefficient(crit) * crit.kind.sign)


# --- names and references ---------------------------------------------------------------


def ref(ws: Worksheet, first: str, last: str | None = None) -> str:
    """Absolute reference with the quoted sheet name: 'Phiếu SGTVT'!$E$30 or a range."""
    def absolute(cell: str) -> str:
        col = "".join(ch for ch in cell if ch.isalpha())
        return f"${col}${cell[len(col):]}"

    text = absolute(first) if last is None or last == first else f"{absolute(first)}:{absolute(last)}"
    return f"{quote_sheetname(ws.title)}!{text}"


def define(wb: Workbook, name: str, target: str) -> None:
    """A workbook-scoped defined name."""
    wb.defined_names[name] = DefinedName(name, attr_text=target)


def _cell(ws: Worksheet, row: int, col: int, value: object = None, font: Font = NORMAL,
          align: Alignment | None = None, fill: PatternFill | None = None, border: bool = False,
          fmt: str | None = None):
    cell = ws.cell(row, col, value)
    cell.font = font
    if align is not None:
        cell.alignment = align
    if fill is not None:
        cell.fill = fill
    if border:
        cell.border = BORDER
    if fmt is not None:
        cell.number_format = fmt
    return cell


def _a1(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


def _vn(value: Decimal) -> str:
    """9.5 → 9,5 ; 10 → 10 (for messages officers read)."""
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


# --- the score sheet (bloc scorer sheets and the unit form) -----------------------------

FIRST_COL_UNITS = 5    # A code, B title, C max, D signed coefficient, E.. units


@dataclass
class ScoreSheet:
    """Where the parts of a built score sheet are (for names and Tổng hợp formulas)."""

    ws: Worksheet
    scorer_cell: str
    received_cell: str
    units_row: int
    first_row: int
    last_row: int
    totals_row: int
    first_col: int
    last_col: int

    def totals_ref(self, index: int) -> str:
        """Reference to the total this scorer gave unit number `index` (0-based)."""
        return ref(self.ws, _a1(self.totals_row, self.first_col + index))


def write_score_sheet(
    ws: Worksheet,
    units: tuple[Unit, ...],
    table: ScoringTable,
    profile: Profile,
    scorer: Unit,
    *,
    bloc: object,
    year: object,
    deadline: str = "",
) -> ScoreSheet:
    """Lay out one scorer's sheet: header, criteria rows × unit columns, totals, signatures.

    `bloc` and `year` are values (unit form) or formulas referring to Thông tin (bloc workbook).
    """
    n = len(units)
    last_col = FIRST_COL_UNITS + n - 1
    ws.sheet_view.showGridLines = False
    for col, width in zip("ABCD", (9, 58, 9, 8), strict=True):
        ws.column_dimensions[col].width = width
    for i in range(n):
        ws.column_dimensions[get_column_letter(FIRST_COL_UNITS + i)].width = 11

    # National motto header and title (Nghị định 30/2020/NĐ-CP).
    for row, text in ((1, MOTTO_1), (2, MOTTO_2)):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
        _cell(ws, row, 1, text, BOLD, CENTER)
    title_year = year if isinstance(year, int) else None
    _cell(ws, 4, 1, f"PHIẾU CHẤM ĐIỂM THI ĐUA NĂM {title_year}" if title_year is not None
          else f'="PHIẾU CHẤM ĐIỂM THI ĐUA NĂM "&{year.lstrip("=")}', TITLE, CENTER)
    ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=last_col)

    # Identity block: who scores, which bloc and year, when the scores arrived.
    ident = [
        ("Đơn vị chấm:", scorer.code, scorer.name),
        ("Khối thi đua:", bloc, None),
        ("Năm:", year, None),
        ("Ngày gửi phiếu:", None, deadline),
    ]
    for offset, (label, value, note) in enumerate(ident):
        row = 6 + offset
        _cell(ws, row, 1, label, BOLD)
        _cell(ws, row, 2, value, BOLD, LEFT)
        if note:
            _cell(ws, row, 3, note, NORMAL)
    ws.cell(9, 2).number_format = "dd/mm/yyyy hh:mm"
    _cell(ws, 10, 1, "Nhập điểm vào các ô trắng. Ô trống là chưa chấm (khác điểm 0). Điểm trừ nhập số dương; "
          "cột «Hệ số (±)» mang dấu trừ. Tổng điểm tự tính khi chấm đủ mọi tiêu chí.", SMALL)
    ws.merge_cells(start_row=10, start_column=1, end_row=10, end_column=last_col)

    # Column headers: a row marking self/cross, then the unit codes (the *_units range).
    mark_row, units_row = 12, 13
    for col, label in enumerate(("Mã", "Nội dung tiêu chí", "Điểm tối đa", "Hệ số (±)"), start=1):
        ws.merge_cells(start_row=mark_row, start_column=col, end_row=units_row, end_column=col)
        _cell(ws, mark_row, col, label, BOLD, CENTER, HEADER_FILL, border=True)
        _cell(ws, units_row, col, None, BOLD, CENTER, HEADER_FILL, border=True)
    own = code_key(scorer.code)
    for i, unit in enumerate(units):
        col = FIRST_COL_UNITS + i
        mine = code_key(unit.code) == own
        _cell(ws, mark_row, col, "Tự chấm" if mine else "Chấm chéo", BOLD, CENTER,
              SELF_FILL if mine else HEADER_FILL, border=True)
        _cell(ws, units_row, col, unit.code, BOLD, CENTER, SELF_FILL if mine else HEADER_FILL, border=True)

    rows = table_rows(table)
    first_row = units_row + 1
    last_row = first_row + len(rows) - 1
    coef_col = 4
    for offset, item in enumerate(rows):
        row = first_row + offset
        indent = Alignment(horizontal="left", vertical="center", wrap_text=True, indent=item.depth)
        if item.criterion is None:
            _cell(ws, row, 1, item.code, BOLD, CENTER, SECTION_FILL, border=True)
            _cell(ws, row, 2, item.title, BOLD, indent, SECTION_FILL, border=True)
            for col in range(3, last_col + 1):
                _cell(ws, row, col, None, BOLD, CENTER, SECTION_FILL, border=True)
            continue
        crit = item.criterion
        label = item.title if crit.kind is Kind.NORMAL else f"{item.title} ({crit.kind.label.lower()})"
        _cell(ws, row, 1, crit.code, NORMAL, CENTER, border=True)
        _cell(ws, row, 2, label, NORMAL, indent, border=True)
        _cell(ws, row, 3, _number(crit.maximum), NORMAL, CENTER, border=True)
        _cell(ws, row, coef_col, signed_coefficient(table, crit), NORMAL, CENTER, border=True)
        for i, unit in enumerate(units):
            col = FIRST_COL_UNITS + i
            cell = _cell(ws, row, col, None, NORMAL, CENTER,
                         SELF_FILL if code_key(unit.code) == own else INPUT_FILL, border=True)
            cell.protection = UNLOCKED
        message = f"Điểm phải từ 0 đến {_vn(crit.maximum)} (tiêu chí {crit.code})."
        dv = DataValidation(
            type="decimal", operator="between", formula1="0", formula2=str(_number(crit.maximum)),
            allow_blank=True, showErrorMessage=True, errorStyle="stop",
            errorTitle="Điểm không hợp lệ", error=message,
            showInputMessage=True, promptTitle=f"Tiêu chí {crit.code}"[:32],
            prompt=f"Nhập điểm từ 0 đến {_vn(crit.maximum)}; để trống nếu chưa chấm."[:255],
        )
        dv.add(f"{_a1(row, FIRST_COL_UNITS)}:{_a1(row, last_col)}")
        ws.add_data_validation(dv)

    totals_row = last_row + 1
    criteria_count = len(table.criteria)
    _cell(ws, totals_row, 1, None, BOLD, CENTER, TOTAL_FILL, border=True)
    _cell(ws, totals_row, 2, "TỔNG ĐIỂM (Σ điểm × hệ số; trống khi chưa chấm đủ)", BOLD, LEFT,
          TOTAL_FILL, border=True)
    _cell(ws, totals_row, 3, _number(table.maximum_total()), BOLD, CENTER, TOTAL_FILL, border=True)
    _cell(ws, totals_row, 4, None, BOLD, CENTER, TOTAL_FILL, border=True)
    coefs = f"${get_column_letter(coef_col)}${first_row}:${get_column_letter(coef_col)}${last_row}"
    for i in range(n):
        letter = get_column_letter(FIRST_COL_UNITS + i)
        scores = f"${letter}${first_row}:${letter}${last_row}"
        formula = (
            f'=IF(SUMPRODUCT(ISNUMBER({scores})*ISNUMBER({coefs}))<{criteria_count},"",'
            f"SUMPRODUCT({scores},{coefs}))"
        )
        _cell(ws, totals_row, FIRST_COL_UNITS + i, formula, BOLD, CENTER, TOTAL_FILL, border=True,
              fmt="0.00##")

    # Signature block.
    sign_row = totals_row + 2
    left_span = (1, 2)
    right_start = max(3, last_col - 3)
    ws.merge_cells(start_row=sign_row, start_column=left_span[0], end_row=sign_row, end_column=left_span[1])
    _cell(ws, sign_row, 1, "NGƯỜI LẬP PHIẾU", BOLD, CENTER)
    ws.merge_cells(start_row=sign_row, start_column=right_start, end_row=sign_row, end_column=last_col)
    _cell(ws, sign_row, right_start, "THỦ TRƯỞNG ĐƠN VỊ", BOLD, CENTER)
    for col in (1, right_start):
        end = left_span[1] if col == 1 else last_col
        ws.merge_cells(start_row=sign_row + 1, start_column=col, end_row=sign_row + 1, end_column=end)
        _cell(ws, sign_row + 1, col, "(Ký, ghi rõ họ tên)" if col == 1 else "(Ký tên, đóng dấu)",
              Font(name=FONT_NAME, size=12, italic=True), CENTER)

    # Print: A4 landscape, one page wide, header rows repeated.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{mark_row}:{units_row}"
    ws.print_area = f"A1:{_a1(sign_row + 5, last_col)}"
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.print_options.horizontalCentered = True
    ws.freeze_panes = ws.cell(first_row, FIRST_COL_UNITS)
    ws.protection.sheet = True
    ws.protection.formatColumns = False   # officers may widen columns
    ws.protection.formatRows = False

    return ScoreSheet(ws, "B6", "B9", units_row, first_row, last_row, totals_row, FIRST_COL_UNITS, last_col)


def name_score_sheet(wb: Workbook, sheet: ScoreSheet, name_of) -> None:
    """Define the six grid names (scorer, codes, units, grid, totals, received) of a score sheet."""
    ws = sheet.ws
    first, last = sheet.first_col, sheet.last_col
    define(wb, name_of("scorer"), ref(ws, sheet.scorer_cell))
    define(wb, name_of("codes"), ref(ws, _a1(sheet.first_row, 1), _a1(sheet.last_row, 1)))
    define(wb, name_of("units"), ref(ws, _a1(sheet.units_row, first), _a1(sheet.units_row, last)))
    define(wb, name_of("grid"), ref(ws, _a1(sheet.first_row, first), _a1(sheet.last_row, last)))
    define(wb, name_of("totals"), ref(ws, _a1(sheet.totals_row, first), _a1(sheet.totals_row, last)))
    define(wb, name_of("received"), ref(ws, sheet.received_cell))


# --- bloc workbook sheets ----------------------------------------------------------------


def _deadline_date(profile: Profile, key: str, year: int) -> dt.datetime | None:
    day = profile.deadlines.get(key)
    if day is None:
        return None
    try:
        return dt.datetime(year, day.month, day.day)
    except ValueError:
        return None


def main_deadline(profile: Profile, year: int) -> tuple[str, dt.datetime | None]:
    """The deadline named tdkt_deadline: score tables, else results, else reports."""
    for key in DEADLINE_ORDER:
        when = _deadline_date(profile, key, year)
        if when is not None:
            return key, when
    return "", None


def _guide_lines(bloc: str, year: int, profile: Profile, n: int) -> Iterator[tuple[str, Font]]:
    yield f"HƯỚNG DẪN SỬ DỤNG SỔ CHẤM ĐIỂM THI ĐUA — {bloc.upper()} — NĂM {year}", TITLE
    yield "", NORMAL
    yield "Sổ này tự tính điểm: mọi tổng điểm và điểm của đơn vị là công thức Excel; không cần Python.", BOLD
    yield ("Mở bằng Excel hoặc LibreOffice, nhập điểm vào các trang «Phiếu …» là trang «Tổng hợp» tự cập "
           "nhật. Ô trống nghĩa là chưa chấm (khác 0): điểm của đơn vị để trống cho tới khi đủ phiếu."), NORMAL
    yield "", NORMAL
    yield "Các trang", BOLD
    yield "• Thông tin: tên khối, năm, Trưởng khối, Phó Trưởng khối, hồ sơ quy tắc, cách tính điểm, các hạn.", NORMAL
    yield "• Đơn vị: danh sách đơn vị của khối (mã, tên, đủ điều kiện khen thưởng hay không, lý do).", NORMAL
    yield ("• Tiêu chí: bảng điểm (mã, nội dung, điểm tối đa, loại normal/bonus/deduction/section, hệ số, ưu "
           "tiên, thuộc mục, loại trừ). Sửa được; sửa xong chạy «tdkt new --from» để lập lại sổ."), NORMAL
    yield (f"• Phiếu <mã đơn vị> ({n} trang): phiếu chấm của từng đơn vị; cột tô vàng là điểm tự chấm, "
           "các cột khác là điểm chấm chéo. Chỉ các ô điểm được nhập; điểm phải từ 0 đến điểm tối đa."), NORMAL
    yield (f"• Tổng hợp: tổng điểm từng đơn vị chấm, điểm tự chấm và điểm của đơn vị. "
           f"{profile.describe_method()}."), NORMAL
    yield "• Xếp hạng, Danh sách thẩm định, Kiểm tra: do lệnh «tdkt score» (Tính điểm) ghi.", NORMAL
    yield "", NORMAL
    yield "Quy trình", BOLD
    yield ("1. Trưởng khối lập sổ: tdkt new --units donvi.csv --criteria tieuchi.csv --profile <hồ sơ> "
           f"--bloc \"{bloc}\" --year {year} -o so-khoi.xlsx"), NORMAL
    yield "2. Lập phiếu cho từng đơn vị: tdkt new ... --form <MÃ ĐƠN VỊ> -o phieu-<MÃ>.xlsx, gửi cho đơn vị.", NORMAL
    yield ("3. Đơn vị tự chấm và chấm chéo trên phiếu, ký, gửi lại tệp .xlsx "
           "(hoặc CSV scorer,unit,criterion,points)."), NORMAL
    yield "4. Gộp phiếu: tdkt merge so-khoi.xlsx phieu-*.xlsx (sổ được sao lưu trước khi cập nhật).", NORMAL
    yield "5. Kiểm tra: tdkt check so-khoi.xlsx — liệt kê mọi lỗi (tệp, trang, ô) và đơn vị chưa gửi, gửi muộn.", NORMAL
    yield ("6. Tính điểm: tdkt score so-khoi.xlsx — ghi Xếp hạng, Danh sách thẩm định (nhất, nhì, ba), "
           "Kiểm tra và cột Hạng của Tổng hợp."), NORMAL
    yield "7. Năm sau: tdkt new --from so-khoi.xlsx -o so-khoi-nam-sau.xlsx (giữ đơn vị và bảng điểm).", NORMAL
    yield "", NORMAL
    yield "Lưu ý", BOLD
    yield ("• Có thể đổi tên hoặc đổi thứ tự các trang: tdkt tìm dữ liệu qua các tên (Formulas → Name Manager), "
           "không qua vị trí trang. Đừng xoá các tên bắt đầu bằng tdkt_."), NORMAL
    yield ("• Điểm làm tròn 2 chữ số thập phân, nửa xa số 0 (hàm ROUND), giống hệt chương trình tdkt. "
           "Excel tiếng Việt hiển thị dấu «;» giữa các đối số công thức."), NORMAL
    yield ("• Cột Hạng do Tính điểm ghi (theo chuỗi tiêu chí phân hạng của hồ sơ); bằng nhau hoàn toàn "
           "thì bỏ phiếu."), NORMAL
    yield "", NORMAL
    yield f"Thẻ «{help_text.TAB}» trong Excel (add-in tdkt, cài bằng «tdkt addin install»)", BOLD
    for label, text in help_text.BUTTONS:
        yield f"• {label}: {text}", NORMAL
    yield "Hàm dùng trong ô (dấu «;» hoặc «,» giữa các đối số tuỳ thiết lập vùng miền của Windows)", BOLD
    for name, text in help_text.FUNCTIONS:
        yield f"• {name}: {text}", NORMAL
    for note in help_text.NOTES:
        yield f"• {note}", NORMAL


def _write_guide(ws: Worksheet, bloc: str, year: int, profile: Profile, n: int) -> None:
    ws.column_dimensions["A"].width = 140
    ws.sheet_view.showGridLines = False
    for row, (text, font) in enumerate(_guide_lines(bloc, year, profile, n), start=1):
        _cell(ws, row, 1, text or None, font, Alignment(wrap_text=True, vertical="top"))


def _write_info(wb: Workbook, ws: Worksheet, *, bloc: str, year: int, leader: str, deputy: str,
                profile: Profile, tid: str) -> None:
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = 90
    _cell(ws, 1, 1, "THÔNG TIN KHỐI THI ĐUA", TITLE)
    key, when = main_deadline(profile, year)
    fixed: list[tuple[str, str | None, object, str | None]] = [
        ("Khối thi đua", layout.BLOC, bloc, None),
        ("Năm", layout.YEAR, year, "0"),
        ("Trưởng khối", layout.LEADER, leader or None, None),
        ("Phó Trưởng khối", layout.DEPUTY, deputy or None, None),
        ("Hồ sơ quy tắc", layout.PROFILE, profile.id, None),
        ("Tên hồ sơ quy tắc", None, profile.title, None),
        ("Văn bản", None, profile.source.get("document", "") or None, None),
        ("Cách tính điểm", layout.METHOD, profile.describe_method(), None),
        (f"{DEADLINE_LABELS.get(key, 'Hạn gửi phiếu chấm')} (để kiểm tra phiếu gửi muộn)", layout.DEADLINE,
         when, "dd/mm/yyyy"),
    ]
    for other in sorted(profile.deadlines):
        if other != key:
            when_other = _deadline_date(profile, other, year)
            fixed.append((DEADLINE_LABELS.get(other, f"Hạn {other}"), None, when_other, "dd/mm/yyyy"))
    if profile.appraisal[0] and profile.appraisal[1]:
        start, end = profile.appraisal
        fixed.append(("Thời gian thẩm định (nhất, nhì, ba)", None,
                      f"{start}/{year} – {end}/{year}", None))
    fixed += [
        ("Mã bảng điểm (kiểm tra phiếu cùng bảng điểm)", layout.TABLE_ID, tid, None),
        ("Loại tệp", layout.KIND, layout.KIND_BLOC, None),
        ("Phiên bản bố cục", layout.FORMAT_VERSION, layout.CURRENT_FORMAT, "0"),
    ]
    for offset, (label, name, value, fmt) in enumerate(fixed):
        row = 3 + offset
        _cell(ws, row, 1, label, BOLD, LEFT, HEADER_FILL, border=True)
        _cell(ws, row, 2, value, NORMAL, LEFT, border=True, fmt=fmt)
        if name:
            define(wb, name, ref(ws, f"B{row}"))


def _write_units(wb: Workbook, ws: Worksheet, units: tuple[Unit, ...]) -> None:
    for col, (header, width) in enumerate(zip(layout.UNIT_HEADERS, (14, 50, 18, 40), strict=True), start=1):
        _cell(ws, 1, col, header, BOLD, CENTER, HEADER_FILL, border=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    for row, unit in enumerate(units, start=2):
        for col, value in enumerate((unit.code, unit.name or None, 1 if unit.eligible else 0, unit.reason or None),
                                    start=1):
            _cell(ws, row, col, value, NORMAL, LEFT, border=True)
    define(wb, layout.UNIT_TABLE, ref(ws, "A2", _a1(len(units) + 1, len(layout.UNIT_COLUMNS))))
    ws.freeze_panes = "A2"


def criteria_table_rows(table: ScoringTable) -> list[tuple[object, ...]]:
    """Rows of the Tiêu chí sheet (CRITERIA_COLUMNS order); reading them back gives the same table."""
    out: list[tuple[object, ...]] = []
    rows = table_rows(table)
    listed = {r.code for r in rows if r.section is not None}
    extra = [Row(s.code, s.title, 0, section=s) for s in table.sections if s.code not in listed]
    for item in [*rows, *extra]:
        if item.section is not None:
            s = item.section
            out.append((s.code, s.title or None, None, SECTION_KIND,
                        _number(s.coefficient) if s.coefficient is not None else None, None, s.parent, None))
        else:
            c = item.criterion
            assert c is not None
            out.append((c.code, c.title or None, _number(c.maximum), KIND_WORDS[c.kind],
                        _number(c.coefficient) if c.coefficient is not None else None,
                        1 if c.priority else 0, c.section, 1 if c.disqualifying else 0))
    return out


def _write_criteria(wb: Workbook, ws: Worksheet, table: ScoringTable) -> None:
    widths = (10, 60, 12, 12, 8, 14, 12, 14)
    for col, (header, width) in enumerate(zip(layout.CRITERIA_HEADERS, widths, strict=True), start=1):
        _cell(ws, 1, col, header, BOLD, CENTER, HEADER_FILL, border=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    rows = criteria_table_rows(table)
    for row, values in enumerate(rows, start=2):
        section = values[3] == SECTION_KIND
        for col, value in enumerate(values, start=1):
            _cell(ws, row, col, value, BOLD if section else NORMAL, LEFT, SECTION_FILL if section else None,
                  border=True)
    last = len(rows) + 1
    define(wb, layout.CRITERIA_TABLE, ref(ws, "A2", _a1(last, len(layout.CRITERIA_COLUMNS))))
    kinds = DataValidation(type="list", formula1='"normal,bonus,deduction,section"', allow_blank=True,
                           showErrorMessage=True, errorStyle="warning", errorTitle="Loại tiêu chí",
                           error="Loại là normal (tiêu chí), bonus (điểm cộng), deduction (điểm trừ) "
                                 "hoặc section (mục).")
    kinds.add(f"D2:D{max(last, 2) + 100}")
    ws.add_data_validation(kinds)
    ws.freeze_panes = "A2"


def method_formula(profile: Profile, row_range: str, cross: list[str], self_cell: str, n: int) -> str:
    """The score of one unit from its row of totals T(s,u) on Tổng hợp, as profile.method says.

    Blank (not 0) while a needed total is missing. ROUND(ROUND(x,10),2) rounds half away
    from zero on the decimal value, not on the binary float's noise.
    """
    xs = ",".join(cross)

    def rounded(expr: str) -> str:
        return f"ROUND(ROUND({expr},{NOISE_PLACES}),2)"

    lenient = profile.missing_sheets == "divide_by_received"
    if lenient:
        need = MIN_CROSS.get(profile.method, 1)
        guard = f"OR(NOT(ISNUMBER({self_cell})),COUNT({xs})<{need})"
        count, cross_count = f"COUNT({row_range})", f"COUNT({xs})"
    else:
        guard = f"COUNT({row_range})<{n}"
        count, cross_count = str(n), str(n - 1)
    if profile.method == "weighted":
        w = profile.self_weight or Fraction(0)
        a, b = w.numerator, w.denominator
        expr = f"({a}*{cross_count}*{self_cell}+{b - a}*SUM({xs}))/({b}*{cross_count})"
    elif profile.method == "trimmed_cross":
        expr = f"(SUM({row_range})-MAX({xs})-MIN({xs}))/({count}-2)"
    else:
        expr = f"SUM({row_range})/{count}"
    return f'=IF({guard},"",{rounded(expr)})'


def _write_summary(wb: Workbook, ws: Worksheet, units: tuple[Unit, ...], sheets: list[ScoreSheet],
                   profile: Profile, year: int) -> None:
    n = len(units)
    first_scorer_col = 3
    last_scorer_col = first_scorer_col + n - 1
    self_col, count_col, score_col, rank_col = (last_scorer_col + k for k in (1, 2, 3, 4))
    header_row, first = 4, 5
    last = first + n - 1
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=rank_col)
    _cell(ws, 1, 1, f"TỔNG HỢP KẾT QUẢ CHẤM ĐIỂM THI ĐUA NĂM {year}", TITLE, CENTER)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=rank_col)
    _cell(ws, 2, 1, profile.describe_method() + ". Ô trống: chưa đủ phiếu (ô trống khác 0).", SMALL, CENTER)
    headers = ["Mã đơn vị", "Tên đơn vị", *(f"Do {u.code} chấm" for u in units),
               "Điểm tự chấm", "Số phiếu chấm chéo", "Điểm", "Hạng"]
    for col, text in enumerate(headers, start=1):
        _cell(ws, header_row, col, text, BOLD, CENTER, HEADER_FILL, border=True)
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 40
    for col in range(first_scorer_col, rank_col + 1):
        ws.column_dimensions[get_column_letter(col)].width = 11
    for i, unit in enumerate(units):
        row = first + i
        _cell(ws, row, 1, unit.code, BOLD, CENTER, border=True)
        _cell(ws, row, 2, unit.name or None, NORMAL, LEFT, border=True)
        for s, sheet in enumerate(sheets):
            _cell(ws, row, first_scorer_col + s, f"={sheet.totals_ref(i)}", NORMAL, CENTER,
                  SELF_FILL if s == i else None, border=True, fmt="0.00##")
        diag = first_scorer_col + i
        row_range = f"${get_column_letter(first_scorer_col)}${row}:${get_column_letter(last_scorer_col)}${row}"
        cross = []
        if diag > first_scorer_col:
            cross.append(f"${get_column_letter(first_scorer_col)}${row}:${get_column_letter(diag - 1)}${row}")
        if diag < last_scorer_col:
            cross.append(f"${get_column_letter(diag + 1)}${row}:${get_column_letter(last_scorer_col)}${row}")
        self_ref = f"${get_column_letter(self_col)}${row}"
        _cell(ws, row, self_col, f"=${get_column_letter(diag)}${row}", NORMAL, CENTER, border=True, fmt="0.00##")
        _cell(ws, row, count_col, f"=COUNT({','.join(cross)})", NORMAL, CENTER, border=True)
        _cell(ws, row, score_col, method_formula(profile, row_range, cross, self_ref, n), BOLD, CENTER,
              TOTAL_FILL, border=True, fmt=SCORE_FORMAT)
        _cell(ws, row, rank_col, None, BOLD, CENTER, border=True)

    def column(col: int) -> str:
        return ref(ws, _a1(first, col), _a1(last, col))

    define(wb, layout.UNITS, column(1))
    define(wb, layout.SCORES, column(score_col))
    define(wb, layout.RANKS, column(rank_col))
    ws.freeze_panes = ws.cell(first, 3)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"


def fixed_time(year: int) -> dt.datetime:
    """The timestamp stored in built files: 1 January of the bloc's year (deterministic builds)."""
    return dt.datetime(max(year, 1980), 1, 1)


def _new_workbook(year: int) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "tdkt"
    wb.properties.lastModifiedBy = "tdkt"
    wb.properties.created = wb.properties.modified = fixed_time(year)
    wb.calculation.fullCalcOnLoad = True
    return wb


def build_bloc_workbook(
    units: tuple[Unit, ...],
    table: ScoringTable,
    profile: Profile,
    *,
    bloc: str,
    year: int,
    leader: str = "",
    deputy: str = "",
) -> Workbook:
    """The bloc leader's workbook: guide, info, units, criteria, summary, outputs, one sheet per scorer."""
    wb = _new_workbook(year)
    tid = table_id(table)
    _write_guide(wb.create_sheet(layout.SHEET_GUIDE), bloc, year, profile, len(units))
    info = wb.create_sheet(layout.SHEET_INFO)
    _write_info(wb, info, bloc=bloc, year=year, leader=leader, deputy=deputy, profile=profile, tid=tid)
    _write_units(wb, wb.create_sheet(layout.SHEET_UNITS), units)
    _write_criteria(wb, wb.create_sheet(layout.SHEET_CRITERIA), table)
    summary = wb.create_sheet(layout.SHEET_SUMMARY)
    for title, name in ((layout.SHEET_RANKING, layout.OUT_RANKING), (layout.SHEET_APPRAISAL, layout.OUT_APPRAISAL),
                        (layout.SHEET_CHECK, layout.OUT_CHECK)):
        define(wb, name, ref(wb.create_sheet(title), "A1"))
    _, when = main_deadline(profile, year)
    deadline = f"Hạn gửi: {when:%d/%m/%Y}" if when else ""
    sheets = []
    for index, unit in enumerate(units, start=1):
        ws = wb.create_sheet(layout.scorer_sheet_title(unit.code))
        sheet = write_score_sheet(ws, units, table, profile, unit, bloc=f"={ref(info, 'B3')}",
                                  year=f"={ref(info, 'B4')}", deadline=deadline)
        name_score_sheet(wb, sheet, lambda part, i=index: layout.scorer_name(i, part))
        sheets.append(sheet)
    _write_summary(wb, summary, units, sheets, profile, year)
    summary.protection.sheet = True
    wb.active = wb.sheetnames.index(layout.SHEET_GUIDE)
    return wb


def build_unit_form(
    units: tuple[Unit, ...],
    table: ScoringTable,
    profile: Profile,
    scorer_code: str,
    *,
    bloc: str,
    year: int,
) -> Workbook:
    """One unit's form (phiếu chấm): its self-score column and a cross-score column per other unit."""
    matches = [u for u in units if code_key(u.code) == code_key(scorer_code)]
    if not matches:
        raise KeyError(scorer_code)
    scorer = matches[0]
    wb = _new_workbook(year)
    ws = wb.create_sheet(layout.SHEET_FORM)
    _, when = main_deadline(profile, year)
    deadline = f"Hạn gửi Trưởng khối: {when:%d/%m/%Y}" if when else ""
    sheet = write_score_sheet(ws, units, table, profile, scorer, bloc=bloc, year=year, deadline=deadline)
    name_score_sheet(wb, sheet, layout.form_name)
    ws[sheet.received_cell].protection = UNLOCKED   # the unit may write the date it sends
    define(wb, layout.BLOC, ref(ws, "B7"))
    define(wb, layout.YEAR, ref(ws, "B8"))
    # Identity of the file, below the print area (locked like every cell outside the grid).
    base = sheet.totals_row + 9
    for offset, (label, name, value) in enumerate((
        ("Mã bảng điểm:", layout.TABLE_ID, table_id(table)),
        ("Loại tệp:", layout.KIND, layout.KIND_FORM),
        ("Phiên bản bố cục:", layout.FORMAT_VERSION, layout.CURRENT_FORMAT),
    )):
        _cell(ws, base + offset, 1, label, SMALL)
        _cell(ws, base + offset, 2, value, SMALL, LEFT)
        define(wb, name, ref(ws, f"B{base + offset}"))
    return wb


# --- saving -----------------------------------------------------------------------------


class _FixedZip(zipfile.ZipFile):
    """A ZipFile whose members all carry one fixed timestamp (openpyxl would stamp 'now')."""

    fixed: tuple[int, int, int, int, int, int] = (1980, 1, 1, 0, 0, 0)

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):  # type: ignore[override]
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=self.fixed)
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):  # type: ignore[override]
        """openpyxl writes worksheets through temporary files: store them with the fixed time too."""
        with open(filename, "rb") as handle:
            data = handle.read()
        self.writestr(arcname or os.path.basename(filename), data)


def workbook_bytes(wb: Workbook) -> bytes:
    """The .xlsx bytes, deterministic: no 'now' in the zip entries or in docProps/core.xml."""
    import io

    buffer = io.BytesIO()
    archive = _FixedZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    when = wb.properties.modified or fixed_time(1980)
    archive.fixed = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    ExcelWriter(wb, archive).save()
    return buffer.getvalue()


def save_workbook(wb: Workbook, path: Path) -> None:
    """Write atomically: a temporary file in the same folder, then os.replace."""
    path = Path(path)
    data = workbook_bytes(wb)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".xlsx.tmp", dir=path.parent or ".")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- committed templates ----------------------------------------------------------------

TEMPLATE_PROFILES = ("hai-phong-2024", "thua-thien-hue-2020", "thua-thien-hue-2023", "lao-cai-2023")
TEMPLATE_BLOC = "Khối thi đua các cơ quan Quản lý kinh tế thành phố"
TEMPLATE_FORM_UNIT = "SGTVT"


def template_year(profile_id: str) -> int:
    """The year in the profile's id (hai-phong-2024 → 2024)."""
    tail = profile_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 2024


def template_files() -> dict[str, Workbook]:
    """File name → workbook for every committed template (example units and criteria)."""
    from tdkt_lib.adapters.csv_input import read_criteria, read_units
    from tdkt_lib.adapters.profiles import load_profile

    folder = example_dir()
    units, table = read_units(folder / "units.csv"), read_criteria(folder / "criteria.csv")
    files: dict[str, Workbook] = {}
    for pid in TEMPLATE_PROFILES:
        profile, year = load_profile(pid), template_year(pid)
        files[f"{pid}-so-khoi.xlsx"] = build_bloc_workbook(units, table, profile, bloc=TEMPLATE_BLOC, year=year)
        files[f"{pid}-phieu-{TEMPLATE_FORM_UNIT}.xlsx"] = build_unit_form(
            units, table, profile, TEMPLATE_FORM_UNIT, bloc=TEMPLATE_BLOC, year=year)
    return files


def example_dir() -> Path:
    """The built-in Hải Phòng example (units.csv, criteria.csv, scores.csv)."""
    from importlib import resources

    return Path(str(resources.files("tdkt_lib.examples") / "hai-phong-7"))


def templates_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "xlsx_templates"


def regenerate(folder: Path | None = None) -> list[Path]:
    """Rebuild every committed template into `folder` (default xlsx_templates/)."""
    folder = folder or templates_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, wb in template_files().items():
        save_workbook(wb, folder / name)
        written.append(folder / name)
    return written


def _main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Lập lại các mẫu Excel trong xlsx_templates/.")
    parser.add_argument("--regenerate", action="store_true", help="Ghi lại mọi mẫu")
    parser.add_argument("--out", type=Path, help="Thư mục đích (mặc định xlsx_templates/)")
    args = parser.parse_args(argv)
    if not args.regenerate:
        parser.print_help()
        return 2
    for path in regenerate(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
