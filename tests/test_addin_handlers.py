"""The handlers' own code needs no xlwings licence key: a tiny fake book stands in for Excel.

FakeBook implements the few xlwings calls the handlers use (names, sheets, 2-D range reads and
writes, sheets.add, names.add, app.alert/status_bar) on top of an openpyxl workbook, the way
Excel's COM engine would. The handlers then give the same ranks as `tdkt score` — in a process
where XLWINGS_LICENSE_KEY is unset and xlwings' PRO code is never imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest

from tdkt_lib.adapters.xlwings_book import cell_out, snapshot_from_book
from tdkt_lib.addin.handlers import HANDLERS
from tdkt_lib.addin.simulate import excel_value
from tdkt_lib.workbook import layout
from tdkt_lib.workbook.demo import run_demo
from tdkt_lib.workbook.snapshot import read_snapshot

ROOT = Path(__file__).resolve().parents[1]


class FakeRange:
    def __init__(self, sheet: FakeSheet, first: tuple[int, int], last: tuple[int, int] | None = None):
        self.sheet, self.first, self.last = sheet, first, last or first
        self.font = SimpleNamespace()

    def options(self, **_: Any) -> FakeRange:
        return self

    @property
    def value(self) -> list[list[Any]]:
        (r0, c0), (r1, c1) = self.first, self.last
        ws = self.sheet.ws
        return [[ws.cell(r, c).value for c in range(c0, c1 + 1)] for r in range(r0, r1 + 1)]

    @value.setter
    def value(self, rows: list[list[Any]]) -> None:
        r0, c0 = self.first
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                self.sheet.ws.cell(r0 + i, c0 + j).value = excel_value(v)   # as Excel stores typed text

    @property
    def last_cell(self) -> SimpleNamespace:
        return SimpleNamespace(row=self.last[0], column=self.last[1])

    def merge(self) -> None:
        pass


class FakeSheet:
    def __init__(self, ws: Any):
        self.ws = ws
        self.visible = True

    @property
    def name(self) -> str:
        return self.ws.title

    def range(self, first: tuple[int, int], last: tuple[int, int] | None = None) -> FakeRange:
        return FakeRange(self, first, last)

    @property
    def used_range(self) -> FakeRange:
        return FakeRange(self, (1, 1), (max(self.ws.max_row, 1), max(self.ws.max_column, 1)))

    def clear(self) -> None:
        self.ws._cells.clear()

    def delete(self) -> None:
        self.ws.parent.remove(self.ws)

    def activate(self) -> None:
        self.ws.parent.active = self.ws.parent.worksheets.index(self.ws)


class FakeSheets:
    def __init__(self, wb: Any):
        self.wb = wb

    def __iter__(self):
        return (FakeSheet(ws) for ws in self.wb.worksheets)

    def __len__(self) -> int:
        return len(self.wb.worksheets)

    def __getitem__(self, key: str | int) -> FakeSheet:
        return FakeSheet(self.wb.worksheets[key] if isinstance(key, int) else self.wb[key])

    def add(self, name: str, after: FakeSheet | None = None) -> FakeSheet:
        return FakeSheet(self.wb.create_sheet(name))


class FakeName:
    def __init__(self, wb: Any, name: str):
        self.wb, self.name = wb, name

    @property
    def refers_to(self) -> str:
        return "=" + self.wb.defined_names[self.name].attr_text

    @refers_to.setter
    def refers_to(self, value: str) -> None:
        self.wb.defined_names[self.name].attr_text = value.lstrip("=")

    def delete(self) -> None:
        del self.wb.defined_names[self.name]


class FakeNames:
    def __init__(self, wb: Any):
        self.wb = wb

    def __iter__(self):
        return (FakeName(self.wb, n) for n in list(self.wb.defined_names))

    def __getitem__(self, name: str) -> FakeName:
        if name not in self.wb.defined_names:
            raise KeyError(name)
        return FakeName(self.wb, name)

    def add(self, name: str, refers_to: str) -> None:
        from openpyxl.workbook.defined_name import DefinedName

        self.wb.defined_names[name] = DefinedName(name, attr_text=refers_to.lstrip("="))


class FakeApp:
    engine = SimpleNamespace(name="fake")

    def __init__(self):
        self.messages: list[str] = []
        self.status_bar: str | bool = False
        self.screen_updating = True
        self.display_alerts = True

    def alert(self, text: str, title: str = "", buttons: str = "ok", mode: str | None = None) -> str:
        self.messages.append(text)
        return "yes" if buttons == "yes_no" else "ok"


class FakeBook:
    """An open workbook as the handlers see it through xlwings (COM-like, no licence)."""

    def __init__(self, path: Path):
        self.wb = openpyxl.load_workbook(path)
        self.name = path.name
        self.app = FakeApp()
        self.sheets = FakeSheets(self.wb)
        self.names = FakeNames(self.wb)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return run_demo(tmp_path_factory.mktemp("demo")).bloc


def column(wb: Any, name: str) -> list[Any]:
    (title, area), = wb.defined_names[name].destinations
    return [row[0].value for row in wb[title][area.replace("$", "")]]


def test_snapshot_from_book_equals_read_snapshot(demo):
    mine, theirs = snapshot_from_book(FakeBook(demo)), read_snapshot(demo)
    assert mine.names == theirs.names
    for name, ref in theirs.names.items():
        if name.startswith("tdkt_") and not name.startswith("tdkt_out_"):
            assert mine.values(ref) == theirs.values(ref), name


def test_fake_book_score_and_undo(demo, tmp_path, tdkt):
    cli_out = tmp_path / "cli.xlsx"
    assert tdkt("score", demo, "-o", cli_out).code == 0
    book = FakeBook(demo)
    before = [list(r) for r in book.wb[layout.SHEET_RANKING].iter_rows(values_only=True)]
    outcome = HANDLERS["tdkt_score"](book)
    assert outcome.ok and book.app.messages[-1].startswith("Đã tính điểm")
    assert column(book.wb, layout.RANKS) == column(openpyxl.load_workbook(cli_out), layout.RANKS)
    assert book.app.status_bar is False and book.app.screen_updating is True
    assert HANDLERS["tdkt_undo"](book).ok
    after = [list(r) for r in book.wb[layout.SHEET_RANKING].iter_rows(values_only=True)]
    assert [r for r in after if any(v is not None for v in r)] == [r for r in before if any(v is not None for v in r)]


def test_handler_errors_become_vietnamese_messages(tmp_path):
    foreign = tmp_path / "khac.xlsx"
    openpyxl.Workbook().save(foreign)
    book = FakeBook(foreign)
    for control_id, handler in HANDLERS.items():
        outcome = handler(book) if control_id != "tdkt_merge" else handler(book, paths=[])
        assert not outcome.ok
        assert book.app.messages[-1] == outcome.message and "Traceback" not in outcome.message


def test_risky_text_keeps_its_value():
    for text in ("01", "=1+1", "12/03/2024 10:00", "TRUE", "-5", "1e3", "'quoted", "9,5"):
        assert excel_value(cell_out(text)) == text
    assert excel_value(cell_out(9.5)) == 9.5 and cell_out("") is None


def test_handlers_and_cli_run_without_licence_key(demo, tmp_path):
    """Separate process, XLWINGS_LICENSE_KEY unset: the CLI and the handlers' own code both work,
    and xlwings' PRO engine is never imported."""
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        sys.path.insert(0, {str(ROOT / "tests")!r})
        import os
        assert "XLWINGS_LICENSE_KEY" not in os.environ
        from tdkt_lib.cli import main
        assert main(["score", {str(demo)!r}, "-o", {str(tmp_path / "cli.xlsx")!r}]) == 0
        from test_addin_handlers import FakeBook
        from tdkt_lib.addin.handlers import HANDLERS
        book = FakeBook(Path({str(demo)!r}))
        for button in ("tdkt_check", "tdkt_score", "tdkt_appraisal", "tdkt_undo"):
            assert HANDLERS[button](book).ok, (button, book.app.messages[-1])
        assert not any(m.startswith("xlwings.pro") for m in sys.modules), "PRO code imported"
        print("ok")
    """)
    env = {k: v for k, v in os.environ.items() if k != "XLWINGS_LICENSE_KEY"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")
