"""Gộp phiếu: unit forms (and long CSV) into the bloc's score grids, checked, all or nothing.

Shared by the CLI and the ribbon (`plan_merge` reads and checks; the CLI writes with
`merge_files`, the ribbon through xlwings).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tdkt_lib.core.model import ScoreArray, code_key
from tdkt_lib.core.numbers import parse_decimal
from tdkt_lib.core.problems import InputError, Problem, error
from tdkt_lib.core.scores import REFUSED, Entry, build_scores
from tdkt_lib.core.validate import missing_index, missing_where, range_problems
from tdkt_lib.workbook import layout
from tdkt_lib.workbook.package import Patch
from tdkt_lib.workbook.reader import (
    BlocData,
    Grid,
    cell_text,
    check_kind,
    form_table_rows,
    grid_entries,
    read_bloc,
    read_form_table,
    read_grid,
    same_value,
)
from tdkt_lib.workbook.snapshot import BookSnapshot, read_snapshot
from tdkt_lib.workbook.writer import save_patch, update_lock


@dataclass
class FormData:
    scorer: str
    bloc: str
    year: str
    table_id: str
    entries: list[Entry]
    problems: list[Problem]


def read_form(snapshot: BookSnapshot, data: BlocData | None = None) -> FormData:
    """A unit form's identity and scores; checked against the bloc when `data` is given."""
    check_kind(snapshot, layout.KIND_FORM)
    problems: list[Problem] = []
    scorer, grid = read_grid(snapshot, _form_parts(snapshot), problems)
    form = FormData(scorer, cell_text(snapshot.value(layout.BLOC)), cell_text(snapshot.value(layout.YEAR)),
                    cell_text(snapshot.value(layout.TABLE_ID)), [], problems)
    if data is None:
        units, table = read_form_table(snapshot)
    else:
        units, table = data.units, data.table
        _check_identity(snapshot, form, data)
        _check_locked_cells(snapshot, form, data)
    form.entries = grid_entries(snapshot, grid, table, units, problems)
    return form


def _form_parts(snapshot: BookSnapshot) -> dict[str, Any]:
    parts = {p: snapshot.ref(layout.form_name(p)) for p in layout.GRID_PARTS}
    missing = [layout.form_name(p) for p in ("scorer", "codes", "units", "grid") if parts[p] is None]
    if missing:
        raise InputError([error("MISSING_NAME", f"Phiếu chấm thiếu vùng tên {', '.join(missing)}: không đúng mẫu.",
                                file=snapshot.label)])
    return {k: v for k, v in parts.items() if v is not None}


def _check_identity(snapshot: BookSnapshot, form: FormData, data: BlocData) -> None:
    where = {"file": snapshot.label}
    if code_key(form.scorer) not in {code_key(u.code) for u in data.units}:
        form.problems.append(error("UNKNOWN_SCORER", f"Phiếu của «{form.scorer}»: đơn vị không thuộc khối này.",
                                   **where))
    if code_key(form.bloc) != code_key(str(data.info["bloc"])):
        form.problems.append(error("WRONG_BLOC", f"Phiếu thuộc khối «{form.bloc}», không phải khối "
                                   f"«{data.info['bloc']}». Kiểm tra đơn vị gửi đúng phiếu của khối.", **where))
    if form.year != str(data.info["year"]):
        form.problems.append(error("WRONG_YEAR", f"Phiếu của năm {form.year}, sổ tổng hợp là năm "
                                   f"{data.info['year']}. Đề nghị đơn vị gửi phiếu đúng năm.", **where))
    if data.info.get("table_id") and form.table_id != data.info["table_id"]:
        form.problems.append(error("TABLE_CHANGED", "Bảng tiêu chí trong phiếu khác với sổ tổng hợp (tiêu chí hoặc "
                                   "điểm tối đa đã bị sửa). Đề nghị đơn vị chấm lại trên mẫu phiếu mới.", **where))


