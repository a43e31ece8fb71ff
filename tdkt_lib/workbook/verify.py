"""`tdkt verify`: was any score, rank or appraisal-list entry changed after Tính điểm?"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tdkt_lib.core.fingerprint import fingerprint_parts
from tdkt_lib.core.problems import Problem, error
from tdkt_lib.workbook import layout
from tdkt_lib.workbook.actions import bloc_profile, evaluate_bloc
from tdkt_lib.workbook.outputs import VERIFY_HEADER, part_label, plan_outputs
from tdkt_lib.workbook.reader import cell_text, read_bloc, same_value
from tdkt_lib.workbook.snapshot import BookSnapshot, NameRef, read_snapshot


def _sheet(snapshot: BookSnapshot, name: str) -> tuple[NameRef, list[list[Any]]] | None:
    ref = snapshot.ref(name)
    return (ref, snapshot.sheets.get(ref.sheet, [])) if ref else None


def _recorded_parts(rows: list[list[Any]]) -> dict[str, str]:
    header = next((i for i, row in enumerate(rows) if tuple(row[:2]) == VERIFY_HEADER), None)
    if header is None:
        return {}
    return {cell_text(row[0]): cell_text(row[1]) for row in rows[header + 1:] if len(row) > 1 and row[0]}


def _stamp(rows: list[list[Any]]) -> str:
    return next((cell_text(r[0]).removeprefix("Thời điểm tính: ") for r in rows
                 if r and cell_text(r[0]).startswith("Thời điểm tính: ")), "")


def verify_file(path: Path) -> list[Problem]:
    """Problems (empty when intact): changed inputs by part, changed output cells by address."""
    snapshot = read_snapshot(path)
    data = read_bloc(snapshot)
    label = snapshot.label
    verify = _sheet(snapshot, layout.OUT_VERIFY)
    recorded = _recorded_parts(verify[1]) if verify else {}
    if not recorded:
        return [error("NOT_SCORED", "Sổ chưa có dấu kiểm của lần tính điểm (trang Kiểm chứng). Chạy «tdkt score» "
                      "trước, rồi mới kiểm chứng.", file=label)]
    result = evaluate_bloc(data, bloc_profile(data))
    if not result.ranked:
        return [*result.blocking, error("TAMPERED_INPUT", "Dữ liệu hiện tại không còn xếp hạng được: sổ đã bị "
                                        "sửa sau khi tính điểm.", file=label)]
    parts = fingerprint_parts(result.scores, result.profile)
    changed = [p for p in parts if p != "all" and recorded.get(part_label(p)) != parts[p]]
    if changed:
        return [error("TAMPERED_INPUT", f"{part_label(p)} đã bị sửa sau khi tính điểm (dấu kiểm không khớp). "
                      "Tính điểm lại nếu việc sửa là đúng.", file=label,
                      sheet=_part_sheet(data, p)) for p in changed]
    doc = result.as_json()
    plan = plan_outputs(doc, data.info, [u.code for u in data.units], _stamp(verify[1]), parts,
                        [p.as_dict() for p in result.notes])
    problems: list[Problem] = []
    for sheet_plan in plan.sheets:
        found = _sheet(snapshot, sheet_plan.name)
        if found is None:
            problems.append(error("TAMPERED_OUTPUT", f"Trang «{sheet_plan.title}» của kết quả đã bị xoá.", file=label))
            continue
        ref, rows = found
        height = max(len(rows), len(sheet_plan.rows))
        for r in range(height):
            want = sheet_plan.rows[r] if r < len(sheet_plan.rows) else []
            have = rows[r] if r < len(rows) else []
            for c in range(max(len(want), len(have))):
                w = want[c] if c < len(want) else None
                h = have[c] if c < len(have) else None
                if not same_value(w, h):
                    cell = NameRef("", ref.sheet, 1, 1, 1, 1).cell(r, c)
                    problems.append(error(
                        "TAMPERED_OUTPUT", f"Ô đã bị sửa sau khi tính điểm: đang ghi «{cell_text(h)}», kết quả tính "
                        f"là «{cell_text(w)}».", file=label, sheet=ref.sheet, cell=cell))
    ranks = snapshot.ref(layout.RANKS)
    if ranks is not None:
        for i, (want, row) in enumerate(zip(plan.ranks, snapshot.values(ranks), strict=False)):
            if not same_value(want, row[0]):
                problems.append(error("TAMPERED_OUTPUT", f"Hạng đã bị sửa: đang ghi «{cell_text(row[0])}», hạng tính "
                                      f"được là {want}.", **snapshot.where(ranks, i)))
    return problems


def _part_sheet(data: Any, part: str) -> str | None:
    names = {"units": layout.UNIT_TABLE, "criteria": layout.CRITERIA_TABLE, "profile": layout.PROFILE}
    if part in names:
        ref = data.snapshot.ref(names[part])
        return ref.sheet if ref else None
    grid = data.grids.get(part.removeprefix("scorer:").casefold())
    return grid.grid.sheet if grid else None
