"""Ribbon dispatcher: one VBA callback hands the button id here; a table picks the handler.

Excel runs `import tdkt_lib.addin.ribbon as r; r.dispatch('<control id>')` through xlwings'
RunPython. Handlers take an `xw.Book` (`xw.Book.caller()` in Excel, `xw.Book(json=…)` in
the remote engine), read once, compute with the same functions as the CLI, write once.
Every message is Vietnamese; no Python traceback ever reaches the officer.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Callable
from typing import Any

TITLE = "Thi đua – Khen thưởng"


class NotAvailable(RuntimeError):
    """The button's function is not in this tdkt version; the message is Vietnamese."""

Handler = Callable[[Any], None]

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- messages


def status(book: Any, text: str | bool) -> None:
    """Status-bar text (False gives the bar back to Excel). Silently skipped where the
    engine has no status bar (xlwings' remote engine raises NotImplementedError)."""
    try:
        book.app.status_bar = text
    except Exception:
        log.debug("status bar unavailable", exc_info=True)


def alert(book: Any, text: str, mode: str = "info") -> None:
    """A message box (`App.alert`: MessageBoxW over COM, an `alert` action in the remote engine)."""
    try:
        book.app.alert(text, title=TITLE, buttons="ok", mode=mode)
    except Exception:
        log.debug("alert unavailable", exc_info=True)
        print(f"{TITLE}: {text}")


# --------------------------------------------------------------------------- handlers

HELP_TEXT = """Các nút trên thẻ «Thi đua – Khen thưởng»:

• Kiểm tra: soát sổ điểm của khối (ô trống, điểm vượt mức tối đa, thiếu phiếu chấm); kết quả ở trang «Kiểm tra».
• Gộp phiếu: chọn các tệp phiếu chấm của đơn vị để gộp vào sổ điểm.
• Tính điểm: tính điểm bình quân và xếp hạng theo hồ sơ quy tắc; kết quả ở trang «Xếp hạng».
• Danh sách thẩm định: lập danh sách đơn vị xếp thứ nhất, nhì, ba.
• Hoàn tác: trả sổ điểm về trạng thái trước lần bấm nút gần nhất.

Hàm dùng trong ô: TDKT_DIEM, TDKT_XEPHANG, TDKT_XEPLOAI, TDKT_TOP3
(xem trang «Hướng dẫn» của sổ điểm hoặc tài liệu docs/addin-functions.md).

Ô trống không phải điểm 0; điểm được làm tròn 2 chữ số theo kiểu ROUND của Excel."""


def show_help(book: Any) -> None:
    """Hướng dẫn: a message box with what each button and function does."""
    alert(book, HELP_TEXT)


# Button id → (Vietnamese label, name of the function in tdkt_lib.workbook.actions).
WORKBOOK_ACTIONS: dict[str, tuple[str, str]] = {
    "tdkt_check": ("Kiểm tra", "check"),
    "tdkt_merge": ("Gộp phiếu", "merge"),
    "tdkt_score": ("Tính điểm", "score"),
    "tdkt_appraisal": ("Danh sách thẩm định", "appraisal"),
    "tdkt_undo": ("Hoàn tác", "undo"),
}


def _workbook_action(control_id: str) -> Handler:
    label, name = WORKBOOK_ACTIONS[control_id]

    def handler(book: Any) -> None:
        try:
            from tdkt_lib.workbook import actions  # the workbook layer, imported only when clicked
        except ImportError:
            actions = None
        action = getattr(actions, name, None)
        if action is None:
            raise NotAvailable(f"Chức năng «{label}» chưa có trong phiên bản tdkt này. "
                               "Hãy cập nhật tdkt rồi cài lại add-in (tdkt addin install).")
        status(book, f"tdkt: đang thực hiện «{label}»…")
        try:
            outcome = action(book)
        finally:
            status(book, False)
        message = getattr(outcome, "message", outcome)
        if isinstance(message, str) and message:
            alert(book, message, mode="info" if getattr(outcome, "ok", True) else "critical")

    handler.__doc__ = f"{label}: tdkt_lib.workbook.actions.{name}(book)."
    handler.__name__ = f"handle_{name}"
    return handler


HANDLERS: dict[str, Handler] = {
    **{control_id: _workbook_action(control_id) for control_id in WORKBOOK_ACTIONS},
    "tdkt_help": show_help,
}


# --------------------------------------------------------------------------- dispatch


def _caller() -> Any:
    import xlwings as xw

    return xw.Book.caller()


def dispatch(control_id: str | None, book: Any = None) -> bool:
    """Run the handler of a ribbon button; True when it finished without error.

    `book` defaults to `xw.Book.caller()` (the workbook Excel is showing).
    """
    try:
        book = book if book is not None else _caller()
    except Exception:
        print(f"{TITLE}: không kết nối được với Excel. Hãy mở sổ điểm rồi bấm lại nút.")
        return False
    handler = HANDLERS.get(control_id or "")
    if handler is None:
        shown = control_id or "(không hợp lệ)"
        alert(book, f"Nút «{shown}» chưa được gắn chức năng trong tdkt. "
                    "Hãy cập nhật tdkt rồi dựng lại add-in.", mode="critical")
        return False
    try:
        handler(book)
        return True
    except Exception as exc:
        alert(book, explain(exc), mode="critical")
        if os.environ.get("TDKT_DEBUG"):
            traceback.print_exc()
        return False
    finally:
        status(book, False)


def explain(exc: BaseException) -> str:
    """A Vietnamese sentence for an error raised by a handler."""
    from tdkt_lib.core.problems import InputError
    from tdkt_lib.core.profile import ProfileError

    if isinstance(exc, NotAvailable):
        return str(exc)
    if isinstance(exc, InputError):
        from tdkt_lib.report import describe_issue

        lines = [describe_issue(p.as_dict()) for p in exc.problems[:15]]
        more = len(exc.problems) - len(lines)
        if more > 0:
            lines.append(f"… và {more} lỗi khác.")
        return "Dữ liệu chưa dùng được:\n" + "\n".join(lines)
    if isinstance(exc, ProfileError):
        return f"Hồ sơ quy tắc không dùng được: {exc}"
    if isinstance(exc, PermissionError):
        return "Không ghi được tệp: tệp đang mở ở chương trình khác hoặc không có quyền ghi."
    return ("tdkt gặp lỗi nội bộ và đã dừng. Nếu sổ điểm đã bị thay đổi, hãy bấm «Hoàn tác». "
            "Đặt biến môi trường TDKT_DEBUG=1, bấm lại nút và gửi nội dung hiện ra cho bộ phận kỹ thuật.")