def _check_locked_cells(snapshot: BookSnapshot, form: FormData, data: BlocData) -> None:
    """Locked cells edited anyway (a changed maximum, an added criterion row) are refused."""
    known = {code_key(c.code): c for c in data.table.criteria}
    sections = {code_key(s.code) for s in data.table.sections}
    for where, row in form_table_rows(snapshot):
        code = row["criterion"]
        if code_key(code) in sections:
            continue
        expected = known.get(code_key(code))
        if expected is None:
            form.problems.append(error(
                "LOCKED_CELL_EDITED", f"Phiếu có tiêu chí «{code}» không có trong bảng tiêu chí của khối "
                "(hàng bị thêm vào phiếu). Đề nghị đơn vị chấm trên mẫu phiếu gốc.", criterion=code, **where))
        elif not same_value(row["max"], expected.maximum):
            form.problems.append(error(
                "LOCKED_CELL_EDITED", f"Điểm tối đa của tiêu chí {code} trong phiếu là {row['max']}, bảng "
                f"tiêu chí của khối là {expected.maximum}: ô khoá đã bị sửa. Đề nghị đơn vị chấm trên mẫu phiếu gốc.",
                criterion=code, **where))


@dataclass
class MergeOutcome:
    merged: dict[str, str]        # scorer code → source label
    problems: list[Problem]
    written: Path | None


@dataclass
class MergePlan:
    """What Gộp phiếu would write: changed score cells (entry, old value), nothing written yet."""

    merged: dict[str, str]        # scorer code → source label
    problems: list[Problem]
    changes: list[tuple[Entry, object]]

    @property
    def blocking(self) -> bool:
        return any(p.blocking for p in self.problems)


def merge_files(bloc_path: Path, sources: list[Path], out: Path | None = None,
                replace: bool = False) -> MergeOutcome:
    """Gộp phiếu: unit forms and long CSV into the bloc's grids; all-or-nothing."""
    with update_lock(out or bloc_path), _many_objects():
        return _merge_locked(bloc_path, sources, out, replace)


