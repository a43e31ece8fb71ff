"""The workbook contract: sheet titles, defined names and column orders.

tdkt finds everything it reads through workbook-scoped defined names, never through sheet
positions, so an officer may rename or reorder sheets. Builders and readers both use
these constants; docs/workbook.md describes them for people.
"""

from __future__ import annotations

import datetime as dt
import re

# Marker cell telling what a file is (value of the name KIND).
KIND = "tdkt_kind"
KIND_BLOC = "tdkt-bloc"
KIND_FORM = "tdkt-form"
FORMAT_VERSION = "tdkt_format"   # cell holding the layout version (int)
CURRENT_FORMAT = 1

# Default sheet titles (officers may rename them; names keep pointing at them).
SHEET_GUIDE = "Hướng dẫn"
SHEET_INFO = "Thông tin"
SHEET_UNITS = "Đơn vị"
SHEET_CRITERIA = "Tiêu chí"
SHEET_SUMMARY = "Tổng hợp"
SHEET_RANKING = "Xếp hạng"
SHEET_APPRAISAL = "Danh sách thẩm định"
SHEET_CHECK = "Kiểm tra"
SHEET_FORM = "Phiếu chấm"
SCORER_SHEET_PREFIX = "Phiếu "

# Single cells on Thông tin (bloc) — also present on the unit form for bloc/year.
BLOC = "tdkt_bloc"
YEAR = "tdkt_year"
LEADER = "tdkt_leader"
DEPUTY = "tdkt_deputy"
PROFILE = "tdkt_profile"
METHOD = "tdkt_method"
DEADLINE = "tdkt_deadline"
TABLE_ID = "tdkt_table_id"       # fingerprint of the scoring table (codes, maxima, kinds, coefficients)

# Tables (data rows only, no header) on Đơn vị and Tiêu chí.
UNIT_TABLE = "tdkt_unit_table"           # columns: UNIT_COLUMNS
CRITERIA_TABLE = "tdkt_criteria_table"   # columns: CRITERIA_COLUMNS
UNIT_COLUMNS = ("unit", "name", "eligible", "reason")
UNIT_HEADERS = ("Mã đơn vị", "Tên đơn vị", "Đủ điều kiện (1/0)", "Lý do (nếu không đủ điều kiện)")
CRITERIA_COLUMNS = ("criterion", "title", "max", "kind", "coefficient", "priority", "section", "disqualifying")
CRITERIA_HEADERS = (
    "Mã", "Nội dung tiêu chí", "Điểm tối đa", "Loại", "Hệ số", "Ưu tiên (1/0)", "Thuộc mục", "Loại trừ (1/0)",
)

# Public contract on Tổng hợp: workbook-scoped, static, single-column, same length, Đơn vị order.
UNITS = "tdkt_units"     # unit codes
SCORES = "tdkt_scores"   # formula scores (ROUND(..., 2))
RANKS = "tdkt_ranks"     # ranks written by Tính điểm, stored as values

# Output sheets written by Tính điểm: a name pointing at A1 of each.
OUT_RANKING = "tdkt_out_ranking"
OUT_APPRAISAL = "tdkt_out_appraisal"
OUT_CHECK = "tdkt_out_check"
OUT_VERIFY = "tdkt_out_verify"
SHEET_VERIFY = "Kiểm chứng"

# Score grids. On the bloc workbook one set per scorer, numbered 01..N in Đơn vị order:
#   tdkt_s01_scorer  cell with the scorer's unit code
#   tdkt_s01_codes   column of criterion/section codes, one per grid row
#   tdkt_s01_units   row of unit codes, one per grid column
#   tdkt_s01_grid    the score cells (rows × columns above); the only input cells
#   tdkt_s01_totals  row of T(s,u) formulas, one per grid column
#   tdkt_s01_received cell: when the scores arrived (written by gộp phiếu)
# On a unit form the same parts are named tdkt_form_scorer, tdkt_form_codes, ...
GRID_PARTS = ("scorer", "codes", "units", "grid", "totals", "received")
FORM_PREFIX = "tdkt_form_"
_SCORER_NAME = re.compile(r"^tdkt_s(\d{2,3})_(scorer|codes|units|grid|totals|received)$", re.IGNORECASE)


def scorer_name(index: int, part: str) -> str:
    """Defined name of a part of scorer number `index` (1-based) on the bloc workbook."""
    assert part in GRID_PARTS
    return f"tdkt_s{index:02d}_{part}"


def form_name(part: str) -> str:
    assert part in GRID_PARTS
    return f"{FORM_PREFIX}{part}"


def parse_scorer_name(name: str) -> tuple[int, str] | None:
    """(index, part) for a scorer grid name, else None."""
    match = _SCORER_NAME.match(name)
    return (int(match.group(1)), match.group(2).lower()) if match else None


_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def scorer_sheet_title(code: str) -> str:
    """`Phiếu <code>`, made legal for Excel (≤ 31 characters, no []:*?/\\)."""
    return (SCORER_SHEET_PREFIX + _BAD_SHEET_CHARS.sub("_", code))[:31]

# How tdkt writes a time stamp (Gộp phiếu's "received" cells, the output sheets' "computed at").
STAMP_FORMAT = "%d/%m/%Y %H:%M"


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)
