"""The ribbon's buttons through xlwings' real remote engine give exactly the CLI's results.

`simulate` builds the payload from the file, runs the handler on `xw.Book(json=…)` and applies
the returned actions back with openpyxl; the results are compared with what `tdkt score`,
`tdkt check` and `tdkt merge` write on the same templates (run_demo), apart from the time stamps.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from workbooks import cells

from tdkt_lib.addin.simulate import ActionApplier, SimulateError, simulate
from tdkt_lib.workbook import layout
from tdkt_lib.workbook.demo import DEMO_BLOC, DEMO_DEPUTY, DEMO_LEADER, DEMO_PROFILE, DEMO_YEAR, run_demo
from tdkt_lib.workbook.outputs import check_sheet

# rows (1-based) holding «Thời điểm tính/kiểm tra: …»
STAMP_ROWS = {layout.OUT_RANKING: 4, layout.OUT_CHECK: 2, layout.OUT_VERIFY: 2}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, list[Path]]:
    folder = tmp_path_factory.mktemp("demo")
    run = run_demo(folder)
    return run.bloc, run.forms


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """A bloc workbook as `tdkt new` gives it: no scores, no output written yet."""
    from tdkt_lib.adapters.csv_input import read_criteria, read_units
    from tdkt_lib.adapters.profiles import load_profile
    from tdkt_lib.workbook.build import build_bloc_workbook
    from tdkt_lib.workbook.demo import example_dir

    source = example_dir()
    book = build_bloc_workbook(read_units(source / "units.csv"), read_criteria(source / "criteria.csv"),
                               load_profile(DEMO_PROFILE), bloc=DEMO_BLOC, year=DEMO_YEAR, leader=DEMO_LEADER,
                               deputy=DEMO_DEPUTY)
    path = tmp_path_factory.mktemp("fresh") / "khoi-moi.xlsx"
    book.save(path)
    return path


def copy(source: Path, folder: Path, name: str) -> Path:
    target = folder / name
    shutil.copy2(source, target)
    return target


def values(path: Path) -> dict[str, list[list]]:
    """Every sheet's values (formulas as text), trailing blanks trimmed."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        rows = [r[: max((j + 1 for j, v in enumerate(r) if v is not None), default=0)] for r in rows]
        while rows and not rows[-1]:
            rows.pop()
        out[ws.title] = rows
    return out


def named_sheet(path: Path, name: str) -> list[list]:
    wb = openpyxl.load_workbook(path)
    title = next(iter(wb.defined_names[name].destinations))[0]
    return values(path)[title]


def ranks(path: Path) -> list:
    wb = openpyxl.load_workbook(path)
    (title, area), = wb.defined_names[layout.RANKS].destinations
    return [row[0].value for row in wb[title][area.replace("$", "")]]


def without_stamp(rows: list[list], name: str) -> list[list]:
    rows = [list(r) for r in rows]
    if name in STAMP_ROWS:
        i = STAMP_ROWS[name] - 1
        assert str(rows[i][0]).startswith(("Thời điểm tính:", "Thời điểm kiểm tra:"))
        rows[i] = [str(rows[i][0]).split(":")[0]]
    return rows


def test_score_equals_cli(demo, tmp_path, tdkt):
    bloc, _ = demo
    cli_out, sim_out = tmp_path / "cli.xlsx", tmp_path / "sim.xlsx"
    assert tdkt("score", bloc, "-o", cli_out).code == 0
    actions = tmp_path / "actions.json"
    result = simulate(bloc, "tdkt_score", sim_out, actions)
    assert result.outcome.ok, result.outcome.message
    assert "Đã tính điểm và xếp hạng 7 đơn vị" in result.messages[0]
    assert ranks(sim_out) == ranks(cli_out)
    assert all(isinstance(r, int) for r in ranks(sim_out))
    for name in (layout.OUT_RANKING, layout.OUT_APPRAISAL, layout.OUT_CHECK, layout.OUT_VERIFY):
        assert without_stamp(named_sheet(sim_out, name), name) == without_stamp(named_sheet(cli_out, name), name)
    saved = json.loads(actions.read_text(encoding="utf-8"))["actions"]
    funcs = {a["func"] for a in saved}
    assert {"setValues", "sheetClear", "setColumnWidth", "rangeMerge", "alert"} <= funcs
    # one setValues per output sheet, one for the ranks column, one for the undo record
    sheets = sum(a["func"] == "sheetClear" for a in saved) + sum(a["func"] == "addSheet" for a in saved) - 1
    assert sum(a["func"] == "setValues" for a in saved) == sheets + 2
    assert values(bloc) == values(copy(bloc, tmp_path, "unchanged.xlsx"))   # FILE untouched with -o


