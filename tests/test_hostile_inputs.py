"""Messy but valid input is accepted; invalid and hostile input is refused (exit 2, Vietnamese message
naming file, sheet and cell, no traceback, nothing written) — on bloc workbooks, unit forms and CSV.

Every case checks that the input files are byte-identical afterwards.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile import (
    Cell,
    add_merge,
    as_xlsm,
    cell_ref,
    names_of,
    rename_sheet,
    reorder_sheets,
    rezip,
    unzip,
    with_cells,
    with_entity_bomb,
    zip_bomb,
)

from tdkt_lib.adapters.csv_input import read_criteria, read_scores, read_units
from tdkt_lib.adapters.profiles import load_profile
from tdkt_lib.core.model import code_key
from tdkt_lib.workbook import layout
from tdkt_lib.workbook.build import build_bloc_workbook, build_unit_form, workbook_bytes
from tdkt_lib.workbook.demo import DEMO_BLOC, DEMO_YEAR, example_dir, fill_form, run_demo


@dataclass
class Built:
    bloc: bytes               # merged and scored bloc workbook
    blank: bytes              # bloc workbook with no scores
    forms: dict[str, bytes]   # unit code → filled form


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Built:
    demo = run_demo(tmp_path_factory.mktemp("built") / "demo")
    source = example_dir()
    units, table = read_units(source / "units.csv"), read_criteria(source / "criteria.csv")
    blank = workbook_bytes(build_bloc_workbook(units, table, load_profile("hai-phong-2024"), bloc=DEMO_BLOC,
                                               year=DEMO_YEAR))
    forms = {path.stem.removeprefix("phieu-"): path.read_bytes() for path in demo.forms}
    return Built(demo.bloc.read_bytes(), blank, forms)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "-"


def run_guarded(tdkt, inputs: list[Path], *args: object):
    """Run the CLI; assert no traceback and that every input is byte-identical afterwards."""
    before = {p: digest(p) for p in inputs}
    folder = {p.parent for p in inputs}
    listing = {d: sorted(x.name for x in d.iterdir()) for d in folder}
    run = tdkt(*args)
    assert "Traceback" not in run.err and run.code in (0, 2), (run.code, run.err)
    assert {p: digest(p) for p in inputs} == before
    if run.code == 2:   # nothing written beside the inputs either
        assert {d: sorted(x.name for x in d.iterdir()) for d in folder} == listing
    return run


def refused(run, code: str, *fragments: str) -> dict:
    """The run exited 2 and its JSON (or stderr) names the problem `code` with where it is."""
    assert run.code == 2, (run.out, run.err)
    assert "[LỖI]" in run.err or '"severity": "error"' in run.out
    if run.out.lstrip().startswith("{"):
        issues = [i for i in run.json["issues"] if i["code"] == code]
        assert issues, (code, run.json["issues"])
        for fragment in fragments:
            assert any(fragment in str(i) for i in issues), (fragment, issues)
        return issues[0]
    assert code in run.err or fragments, run.err
    for fragment in fragments:
        assert fragment in run.err, (fragment, run.err)
    return {}


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- bloc workbooks: tdkt score and tdkt check ------------------------------------------------

BAD_SCORES = [
    pytest.param(Cell("s", "mười"), "INVALID_NUMBER", id="text"),
    pytest.param(Cell("n", "-1"), "OUT_OF_RANGE", id="negative"),
    pytest.param(Cell("n", "999"), "OUT_OF_RANGE", id="over-maximum"),
    pytest.param(Cell("s", "-0,5"), "OUT_OF_RANGE", id="negative-text"),
    pytest.param(Cell("blank"), "MISSING_SCORE", id="blank"),
    pytest.param(Cell("f", "SUM(E15:E16)"), "FORMULA_IN_SCORE", id="formula"),
    pytest.param(Cell("e", "#REF!"), "ERROR_VALUE", id="ref-error"),
    pytest.param(Cell("e", "#VALUE!"), "ERROR_VALUE", id="value-error"),
    pytest.param(Cell("s", "#VALUE!"), "ERROR_VALUE", id="error-typed-as-text"),
    pytest.param(Cell("d", "45000"), "INVALID_NUMBER", id="date"),
    pytest.param(Cell("b", "1"), "INVALID_NUMBER", id="boolean"),
    pytest.param(Cell("s", "9..5"), "INVALID_NUMBER", id="two-points"),
    pytest.param(Cell("s", "1e3"), "INVALID_NUMBER", id="exponent"),
    pytest.param(Cell("s", "NaN"), "INVALID_NUMBER", id="nan"),
]


@pytest.mark.parametrize("command", ["score", "check"])
@pytest.mark.parametrize(("cell", "code"), BAD_SCORES)
def test_bad_score_cell_in_bloc_is_refused_with_sheet_and_cell(built, tdkt, tmp_path, command, cell, code):
    names = names_of(unzip(built.bloc))
    sheet, ref = cell_ref(names, "tdkt_s02_grid", 0, 2)          # SNN scores SKHDT: a cross-score cell
    _, date_ref = cell_ref(names, "tdkt_s02_received")
    bloc = write(tmp_path, "khoi.xlsx", with_cells(built.bloc, [(sheet, ref, cell)], date_ref))
    args = [command, bloc, "--json"] + (["-o", tmp_path / "out.xlsx"] if command == "score" else [])
    run = run_guarded(tdkt, [bloc], *args)
    issue = refused(run, code)
    assert issue["file"] == "khoi.xlsx"
    assert (issue["sheet"], issue["cell"]) == (sheet, ref)
    # Reported once, as itself (a refused cell is not also a missing score); nothing else is wrong.
    assert [i["code"] for i in run.json["issues"] if i["severity"] == "error"] == [code], run.json["issues"]
    assert not (tmp_path / "out.xlsx").exists()


def test_refusal_message_in_plain_text_names_file_sheet_cell_and_what_to_do(built, tdkt, tmp_path):
    names = names_of(unzip(built.bloc))
    sheet, ref = cell_ref(names, "tdkt_s03_grid", 2, 3)
    bloc = write(tmp_path, "khoi.xlsx", with_cells(built.bloc, [(sheet, ref, Cell("s", "chín rưỡi"))]))
    run = run_guarded(tdkt, [bloc], "score", bloc)
    assert run.code == 2
    text = run.out + run.err
    assert f"tệp khoi.xlsx, trang tính {sheet}, ô {ref}" in text
    assert "không phải là một số" in text and "Nhập số điểm" in text
    assert "tệp không bị thay đổi" in run.err


@pytest.mark.parametrize("command", ["score", "check"])
def test_unknown_unit_and_criterion_codes_in_a_scorer_sheet(built, tdkt, tmp_path, command):
    names = names_of(unzip(built.bloc))
    usheet, uref = cell_ref(names, "tdkt_s04_units", 0, 2)
    csheet, cref = cell_ref(names, "tdkt_s04_codes", 3)
    bloc = write(tmp_path, "khoi.xlsx", with_cells(built.bloc, [(usheet, uref, Cell("s", "SYT")),
                                                                (csheet, cref, Cell("s", "IX.9"))]))
    run = run_guarded(tdkt, [bloc], command, bloc, "--json")
    refused(run, "UNKNOWN_UNIT", "SYT")
    refused(run, "MISSING_CRITERION_ROW")


@pytest.mark.parametrize("command", ["score", "check"])
def test_scorer_cell_changed_to_another_unit_in_bloc(built, tdkt, tmp_path, command):
    names = names_of(unzip(built.bloc))
    sheet, ref = cell_ref(names, "tdkt_s05_scorer")
    bloc = write(tmp_path, "khoi.xlsx", with_cells(built.bloc, [(sheet, ref, Cell("s", "SXD"))]))
    run = run_guarded(tdkt, [bloc], command, bloc, "--json")
    issue = refused(run, "SCORER_MISMATCH", "SCT")
    assert (issue["sheet"], issue["cell"]) == (sheet, ref)


@pytest.mark.parametrize("command", ["score", "check"])
def test_merged_cells_over_a_score_range_are_refused(built, tdkt, tmp_path, command):
    names = names_of(unzip(built.bloc))
    sheet, first = cell_ref(names, "tdkt_s01_grid", 0, 0)
    _, last = cell_ref(names, "tdkt_s01_grid", 0, 2)
    # Excel keeps only the top-left value of a merge: the other cells become blank.
    data = with_cells(built.bloc, [(sheet, cell_ref(names, "tdkt_s01_grid", 0, k)[1], Cell("blank")) for k in (1, 2)])
    bloc = write(tmp_path, "khoi.xlsx", add_merge(data, sheet, f"{first}:{last}"))
    run = run_guarded(tdkt, [bloc], command, bloc, "--json")
    assert run.code == 2
    codes = {i["code"] for i in run.json["issues"] if i["severity"] == "error"}
    assert codes & {"MERGED_CELLS", "MISSING_SCORE"}, codes


def test_merged_cells_reported_by_the_snapshot_name_the_range(built, tmp_path):
    """When the snapshot lists merged ranges (calamine's merged_cell_ranges), the reader refuses them."""
    from tdkt_lib.workbook.reader import read_bloc
    from tdkt_lib.workbook.snapshot import read_snapshot

    bloc = write(tmp_path, "khoi.xlsx", built.bloc)
    snapshot = read_snapshot(bloc)
    grid = snapshot.ref("tdkt_s03_grid")
    snapshot.merged = {grid.sheet: [(grid.min_row + 1, grid.min_col, grid.min_row + 1, grid.min_col + 2)]}
    data = read_bloc(snapshot)
    merged = [p for p in data.problems if p.code == "MERGED_CELLS"]
    assert len(merged) == 1 and merged[0].where.sheet == grid.sheet
    assert merged[0].where.cell == grid.cell(1, 0) and "Bỏ gộp ô" in merged[0].message


def test_renamed_and_reordered_sheets_with_names_following_are_accepted(built, tdkt, tmp_path):
    data = rename_sheet(built.bloc, layout.SHEET_SUMMARY, "Tổng hợp điểm 2024")
    data = rename_sheet(data, "Phiếu SGTVT", "Sở GTVT (đã ký)")
    data = rename_sheet(data, layout.SHEET_UNITS, "Danh sách 'đơn vị'")
    bloc = write(tmp_path, "khoi.xlsx", reorder_sheets(data))
    original = write(tmp_path, "goc.xlsx", built.bloc)
    run = run_guarded(tdkt, [bloc], "score", bloc, "-o", tmp_path / "a.xlsx", "--json")
    reference = run_guarded(tdkt, [original], "score", original, "-o", tmp_path / "b.xlsx", "--json")
    assert run.code == reference.code == 0
    assert run.json["units"] == reference.json["units"]


def test_numbers_as_text_decimal_commas_and_stray_spaces_in_bloc_cells(built, tdkt, tmp_path):
    members = unzip(built.bloc)
    names = names_of(members)
    changes = []
    texts = ["12,25", " 12.25 ", "12,250", "\u00a012,25"]
    for k, text in enumerate(texts):
        sheet, ref = cell_ref(names, f"tdkt_s0{k + 1}_grid", 0, 0)
        changes.append((sheet, ref, text))
    original = write(tmp_path, "goc.xlsx", built.bloc)
    import openpyxl

    book = openpyxl.load_workbook(original)
    expected = [book[sheet][ref].value for sheet, ref, _ in changes]
    # Same numbers, typed as text: the result must not change.
    bloc = write(tmp_path, "khoi.xlsx", with_cells(built.bloc, [
        (sheet, ref, Cell("s", f"{value:g}".replace(".", ",") if k % 2 == 0 else f" {value:g} "))
        for k, ((sheet, ref, _), value) in enumerate(zip(changes, expected, strict=True))]))
    run = run_guarded(tdkt, [bloc], "score", bloc, "-o", tmp_path / "a.xlsx", "--json")
    reference = run_guarded(tdkt, [original], "score", original, "-o", tmp_path / "b.xlsx", "--json")
    assert run.code == 0 and run.json["units"] == reference.json["units"]


def test_stray_spaces_case_and_nfd_in_bloc_codes_are_accepted(built, tdkt, tmp_path):
    names = names_of(unzip(built.bloc))
    usheet, uref = cell_ref(names, "tdkt_s02_units", 0, 6)       # SGTVT column
    csheet, cref = cell_ref(names, "tdkt_s02_codes", 1)           # second row code
    ssheet, sref = cell_ref(names, "tdkt_s02_scorer")
    import openpyxl

    original = write(tmp_path, "goc.xlsx", built.bloc)
    book = openpyxl.load_workbook(original)
    code_text = book[csheet][cref].value
    changes = [(usheet, uref, Cell("s", "  sgtvt ")), (csheet, cref, Cell("s", f" {code_text.lower()}\u00a0")),
               (ssheet, sref, Cell("s", " snn "))]
    bloc = write(tmp_path, "khoi.xlsx", with_cells(built.bloc, changes))
    run = run_guarded(tdkt, [bloc], "score", bloc, "-o", tmp_path / "a.xlsx", "--json")
    reference = run_guarded(tdkt, [original], "score", original, "-o", tmp_path / "b.xlsx", "--json")
    assert run.code == 0 and run.json["units"] == reference.json["units"]


# --- unit forms: tdkt merge -----------------------------------------------------------------------

def form_cell(built: Built, unit: str, name: str, i: int = 0, j: int = 0) -> tuple[str, str]:
    return cell_ref(names_of(unzip(built.forms[unit])), name, i, j)


def merge_case(built: Built, tmp_path: Path, forms: dict[str, bytes]) -> tuple[Path, list[Path]]:
    bloc = write(tmp_path, "khoi.xlsx", built.blank)
    paths = [write(tmp_path, name, data) for name, data in forms.items()]
    return bloc, paths


@pytest.mark.parametrize(("cell", "code"), [p for p in BAD_SCORES if p.id not in ("blank",)] + [
    pytest.param(Cell("blank"), "MISSING_SCORE", id="blank")])
def test_bad_score_cell_in_a_form_is_refused_by_merge(built, tdkt, tmp_path, cell, code):
    sheet, ref = form_cell(built, "SNN", layout.form_name("grid"), 1, 4)
    _, date_ref = form_cell(built, "SNN", layout.form_name("received"))
    form = with_cells(built.forms["SNN"], [(sheet, ref, cell)], date_ref)
    bloc, paths = merge_case(built, tmp_path, {"phieu-SNN.xlsx": form})
    run = run_guarded(tdkt, [bloc, *paths], "merge", bloc, *paths)
    assert run.code == 2 and "sổ tổng hợp không bị thay đổi" in run.err
    assert "phieu-SNN.xlsx" in run.err
    assert f"trang tính {sheet}, ô {ref}" in run.err, run.err
    errors = [line for line in run.err.splitlines() if line.startswith("[LỖI]") and "phieu-SNN.xlsx" in line]
    assert len(errors) == 1, run.err     # reported once, as itself (not also as a missing score)


@pytest.mark.parametrize(("name", "value", "code"), [
    (layout.BLOC, "Khối thi đua các huyện", "WRONG_BLOC"),
    (layout.YEAR, "2023", "WRONG_YEAR"),
    (layout.TABLE_ID, "0000000000000000", "TABLE_CHANGED"),
])
def test_form_of_another_bloc_or_year_is_refused(built, tdkt, tmp_path, name, value, code):
    sheet, ref = form_cell(built, "STC", name)
    form = with_cells(built.forms["STC"], [(sheet, ref, Cell("n" if value.isdigit() and len(value) == 4 else "s",
                                                             value))])
    bloc, paths = merge_case(built, tmp_path, {"phieu-STC.xlsx": form})
    run = run_guarded(tdkt, [bloc, *paths], "merge", bloc, *paths)
    assert run.code == 2 and "phieu-STC.xlsx" in run.err


def test_a_unit_sending_twice_is_refused(built, tdkt, tmp_path):
    bloc, paths = merge_case(built, tmp_path, {"phieu-SCT.xlsx": built.forms["SCT"],
                                               "phieu-SCT-ban-sua.xlsx": built.forms["SCT"]})
    run = run_guarded(tdkt, [bloc, *paths], "merge", bloc, *paths)
    assert run.code == 2 and "gửi điểm hai lần" in run.err


def test_forms_swapped_between_units_are_detected(built, tdkt, tmp_path):
    """SXD's form with its scorer cell changed to SCT (and the other way round): refused."""
    forms = {}
    for unit, other in (("SXD", "SCT"), ("SCT", "SXD")):
        sheet, ref = form_cell(built, unit, layout.form_name("scorer"))
        forms[f"phieu-{unit}.xlsx"] = with_cells(built.forms[unit], [(sheet, ref, Cell("s", other))])
    bloc, paths = merge_case(built, tmp_path, forms)
    run = run_guarded(tdkt, [bloc, *paths], "merge", bloc, *paths)
    assert run.code == 2
    assert "cột «Tự chấm» của phiếu là của SXD" in run.err and "cột «Tự chấm» của phiếu là của SCT" in run.err
    check = run_guarded(tdkt, paths[:1], "check", paths[0], "--json")
    issue = refused(check, "SCORER_MISMATCH")
    assert issue["cell"] == "B6"


def test_unknown_unit_in_a_form_is_refused(built, tdkt, tmp_path):
    sheet, ref = form_cell(built, "SNN", layout.form_name("units"), 0, 3)
    form = with_cells(built.forms["SNN"], [(sheet, ref, Cell("s", "SYT"))])
    bloc, paths = merge_case(built, tmp_path, {"phieu-SNN.xlsx": form})
    run = run_guarded(tdkt, [bloc, *paths], "merge", bloc, *paths)
    assert run.code == 2 and "SYT" in run.err


def test_changed_maximum_in_a_form_is_refused(built, tdkt, tmp_path):
    sheet, ref = form_cell(built, "SKHDT", layout.form_name("codes"), 1)
    max_ref = "C" + ref[1:]
    form = with_cells(built.forms["SKHDT"], [(sheet, max_ref, Cell("n", "50"))])
    bloc, paths = merge_case(built, tmp_path, {"phieu-SKHDT.xlsx": form})
    run = run_guarded(tdkt, [bloc, *paths], "merge", bloc, *paths)
    assert run.code == 2 and "ô khoá đã bị sửa" in run.err


def test_added_criterion_row_in_a_form_is_refused(built, tdkt, tmp_path):
    """Insert a row inside the grid as Excel does (the names grow by one row) and score it."""
    import openpyxl

    source = write(tmp_path, "src.xlsx", built.forms["SGTVT"])
    book = openpyxl.load_workbook(source)
    _, (_, _first, _, last) = names_of(unzip(built.forms["SGTVT"]))[layout.form_name("grid")]
    row = last   # insert before the last criterion row: every range over the grid grows
    ws = book[layout.SHEET_FORM]
    ws.insert_rows(row)
    for _name, defined in list(book.defined_names.items()):
        destinations = list(defined.destinations)
        if len(destinations) != 1:
            continue
        sheet, area = destinations[0]
        cells = area.replace("$", "").split(":")
        moved = []
        for k, part in enumerate(cells):
            letters = "".join(ch for ch in part if ch.isalpha())
            number = int(part[len(letters):])
            if number > row or (number == row and (k == 1 or len(cells) == 1)):
                number += 1
            moved.append(f"${letters}${number}")
        defined.attr_text = f"'{sheet}'!{':'.join(moved)}"
    for col, value in zip("ABCD", ("I.9", "Tiêu chí thêm vào", 10, 1), strict=True):
        ws[f"{col}{row}"] = value
    for col in "EFGHIJK":
        ws[f"{col}{row}"] = 10
    form = tmp_path / "phieu-SGTVT.xlsx"
    book.save(form)
    source.unlink()
    bloc = write(tmp_path, "khoi.xlsx", built.blank)
    run = run_guarded(tdkt, [bloc, form], "merge", bloc, form)
    assert run.code == 2 and "I.9" in run.err and "hàng bị thêm vào phiếu" in run.err


def test_xlsm_form_is_read_and_its_macros_never_run(built, tdkt, tmp_path):
    bloc, paths = merge_case(built, tmp_path, {f"phieu-{u}.xlsm" if u == "SNN" else f"phieu-{u}.xlsx":
                                               as_xlsm(d) if u == "SNN" else d for u, d in built.forms.items()})
    run = run_guarded(tdkt, paths, "merge", bloc, *paths)
    assert run.code == 0, run.err
    assert "phieu-SNN.xlsm" in run.out
    scored = run_guarded(tdkt, paths, "score", bloc, "-o", tmp_path / "out.xlsx", "--json")
    assert scored.code == 0 and scored.json["top"] == ["SGTVT", "SKHDT", "BQLKKT"]


def test_renamed_form_sheet_and_messy_codes_in_a_form_are_accepted(built, tdkt, tmp_path):
    forms = dict(built.forms)
    sheet, ref = form_cell(built, "SNN", layout.form_name("units"), 0, 0)
    ssheet, sref = form_cell(built, "SNN", layout.form_name("scorer"))
    forms["SNN"] = rename_sheet(with_cells(built.forms["SNN"], [(sheet, ref, Cell("s", " bqlkkt ")),
                                                                (ssheet, sref, Cell("s", "snn\u00a0"))]),
                                layout.SHEET_FORM, "Phiếu SNN (đã ký)")
    bloc, paths = merge_case(built, tmp_path, {f"phieu-{u}.xlsx": d for u, d in forms.items()})
    assert run_guarded(tdkt, paths, "merge", bloc, *paths).code == 0
    scored = run_guarded(tdkt, paths, "score", bloc, "-o", tmp_path / "out.xlsx", "--json")
    assert scored.code == 0 and scored.json["top"] == ["SGTVT", "SKHDT", "BQLKKT"]


def test_text_numbers_with_decimal_commas_in_a_form_are_merged_as_numbers(built, tdkt, tmp_path):
    import openpyxl

    sheet, _ = form_cell(built, "SNN", layout.form_name("grid"))
    names = names_of(unzip(built.forms["SNN"]))
    _, (min_col, min_row, max_col, max_row) = names[layout.form_name("grid")]
    src = write(tmp_path, "src.xlsx", built.forms["SNN"])
    ws = openpyxl.load_workbook(src)[sheet]
    changes = []
    for r in range(min_row, max_row + 1):
        for c in range(min_col, max_col + 1):
            value = ws.cell(r, c).value
            if isinstance(value, int | float) and (r + c) % 2:
                text = f"{value:g}".replace(".", ",") if r % 2 else f"  {value:g} "
                changes.append((sheet, ws.cell(r, c).coordinate, Cell("s", text)))
    src.unlink()
    assert len(changes) > 20
    forms = dict(built.forms)
    forms["SNN"] = with_cells(built.forms["SNN"], changes)
    bloc, paths = merge_case(built, tmp_path, {f"phieu-{u}.xlsx": d for u, d in forms.items()})
    assert run_guarded(tdkt, paths, "merge", bloc, *paths).code == 0
    scored = run_guarded(tdkt, paths, "score", bloc, "-o", tmp_path / "out.xlsx", "--json")
    assert scored.code == 0 and scored.json["top"] == ["SGTVT", "SKHDT", "BQLKKT"]


def test_unicode_codes_typed_nfd_with_spaces_and_case_are_matched(tdkt, tmp_path, example):
    """A bloc whose unit code has diacritics (Sở-NN): the form's units row holds it NFD, lower-case, spaced."""
    folder = tmp_path / "csv"
    folder.mkdir()
    for name in ("units.csv", "criteria.csv", "scores.csv"):
        text = (example / name).read_text(encoding="utf-8")
        (folder / name).write_text(text.replace("SNN", "Sở-NN"), encoding="utf-8")
    units, table = read_units(folder / "units.csv"), read_criteria(folder / "criteria.csv")
    entries = read_scores(folder / "scores.csv")
    profile = load_profile("hai-phong-2024")
    bloc = write(tmp_path, "khoi.xlsx", workbook_bytes(build_bloc_workbook(units, table, profile, bloc=DEMO_BLOC,
                                                                           year=DEMO_YEAR)))
    paths = []
    for unit in units:
        form = build_unit_form(units, table, profile, unit.code, bloc=DEMO_BLOC, year=DEMO_YEAR)
        fill_form(form, [e for e in entries if code_key(e.scorer) == code_key(unit.code)])
        data = workbook_bytes(form)
        names = names_of(unzip(data))
        row = [cell_ref(names, layout.form_name("units"), 0, j) for j in range(len(units))]
        j = [u.code for u in units].index("Sở-NN")
        messy = " " + unicodedata.normalize("NFD", "sở-nn").upper().lower() + " "
        paths.append(write(tmp_path, f"phieu-{unit.code}.xlsx", with_cells(data, [(*row[j], Cell("s", messy))])))
    assert run_guarded(tdkt, paths, "merge", bloc, *paths).code == 0
    scored = run_guarded(tdkt, paths, "score", bloc, "-o", tmp_path / "out.xlsx", "--json")
    csv_run = tdkt("score", "--units", folder / "units.csv", "--criteria", folder / "criteria.csv",
                   "--scores", folder / "scores.csv", "--profile", "hai-phong-2024", "--json")
    assert scored.code == csv_run.code == 0
    assert scored.json["units"] == csv_run.json["units"]


# --- files that are not usable workbooks ----------------------------------------------------------

def _hostile_files(built: Built) -> dict[str, bytes]:
    form = built.forms["SNN"]
    return {
        "cu.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048,
        "mat-khau.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048,
        "cat-nua.xlsx": form[: len(form) // 2],
        "cat-duoi.xlsx": form[:-40],
        "khong-phai-zip.xlsx": "<html>Trang web, không phải bảng tính</html>".encode(),
        "rong.xlsx": b"",
        "thieu-workbook.xlsx": rezip({k: v for k, v in unzip(form).items() if k != "xl/workbook.xml"}),
        "thieu-sheet.xlsx": rezip({k: v for k, v in unzip(form).items() if "worksheets/" not in k}),
        "rac.xlsx": rezip({k: (os.urandom(64) if "worksheets/" in k else v) for k, v in unzip(form).items()}),
        "bom-zip.xlsx": zip_bomb(form, size=48 * 2**20),
        "bom-xml-workbook.xlsx": with_entity_bomb(form, "workbook"),
        "bom-xml-sharedstrings.xlsx": with_entity_bomb(form, "sharedStrings"),
        "bom-xml-sheet.xlsx": with_entity_bomb(form, "sheet"),
    }


@pytest.mark.parametrize("command", ["score", "check", "merge"])
def test_unusable_files_are_refused_fast_with_a_message(built, tdkt, tmp_path, command):
    for name, data in _hostile_files(built).items():
        path = write(tmp_path, name, data)
        bloc = write(tmp_path, "khoi.xlsx", built.blank)
        args = ["merge", bloc, path] if command == "merge" else [command, path]
        start = time.monotonic()
        run = run_guarded(tdkt, [path, bloc], *args)
        assert time.monotonic() - start < 10, name
        assert run.code == 2, (name, run.out, run.err)
        assert "[LỖI]" in run.err and name in run.err, (name, run.err)
        path.unlink()


def _corrupt_member(data: bytes, member: str) -> bytes:
    """Flip one byte inside the compressed data of `member` (its CRC no longer matches)."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(member)
    raw = bytearray(data)
    name_len, extra_len = int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], "little"), \
        int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    raw[start + info.compress_size // 2] ^= 0x55
    return bytes(raw)


@pytest.mark.parametrize("member", ["xl/styles.xml", "docProps/app.xml", "xl/theme/theme1.xml"])
@pytest.mark.parametrize("command", ["score", "check"])
def test_a_damaged_member_tdkt_does_not_read_is_still_refused(built, tdkt, tmp_path, member, command):
    """A zip member whose data no longer matches its CRC: the file is damaged, whichever part it is."""
    bloc = write(tmp_path, "khoi.xlsx", _corrupt_member(built.bloc, member))
    args = [command, bloc, "--json"] + (["-o", tmp_path / "out.xlsx"] if command == "score" else [])
    run = run_guarded(tdkt, [bloc], *args)
    refused(run, "CORRUPT_FILE")


@pytest.mark.parametrize(("name", "code", "hint"), [
    ("cu.xls", "OLD_XLS", "Lưu thành"),
    ("mat-khau.xlsx", "ENCRYPTED", "mật khẩu"),
    ("cat-nua.xlsx", "CORRUPT_FILE", "gửi lại"),
    ("bom-zip.xlsx", "ZIP_BOMB", "bất thường"),
])
def test_each_unusable_file_says_what_to_do(built, tdkt, tmp_path, name, code, hint):
    path = write(tmp_path, name, _hostile_files(built)[name])
    run = run_guarded(tdkt, [path], "check", path, "--json")
    issue = refused(run, code)
    assert hint in issue["message"]


def test_very_large_workbook_is_refused_before_reading(tdkt, tmp_path):
    path = tmp_path / "rat-lon.xlsx"
    with path.open("wb") as handle:          # sparse: 201 MB on paper, nothing on disk
        handle.write(b"PK\x03\x04")
        handle.truncate(201 * 2**20)
    run = run_guarded(tdkt, [path], "score", path, "--json")
    assert refused(run, "FILE_TOO_LARGE")


# --- CSV: tdkt score --units --criteria --scores ------------------------------------------------

def csv_case(example: Path, tmp_path: Path, edit) -> dict[str, Path]:
    paths = {}
    for name in ("units", "criteria", "scores"):
        rows = list(csv.reader((example / f"{name}.csv").open(encoding="utf-8")))
        edited = edit(name, rows)
        rows = rows if edited is None else edited
        path = tmp_path / f"{name}.csv"
        if isinstance(rows, bytes):
            path.write_bytes(rows)
        else:
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerows(rows)
            path.write_text(buffer.getvalue(), encoding="utf-8")
        paths[name] = path
    return paths


def _points(value: str):
    def edit(name, rows):
        if name == "scores":
            rows[5][3] = value
    return edit


def _row(name_wanted: str, index: int, column: int, value: str):
    def edit(name, rows):
        if name == name_wanted:
            rows[index][column] = value
    return edit


@pytest.mark.parametrize(("edit", "code", "line"), [
    pytest.param(_points("chín"), "INVALID_NUMBER", 6, id="text"),
    pytest.param(_points("-2"), "OUT_OF_RANGE", 6, id="negative"),
    pytest.param(_points("99"), "OUT_OF_RANGE", 6, id="over-maximum"),
    pytest.param(_points(""), "MISSING_SELF_SCORE", None, id="blank"),
    pytest.param(_points("=A1+1"), "INVALID_NUMBER", 6, id="formula"),
    pytest.param(_points("#REF!"), "INVALID_NUMBER", 6, id="error-value"),
    pytest.param(_points("1e400"), "INVALID_NUMBER", 6, id="huge"),
    pytest.param(_points("12345678901234567890"), "OUT_OF_RANGE", 6, id="int64-overflow"),
    pytest.param(_row("scores", 5, 1, "SYT"), "UNKNOWN_UNIT", 6, id="unknown-unit"),
    pytest.param(_row("scores", 5, 0, "SYT"), "UNKNOWN_SCORER", 6, id="unknown-scorer"),
    pytest.param(_row("scores", 5, 2, "IX.9"), "UNKNOWN_CRITERION", 6, id="unknown-criterion"),
    pytest.param(lambda n, rows: [*rows, rows[3]] if n == "scores" else None, "DUPLICATE_ENTRY", None,
                 id="twice"),
    pytest.param(_row("criteria", 2, 2, "-5"), "INVALID_MAX", 3, id="negative-maximum"),
    pytest.param(_row("units", 2, 0, "BQLKKT"), "DUPLICATE_UNIT", 3, id="duplicate-unit"),
    pytest.param(lambda n, rows: "unit,name\nSNN,Së N«ng nghiÖp\n".encode("latin-1") if n == "units" else None,
                 "NOT_UTF8", None, id="not-utf8"),
    pytest.param(lambda n, rows: b"PK\x03\x04\x00\x00binary" if n == "scores" else None, "NOT_CSV", None,
                 id="binary"),
    pytest.param(lambda n, rows: b"" if n == "criteria" else None, "EMPTY_FILE", None, id="empty"),
    pytest.param(lambda n, rows: [["a", "b"], ["1", "2"]] if n == "scores" else None, "MISSING_COLUMN", 1,
                 id="wrong-header"),
])
def test_bad_csv_input_is_refused_with_file_and_line(example, tdkt, tmp_path, edit, code, line):
    paths = csv_case(example, tmp_path, edit)
    run = run_guarded(tdkt, list(paths.values()), "score", "--units", paths["units"], "--criteria",
                      paths["criteria"], "--scores", paths["scores"], "--profile", "hai-phong-2024", "--json")
    issue = refused(run, code)
    if line is not None:
        assert issue["line"] == line
    if code not in {"MISSING_SELF_SCORE"}:
        assert issue.get("file", "").endswith(".csv")


def test_very_large_csv_is_refused(example, tdkt, tmp_path, monkeypatch):
    from tdkt_lib.adapters import csv_input

    monkeypatch.setattr(csv_input, "MAX_CSV_BYTES", 1024)
    paths = csv_case(example, tmp_path, lambda n, rows: None)
    run = run_guarded(tdkt, list(paths.values()), "score", "--units", paths["units"], "--criteria",
                      paths["criteria"], "--scores", paths["scores"], "--json")
    refused(run, "FILE_TOO_LARGE")


def test_messy_but_valid_csv_gives_the_same_ranking(example, tdkt, tmp_path):
    def edit(name, rows):
        if name == "scores":
            for k, row in enumerate(rows[1:], 1):
                row[0] = f"  {row[0].lower()} " if k % 3 == 0 else row[0]
                row[2] = f" {row[2]}\u00a0" if k % 4 == 0 else row[2]
                row[3] = row[3].replace(".", ",") if k % 2 else f" {row[3]} "
            text = "\ufeff" + "\n".join(";".join(r) for r in rows) + "\n"
            return text.encode("utf-8")
    paths = csv_case(example, tmp_path, edit)
    run = run_guarded(tdkt, list(paths.values()), "score", "--units", paths["units"], "--criteria",
                      paths["criteria"], "--scores", paths["scores"], "--profile", "hai-phong-2024", "--json")
    reference = tdkt("score", "--units", example / "units.csv", "--criteria", example / "criteria.csv",
                     "--scores", example / "scores.csv", "--profile", "hai-phong-2024", "--json")
    assert run.code == 0 and run.json["units"] == reference.json["units"]
