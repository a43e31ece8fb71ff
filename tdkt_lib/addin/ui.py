"""Status bar, message boxes and the file dialog of the ribbon handlers (Vietnamese text).

Each helper degrades quietly where the engine lacks the feature: the remote engine has no
status bar and no file dialog, and records a message box as an `alert` action.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

TITLE = "Thi đua – Khen thưởng"
FORM_FILTER = "Phiếu chấm (*.xlsx;*.xlsm;*.csv),*.xlsx;*.xlsm;*.csv"

log = logging.getLogger(__name__)


def status(book: Any, text: str | bool) -> None:
    """Status-bar text; False gives the bar back to Excel. No-op where unsupported."""
    try:
        book.app.status_bar = text
    except Exception:
        log.debug("status bar unavailable", exc_info=True)


def alert(book: Any, text: str, mode: str = "info", buttons: str = "ok") -> str | None:
    """A message box; returns the button pressed ("ok", "yes", "no", …) or None when unknown."""
    try:
        return book.app.alert(text, title=TITLE, buttons=buttons, mode=mode)
    except Exception:
        log.debug("alert unavailable", exc_info=True)
        print(f"{TITLE}: {text}")
        return None


def screen_updating(book: Any, on: bool) -> None:
    """Turn Excel's screen updating off during a write (desktop Excel only)."""
    try:
        if book.app.engine.name != "remote":
            book.app.screen_updating = on
    except Exception:
        log.debug("screen updating unavailable", exc_info=True)


def ask_files(book: Any) -> list[Path] | None:
    """Excel's «Mở tệp» dialog (several files): the chosen paths, [] when cancelled,
    None when this Excel has no such dialog (remote engine, macOS)."""
    try:
        api = book.app.api
        chosen = api.GetOpenFilename(FileFilter=FORM_FILTER, FilterIndex=1,
                                     Title="Chọn các phiếu chấm của đơn vị cần gộp", MultiSelect=True)
    except Exception:
        log.debug("file dialog unavailable", exc_info=True)
        return None
    if chosen is False or chosen is None:
        return []
    if isinstance(chosen, str):
        return [Path(chosen)]
    return [Path(str(p)) for p in chosen]