def test_score_formatting_applied(demo, tmp_path):
    bloc, _ = demo
    out = tmp_path / "sim.xlsx"
    simulate(bloc, "tdkt_score", out)
    wb = openpyxl.load_workbook(out)
    ws = wb[layout.SHEET_RANKING]
    assert ws["A6"].font.b and ws["A1"].font.sz == 13
    assert any(str(m) == "A1:J1" for m in ws.merged_cells.ranges)
    assert ws.column_dimensions["C"].width == pytest.approx(40, abs=0.2)
    assert ws["D7"].number_format == "0.00"
    assert ws.freeze_panes == "A7"
    assert wb["tdkt_undo"].sheet_state == "hidden"
    assert wb.active.title == layout.SHEET_RANKING


def test_check_equals_cli(demo, tmp_path, tdkt):
    bloc, _ = demo
    out = tmp_path / "sim.xlsx"
    result = simulate(bloc, "tdkt_check", out)
    cli = tdkt("check", bloc, "--json")
    expected = check_sheet(cli.json["issues"], "x").rows
    got = named_sheet(out, layout.OUT_CHECK)
    trimmed = [r[: max((j + 1 for j, v in enumerate(r) if v not in (None, "")), default=0)] for r in expected]
    assert without_stamp(got, layout.OUT_CHECK) == without_stamp(
        [[v if v != "" else None for v in r] for r in trimmed], layout.OUT_CHECK)
    assert result.messages[0].startswith(("Có ", "Không có vấn đề")) and "«Kiểm tra»" in result.messages[0]


def test_appraisal_equals_cli(demo, tmp_path, tdkt):
    bloc, _ = demo
    cli_out, sim_out = tmp_path / "cli.xlsx", tmp_path / "sim.xlsx"
    assert tdkt("score", bloc, "-o", cli_out).code == 0
    result = simulate(bloc, "tdkt_appraisal", sim_out)
    assert result.outcome.ok
    assert named_sheet(sim_out, layout.OUT_APPRAISAL) == named_sheet(cli_out, layout.OUT_APPRAISAL)
    assert ranks(sim_out) == ranks(bloc)                   # only the list is written
    assert openpyxl.load_workbook(sim_out).active.title == layout.SHEET_APPRAISAL


@pytest.mark.parametrize("button", ["tdkt_score", "tdkt_check", "tdkt_appraisal"])
def test_undo_restores_demo(demo, tmp_path, button):
    bloc, _ = demo
    work = copy(bloc, tmp_path, "so.xlsx")
    before = values(work)
    simulate(work, button)
    assert values(work) != before
    result = simulate(work, "tdkt_undo")
    assert result.outcome.ok and "Đã hoàn tác" in result.messages[0]
    assert values(work) == before
    again = simulate(work, "tdkt_undo")
    assert not again.outcome.ok and "Không có thao tác" in again.messages[0]


def test_undo_deletes_created_sheets(fresh, tmp_path):
    work = copy(fresh, tmp_path, "khoi.xlsx")
    wb = openpyxl.load_workbook(work)
    for name in (layout.OUT_CHECK,):          # an older workbook without the Kiểm tra sheet
        title = next(iter(wb.defined_names[name].destinations))[0]
        wb.remove(wb[title])
        del wb.defined_names[name]
    wb.save(work)
    before = values(work)
    simulate(work, "tdkt_check")
    after = openpyxl.load_workbook(work)
    assert layout.SHEET_CHECK in after.sheetnames and layout.OUT_CHECK in after.defined_names
    simulate(work, "tdkt_undo")
    restored = openpyxl.load_workbook(work)
    assert values(work) == before
    assert layout.OUT_CHECK not in restored.defined_names and "tdkt_undo" not in restored.sheetnames


