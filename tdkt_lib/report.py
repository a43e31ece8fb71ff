"""Render a result document (the JSON contract) as a readable Vietnamese table."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tdkt_lib.core.numbers import format_vn
from tdkt_lib.core.profile import SHORT_STEP_LABELS


def unit_notes(unit: dict[str, Any]) -> list[str]:
    """What to say beside a unit's place: eligibility, award, classification (a needed vote is
    already its «decided by»)."""
    notes = []
    if not unit["eligible"]:
        notes.append(f"Không đủ điều kiện: {unit['reason']}")
    if unit.get("award"):
        notes.append(f"Đề nghị: {unit['award']}")
    if unit.get("classification"):
        notes.append(f"Xếp loại: {unit['classification']}")
    return notes


def _cell(text: object, width: int) -> str:
    value = str(text)
    return value[: width - 1] + "…" if len(value) > width else value.ljust(width)


def render_ranking(doc: dict[str, Any]) -> str:
    lines = []
    profile = doc["profile"]
    lines.append(f"Hồ sơ quy tắc: {profile['id']} — {profile['document']}")
    lines.append(f"Cách tính: {doc['method']['description']}")
    if not doc["ranked"]:
        lines.append("CHƯA XẾP HẠNG: dữ liệu còn lỗi (xem danh sách bên dưới).")
    else:
        lines.append("")
        header = (f"{'Hạng':<5}{'Mã':<10}{'Tên đơn vị':<44}{'Điểm':>8}  {'RANK.EQ':<8}{'Quyết định bởi':<16}"
                  "Ghi chú")
        lines += [header, "-" * len(header)]
        for row in doc["units"]:
            notes = unit_notes(row)
            score = format_vn(Decimal(str(row["score"])))
            lines.append(
                f"{row['rank']:<5}{_cell(row['unit'], 10)}{_cell(row['name'], 44)}{score:>8}  "
                f"{row['score_rank']:<8}{_cell(SHORT_STEP_LABELS[row['decided_by']], 16)}{'; '.join(notes)}"
            )
        lines.append("")
        scores = {r["unit"]: r for r in doc["units"]}
        top = ", ".join(
            f"{i}. {code} ({format_vn(Decimal(str(scores[code]['score'])))})"
            for i, code in enumerate(doc["top"], 1)
        )
        lines.append(f"Danh sách thẩm định: {top}")
        if doc["top_tie"]:
            lines.append("  Lưu ý: có đơn vị bằng điểm ở vị trí cuối danh sách, tất cả được đưa vào.")
        for item in doc.get("skipped", []):
            lines.append(f"  Bỏ qua {item['unit']} (hạng {scores[item['unit']]['rank']}): {item['reason']}")
        for group in doc["needs_vote"]:
            lines.append(f"Cần bỏ phiếu: {', '.join(group)} (cùng hạng {scores[group[0]]['rank']})")
        vote = doc.get("vote")
        if vote and vote.get("reached") is not None:
            state = "ĐẠT" if vote["reached"] else "CHƯA ĐẠT"
            lines.append(
                f"Suy tôn: {vote['unit']} được {vote['votes']}/{vote['voters']} phiếu, ngưỡng "
                f"{vote['threshold']} (cần {vote['required']}): {state}"
            )
        lines.append("")
        lines.append(doc["rank_rule"])
    if doc["issues"]:
        lines.append("")
        lines.append("Vấn đề phát hiện:")
        lines += [f"  - {describe_issue(i)}" for i in doc["issues"]]
    return "\n".join(lines)


def describe_issue(issue: dict[str, Any]) -> str:
    label = {"error": "LỖI", "warning": "CẢNH BÁO", "info": "GHI CHÚ"}[issue["severity"]]
    where = []
    for key, text in (("file", "tệp"), ("sheet", "trang tính"), ("cell", "ô"), ("line", "dòng")):
        if issue.get(key) is not None:
            where.append(f"{text} {issue[key]}")
    prefix = f"[{label}] " + (", ".join(where) + ": " if where else "")
    return prefix + issue["message"]
