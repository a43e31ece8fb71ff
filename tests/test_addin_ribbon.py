"""The ribbon dispatcher: every id has a handler, every failure is a Vietnamese message."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tdkt_lib.addin import ribbon


class FakeApp:
    def __init__(self, status_bar_works: bool = True):
        self.alerts: list[tuple[str, str | None, str | None]] = []
        self.statuses: list[object] = []
        self._status_bar_works = status_bar_works

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self.alerts.append((prompt, title, mode))

    @property
    def status_bar(self):
        return False

    @status_bar.setter
    def status_bar(self, value):
        if not self._status_bar_works:  # as in xlwings' remote engine
            raise NotImplementedError("App.status_bar is not supported on this engine")
        self.statuses.append(value)


class FakeBook:
    def __init__(self, **kw):
        self.app = FakeApp(**kw)


def test_help_shows_a_vietnamese_message():
    book = FakeBook()
    assert ribbon.dispatch("tdkt_help", book) is True
    text, title, mode = book.app.alerts[-1]
    assert mode == "info"
    assert title == "Thi đua – Khen thưởng" and "Tính điểm" in text and "TDKT_DIEM" in text
    assert book.app.statuses[-1] is False


@pytest.mark.parametrize("control_id", [None, "", "tdkt_unknown"])
def test_unknown_button_is_explained(control_id):
    book = FakeBook()
    assert ribbon.dispatch(control_id, book) is False
    assert "chưa được gắn chức năng" in book.app.alerts[-1][0]


def test_workbook_buttons_run_the_handlers_with_the_book(monkeypatch):
    from tdkt_lib.addin import handlers

    seen = []
    for control_id in ribbon.WORKBOOK_BUTTONS:
        monkeypatch.setitem(handlers.HANDLERS, control_id,
                            lambda book, cid=control_id: seen.append((cid, book)) or handlers.Outcome(True, "Xong"))
    book = FakeBook()
    for control_id in ribbon.WORKBOOK_BUTTONS:
        assert ribbon.dispatch(control_id, book) is True
        assert seen[-1] == (control_id, book)


def test_a_refused_workbook_action_reports_failure(monkeypatch):
    from tdkt_lib.addin import handlers

    monkeypatch.setitem(handlers.HANDLERS, "tdkt_score", lambda book: handlers.Outcome(False, "Chưa xếp hạng"))
    assert ribbon.dispatch("tdkt_score", FakeBook()) is False


def test_ribbon_start_up_does_not_import_the_engine():
    code = ("import sys, tdkt_lib.addin.ribbon; "
            "print(sorted(m for m in ('pandas', 'numpy', 'openpyxl') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_crash_becomes_a_vietnamese_message(monkeypatch, capsys):
    def boom(book):
        raise KeyError("secret internal detail")

    monkeypatch.setitem(ribbon.HANDLERS, "tdkt_help", boom)
    monkeypatch.delenv("TDKT_DEBUG", raising=False)
    book = FakeBook()
    assert ribbon.dispatch("tdkt_help", book) is False
    text = book.app.alerts[-1][0]
    assert "lỗi nội bộ" in text and "Traceback" not in text and "secret" not in text
    assert "Traceback" not in capsys.readouterr().err


def test_input_errors_are_described(monkeypatch):
    from tdkt_lib.core.problems import InputError, error

    def refuse(book):
        raise InputError([error("MISSING_SCORE", "Thiếu điểm của đơn vị A.")])

    monkeypatch.setitem(ribbon.HANDLERS, "tdkt_help", refuse)
    book = FakeBook()
    assert ribbon.dispatch("tdkt_help", book) is False
    assert "Thiếu điểm của đơn vị A." in book.app.alerts[-1][0]


REMOTE_SCRIPT = """
import json
import xlwings as xw
from tdkt_lib.addin import ribbon
payload = {
    "client": "Office.js", "version": xw.__version__,
    "book": {"name": "khoi.xlsx", "active_sheet_index": 0, "selection": "A1"},
    "names": [], "sheets": [{"name": "Sheet1", "values": [["x"]], "pictures": [], "tables": []}],
}
book = xw.Book(json=payload)
ok = ribbon.dispatch("tdkt_help", book)
print(json.dumps({"ok": ok, "actions": book.json()["actions"]}))
"""


def test_help_through_the_xlwings_remote_engine():
    """The real xlwings engine (PRO remote interpreter, noncommercial key: tests only).

    xlwings registers the remote engine at import time only when the key is set, so this
    runs in a fresh interpreter.
    """
    env = {**os.environ, "XLWINGS_LICENSE_KEY": "noncommercial"}
    done = subprocess.run([sys.executable, "-c", REMOTE_SCRIPT], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["ok"] is True
    assert [a["func"] for a in result["actions"]] == ["alert"]
    prompt, title, buttons, mode, _ = result["actions"][0]["args"]
    assert title == "Thi đua – Khen thưởng" and "Tính điểm" in prompt and (buttons, mode) == ("ok", "info")