@contextlib.contextmanager
def _many_objects() -> Iterator[None]:
    """Hold the cyclic garbage collector while a merge runs.

    A merge makes some 10⁵ small objects (entries, cell locations, scores) that all live until it
    ends; the collector would walk them over and over as they pile up (a tenth of the merge's
    time). Reference counting still frees them; the collector runs again afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _merge_locked(bloc_path: Path, sources: list[Path], out: Path | None, replace: bool) -> MergeOutcome:
    data = read_bloc(read_snapshot(bloc_path), blanks=False)    # only the scores already there matter
    plan = plan_merge(data, sources, replace)
    if plan.blocking:
        return MergeOutcome(plan.merged, plan.problems, None)
    written = _write_merge(bloc_path, out, data, plan.changes)
    return MergeOutcome(plan.merged, plan.problems, written)


def plan_merge(data: BlocData, sources: list[Path], replace: bool = False) -> MergePlan:
    """Read and check the sources against the bloc; the cells that would change (CLI and ribbon)."""
    problems: list[Problem] = []
    incoming: dict[str, list[Entry]] = {}
    sender: dict[str, str] = {}
    for source in sources:
        suffix = source.suffix.lower()
        try:
            if suffix in (".xlsx", ".xlsm"):
                form = read_form(read_snapshot(source), data)
                problems += form.problems
                batches = {code_key(form.scorer): form.entries}
            elif suffix == ".csv":
                from tdkt_lib.adapters.csv_input import read_scores  # only for CSV sources: it loads the engine

                batches = {}
                for entry in read_scores(source):
                    batches.setdefault(code_key(entry.scorer), []).append(entry)
            else:
                raise InputError([error("UNSUPPORTED_FILE", "Chỉ gộp được phiếu .xlsx/.xlsm hoặc tệp điểm .csv "
                                        "(scorer,unit,criterion,points).", file=source.name)])
        except InputError as exc:
            problems += exc.problems
            continue
        for scorer, entries in batches.items():
            if scorer in sender:
                problems.append(error("DUPLICATE_SENDER", f"Đơn vị {entries[0].scorer} gửi điểm hai lần: "
                                      f"{sender[scorer]} và {source.name}. Chỉ gộp một phiếu.", file=source.name))
                continue
            sender[scorer] = source.name
            incoming[scorer] = entries
    new_entries = [e for batch in incoming.values() for e in batch]
    array, build_problems = build_scores(data.units, data.table, new_entries)
    problems += build_problems
    problems += range_problems(array)       # out-of-range scores never reach the bloc
    problems += _completeness(array, incoming, data)
    existing = {(code_key(e.scorer), code_key(e.unit), code_key(e.criterion)): e for e in data.entries
                if e.value not in (None, "")}
    if not existing:        # a blank bloc: every score is new
        return MergePlan({scorer: sender[scorer] for scorer in incoming}, problems,
                         [(entry, None) for entry in new_entries])
    changes: list[tuple[Entry, object]] = []
    for entry in new_entries:
        if entry.value is REFUSED:      # reported by the reader, never written
            continue
        key = (code_key(entry.scorer), code_key(entry.unit), code_key(entry.criterion))
        old = existing.get(key)
        if old is not None and not same_value(old.value, entry.value) and not replace:
            problems.append(error(
                "CONFLICT",
                f"Ô đã có điểm {cell_text(old.value)} (gộp trước đó), nguồn mới ghi {cell_text(entry.value)}. "
                "Không ghi đè âm thầm: kiểm tra lại, nếu đúng là phiếu mới thì chạy lại với --replace.",
                scorer=entry.scorer, unit=entry.unit, criterion=entry.criterion, **entry.where))
        if old is None or not same_value(old.value, entry.value):
            changes.append((entry, old))
    merged = {scorer: sender[scorer] for scorer in incoming}
    return MergePlan(merged, problems, changes)


def merged_value(value: object) -> int | Decimal:
    """The number Gộp phiếu stores for a score: an int when whole, else the exact decimal."""
    number = parse_decimal(value)
    return int(number) if number == number.to_integral_value() else Decimal(number)


def _completeness(array: ScoreArray, incoming: dict[str, list[Entry]], data: BlocData) -> list[Problem]:
    """Each sender's sheet must be complete: a blank is a missing score, not a zero."""
    found = []
    blank = array.unanswered
    for s, unit in enumerate(data.units):
        if code_key(unit.code) not in incoming:
            continue
        batch = incoming[code_key(unit.code)]
        source = batch[0].where.get("file") if batch else None     # a form whose grid could not be read
        for u, other in enumerate(data.units):
            missing = [crit.code for c, crit in enumerate(data.table.criteria) if blank[s, u, c]]
            if missing:
                shown = ", ".join(missing[:8]) + ("…" if len(missing) > 8 else "")
                found.append(error("MISSING_SCORE", f"Phiếu của {unit.code} chưa chấm {other.code} ở {shown}. "
                                   "Ô trống không phải 0: đề nghị đơn vị nhập đủ điểm rồi gửi lại.",
                                   scorer=unit.code, unit=other.code,
                                   **{"file": source, **missing_where(array, s, u, missing_index(array, s, u))}))
    return found


def _write_merge(bloc_path: Path, out: Path | None, data: BlocData, changes: list[tuple[Entry, object]]) -> Path:
    """Write the changed score cells and arrival times; unchanged scorers keep theirs."""
    patch = Patch()
    stamp = layout.now().strftime(layout.STAMP_FORMAT)
    touched: set[str] = set()
    sheets: dict[str, tuple[str, dict[tuple[int, int], object], Grid]] = {}   # scorer as typed → its grid
    numbers: dict[object, int | Decimal] = {}     # one stored object per distinct value, for every form
    for entry, _old in changes:
        found = sheets.get(entry.scorer)
        if found is None:
            scorer = code_key(entry.scorer)
            grid = data.grids[scorer]
            found = sheets[entry.scorer] = (scorer, patch.cells.setdefault(grid.grid.sheet, {}), grid)
            touched.add(scorer)
        _, cells, grid = found      # Patch.set, for tens of thousands of cells
        number = numbers.get(entry.value)
        if number is None:
            number = numbers[entry.value] = merged_value(entry.value)
        cells[(grid.grid.min_row + grid.rows[code_key(entry.criterion)],
               grid.grid.min_col + grid.cols[code_key(entry.unit)])] = number
    for scorer in touched:
        received = data.grids[scorer].received
        if received is not None:
            patch.set(received.sheet, received.min_row, received.min_col, stamp)
    return save_patch(bloc_path, out, patch)
