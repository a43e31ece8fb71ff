"""The ribbon's workbook actions: Kiểm tra, Gộp phiếu, Tính điểm, Danh sách thẩm định, Hoàn tác.

Each handler takes an `xw.Book` (`xw.Book.caller()` in Excel, `xw.Book(json=…)` in the remote
engine), reads it once (snapshot_from_book), calls the same functions as the CLI
(tdkt_lib.workbook.actions and .merge), saves an undo record, writes once (apply_plan), and tells the
officer what happened in Vietnamese. A handler never raises: every error becomes a message.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tdkt_lib.adapters import xlwings_book as xb
from tdkt_lib.addin import ui, undo
from tdkt_lib.core.problems import InputError, Problem, error

log = logging.getLogger(__name__)

MAX_LINES = 12


@dataclass
class Outcome:
    """What a handler did: ok is False when it refused or failed; message was shown."""

    ok: bool
    message: str


class Refused(Exception):
    """The action cannot run; the message is Vietnamese and shown as is."""


def describe_problems(problems: list[Problem] | list[dict[str, Any]], limit: int = MAX_LINES) -> list[str]:
    """One Vietnamese line per problem (file, sheet, cell first), at most `limit`, then how many more."""
    from tdkt_lib.report import describe_issue

    issues = [p.as_dict() if isinstance(p, Problem) else p for p in problems]
    lines = [describe_issue(i) for i in issues[:limit]]
    if len(issues) > limit:
        lines.append(f"… và {len(issues) - limit} vấn đề khác (bấm «Kiểm tra» để xem đủ).")
    return lines


def explain_input(exc: InputError, label: str) -> str:
    """Vietnamese text for a workbook the action cannot use (foreign, unit form, broken)."""
    lines = [f"Không thực hiện được «{label}»:", *describe_problems(exc.problems)]
    if any(p.code in ("WRONG_WORKBOOK", "MISSING_NAME") for p in exc.problems):
        lines.append("")
        lines.append("Hãy mở sổ tổng hợp của khối (tệp do tdkt tạo, có trang «Tổng hợp» và các trang «Phiếu …») "
                     "rồi bấm lại nút. Phiếu chấm của đơn vị được đưa vào sổ bằng nút «Gộp phiếu».")
    return "\n".join(lines)


@contextmanager
def _running(book: Any, label: str, outcome: list[Outcome]) -> Iterator[None]:
    """Status bar while running; every exception turned into a Vietnamese message box."""
    from tdkt_lib.core.profile import ProfileError

    ui.status(book, f"tdkt: đang thực hiện «{label}»…")
    try:
        yield
    except Refused as exc:
        outcome.append(Outcome(False, str(exc)))
    except InputError as exc:
        outcome.append(Outcome(False, explain_input(exc, label)))
    except ProfileError as exc:
        outcome.append(Outcome(False, f"Không thực hiện được «{label}»: hồ sơ quy tắc không dùng được ({exc})."))
    except Exception:
        log.exception("handler %s failed", label)
        if os.environ.get("TDKT_DEBUG"):
            traceback.print_exc()
        outcome.append(Outcome(False, f"tdkt gặp lỗi nội bộ khi «{label}» và đã dừng. Nếu sổ đã bị thay đổi, "
                                      "bấm «Hoàn tác». Đặt biến môi trường TDKT_DEBUG=1, bấm lại nút và gửi nội "
                                      "dung hiện ra cho bộ phận kỹ thuật."))
    finally:
        ui.screen_updating(book, True)
        ui.status(book, False)
    if not outcome:
        outcome.append(Outcome(False, f"«{label}» không hoàn tất."))
    result = outcome[0]
    ui.alert(book, result.message, mode="info" if result.ok else "critical")


def _run(book: Any, label: str, body: Callable[[], Outcome]) -> Outcome:
    outcome: list[Outcome] = []
    with _running(book, label, outcome):
        outcome.append(body())
    return outcome[0]


def _stamp() -> str:
    from tdkt_lib.workbook.layout import STAMP_FORMAT, now

    return now().strftime(STAMP_FORMAT)


def _activate(book: Any, title: str) -> None:
    try:
        book.sheets[title].activate()
    except Exception:
        log.debug("activate failed", exc_info=True)


# --------------------------------------------------------------------------- Tính điểm


def _score(book: Any) -> tuple[Any, Any, Any, Any]:
    """Read once and compute exactly as `tdkt score`: (snapshot, result, doc, plan)."""
    from tdkt_lib.workbook.actions import score_snapshot

    snapshot = xb.snapshot_from_book(book)
    result, doc, plan = score_snapshot(snapshot)
    if plan is None:
        blocking = [i for i in doc["issues"] if i["severity"] == "error"]
        raise Refused("\n".join([
            f"Chưa xếp hạng: dữ liệu còn {len(blocking)} lỗi phải sửa. Sổ không bị thay đổi.",
            *describe_problems(blocking),
            "Bấm «Kiểm tra» để xem danh sách đầy đủ trên trang «Kiểm tra».",
        ]))
    return snapshot, result, doc, plan


def _ranks_ref(snapshot: Any, count: int) -> Any:
    from tdkt_lib.workbook import layout
    from tdkt_lib.workbook.snapshot import NameRef

    ranks = snapshot.ref(layout.RANKS)
    if ranks is None:
        raise InputError([error("MISSING_NAME", f"Sổ thiếu vùng tên «{layout.RANKS}» trên trang Tổng hợp.",
                                file=snapshot.label)])
    return NameRef(ranks.name, ranks.sheet, ranks.min_row, ranks.min_col, ranks.min_row + count - 1, ranks.min_col)


def _points(score: object) -> str:
    """96.0 → «96,00» (two decimals, Vietnamese comma)."""
    from decimal import Decimal

    return "—" if score is None else f"{Decimal(str(score)):.2f}".replace(".", ",")


def _summary(doc: dict[str, Any], titles: list[str]) -> str:
    from tdkt_lib.workbook.outputs import PLACE_WORDS

    by_code = {u["unit"]: u for u in doc["units"]}
    lines = [f"Đã tính điểm và xếp hạng {len(doc['units'])} đơn vị."]
    for i, code in enumerate(doc["top"], 1):
        unit = by_code[code]
        lines.append(f"  {PLACE_WORDS.get(i, str(i))}: {code} — {unit['name']} ({_points(unit['score'])} điểm)")
    for group in doc["needs_vote"]:
        lines.append(f"Cần bỏ phiếu: {', '.join(group)} bằng nhau ở mọi tiêu chí phân hạng.")
    warnings = sum(1 for i in doc["issues"] if i["severity"] != "error")
    if warnings:
        lines.append(f"Có {warnings} cảnh báo/ghi chú: xem trang «Kiểm tra».")
    sheets = ", ".join(f"«{t}»" for t in titles)
    lines.append(f"Kết quả ở các trang {sheets} và cột tdkt_ranks. Bấm «Hoàn tác» để trả sổ về như trước.")
    return "\n".join(lines)


def handle_score(book: Any) -> Outcome:
    """Tính điểm: the same ranks and sheets as `tdkt score`; nothing written when data is blocking."""
    label = "Tính điểm"

    def body() -> Outcome:
        snapshot, _result, doc, plan = _score(book)
        ranks = _ranks_ref(snapshot, len(plan.ranks))
        stamp = _stamp()
        record = undo.capture(book, label, stamp, outputs=[s.name for s in plan.sheets], snapshot=snapshot,
                              blocks=[(ranks.sheet, ranks.min_row, ranks.min_col, snapshot.values(ranks))])
        ui.status(book, "tdkt: đang ghi kết quả…")
        ui.screen_updating(book, False)
        undo.save(book, record)
        titles = xb.apply_plan(book, plan, ranks)
        _activate(book, titles[0])
        return Outcome(True, _summary(doc, titles))

    return _run(book, label, body)


def handle_appraisal(book: Any) -> Outcome:
    """Danh sách thẩm định: compute as Tính điểm, write and show only that sheet."""
    from tdkt_lib.workbook import layout

    label = "Danh sách thẩm định"

    def body() -> Outcome:
        snapshot, _result, doc, plan = _score(book)
        record = undo.capture(book, label, _stamp(), outputs=[layout.OUT_APPRAISAL], snapshot=snapshot)
        ui.screen_updating(book, False)
        undo.save(book, record)
        titles = xb.apply_plan(book, plan, None, sheets=[layout.OUT_APPRAISAL])
        _activate(book, titles[0])
        top = ", ".join(doc["top"]) or "(không có)"
        note = " Có đơn vị bằng điểm ở vị trí cuối danh sách: cần bình xét." if doc["top_tie"] else ""
        return Outcome(True, f"Đã lập danh sách thẩm định trên trang «{titles[0]}»: {top}.{note}")

    return _run(book, label, body)


# --------------------------------------------------------------------------- Kiểm tra


def handle_check(book: Any) -> Outcome:
    """Kiểm tra: every problem of the open bloc (or unit form) on the «Kiểm tra» sheet."""
    from tdkt_lib.workbook import layout
    from tdkt_lib.workbook.actions import check_snapshot
    from tdkt_lib.workbook.outputs import WritePlan, check_sheet

    label = "Kiểm tra"

    def body() -> Outcome:
        snapshot = xb.snapshot_from_book(book)
        problems = check_snapshot(snapshot)
        stamp = _stamp()
        plan = WritePlan([check_sheet([p.as_dict() for p in problems], stamp)], [])
        record = undo.capture(book, label, stamp, outputs=[layout.OUT_CHECK], snapshot=snapshot)
        ui.screen_updating(book, False)
        undo.save(book, record)
        titles = xb.apply_plan(book, plan, None)
        _activate(book, titles[0])
        blocking = sum(p.blocking for p in problems)
        if not problems:
            return Outcome(True, "Không có vấn đề nào: có thể bấm «Tính điểm».")
        text = (f"Có {len(problems)} vấn đề, trong đó {blocking} lỗi phải sửa trước khi tính điểm."
                if blocking else f"Có {len(problems)} cảnh báo/ghi chú, không có lỗi: có thể bấm «Tính điểm».")
        return Outcome(blocking == 0, f"{text} Xem chi tiết trên trang «{titles[0]}».")

    return _run(book, label, body)


# --------------------------------------------------------------------------- Gộp phiếu


def handle_merge(book: Any, paths: list[Path] | None = None) -> Outcome:
    """Gộp phiếu: unit forms chosen in Excel's dialog (or `paths`) into the open bloc's grids."""
    from tdkt_lib.core.model import code_key
    from tdkt_lib.workbook.merge import merged_value, plan_merge
    from tdkt_lib.workbook.reader import read_bloc

    label = "Gộp phiếu"

    def body() -> Outcome:
        snapshot = xb.snapshot_from_book(book)
        data = read_bloc(snapshot)
        sources = paths if paths is not None else ui.ask_files(book)
        if sources is None:
            raise Refused("Excel này không có hộp chọn tệp cho tdkt (chỉ có trên Excel cho Windows). "
                          "Dùng lệnh «tdkt merge SỔ_KHỐI PHIẾU…» để gộp phiếu.")
        if not sources:
            return Outcome(True, "Chưa chọn phiếu nào: sổ không thay đổi.")
        plan = plan_merge(data, sources)
        conflicts = [p for p in plan.problems if p.blocking]
        if conflicts and all(p.code == "CONFLICT" for p in conflicts):
            answer = ui.alert(book, f"{len(conflicts)} ô đã có điểm khác với phiếu mới:\n"
                              + "\n".join(describe_problems(conflicts, 8))
                              + "\n\nThay bằng điểm của phiếu mới?", mode="critical", buttons="yes_no")
            if answer == "yes":
                plan = plan_merge(data, sources, replace=True)
        if plan.blocking:
            raise Refused("\n".join(["Chưa gộp: các phiếu còn lỗi dưới đây; sổ không bị thay đổi.",
                                     *describe_problems([p for p in plan.problems if p.blocking])]))
        stamp = _stamp()
        cells: dict[tuple[str, int, int], Any] = {}
        old: dict[tuple[str, int, int], Any] = {}
        touched = set()
        for entry, _previous in plan.changes:
            grid = data.grids[code_key(entry.scorer)]
            i, j = grid.rows[code_key(entry.criterion)], grid.cols[code_key(entry.unit)]
            key = (grid.grid.sheet, grid.grid.min_row + i, grid.grid.min_col + j)
            cells[key] = merged_value(entry.value)
            old[key] = snapshot.values(grid.grid)[i][j]
            touched.add(code_key(entry.scorer))
        for scorer in touched:
            received = data.grids[scorer].received
            if received is not None:
                key = (received.sheet, received.min_row, received.min_col)
                cells[key] = stamp
                old[key] = snapshot.values(received)[0][0]
        record = undo.capture(book, label, stamp, cells=[(*k, v) for k, v in old.items()])
        ui.screen_updating(book, False)
        undo.save(book, record)
        xb.write_cells(book, [(*k, v) for k, v in cells.items()])
        warnings = [p for p in plan.problems if not p.blocking]
        lines = [f"Đã gộp phiếu của {len(plan.merged)} đơn vị: {', '.join(sorted(plan.merged))}; "
                 f"{len(plan.changes)} ô điểm được ghi."]
        if warnings:
            lines += ["Lưu ý:", *describe_problems(warnings, 6)]
        lines.append("Bấm «Kiểm tra» rồi «Tính điểm». Bấm «Hoàn tác» để bỏ lần gộp này.")
        return Outcome(True, "\n".join(lines))

    return _run(book, label, body)


# --------------------------------------------------------------------------- Hoàn tác


def handle_undo(book: Any) -> Outcome:
    """Hoàn tác: restore the values and sheets as they were before the last tdkt write."""
    label = "Hoàn tác"

    def body() -> Outcome:
        record = undo.load(book)
        if record is None:
            return Outcome(False, "Không có thao tác nào của tdkt để hoàn tác trong sổ này.")
        if not xb.is_remote(book):
            answer = ui.alert(book, f"Trả sổ về trạng thái trước «{record.action}» lúc {record.stamp}?",
                              buttons="yes_no")
            if answer == "no":
                return Outcome(True, "Đã huỷ: sổ không thay đổi.")
        ui.screen_updating(book, False)
        undo.restore(book, record)
        return Outcome(True, f"Đã hoàn tác «{record.action}» ({record.stamp}): sổ đã trở về như trước.")

    return _run(book, label, body)


Handler = Callable[[Any], Outcome]

HANDLERS: dict[str, Handler] = {
    "tdkt_check": handle_check,
    "tdkt_merge": handle_merge,
    "tdkt_score": handle_score,
    "tdkt_appraisal": handle_appraisal,
    "tdkt_undo": handle_undo,
}
