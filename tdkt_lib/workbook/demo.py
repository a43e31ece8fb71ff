"""The built-in demo: a Hải Phòng bloc of 7 units, forms filled, merged and scored."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from tdkt_lib.adapters.csv_input import read_criteria, read_scores, read_units
from tdkt_lib.adapters.profiles import load_profile
from tdkt_lib.core.model import code_key
from tdkt_lib.core.numbers import parse_decimal
from tdkt_lib.core.scores import Entry
from tdkt_lib.workbook import layout
from tdkt_lib.workbook.actions import ScoreOutcome, score_file
from tdkt_lib.workbook.merge import merge_files
from tdkt_lib.workbook.snapshot import parse_reference
from tdkt_lib.workbook.writer import write_atomically

DEMO_PROFILE = "hai-phong-2024"
DEMO_BLOC = "Khối thi đua các cơ quan Quản lý kinh tế thành phố"
DEMO_YEAR = 2024
DEMO_LEADER = "Ban Quản lý Khu kinh tế Hải Phòng"
DEMO_DEPUTY = "Sở Nông nghiệp và Phát triển nông thôn"


def example_dir() -> Path:
    return Path(str(resources.files("tdkt_lib.examples") / "hai-phong-7"))


def fill_form(book: object, entries: list[Entry]) -> None:
    """Type scores into a unit form's grid, found through its defined names (as an officer would)."""
    names = book.defined_names  # type: ignore[attr-defined]
    grid_sheet, (min_col, min_row, _, max_row) = parse_reference(names[layout.form_name("grid")].attr_text)
    _, (codes_col, codes_row, _, _) = parse_reference(names[layout.form_name("codes")].attr_text)
    _, (units_col, units_row, units_max_col, _) = parse_reference(names[layout.form_name("units")].attr_text)
    sheet = book[grid_sheet]  # type: ignore[index]
    rows = {code_key(str(sheet.cell(codes_row + i, codes_col).value or "")): min_row + i
            for i in range(max_row - min_row + 1)}
    cols = {code_key(str(sheet.cell(units_row, c).value or "")): min_col + (c - units_col)
            for c in range(units_col, units_max_col + 1)}
    for entry in entries:
        value = parse_decimal(entry.value)
        sheet.cell(rows[code_key(entry.criterion)], cols[code_key(entry.unit)]).value = (
            int(value) if value == value.to_integral_value() else float(value)
        )


@dataclass
class DemoRun:
    bloc: Path
    forms: list[Path]
    outcome: ScoreOutcome


def run_demo(folder: Path) -> DemoRun:
    """Build the bloc workbook and the 7 forms, fill them, merge (gộp phiếu) and score (Tính điểm)."""
    from tdkt_lib.workbook.build import build_bloc_workbook, build_unit_form

    source = example_dir()
    units = read_units(source / "units.csv")
    table = read_criteria(source / "criteria.csv")
    entries = read_scores(source / "scores.csv")
    profile = load_profile(DEMO_PROFILE)
    (folder / "phieu").mkdir(parents=True, exist_ok=True)
    bloc = folder / "so-tong-hop-khoi.xlsx"
    book = build_bloc_workbook(units, table, profile, bloc=DEMO_BLOC, year=DEMO_YEAR,
                               leader=DEMO_LEADER, deputy=DEMO_DEPUTY)
    write_atomically(bloc, book.save)
    forms = []
    for unit in units:
        form = build_unit_form(units, table, profile, unit.code, bloc=DEMO_BLOC, year=DEMO_YEAR)
        fill_form(form, [e for e in entries if code_key(e.scorer) == code_key(unit.code)])
        path = folder / "phieu" / f"phieu-{unit.code}.xlsx"
        write_atomically(path, form.save)
        forms.append(path)
    merge_files(bloc, forms, replace=True)
    return DemoRun(bloc, forms, score_file(bloc))
