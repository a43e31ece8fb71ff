"""What Tính điểm writes: the output sheets and the ranks, as a plan any writer can apply.

The plan is plain data (rows of values plus a little formatting), so the openpyxl writer
(command line) and the xlwings writer (ribbon) put exactly the same things in the book.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tdkt_lib.core.profile import STEP_LABELS
from tdkt_lib.report import unit_notes
from tdkt_lib.workbook import layout

MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
PLACE_WORDS = {1: "Nhất", 2: "Nhì", 3: "Ba"}
SEVERITY_WORDS = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Ghi chú"}


@dataclass
class SheetPlan:
    """An output sheet tdkt owns: replaced whole on every run."""

    name: str                      # defined name pointing at its A1
    title: str                     # sheet title when it has to be created
    rows: list[list[Any]]
    widths: list[float]
    header_row: int | None = None  # 1-based row of the table header (bold, repeated when printed)
    title_rows: list[int] = field(default_factory=list)   # 1-based rows merged across and centred
    number_columns: list[int] = field(default_factory=list)  # 1-based columns shown as 0.00
    landscape: bool = False


@dataclass
class WritePlan:
    sheets: list[SheetPlan]
    ranks: list[int | None]        # tdkt_ranks values, in Đơn vị order


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def ranking_sheet(doc: dict[str, Any], info: dict[str, Any], stamp: str) -> SheetPlan:
    rows: list[list[Any]] = [
        [f"KẾT QUẢ XẾP HẠNG THI ĐUA NĂM {info.get('year', '')} — {info.get('bloc', '')}".strip(" —")],
        [f"Cách tính: {doc['method']['description']}"],
        [f"Hồ sơ quy tắc: {doc['profile']['id']} — {doc['profile']['document']}"],
        [f"Thời điểm tính: {stamp}"],
        [],
        ["Hạng", "Mã đơn vị", "Tên đơn vị", "Điểm", "Hạng theo điểm (RANK.EQ)", "Tự chấm",
         "Chấm chéo trung bình", "Quyết định bởi", "Đủ điều kiện", "Ghi chú"],
    ]
    for unit in doc["units"]:
        notes = unit_notes(unit)
        rows.append([
            unit["rank"], unit["unit"], unit["name"], _decimal(unit["score"]), unit["score_rank"],
            _decimal(unit["self_total"]), _decimal(unit["cross_mean"]), STEP_LABELS[unit["decided_by"]],
            "Có" if unit["eligible"] else "Không", "; ".join(notes),
        ])
    rows.append([])
    for group in doc["needs_vote"]:
        rows.append([f"Cần bỏ phiếu: {', '.join(group)} bằng nhau ở mọi tiêu chí phân hạng."])
    rows.append([doc["rank_rule"]])
    return SheetPlan(layout.OUT_RANKING, layout.SHEET_RANKING, rows,
                     [7, 12, 40, 9, 12, 10, 12, 30, 10, 45], header_row=6, title_rows=[1],
                     number_columns=[4, 6, 7], landscape=True)


def appraisal_sheet(doc: dict[str, Any], info: dict[str, Any]) -> SheetPlan:
    by_code = {u["unit"]: u for u in doc["units"]}
    rows: list[list[Any]] = [
        [info.get("bloc", "").upper(), None, None, MOTTO[0]],
        [None, None, None, MOTTO[1]],
        [],
        ["DANH SÁCH ĐƠN VỊ ĐỀ NGHỊ THẨM ĐỊNH"],
        [f"Kết quả chấm điểm, xếp hạng thi đua năm {info.get('year', '')}"],
        [],
        ["STT", "Xếp thứ", "Mã đơn vị", "Tên đơn vị", "Điểm", "Ghi chú"],
    ]
    for i, code in enumerate(doc["top"], 1):
        unit = by_code[code]
        rank = unit["rank"]
        note = "Bằng điểm ở vị trí cuối danh sách, cần bình xét" if doc["top_tie"] and unit["needs_vote"] else ""
        rows.append([i, f"{PLACE_WORDS.get(i, str(i))} (hạng {rank} của khối)", code, unit["name"],
                     _decimal(unit["score"]), note])
    rows.append([])
    for skipped in doc.get("skipped", []):
        unit = by_code[skipped["unit"]]
        rows.append([None, f"Không đề nghị: {unit['unit']} — {unit['name']} (hạng {unit['rank']}, điểm "
                     f"{str(_decimal(unit['score'])).replace('.', ',')}): {skipped['reason']}"])
    if doc["top_tie"]:
        rows.append([None, "Lưu ý: có đơn vị bằng nhau ở vị trí cuối danh sách nên tất cả được đưa vào."])
    rows += [[], [None, None, None, None, "TRƯỞNG KHỐI"], [None, None, None, None, "(Ký, ghi rõ họ tên, đóng dấu)"],
             [], [], [None, None, None, None, info.get("leader", "")]]
    return SheetPlan(layout.OUT_APPRAISAL, layout.SHEET_APPRAISAL, rows, [6, 22, 12, 45, 10, 40],
                     header_row=7, title_rows=[4, 5], number_columns=[5], landscape=False)


def check_sheet(issues: list[dict[str, Any]], stamp: str) -> SheetPlan:
    rows: list[list[Any]] = [
        ["KẾT QUẢ KIỂM TRA DỮ LIỆU"],
        [f"Thời điểm kiểm tra: {stamp}"],
        [],
        ["Mức độ", "Mã", "Nội dung", "Tệp", "Trang tính", "Ô", "Đơn vị chấm", "Đơn vị được chấm", "Tiêu chí"],
    ]
    if not issues:
        rows.append(["", "", "Không có vấn đề nào."])
    for issue in issues:
        rows.append([SEVERITY_WORDS[issue["severity"]], issue["code"], issue["message"], issue.get("file"),
                     issue.get("sheet"), issue.get("cell"), issue.get("scorer"), issue.get("unit"),
                     issue.get("criterion")])
    return SheetPlan(layout.OUT_CHECK, layout.SHEET_CHECK, rows, [10, 22, 70, 20, 18, 8, 12, 14, 10],
                     header_row=4, title_rows=[1], landscape=True)


VERIFY_HEADER = ("Phần dữ liệu", "Dấu kiểm SHA-256")
PART_LABELS = {"all": "Toàn bộ", "units": "Danh sách đơn vị", "criteria": "Bảng tiêu chí",
               "profile": "Hồ sơ quy tắc và phương pháp"}


def part_label(part: str) -> str:
    """`scorer:SNN` → `Phiếu chấm của SNN`."""
    return PART_LABELS.get(part) or f"Phiếu chấm của {part.removeprefix('scorer:')}"


def verify_sheet(doc: dict[str, Any], parts: dict[str, str], stamp: str) -> SheetPlan:
    """The fingerprints `tdkt verify` checks, and the method they were computed with."""
    rows: list[list[Any]] = [
        ["KIỂM CHỨNG KẾT QUẢ"],
        [f"Thời điểm tính: {stamp}"],
        [f"Cách tính: {doc['method']['description']}"],
        ["Lệnh «tdkt verify» tính lại các dấu kiểm dưới đây và kết quả; nếu điểm, hạng hay danh sách thẩm định "
         "bị sửa sau khi tính điểm, lệnh sẽ chỉ ra chỗ bị sửa."],
        list(VERIFY_HEADER),
    ]
    rows += [[part_label(part), digest] for part, digest in parts.items()]
    return SheetPlan(layout.OUT_VERIFY, layout.SHEET_VERIFY, rows, [34, 70], header_row=5, title_rows=[1])


def plan_outputs(doc: dict[str, Any], info: dict[str, Any], unit_order: list[str], stamp: str,
                 parts: dict[str, str], notes: list[dict[str, Any]] | None = None) -> WritePlan:
    """The sheets and ranks Tính điểm writes for a ranked result document (and the notes)."""
    ranks = {u["unit"]: u["rank"] for u in doc["units"]}
    return WritePlan(
        [ranking_sheet(doc, info, stamp), appraisal_sheet(doc, info),
         check_sheet([*doc["issues"], *(notes or [])], stamp), verify_sheet(doc, parts, stamp)],
        [ranks.get(code) for code in unit_order],
    )
