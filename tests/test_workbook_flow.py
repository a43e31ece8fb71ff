"""Gộp phiếu, Kiểm tra and Tính điểm on real bloc workbooks and unit forms."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tdkt_lib.adapters.csv_input import read_criteria, read_scores, read_units
from tdkt_lib.adapters.profiles import load_profile
from tdkt_lib.workbook import layout
from tdkt_lib.workbook.build import build_bloc_workbook, build_unit_form
from tdkt_lib.workbook.demo import DEMO_BLOC, DEMO_YEAR, example_dir, fill_form, run_demo
from tdkt_lib.workbook.writer import backup_path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def named_column(path: Path, name: str, data_only: bool = False) -> list[object]:
    book = openpyxl.load_workbook(path, data_only=data_only)
    sheet, ref = next(iter(book.defined_names[name].destinations))
    cells = book[sheet][ref]
    return [row[0].value for row in cells] if isinstance(cells, tuple) else [cells.value]


@pytest.fixture
def demo(tmp_path):
    return run_demo(tmp_path / "demo")


@pytest.fixture
def blank_bloc(tmp_path):
    """A fresh bloc workbook and the seven filled unit forms, not merged yet."""
    source = example_dir()
    units, table = read_units(source / "units.csv"), read_criteria(source / "criteria.csv")
    entries = read_scores(source / "scores.csv")
    profile = load_profile("hai-phong-2024")
    bloc = tmp_path / "khoi.xlsx"
    build_bloc_workbook(units, table, profile, bloc=DEMO_BLOC, year=DEMO_YEAR).save(bloc)
    forms = {}
    for unit in units:
        form = build_unit_form(units, table, profile, unit.code, bloc=DEMO_BLOC, year=DEMO_YEAR)
        fill_form(form, [e for e in entries if e.scorer == unit.code])
        forms[unit.code] = tmp_path / f"{unit.code}.xlsx"
        form.save(forms[unit.code])
    return bloc, forms


def test_workbook_score_prints_the_same_json_as_the_csv_path(demo, tdkt, example, tmp_path):
    from_file = tdkt("score", demo.bloc, "-o", tmp_path / "out.xlsx", "--json")
    from_csv = tdkt("score", "--units", example / "units.csv", "--criteria", example / "criteria.csv",
                    "--scores", example / "scores.csv", "--profile", "hai-phong-2024", "--json")
    assert from_file.code == from_csv.code == 0
    assert from_file.json == from_csv.json
    json.loads(from_file.out)  # stdout holds only the JSON


def test_ranks_are_written_in_unit_order_and_match_the_result(demo):
    doc = demo.outcome.doc
    units = named_column(demo.bloc, layout.UNITS)
    ranks = named_column(demo.bloc, layout.RANKS)
    by_code = {u["unit"]: u["rank"] for u in doc["units"]}
    assert units == ["BQLKKT", "SNN", "SKHDT", "STC", "SCT", "SXD", "SGTVT"]
    assert ranks == [by_code[c] for c in units] == [4, 5, 3, 7, 5, 2, 1]


def test_score_in_place_keeps_backup_and_never_touches_forms(demo, tdkt):
    forms_before = {p: digest(p) for p in demo.forms}
    before = digest(demo.bloc)
    run = tdkt("score", demo.bloc)
    assert run.code == 0
    assert digest(backup_path(demo.bloc)) == before
    assert {p: digest(p) for p in demo.forms} == forms_before


def sheet_values(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def test_scoring_twice_gives_the_same_workbook_apart_from_timestamps(demo, tdkt, tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert tdkt("score", demo.bloc, "-o", first).code == 0
    assert tdkt("score", first, "-o", second).code == 0

    def strip_stamps(values):
        return {k: [tuple(c for c in row if not (isinstance(c, str) and c.startswith("Thời điểm")))
                    for row in rows] for k, rows in values.items()}

    assert strip_stamps(sheet_values(first)) == strip_stamps(sheet_values(second))
    assert openpyxl.load_workbook(first).sheetnames == openpyxl.load_workbook(second).sheetnames


def test_formula_cells_carry_no_stale_cached_values(demo):
    with zipfile.ZipFile(demo.bloc) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = archive.read(name).decode("utf-8")
                assert "</f><v>" not in xml, name


def rename_sheet(book, old: str, new: str) -> None:
    """Rename as Excel does: the defined names follow the sheet."""
    book[old].title = new
    for name in book.defined_names.values():
        name.attr_text = name.attr_text.replace(f"'{old}'!", f"'{new}'!")


def test_renamed_and_reordered_sheets_are_found_through_names(demo, tdkt, tmp_path):
    book = openpyxl.load_workbook(demo.bloc)
    rename_sheet(book, "Tổng hợp", "Bảng tổng")
    book.move_sheet("Bảng tổng", offset=-4)
    rename_sheet(book, "Phiếu SNN", "SNN chấm")
    book.move_sheet("SNN chấm", offset=-10)
    moved = tmp_path / "moved.xlsx"
    book.save(moved)
    run = tdkt("score", moved, "-o", tmp_path / "out.xlsx", "--json")
    assert run.code == 0, run.err
    assert {u["unit"]: u["rank"] for u in run.json["units"]} == {
        u["unit"]: u["rank"] for u in demo.outcome.doc["units"]}


def test_merge_then_score_from_blank_bloc(blank_bloc, tdkt, example):
    bloc, forms = blank_bloc
    assert tdkt("score", bloc).code == 2  # nothing merged yet: nothing ranked
    run = tdkt("merge", bloc, *forms.values())
    assert run.code == 0, run.err
    received = named_column(bloc, layout.scorer_name(1, "received"))
    assert received[0]
    scored = tdkt("score", bloc, "--json")
    expected = json.loads((example / "expected.json").read_text("utf-8"))
    assert [u["unit"] for u in scored.json["units"]] == [u["unit"] for u in expected["units"]]
    assert scored.json["top"] == expected["top"]


def test_merging_the_same_forms_twice_changes_nothing(blank_bloc, tdkt, tmp_path):
    bloc, forms = blank_bloc
    assert tdkt("merge", bloc, *forms.values()).code == 0
    once = sheet_values(bloc)
    assert tdkt("merge", bloc, *forms.values()).code == 0
    assert sheet_values(bloc) == once


def test_merge_refuses_a_unit_sending_twice(blank_bloc, tdkt, tmp_path):
    bloc, forms = blank_bloc
    copy = tmp_path / "SNN-lan-2.xlsx"
    shutil.copy(forms["SNN"], copy)
    before = digest(bloc)
    run = tdkt("merge", bloc, forms["SNN"], copy)
    assert run.code == 2 and "DUPLICATE" not in run.out
    assert "gửi điểm hai lần" in run.err
    assert digest(bloc) == before


def edit_form(path: Path, **cells: object) -> None:
    book = openpyxl.load_workbook(path)
    for name, value in cells.items():
        sheet, ref = next(iter(book.defined_names[name].destinations))
        book[sheet][ref.split(":")[0].replace("$", "")].value = value
    book.save(path)


@pytest.mark.parametrize(("cell", "value", "code"), [
    (layout.BLOC, "Khối khác", "WRONG_BLOC"),
    (layout.YEAR, 2023, "WRONG_YEAR"),
    (layout.TABLE_ID, "0000000000000000", "TABLE_CHANGED"),
])
def test_merge_refuses_forms_of_another_bloc_year_or_table(blank_bloc, tdkt, cell, value, code):
    bloc, forms = blank_bloc
    edit_form(forms["STC"], **{cell: value})
    before = digest(bloc)
    run = tdkt("merge", bloc, forms["STC"])
    assert run.code == 2
    assert digest(bloc) == before
    assert any(word in run.err for word in ("khối", "năm", "Bảng tiêu chí"))


def test_merge_never_overwrites_a_different_value_silently(blank_bloc, tdkt, tmp_path):
    bloc, forms = blank_bloc
    assert tdkt("merge", bloc, forms["STC"]).code == 0
    edit_form(forms["STC"], **{layout.form_name("grid"): 1})
    before = digest(bloc)
    refused = tdkt("merge", bloc, forms["STC"])
    assert refused.code == 2 and "--replace" in refused.err
    assert digest(bloc) == before
    assert tdkt("merge", bloc, forms["STC"], "--replace").code == 0
    assert digest(bloc) != before


def test_merge_refuses_a_form_with_blanks(blank_bloc, tdkt):
    bloc, forms = blank_bloc
    edit_form(forms["SCT"], **{layout.form_name("grid"): None})
    run = tdkt("merge", bloc, forms["SCT"])
    assert run.code == 2 and "Ô trống không phải 0" in run.err


def test_merge_accepts_long_csv_for_every_scorer(blank_bloc, tdkt, example):
    bloc, _ = blank_bloc
    assert tdkt("merge", bloc, example / "scores.csv").code == 0
    assert tdkt("score", bloc, "--json").json["top"] == ["SGTVT", "SKHDT", "BQLKKT"]


def test_merge_refuses_an_out_of_range_score_from_csv_with_its_line(blank_bloc, tdkt, example, tmp_path):
    bloc, _ = blank_bloc
    lines = (example / "scores.csv").read_text(encoding="utf-8").splitlines()
    scorer, unit, criterion, _ = lines[5].split(",")
    lines[5] = f"{scorer},{unit},{criterion},99"
    scores = tmp_path / "diem.csv"
    scores.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = bloc.read_bytes()
    run = tdkt("merge", bloc, scores)
    assert run.code == 2 and bloc.read_bytes() == before
    [line] = [line for line in run.err.splitlines() if "nằm ngoài khoảng cho phép" in line]
    assert "diem.csv" in line and "dòng 6" in line and f"tiêu chí {criterion}" in line, run.err


def test_check_lists_missing_units_with_sheet_and_cell(blank_bloc, tdkt):
    bloc, forms = blank_bloc
    assert tdkt("merge", bloc, *[p for c, p in forms.items() if c != "SXD"]).code == 0
    run = tdkt("check", bloc, "--json")
    assert run.code == 2
    issues = run.json["issues"]
    missing = [i for i in issues if i["code"] == "SHEET_NOT_RECEIVED"]
    assert [i["scorer"] for i in missing] == ["SXD"]
    assert missing[0]["sheet"] == "Phiếu SXD" and missing[0]["cell"]
    assert any(i["code"] == "MISSING_SHEET" and i["scorer"] == "SXD" for i in issues)


def test_check_of_a_form_reports_a_formula_in_a_score_cell(blank_bloc, tdkt):
    _, forms = blank_bloc
    edit_form(forms["SNN"], **{layout.form_name("grid"): "=1+1"})
    run = tdkt("check", forms["SNN"], "--json")
    assert run.code == 2
    problem = next(i for i in run.json["issues"] if i["code"] == "FORMULA_IN_SCORE")
    assert problem["file"] == forms["SNN"].name and problem["sheet"] and problem["cell"]


def test_a_form_given_as_the_bloc_gets_an_explanation(blank_bloc, tdkt):
    _, forms = blank_bloc
    run = tdkt("score", forms["SNN"])
    assert run.code == 2 and "phiếu chấm của một đơn vị" in run.err


def test_merge_refuses_a_form_whose_locked_maximum_was_edited(blank_bloc, tdkt):
    bloc, forms = blank_bloc
    book = openpyxl.load_workbook(forms["SKHDT"])
    sheet, ref = next(iter(book.defined_names[layout.form_name("codes")].destinations))
    first = ref.split(":")[0].replace("$", "")
    ws = book[sheet]
    row = ws[first].row
    while ws.cell(row, ws[first].column).value != "I.1":
        row += 1
    ws.cell(row, ws[first].column + 2).value = 20  # the maximum of I.1 was 15
    book.save(forms["SKHDT"])
    run = tdkt("merge", bloc, forms["SKHDT"])
    assert run.code == 2
    assert "Điểm tối đa của tiêu chí I.1" in run.err and "ô khoá đã bị sửa" in run.err
