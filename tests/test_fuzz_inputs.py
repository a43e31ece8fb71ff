"""Fuzzing: mutated forms, bloc workbooks and CSV files through the real CLI (in-process).

Every case must end with exit 0 and a correct result, or exit 2 with a message — never exit 1
(internal error), a traceback, a hang or a changed input. When a mutation keeps the data valid,
the ranking must equal a recomputation from the same data through the CSV path.

Mutations work on bytes in memory (workbooks are built once); the number of cases run is
counted and printed at the end of the pytest run (see conftest.pytest_terminal_summary).
TDKT_FUZZ_SCALE (default 1) multiplies every budget.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import random
import shutil
import tempfile
import time
import unicodedata
import warnings
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path

import hostile
from hostile import Cell, names_of, rezip, unzip, with_cells
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from tdkt_lib.cli import main
from tdkt_lib.workbook import layout

SCALE = float(os.environ.get("TDKT_FUZZ_SCALE", "1"))
PROFILE = "hai-phong-2024"
TIME_LIMIT = 10.0   # seconds per CLI run: anything slower is a hang


def budget(n: int) -> settings:
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck), print_blob=True)


# --- running the CLI ---------------------------------------------------------------------------

@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def doc(self) -> dict:
        return json.loads(self.out)


def cli(*args: object) -> Run:
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:      # argparse
            code = int(exc.code or 0)
    elapsed = time.monotonic() - start
    run = Run(code, out.getvalue(), err.getvalue())
    assert elapsed < TIME_LIMIT, (args, elapsed)
    assert run.code in (0, 2), (args, run.code, run.err)
    assert "Traceback" not in run.err and "Traceback" not in run.out, run.err
    if run.code == 2:
        assert run.err.strip() or run.out.strip(), "refused without a message"
    return run


def case() -> None:
    """Count one fuzz case (reported in the terminal summary)."""
    now = time.monotonic()
    hostile.FUZZ.setdefault("first", now)
    hostile.FUZZ["last"] = now
    hostile.FUZZ["cases"] += 1


@contextlib.contextmanager
def files(**contents: bytes):
    """Write the inputs (name__ext=bytes) to a fresh folder, yield their paths by name; on exit assert they
    are byte-identical, then remove them."""
    folder = Path(tempfile.mkdtemp(prefix="tdkt-fuzz-"))
    paths = {}
    try:
        for name, data in contents.items():
            path = folder / name.replace("__", ".")
            path.write_bytes(data)
            paths[name.split("__")[0]] = path
        yield folder, paths
        for name, data in contents.items():
            assert paths[name.split("__")[0]].read_bytes() == data, f"{name} changed"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- the data, once ---------------------------------------------------------------------------

@dataclass
class Base:
    units: list[list[str]]
    criteria: list[list[str]]
    scores: list[list[str]]
    maxima: dict[str, Decimal]
    values: dict[tuple[str, str, str], str]
    unit_codes: list[str]
    bloc: bytes = b""
    blank: bytes = b""
    forms: dict[str, bytes] = field(default_factory=dict)
    # sheet, A1, scorer, criterion (None on a section row), unit
    grid_cells: list[tuple[str, str, str, str | None, str]] = field(default_factory=list)
    form_cells: list[tuple[str, str, str | None, str]] = field(default_factory=list)       # sheet, A1, crit, unit
    baseline: dict = field(default_factory=dict)


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(path.open(encoding="utf-8")))


def csv_bytes(rows: list[list[str]], delimiter: str = ",", bom: bool = False, crlf: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


@cache
def base() -> Base:
    from tdkt_lib.adapters.csv_input import read_criteria, read_units
    from tdkt_lib.adapters.profiles import load_profile
    from tdkt_lib.workbook.build import build_bloc_workbook, workbook_bytes
    from tdkt_lib.workbook.demo import DEMO_BLOC, DEMO_YEAR, example_dir, run_demo

    source = example_dir()
    units, criteria, scores = (_rows(source / f"{n}.csv") for n in ("units", "criteria", "scores"))
    header = criteria[0]
    maxima = {row[0]: Decimal(row[header.index("max")]) for row in criteria[1:]}
    values = {(r[0], r[1], r[2]): r[3] for r in scores[1:]}
    b = Base(units, criteria, scores, maxima, values, [r[0] for r in units[1:]])
    folder = Path(tempfile.mkdtemp(prefix="tdkt-fuzz-base-"))
    try:
        demo = run_demo(folder / "demo")
        b.bloc = demo.bloc.read_bytes()
        b.forms = {p.stem.removeprefix("phieu-"): p.read_bytes() for p in demo.forms}
        b.blank = workbook_bytes(build_bloc_workbook(read_units(source / "units.csv"),
                                                     read_criteria(source / "criteria.csv"),
                                                     load_profile(PROFILE), bloc=DEMO_BLOC, year=DEMO_YEAR))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    names = names_of(unzip(b.bloc))
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(b.bloc))
    for index, scorer in enumerate(b.unit_codes, start=1):
        sheet, (min_col, min_row, max_col, max_row) = names[f"tdkt_s{index:02d}_grid"]
        ws = book[sheet]
        for r in range(min_row, max_row + 1):
            code = ws.cell(r, 1).value
            for k, c in enumerate(range(min_col, max_col + 1)):
                crit = code if code in b.maxima else None
                b.grid_cells.append((sheet, ws.cell(r, c).coordinate, scorer, crit, b.unit_codes[k]))
    fnames = names_of(unzip(b.forms["SNN"]))
    sheet, (min_col, min_row, max_col, max_row) = fnames[layout.form_name("grid")]
    ws = openpyxl.load_workbook(io.BytesIO(b.forms["SNN"]))[sheet]
    for r in range(min_row, max_row + 1):
        code = ws.cell(r, 1).value
        for k, c in enumerate(range(min_col, max_col + 1)):
            b.form_cells.append((sheet, ws.cell(r, c).coordinate, code if code in b.maxima else None,
                                 b.unit_codes[k]))
    b.baseline = oracle(b, {})
    return b


def oracle(b: Base, changes: dict[tuple[str, str, str], Decimal]) -> dict:
    """The result through the clean CSV path, with `changes` applied to the scores."""
    rows = [b.scores[0]] + [[*r[:3], str(changes.get((r[0], r[1], r[2]), r[3]))] for r in b.scores[1:]]
    with files(units__csv=csv_bytes(b.units), criteria__csv=csv_bytes(b.criteria), scores__csv=csv_bytes(rows)) as (
            _, p):
        run = cli("score", "--units", p["units"], "--criteria", p["criteria"], "--scores", p["scores"],
                  "--profile", PROFILE, "--json")
    assert run.code == 0, run.err
    return ranking(run.doc)


def ranking(doc: dict) -> dict:
    return {"units": [(u["unit"], u["score"], u["rank"], u["decided_by"]) for u in doc["units"]], "top": doc["top"]}


# --- values typed into a score cell ------------------------------------------------------------------

@dataclass(frozen=True)
class Typed:
    """What an officer typed: the workbook cell, the CSV text, and what it means."""

    cell: Cell
    text: str
    number: Decimal | None = None     # the score meant, when valid
    valid: bool | None = False        # None: either outcome is fine (no oracle)


JUNK = ["", "   ", "abc", "mười", "NaN", "nan", "inf", "-inf", "Infinity", "#REF!", "#VALUE!", "#N/A", "#DIV/0!",
        "TRUE", "FALSE", "=1+1", "=SUM(A1:A3)", "12/05/2024", "2024-05-12", "9,5,0", "9.5.1", "½", "9.5đ", "1e3",
        "0x10", "1_000", "--1", "+-1", "\x00", "'9.5", "9.5%", "(9.5)", "∞", "9,5 điểm", "x" * 300]


@st.composite
def typed(draw, maximum: Decimal) -> Typed:
    kind = draw(st.sampled_from(["valid-n", "valid-s", "valid-s", "range-n", "range-s", "junk", "cell", "any"]))
    if kind.startswith("valid"):
        cents = draw(st.integers(0, int(maximum * 100)))
        places = draw(st.sampled_from([0, 1, 2]))
        number = (Decimal(cents).scaleb(-2)).quantize(Decimal(1).scaleb(-places), rounding="ROUND_DOWN")
        plain = format(number.normalize(), "f") if number else "0"
        if kind == "valid-n":
            return Typed(Cell("n", plain), plain, number, True)
        style = draw(st.sampled_from(["comma", "dot", "spaces", "nbsp", "zeros", "plus"]))
        text = {"comma": plain.replace(".", ","), "dot": plain, "spaces": f"  {plain} ",
                "nbsp": f"\u00a0{plain.replace('.', ',')}", "zeros": f"{plain}{'.' if '.' not in plain else ''}00",
                "plus": f"+{plain}"}[style]
        return Typed(Cell("s", text), text, number, True)
    if kind.startswith("range"):
        number = draw(st.sampled_from([maximum + Decimal("0.01"), maximum + 1, maximum * 10, Decimal("1000000"),
                                       Decimal("-0.01"), Decimal("-1"), -maximum, Decimal("1e15"),
                                       Decimal("123456789012345678901234567890")]))
        text = format(number, "f")
        if kind == "range-n":
            return Typed(Cell("n", text), text, None, False)
        return Typed(Cell("s", text.replace(".", ",")), text.replace(".", ","), None, False)
    if kind == "junk":
        text = draw(st.sampled_from(JUNK))
        return Typed(Cell("s", text) if text.strip() else Cell("blank"), text, None, False)
    if kind == "cell":
        cell = draw(st.sampled_from([Cell("blank"), Cell("f", "SUM(E14:E15)"), Cell("f", "1/0"), Cell("e", "#REF!"),
                                     Cell("e", "#VALUE!"), Cell("e", "#N/A"), Cell("b", "1"), Cell("b", "0"),
                                     Cell("d", "45000"), Cell("d", "45000.5"), Cell("n", "1e308"),
                                     Cell("n", "-0"), Cell("n", "NaN"), Cell("n", "INF")]))
        valid = True if cell == Cell("n", "-0") else (None if cell.value in ("NaN", "INF") else False)
        text = {"f": f"={cell.value}", "b": "TRUE" if cell.value == "1" else "FALSE", "d": "12/05/2024",
                "blank": ""}.get(cell.kind, cell.value)     # the same thing typed into a CSV file
        return Typed(cell, text, Decimal(0) if valid else None, valid)
    text = draw(st.text(max_size=12))
    return Typed(Cell("s", text) if text.strip() else Cell("blank"), text, None, None)


def _effect(edits: list[tuple[tuple[str, ...] | None, Typed]]) -> tuple[dict, bool | None]:
    """The score changes and the expected validity of typed values ((scorer, unit, criterion) or None
    for a cell that is never read)."""
    changes: dict[tuple[str, ...], Decimal] = {}
    valid: bool | None = True
    for key, value in edits:
        if key is None:
            continue
        if value.valid is True and value.number is not None:
            changes[key] = value.number
        elif value.valid is None:
            valid = None
        elif valid is not None:
            valid = False
    return changes, valid


class Blob(bytes):
    """Bytes with a short repr (hypothesis prints failing examples)."""

    def __repr__(self) -> str:
        import hashlib

        return f"<{len(self)} bytes sha256:{hashlib.sha256(self).hexdigest()[:12]}>"


# --- CSV ------------------------------------------------------------------------------------------------

def messy_code(rng, code: str) -> str:
    style = rng.choice(["same", "lower", "spaces", "nbsp", "nfd", "upper"])
    return {"same": code, "lower": code.lower(), "spaces": f"  {code} ", "nbsp": f"{code}\u00a0",
            "nfd": unicodedata.normalize("NFD", code), "upper": code.upper()}[style]


@st.composite
def csv_cases(draw):
    b = base()
    rows = [list(r) for r in b.scores]
    typed_rows: dict[int, Typed] = {}
    for _ in range(draw(st.integers(0, 3))):
        k = draw(st.integers(1, len(rows) - 1))
        typed_rows[k] = draw(typed(b.maxima[rows[k][2]]))
    changes, valid = _effect([(tuple(rows[k][:3]), t) for k, t in typed_rows.items()])
    note(f"typed: {[(rows[k][:3], t) for k, t in typed_rows.items()]}")
    for k, t in typed_rows.items():
        rows[k][3] = t.text
    rng = random.Random(draw(st.integers(0, 2**32)))     # bulk edits: one draw, not one per row
    share = draw(st.sampled_from([0.0, 0.1, 1.0]))
    for row in rows[1:]:       # messy but valid codes
        if rng.random() < share:
            row[0], row[1], row[2] = (messy_code(rng, x) for x in row[:3])
    structural = draw(st.sampled_from(["none"] * 6 + ["drop-row", "dup-row", "unknown-code", "extra-column",
                                                      "header-case", "shuffle", "blank-lines"]))
    if structural == "drop-row":
        del rows[draw(st.integers(1, len(rows) - 1))]
        valid = False if valid is not None else None
    elif structural == "dup-row":
        rows.append(list(rows[draw(st.integers(1, len(rows) - 1))]))
        valid = False if valid is not None else None
    elif structural == "unknown-code":
        k = draw(st.integers(1, len(rows) - 1))
        rows[k][draw(st.integers(0, 2))] = draw(st.sampled_from(["SYT", "X.9", "", "?"]))
        valid = False if valid is not None else None
    elif structural == "extra-column":
        rows = [[*r, "ghi chú"] for r in rows]
    elif structural == "header-case":
        rows[0] = [f" {h.upper()} " for h in rows[0]]
    elif structural == "shuffle":
        body = rows[1:]
        rng.shuffle(body)
        rows = [rows[0], *body]
    elif structural == "blank-lines":
        rows = [*rows[:3], [], *rows[3:], ["", "", "", ""]]
    delimiter = draw(st.sampled_from([",", ";"]))
    if delimiter == "," and any("," in r[3] for r in rows[1:] if len(r) > 3):
        delimiter = ";" if draw(st.booleans()) else ","     # csv quotes 9,5 anyway
    data = csv_bytes(rows, delimiter, bom=draw(st.booleans()), crlf=draw(st.booleans()))
    raw = draw(st.sampled_from(["none"] * 12 + ["truncate", "nul", "latin1", "garbage"]))
    if raw != "none":
        valid = None
        if raw == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif raw == "nul":
            data = data[:50] + b"\0" + data[50:]
        elif raw == "latin1":
            data = data + "SNN,SNN,I.1,9\xe9\n".encode("latin-1")
        else:
            data = draw(st.binary(min_size=0, max_size=200))
    return Blob(data), changes, valid


@budget(6000)
@given(csv_cases())
def test_fuzz_csv_scores(case_):
    data, changes, valid = case_
    b = base()
    case()
    with files(units__csv=csv_bytes(b.units), criteria__csv=csv_bytes(b.criteria), scores__csv=data) as (_, p):
        run = cli("score", "--units", p["units"], "--criteria", p["criteria"], "--scores", p["scores"],
                  "--profile", PROFILE, "--json")
    doc = run.doc                    # --json: stdout is one JSON document, even when refused
    if valid is True:
        assert run.code == 0, run.err
        assert ranking(doc) == oracle(b, changes)
    elif valid is False:
        assert run.code == 2 and any(i["severity"] == "error" for i in doc["issues"])
    if run.code == 0:
        assert doc["ranked"] and len(doc["units"]) == len(b.unit_codes)


@st.composite
def table_cases(draw):
    """Units and criteria files with messy but valid text, legacy-encoded names, and broken rows."""
    from tdkt_lib.core.legacy_text import TCVN3, VNI, encode

    b = base()
    units = [list(r) for r in b.units]
    criteria = [list(r) for r in b.criteria]
    valid: bool | None = True
    for row in units[1:]:
        style = draw(st.sampled_from(["same", "tcvn3", "vni", "nfd", "spaces"]))
        row[1] = {"same": row[1], "tcvn3": encode(row[1], TCVN3), "vni": encode(row[1], VNI),
                  "nfd": unicodedata.normalize("NFD", row[1]), "spaces": f"  {row[1]}  "}[style]
    for row in criteria[1:]:
        if draw(st.booleans()):
            row[2] = draw(st.sampled_from([row[2], f"{row[2]},0", f" {row[2]} ", f"{row[2]}.00"]))
    broken = draw(st.sampled_from(["none"] * 5 + ["max-text", "max-zero", "kind", "dup-unit", "no-code",
                                                  "eligible"]))
    if broken == "max-text":
        criteria[draw(st.integers(1, len(criteria) - 1))][2] = "mười lăm"
    elif broken == "max-zero":
        criteria[draw(st.integers(1, len(criteria) - 1))][2] = "0"
    elif broken == "kind":
        criteria[draw(st.integers(1, len(criteria) - 1))][3] = "thuong"
    elif broken == "dup-unit":
        units.append(list(units[1]))
    elif broken == "no-code":
        units[draw(st.integers(1, len(units) - 1))][0] = ""
    elif broken == "eligible":
        units[1][2] = "có lẽ"
    if broken != "none":
        valid = False
    return Blob(csv_bytes(units)), Blob(csv_bytes(criteria, ";")), valid


@budget(1000)
@given(table_cases())
def test_fuzz_csv_units_and_criteria(case_):
    units, criteria, valid = case_
    b = base()
    case()
    with files(units__csv=units, criteria__csv=criteria, scores__csv=csv_bytes(b.scores)) as (_, p):
        run = cli("score", "--units", p["units"], "--criteria", p["criteria"], "--scores", p["scores"],
                  "--profile", PROFILE, "--json")
    if valid:
        assert run.code == 0, run.err
        assert ranking(run.doc) == b.baseline
        names = {u["unit"]: u["name"] for u in run.doc["units"]}
        assert names == {r[0]: r[1] for r in b.units[1:]}     # legacy names converted back, NFC, trimmed
    else:
        assert run.code == 2 and run.doc["issues"]


# --- bloc workbooks: score cells ----------------------------------------------------------------------

@st.composite
def bloc_cell_cases(draw):
    b = base()
    chosen = draw(st.lists(st.integers(0, len(b.grid_cells) - 1), min_size=1, max_size=3, unique=True))
    edits, effects = [], []
    for index in chosen:
        sheet, ref, scorer, crit, unit = b.grid_cells[index]
        value = draw(typed(b.maxima[crit] if crit else Decimal(10)))
        edits.append((sheet, ref, value.cell))
        effects.append(((scorer, unit, crit) if crit else None, value))   # section rows are never read
    return (edits, *_effect(effects))


@budget(1300)
@given(bloc_cell_cases(), st.sampled_from(["score", "check"]))
def test_fuzz_bloc_cells(case_, command):
    edits, changes, valid = case_
    b = base()
    case()
    data = with_cells(b.bloc, edits, date_ref="B9")
    with files(khoi__xlsx=data) as (folder, p):
        out = folder / "out.xlsx"
        args = ["score", p["khoi"], "-o", out, "--json"] if command == "score" else ["check", p["khoi"], "--json"]
        run = cli(*args)
        if run.code == 2:
            assert not out.exists()
    doc = run.doc
    if valid is True:
        assert run.code == 0, run.err
        if command == "score":
            assert ranking(doc) == oracle(b, changes)
    elif valid is False:
        assert run.code == 2
        errors = [i for i in doc["issues"] if i["severity"] == "error"]
        assert errors and all(i.get("file") == "khoi.xlsx" for i in errors if i["code"] not in ("MISSING_SHEET",))


# --- unit forms: merge and check ----------------------------------------------------------------------

@st.composite
def form_cell_cases(draw):
    b = base()
    chosen = draw(st.lists(st.integers(0, len(b.form_cells) - 1), min_size=1, max_size=3, unique=True))
    edits, effects = [], []
    for index in chosen:
        sheet, ref, crit, unit = b.form_cells[index]
        value = draw(typed(b.maxima[crit] if crit else Decimal(10)))
        edits.append((sheet, ref, value.cell))
        effects.append((("SNN", unit, crit) if crit else None, value))
    return (edits, *_effect(effects))


@budget(700)
@given(form_cell_cases())
def test_fuzz_form_cells_merge(case_):
    edits, changes, valid = case_
    b = base()
    case()
    form = with_cells(b.forms["SNN"], edits, date_ref="B9")
    with files(khoi__xlsx=b.bloc, phieu__xlsx=form) as (folder, p):
        out = folder / "gop.xlsx"
        checked = cli("check", p["phieu"], "--json")
        merged = cli("merge", p["khoi"], p["phieu"], "-o", out, "--replace")
        scored = cli("score", out, "-o", folder / "diem.xlsx", "--json") if merged.code == 0 else None
        if merged.code == 2:
            assert not out.exists()
    if valid is True:
        assert checked.code == 0 and merged.code == 0, merged.err
        assert scored is not None and scored.code == 0, scored.err if scored else ""
        assert ranking(scored.doc) == oracle(b, changes)
    elif valid is False:
        assert merged.code == 2 and "phieu.xlsx" in merged.err
        assert checked.code == 2


# --- structure and zip members -----------------------------------------------------------------------

def _rename_tab_only(data: bytes, old: str, new: str) -> bytes:
    members = unzip(data)
    from xml.sax.saxutils import escape

    members["xl/workbook.xml"] = members["xl/workbook.xml"].replace(
        f'name="{escape(old)}"'.encode(), f'name="{escape(new)}"'.encode(), 1)
    return rezip(members)


@st.composite
def structure_cases(draw, kind: str):
    b = base()
    data = b.bloc if kind == "bloc" else b.forms[draw(st.sampled_from(sorted(b.forms)))]
    members = unzip(data)
    sheets = list(hostile.sheet_parts(members))
    names = sorted(names_of(members))
    op = draw(st.sampled_from(["rename", "reorder", "rename-tab-only", "drop-name", "garble-name", "drop-member",
                               "truncate-member", "garbage-member", "dup-member", "truncate-file", "flip-bytes",
                               "empty-member", "swap-members"]))
    valid: bool | None = None
    if op == "rename":
        new = draw(st.sampled_from(["Trang 1", "Phiếu (đã ký)", "O'Brien", "Tổng hợp & xếp hạng", "A" * 31]))
        old = draw(st.sampled_from(sheets))
        if new not in sheets:
            data, valid = hostile.rename_sheet(data, old, new), True
    elif op == "reorder":
        data, valid = hostile.reorder_sheets(data), True
    elif op == "rename-tab-only":
        data = _rename_tab_only(data, draw(st.sampled_from(sheets)), "Trang bị đổi tên")
    elif op == "drop-name":
        data = hostile.drop_name(data, draw(st.sampled_from(names)))
    elif op == "garble-name":
        data = hostile.garble_name(data, draw(st.sampled_from(names)),
                                   draw(st.sampled_from(["#REF!", "'Không có'!$A$1", "Sheet1!A1:B", "=1+1", "",
                                                         "'Phiếu chấm'!$ZZZ$1048577"])))
    else:
        order = list(members.items())
        k = draw(st.integers(0, len(order) - 1))
        name, content = order[k]
        if op == "drop-member":
            del order[k]
        elif op == "truncate-member":
            order[k] = (name, content[: draw(st.integers(0, max(0, len(content) - 1)))])
        elif op == "garbage-member":
            order[k] = (name, draw(st.binary(min_size=0, max_size=64)))
        elif op == "empty-member":
            order[k] = (name, b"")
        elif op == "dup-member":
            order.append((name, draw(st.sampled_from([content, b"<x/>", content[: len(content) // 2]]))))
        elif op == "swap-members":
            j = draw(st.integers(0, len(order) - 1))
            order[k], order[j] = (name, order[j][1]), (order[j][0], content)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = rezip(order)
        if op == "truncate-file":
            data = data[: draw(st.integers(0, len(data)))]
        elif op == "flip-bytes":
            raw = bytearray(data)
            for _ in range(draw(st.integers(1, 4))):
                raw[draw(st.integers(0, len(raw) - 1))] ^= draw(st.integers(1, 255))
            data = bytes(raw)
    return op, Blob(data), valid


@budget(700)
@given(structure_cases("bloc"))
def test_fuzz_bloc_structure(case_):
    op, data, valid = case_
    b = base()
    case()
    with files(khoi__xlsx=data) as (folder, p):
        checked = cli("check", p["khoi"], "--json")
        scored = cli("score", p["khoi"], "-o", folder / "out.xlsx", "--json")
    if valid:
        assert scored.code == 0, (op, scored.err)
    if scored.code == 0:       # whatever was mutated, an accepted workbook gives the true result
        assert ranking(scored.doc) == b.baseline, op
    json.loads(checked.out)


@budget(700)
@given(structure_cases("form"))
def test_fuzz_form_structure(case_):
    op, data, valid = case_
    b = base()
    case()
    with files(khoi__xlsx=b.bloc, phieu__xlsx=data) as (folder, p):
        checked = cli("check", p["phieu"], "--json")
        merged = cli("merge", p["khoi"], p["phieu"], "-o", folder / "gop.xlsx")
        if merged.code == 0:
            scored = cli("score", folder / "gop.xlsx", "-o", folder / "diem.xlsx", "--json")
            assert scored.code == 0 and ranking(scored.doc) == b.baseline, (op, scored.err)
    if valid:
        assert checked.code == 0 and merged.code == 0, (op, merged.err)
    json.loads(checked.out)
