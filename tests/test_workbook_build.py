"""The built workbooks keep the layout contract: names, protection, validation, determinism, `tdkt new`."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from test_templates_libreoffice import coefficient_table
from workbooks import cells, column, destinations, fill, single

from tdkt_lib.adapters.csv_input import read_criteria, read_scores, read_units
from tdkt_lib.adapters.profiles import load_profile
from tdkt_lib.adapters.tables import table_from_rows
from tdkt_lib.core.model import Criterion, ScoringTable, Unit
from tdkt_lib.workbook import layout
from tdkt_lib.workbook.build import (
    build_bloc_workbook,
    build_unit_form,
    criteria_table_rows,
    table_id,
    table_rows,
    template_files,
    templates_dir,
    workbook_bytes,
)
from tdkt_lib.workbook.start import read_previous

EXAMPLE = Path(__file__).resolve().parents[1] / "tdkt_lib" / "examples" / "hai-phong-7"
UNITS = read_units(EXAMPLE / "units.csv")
TABLE = read_criteria(EXAMPLE / "criteria.csv")
PROFILE = load_profile("hai-phong-2024")
STATIC_REF = re.compile(r"^'[^']+'!\$[A-Z]+\$\d+(:\$[A-Z]+\$\d+)?$")


def bloc_book(units=UNITS, table=TABLE, profile=PROFILE):
    return build_bloc_workbook(units, table, profile, bloc="Khối Quản lý kinh tế", year=2024,
                               leader="BQLKKT", deputy="SKHDT")


def test_committed_templates_equal_a_fresh_build():
    folder = templates_dir()
    fresh = template_files()
    assert sorted(p.name for p in folder.glob("*.xlsx")) == sorted(fresh)
    for name, wb in fresh.items():
        assert (folder / name).read_bytes() == workbook_bytes(wb), (
            f"{name} differs from a fresh build: run python tools/build_templates.py")


def test_build_is_deterministic():
    assert workbook_bytes(bloc_book()) == workbook_bytes(bloc_book())
    core = openpyxl.load_workbook(_saved(bloc_book())).properties
    assert core.created == core.modified == dt.datetime(2024, 1, 1)


def _saved(wb, tmp: Path | None = None) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "book.xlsx" if tmp is None else tmp
    path.write_bytes(workbook_bytes(wb))
    return path


@pytest.mark.parametrize("name", [layout.UNITS, layout.SCORES, layout.RANKS])
def test_public_contract_names(name):
    wb = openpyxl.load_workbook(_saved(bloc_book()))
    defined = wb.defined_names[name]                          # workbook scope (KeyError otherwise)
    assert defined.localSheetId is None
    assert STATIC_REF.match(defined.attr_text), defined.attr_text  # static and absolute
    (sheet, area), = destinations(wb, name)
    assert sheet == layout.SHEET_SUMMARY
    first, last = area.replace("$", "").split(":")
    assert re.sub(r"\d", "", first) == re.sub(r"\d", "", last)  # one column
    lengths = {len(column(wb, n)) for n in (layout.UNITS, layout.SCORES, layout.RANKS)}
    assert lengths == {len(UNITS)}
    assert column(wb, layout.UNITS) == [u.code for u in UNITS]  # Đơn vị order
    assert column(wb, layout.RANKS) == [None] * len(UNITS)


def test_bloc_names_and_info():
    wb = bloc_book()
    for name in (layout.KIND, layout.FORMAT_VERSION, layout.BLOC, layout.YEAR, layout.LEADER, layout.DEPUTY,
                 layout.PROFILE, layout.METHOD, layout.DEADLINE, layout.TABLE_ID, layout.UNIT_TABLE,
                 layout.CRITERIA_TABLE, layout.OUT_RANKING, layout.OUT_APPRAISAL, layout.OUT_CHECK):
        assert wb.defined_names[name].localSheetId is None
        assert STATIC_REF.match(wb.defined_names[name].attr_text)
    assert single(wb, layout.KIND) == layout.KIND_BLOC
    assert single(wb, layout.FORMAT_VERSION) == layout.CURRENT_FORMAT
    assert single(wb, layout.BLOC) == "Khối Quản lý kinh tế"
    assert single(wb, layout.YEAR) == 2024
    assert (single(wb, layout.LEADER), single(wb, layout.DEPUTY)) == ("BQLKKT", "SKHDT")
    assert single(wb, layout.PROFILE) == "hai-phong-2024"
    assert single(wb, layout.METHOD) == PROFILE.describe_method()
    assert single(wb, layout.DEADLINE) == dt.datetime(2024, 12, 8)
    assert single(wb, layout.TABLE_ID) == table_id(TABLE)
    for out in (layout.OUT_RANKING, layout.OUT_APPRAISAL, layout.OUT_CHECK):
        assert destinations(wb, out)[0][1] == "$A$1"
    for index, unit in enumerate(UNITS, start=1):
        assert single(wb, layout.scorer_name(index, "scorer")) == unit.code
        assert destinations(wb, layout.scorer_name(index, "grid"))[0][0] == layout.scorer_sheet_title(unit.code)
        for part in layout.GRID_PARTS:
            assert wb.defined_names[layout.scorer_name(index, part)].localSheetId is None
    assert layout.scorer_name(len(UNITS) + 1, "grid") not in wb.defined_names
    assert column(wb, layout.UNIT_TABLE) == [u.code for u in UNITS]
    assert [r[3].value for r in cells(wb, layout.UNIT_TABLE)] == [None] * 5 + ["Đang trong thời gian thanh tra", None]


def test_summary_formulas():
    wb = bloc_book()
    (sheet, _), = destinations(wb, layout.SCORES)
    rows = cells(wb, layout.SCORES)
    first = rows[0][0]
    assert first.value == '=IF(COUNT($C$5:$I$5)<7,"",ROUND(ROUND(SUM($C$5:$I$5)/7,10),2))'
    ws = wb[sheet]
    assert ws["C5"].value == "='Phiếu BQLKKT'!$E$30"
    assert ws["D5"].value == "='Phiếu SNN'!$E$30"
    assert ws["C6"].value == "='Phiếu BQLKKT'!$F$30"
    assert ";" not in "".join(str(c.value) for row in ws.iter_rows() for c in row if c.data_type == "f")


def test_grid_rows_are_sections_and_criteria_in_order():
    table = coefficient_table()
    wb = bloc_book(table=table)
    codes = column(wb, layout.scorer_name(1, "codes"))
    assert codes == [r.code for r in table_rows(table)]
    assert codes[:4] == ["A", "A1", "A1.1", "A1.2"]
    grid = cells(wb, layout.scorer_name(1, "grid"))
    assert len(grid) == len(codes) and len(grid[0]) == len(UNITS)
    units = cells(wb, layout.scorer_name(1, "units"))[0]
    assert [c.value for c in units] == [u.code for u in UNITS]
    totals = cells(wb, layout.scorer_name(1, "totals"))[0]
    assert len(totals) == len(UNITS) and totals[0].row == grid[-1][0].row + 1
    signed = {row[0].value: row[0].offset(0, 3).value for row in cells(wb, layout.scorer_name(1, "codes"))}
    assert signed["A1.1"] == 2 and signed["A1.2"] == 0.5 and signed["B.2"] == 0.3
    assert signed["C.1"] == 1 and signed["C.2"] == -1 and signed["C.3"] == -1.5 and signed["A"] is None


def test_form_is_protected_validated_and_identified():
    table = coefficient_table()
    wb = build_unit_form(UNITS, table, PROFILE, "SKHDT", bloc="Khối Quản lý kinh tế", year=2024)
    ws = wb[layout.SHEET_FORM]
    assert single(wb, layout.KIND) == layout.KIND_FORM
    assert single(wb, layout.form_name("scorer")) == "SKHDT"
    assert single(wb, layout.BLOC) == "Khối Quản lý kinh tế" and single(wb, layout.YEAR) == 2024
    assert single(wb, layout.TABLE_ID) == table_id(table)
    assert ws.protection.sheet
    for name in (layout.KIND, layout.BLOC, layout.YEAR, layout.TABLE_ID, layout.form_name("scorer"),
                 layout.form_name("units"), layout.form_name("codes"), layout.form_name("totals")):
        assert all(c.protection.locked for row in cells(wb, name) for c in row), name
    codes = column(wb, layout.form_name("codes"))
    criteria = {c.code: c for c in table.criteria}
    validations = {str(r): dv for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges}
    for code, row in zip(codes, cells(wb, layout.form_name("grid")), strict=True):
        if code in criteria:
            assert all(not c.protection.locked for c in row)
            dv = validations[f"{row[0].coordinate}:{row[-1].coordinate}"]
            assert (dv.type, dv.operator, dv.formula1, dv.errorStyle) == ("decimal", "between", "0", "stop")
            assert Decimal(dv.formula2) == criteria[code].maximum
            assert dv.showErrorMessage and dv.error.startswith("Điểm phải từ 0 đến ")
        else:
            assert all(c.protection.locked for c in row)
    own = [c.value for c in cells(wb, layout.form_name("units"))[0]].index("SKHDT")
    mark = cells(wb, layout.form_name("units"))[0][own].offset(-1, 0)
    assert mark.value == "Tự chấm"
    texts = [c.value for row in ws.iter_rows(max_row=4) for c in row if c.value]
    assert texts[:3] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                         "PHIẾU CHẤM ĐIỂM THI ĐUA NĂM 2024"]
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows
    assert any(c.value == "THỦ TRƯỞNG ĐƠN VỊ" for row in ws.iter_rows() for c in row)
    assert table_id(table) == single(wb, layout.TABLE_ID)


def test_table_id_tracks_what_changes_totals():
    base = ScoringTable((Criterion("1", "A", Decimal(10)), Criterion("2", "B", Decimal(5))))
    retitled = ScoringTable((Criterion("1", "Khác", Decimal("10.0")), Criterion("2", "B", Decimal(5))))
    assert table_id(base) == table_id(retitled) and len(table_id(base)) == 16
    assert table_id(base) != table_id(ScoringTable((Criterion("1", "A", Decimal(9)), Criterion("2", "B", Decimal(5)))))
    assert table_id(base) != table_id(ScoringTable((Criterion("1", "A", Decimal(10), coefficient=Decimal(2)),
                                                    Criterion("2", "B", Decimal(5)))))


def test_criteria_sheet_rows_read_back_as_the_same_table():
    table = coefficient_table()
    columns = layout.CRITERIA_COLUMNS
    rows = [({"line": i}, {k: "" if v is None else str(v) for k, v in zip(columns, values, strict=True)})
            for i, values in enumerate(criteria_table_rows(table))]
    again = table_from_rows(rows)
    assert again.criteria == table.criteria
    assert table_id(again) == table_id(table)


def _rename_and_reorder(wb) -> None:
    """What Excel does when an officer renames sheets: names and formulas follow. Then reorder."""
    renames = {title: f"Trang {i}" for i, title in enumerate(wb.sheetnames)}
    for old, new in renames.items():
        wb[old].title = new
    def swap(text: str) -> str:
        for old, new in renames.items():
            text = text.replace(f"'{old}'!", f"'{new}'!")
        return text
    for defined in wb.defined_names.values():
        defined.attr_text = swap(defined.attr_text)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.value = swap(cell.value)
    wb._sheets.reverse()


def test_everything_is_found_through_names_after_renaming_and_reordering(tmp_path):
    wb = bloc_book()
    _rename_and_reorder(wb)
    fill(wb, read_scores(EXAMPLE / "scores.csv"))
    path = tmp_path / "renamed.xlsx"
    path.write_bytes(workbook_bytes(wb))
    back = openpyxl.load_workbook(path)
    assert layout.SHEET_SUMMARY not in back.sheetnames
    assert column(back, layout.UNITS) == [u.code for u in UNITS]
    assert single(back, layout.scorer_name(7, "scorer")) == "SGTVT"
    grid = cells(back, layout.scorer_name(7, "grid"))
    assert grid[0][0].value == 13.25    # SGTVT scored BQLKKT on I.1
    units, table, info = read_previous(path)
    assert units == UNITS and table_id(table) == table_id(TABLE)
    assert info == {"bloc": "Khối Quản lý kinh tế", "year": 2024, "profile": "hai-phong-2024"}


# --- tdkt new ---------------------------------------------------------------------------------


def test_new_with_only_required_arguments(tdkt, tmp_path):
    out = tmp_path / "so.xlsx"
    run = tdkt("new", "--units", EXAMPLE / "units.csv", "--criteria", EXAMPLE / "criteria.csv", "-o", out)
    assert run.code == 0, run.err
    wb = openpyxl.load_workbook(out)
    assert single(wb, layout.YEAR) == dt.date.today().year
    assert single(wb, layout.BLOC) == "Khối thi đua"
    assert single(wb, layout.PROFILE) == "default"
    assert [p.name for p in tmp_path.iterdir()] == ["so.xlsx"]    # no temporary file left


def test_new_form_and_from(tdkt, tmp_path):
    bloc = tmp_path / "so.xlsx"
    assert tdkt("new", "--units", EXAMPLE / "units.csv", "--criteria", EXAMPLE / "criteria.csv",
                "--profile", "lao-cai-2023", "--bloc", "Khối A", "--year", 2023, "-o", bloc).code == 0
    form = tmp_path / "phieu.xlsx"
    run = tdkt("new", "--from", bloc, "--form", "sgtvt", "-o", form)
    assert run.code == 0, run.err
    wb = openpyxl.load_workbook(form)
    assert (single(wb, layout.form_name("scorer")), single(wb, layout.YEAR)) == ("SGTVT", 2023)
    assert single(wb, layout.TABLE_ID) == table_id(TABLE)
    nxt = tmp_path / "nam-sau.xlsx"
    assert tdkt("new", "--from", bloc, "-o", nxt).code == 0
    wb = openpyxl.load_workbook(nxt)
    assert (single(wb, layout.YEAR), single(wb, layout.BLOC), single(wb, layout.PROFILE)) == (
        2024, "Khối A", "lao-cai-2023")
    assert single(wb, layout.LEADER) is None


def test_new_refuses_overwriting_an_input(tdkt, tmp_path):
    bloc = tmp_path / "so.xlsx"
    tdkt("new", "--units", EXAMPLE / "units.csv", "--criteria", EXAMPLE / "criteria.csv", "-o", bloc)
    before = bloc.read_bytes()
    run = tdkt("new", "--from", bloc, "-o", bloc)
    assert run.code == 2 and "Không ghi đè" in run.err
    assert bloc.read_bytes() == before


def test_new_from_reports_bad_criteria_with_sheet_and_cell(tdkt, tmp_path):
    bloc = tmp_path / "so.xlsx"
    tdkt("new", "--units", EXAMPLE / "units.csv", "--criteria", EXAMPLE / "criteria.csv", "-o", bloc)
    wb = openpyxl.load_workbook(bloc)
    crit = cells(wb, layout.CRITERIA_TABLE)
    crit[2][2].value = "mười"               # max of I.3
    crit[4][3].value = "thưởng lớn"         # kind of II.1
    ws = crit[0][0].parent
    ws.cell(crit[-1][0].row + 1, 1, "X.1")  # appended row below the named table: read too
    ws.cell(crit[-1][0].row + 1, 3, 0)
    wb.save(bloc)
    run = tdkt("new", "--from", bloc, "-o", tmp_path / "b.xlsx")
    assert run.code == 2
    assert "Tiêu chí, ô A4" in run.err and "không phải là số" in run.err
    assert "ô A6" in run.err and "thưởng lớn" in run.err
    assert f"ô A{crit[-1][0].row + 1}" in run.err and "lớn hơn 0" in run.err
    assert not (tmp_path / "b.xlsx").exists()


@pytest.mark.parametrize("args", [
    ("--units", EXAMPLE / "units.csv", "-o", "x.xlsx"),
    ("--units", EXAMPLE / "units.csv", "--criteria", EXAMPLE / "criteria.csv", "--form", "KHONG", "-o", "x.xlsx"),
    ("--from", EXAMPLE / "units.csv", "-o", "x.xlsx"),
    ("--units", EXAMPLE / "units.csv", "--criteria", EXAMPLE / "scores.csv", "-o", "x.xlsx"),
])
def test_new_bad_input_exits_2_in_vietnamese(tdkt, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    run = tdkt("new", *args)
    assert run.code == 2 and "[LỖI]" in run.err
    assert not (tmp_path / "x.xlsx").exists()


def test_unit_codes_with_odd_characters_get_legal_sheet_titles():
    units = (Unit("A/B"), Unit("C:D"), Unit("Đơn vị có tên rất dài vượt quá ba mươi mốt ký tự"))
    wb = build_bloc_workbook(units, TABLE, PROFILE, bloc="K", year=2024)
    for index in (1, 2, 3):
        title = destinations(wb, layout.scorer_name(index, "grid"))[0][0]
        assert len(title) <= 31 and not set(title) & set("[]:*?/\\")


def test_the_guide_sheet_explains_every_button_and_worksheet_function():
    from tdkt_lib.addin import help_text, udfs

    committed = Path(__file__).resolve().parents[1] / "xlsx_templates"
    book = openpyxl.load_workbook(committed / "hai-phong-2024-so-khoi.xlsx")
    text = "\n".join(str(c.value) for row in book["Hướng dẫn"].iter_rows() for c in row if c.value)
    for label, _ in help_text.BUTTONS:
        assert f"• {label}:" in text
    for function in udfs.FUNCTIONS:
        assert f"{function.__name__}(" in text
