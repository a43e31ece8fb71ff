"""The fast reader (python-calamine + the sheet XML) gives the same answers as plain openpyxl,
and start-up stays light (no pandas for `tdkt --version` or the ribbon's start-up)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import lo
import openpyxl
import pytest
from test_workbook_lossless import officer_bloc

from tdkt_lib.core.problems import InputError
from tdkt_lib.workbook import layout
from tdkt_lib.workbook.actions import check_snapshot, score_file, score_snapshot
from tdkt_lib.workbook.merge import merge_files
from tdkt_lib.workbook.snapshot import BookSnapshot, read_snapshot

STAMP = "01/01/2025 08:00"


def edge_form(source: Path, target: Path) -> Path:
    """A unit form with what officers type by mistake: a formula, an error value, a date, a
    number stored as text, a shared formula (as Excel writes when filling down), blanks."""
    book = openpyxl.load_workbook(source)
    (title, ref), = book.defined_names[layout.form_name("grid")].destinations
    rows = book[title][ref]
    rows[0][0].value = "=1+1"
    rows[0][1].value = "#DIV/0!"
    rows[1][0].value = dt.datetime(2024, 3, 1)
    rows[1][0].number_format = "dd/mm/yyyy"
    rows[1][1].value = "9,5"
    rows[2][1].value = None
    rows[3][0].value = "  7.25 "
    first, second = rows[4][0].coordinate, rows[5][0].coordinate
    book.save(target)
    with zipfile.ZipFile(target) as archive:
        parts = {i.filename: archive.read(i.filename) for i in archive.infolist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    xml = parts[sheet].decode()
    xml = re.sub(rf'<c r="{first}"([^>]*?)(/>|>.*?</c>)',
                 rf'<c r="{first}"\1><f t="shared" ref="{first}:{second}" si="0">B1&amp;"x"</f><v>1</v></c>', xml,
                 count=1)
    xml = re.sub(rf'<c r="{second}"([^>]*?)(/>|>.*?</c>)', rf'<c r="{second}"\1><f t="shared" si="0"/><v>1</v></c>',
                 xml, count=1)
    parts[sheet] = xml.encode()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return target


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> list[Path]:
    """Every kind of workbook the tests use: blank, merged, scored, officer-edited, LibreOffice-saved,
    unit forms and a form full of mistakes."""
    folder = tmp_path_factory.mktemp("fastread")
    bloc, forms = officer_bloc(folder)
    merged, scored = folder / "merged.xlsx", folder / "scored.xlsx"
    merge_files(bloc, forms, merged)
    score_file(merged, scored)
    partial = folder / "partial.xlsx"
    merge_files(bloc, forms[:4], partial)
    (lo_scored,) = lo.recalculate([scored], folder / "lo")
    return [bloc, merged, scored, partial, lo_scored, *forms[:2], edge_form(forms[2], folder / "edge.xlsx")]


def comparable(snapshot: BookSnapshot) -> dict:
    values = {ref.name: snapshot.values(ref) for ref in snapshot.names.values() if ref.sheet in snapshot.sheets}
    typed = {k: [[(type(v).__name__, v) for v in row] for row in rows] for k, rows in values.items()}
    whole = {}
    for title, rows in snapshot.sheets.items():
        width = max((len(r) for r in rows), default=0)
        kept = [list(r) + [None] * (width - len(r)) for r in rows]
        while kept and all(v is None for v in kept[-1]):
            kept.pop()
        whole[title] = [[(type(v).__name__, v) for v in row] for row in kept]
    return {"names": snapshot.names, "bad": snapshot.bad_names, "values": typed, "sheets": whole}


def answers(snapshot: BookSnapshot) -> dict:
    """Every result cell tdkt derives from a workbook: problems, result document, write plan."""
    out: dict = {}
    try:
        out["check"] = [p.as_dict() for p in check_snapshot(snapshot, today=dt.date(2025, 1, 1))]
    except InputError as exc:
        out["check"] = ["refused", *[p.as_dict() for p in exc.problems]]
    try:
        _, doc, plan = score_snapshot(snapshot, stamp=STAMP)
        out["doc"] = doc
        out["plan"] = None if plan is None else ([s.rows for s in plan.sheets], plan.ranks)
    except InputError as exc:
        out["doc"] = ["refused", *[p.as_dict() for p in exc.problems]]
    return out


def test_fast_and_openpyxl_readers_give_identical_snapshots_and_results(workbooks):
    for path in workbooks:
        fast, plain = read_snapshot(path), read_snapshot(path, engine="openpyxl")
        assert comparable(fast) == comparable(plain), path.name
        assert answers(fast) == answers(plain), path.name


def test_the_edge_form_really_has_its_edge_cases(workbooks):
    form = read_snapshot(workbooks[-1])
    grid = form.ref(layout.form_name("grid"))
    values = form.values(grid)
    assert values[0][0] == "=1+1" and values[0][1] == "#DIV/0!"
    assert isinstance(values[1][0], dt.datetime) and values[1][1] == "9,5"
    assert values[4][0] == '=B1&"x"' and values[5][0] == '=B2&"x"'
    codes = {p["code"] for p in answers(form)["check"]}
    assert {"FORMULA_IN_SCORE", "ERROR_VALUE", "INVALID_NUMBER"} <= codes


def _modules_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    return set(run.stdout.split())


@pytest.mark.parametrize("code", [
    "from tdkt_lib.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass",
    "import tdkt_lib.addin.ribbon",
])
def test_start_up_does_not_import_heavy_libraries(code):
    loaded = _modules_after(code)
    assert not {"pandas", "numpy", "openpyxl", "python_calamine", "xlwings"} & loaded