def test_score_refuses_blocking_data(fresh, tmp_path):
    work = copy(fresh, tmp_path, "khoi.xlsx")
    raw = work.read_bytes()
    result = simulate(work, "tdkt_score")
    assert not result.outcome.ok
    assert result.messages[0].startswith("Chưa xếp hạng: dữ liệu còn")
    assert [a["func"] for a in result.actions] == ["alert"]
    assert result.written is None and work.read_bytes() == raw


def test_merge_equals_cli_and_undo(fresh, demo, tmp_path, tdkt):
    _, forms = demo
    cli_out, sim_out = tmp_path / "cli.xlsx", tmp_path / "sim.xlsx"
    assert tdkt("merge", fresh, *forms, "-o", cli_out).code == 0
    result = simulate(fresh, "tdkt_merge", sim_out, forms=forms)
    assert result.outcome.ok, result.outcome.message
    assert "Đã gộp phiếu của 7 đơn vị" in result.messages[0]
    cli_wb, sim_wb = openpyxl.load_workbook(cli_out), openpyxl.load_workbook(sim_out)
    for name in cli_wb.defined_names:
        parsed = layout.parse_scorer_name(name)
        if not parsed or parsed[1] not in ("grid", "received"):
            continue
        got = [[c.value for c in row] for row in cells(sim_wb, name)]
        want = [[c.value for c in row] for row in cells(cli_wb, name)]
        if parsed[1] == "grid":
            assert got == want, name
        else:
            assert isinstance(got[0][0], str) and got[0][0][:2].isdigit()   # «dd/mm/YYYY HH:MM» as text
    before = values(fresh)
    simulate(sim_out, "tdkt_undo")
    assert values(sim_out) == before
    # the merged bloc then ranks exactly as the CLI's merged bloc
    scored = tmp_path / "scored.xlsx"
    assert simulate(sim_out, "tdkt_merge", forms=forms).outcome.ok
    assert tdkt("score", cli_out, "-o", scored).code == 0
    assert simulate(sim_out, "tdkt_score").outcome.ok
    assert ranks(sim_out) == ranks(scored)


def test_merge_needs_forms(fresh):
    with pytest.raises(SimulateError, match="Gộp phiếu"):
        simulate(fresh, "tdkt_merge")


def test_foreign_workbook_and_unit_form(demo, tmp_path):
    _, forms = demo
    foreign = tmp_path / "bang-luong.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Bảng lương"
    wb.save(foreign)
    for button in ("tdkt_score", "tdkt_check", "tdkt_appraisal", "tdkt_undo"):
        result = simulate(foreign, button)
        assert not result.outcome.ok
        text = result.messages[0]
        assert "Traceback" not in text and "Error" not in text
        if button != "tdkt_undo":
            assert "không phải sổ chấm điểm do tdkt tạo" in text and "Hãy mở sổ tổng hợp" in text
    form = copy(forms[0], tmp_path, "phieu.xlsx")
    result = simulate(form, "tdkt_score")
    assert not result.outcome.ok
    assert "phiếu chấm của một đơn vị, không phải sổ tổng hợp" in result.messages[0]
    assert result.written is None
    # Kiểm tra works on a unit form too (an officer checks the form before sending it)
    checked = simulate(form, "tdkt_check", tmp_path / "phieu-kiem-tra.xlsx")
    assert checked.outcome.ok, checked.outcome.message


def test_unknown_button_and_action(demo):
    bloc, _ = demo
    with pytest.raises(SimulateError, match="Không có nút"):
        simulate(bloc, "tdkt_nope")
    wb = openpyxl.load_workbook(bloc)
    with pytest.raises(SimulateError, match="addChart"):
        ActionApplier(wb).apply([{"func": "addChart", "args": []}])


def test_cli_entry(demo, tmp_path, tdkt):
    bloc, _ = demo
    out, actions = tmp_path / "o.xlsx", tmp_path / "a.json"
    run = tdkt("addin", "simulate", bloc, "tdkt_score", "-o", out, "--actions", actions)
    assert run.code == 0, run.err
    assert "Đã tính điểm" in run.out and str(out) in run.err
    assert json.loads(actions.read_text(encoding="utf-8"))["actions"]
