"""Ribbon dispatcher: one VBA callback hands the button id here; a table picks the handler.

Excel runs `import tdkt_lib.addin.ribbon as r; r.dispatch('<control id>')` through xlwings'
RunPython. Handlers take an `xw.Book` (`xw.Book.caller()` in Excel, `xw.Book(json=…)` in
the remote engine), read once, compute with the same functions as the CLI, write once.
Every message is Vietnamese; no Python traceback ever reaches the officer.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from typing import Any

from tdkt_lib.addin.help_text import help_text
from tdkt_lib.addin.ui import TITLE, alert, status

Handler = Callable[[Any], object]


# --------------------------------------------------------------------------- handlers




def show_help(book: Any) -> None:
    """Hướng dẫn: a message box with what each button and function does."""
    alert(book, help_text())


WORKBOOK_BUTTONS = ("tdkt_check", "tdkt_merge", "tdkt_score", "tdkt_appraisal", "tdkt_undo")


def _workbook_handler(control_id: str) -> Handler:
    """A button of tdkt_lib.addin.handlers, imported when clicked (start-up stays light)."""

    def handler(book: Any) -> object:
        from tdkt_lib.addin.handlers import HANDLERS as WORKBOOK_HANDLERS

        return WORKBOOK_HANDLERS[control_id](book)

    handler.__name__ = f"handle_{control_id}"
    return handler


HANDLERS: dict[str, Handler] = {
    **{control_id: _workbook_handler(control_id) for control_id in WORKBOOK_BUTTONS},
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
        return bool(getattr(handler(book), "ok", True))
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

    if isinstance(exc, InputError):
        from tdkt_lib.addin.handlers import describe_problems

        return "\n".join(["Dữ liệu chưa dùng được:", *describe_problems(exc.problems)])
    if isinstance(exc, ProfileError):
        return f"Hồ sơ quy tắc không dùng được: {exc}"
    if isinstance(exc, PermissionError):
        return "Không ghi được tệp: tệp đang mở ở chương trình khác hoặc không có quyền ghi."
    return ("tdkt gặp lỗi nội bộ và đã dừng. Nếu sổ điểm đã bị thay đổi, hãy bấm «Hoàn tác». "
            "Đặt biến môi trường TDKT_DEBUG=1, bấm lại nút và gửi nội dung hiện ra cho bộ phận kỹ thuật.")
