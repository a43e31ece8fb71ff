"""The workbook actions Tính điểm and Kiểm tra, shared by the CLI and the ribbon (Gộp phiếu: merge.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tdkt_lib.adapters.profiles import load_profile
from tdkt_lib.core.fingerprint import fingerprint_parts
from tdkt_lib.core.model import code_key
from tdkt_lib.core.problems import InputError, Problem, error, warning
from tdkt_lib.core.profile import Profile
from tdkt_lib.core.result import Ballot, BlocResult, evaluate
from tdkt_lib.core.scores import build_scores
from tdkt_lib.core.validate import validate
from tdkt_lib.workbook import layout
from tdkt_lib.workbook.merge import read_form
from tdkt_lib.workbook.outputs import plan_outputs
from tdkt_lib.workbook.package import plan_patch
from tdkt_lib.workbook.reader import BlocData, cell_text, read_bloc, read_form_table
from tdkt_lib.workbook.snapshot import BookSnapshot, read_snapshot
from tdkt_lib.workbook.writer import save_patch, update_lock


def bloc_profile(data: BlocData, override: str | None = None) -> Profile:
    return load_profile(override or data.info.get("profile") or None)  # type: ignore[arg-type]


def evaluate_bloc(data: BlocData, profile: Profile, ballot: Ballot | None = None) -> BlocResult:
    array, problems = build_scores(data.units, data.table, data.entries)
    return evaluate(array, profile, data.problems + problems, ballot)


# --- Tính điểm ---------------------------------------------------------------------------

@dataclass
class ScoreOutcome:
    result: BlocResult
    doc: dict[str, Any]
    written: Path | None


def score_snapshot(snapshot: BookSnapshot, profile: str | None = None, ballot: Ballot | None = None,
                   stamp: str | None = None):
    """Read once and compute: the result document and the write plan (None when not ranked)."""
    data = read_bloc(snapshot)
    result = evaluate_bloc(data, bloc_profile(data, profile), ballot)
    doc = result.as_json()
    if not result.ranked:
        return result, doc, None
    parts = fingerprint_parts(result.scores, result.profile)
    stamp = stamp or layout.now().strftime(layout.STAMP_FORMAT)
    plan = plan_outputs(doc, data.info, [u.code for u in data.units], stamp, parts, [p.as_dict() for p in result.notes])
    return result, doc, plan


def score_file(path: Path, out: Path | None = None, profile: str | None = None,
               ballot: Ballot | None = None) -> ScoreOutcome:
    """Tính điểm on a bloc workbook: outputs written only when everything is valid."""
    with update_lock(out or path):
        snapshot = read_snapshot(path)
        result, doc, plan = score_snapshot(snapshot, profile, ballot)
        if plan is None:
            return ScoreOutcome(result, doc, None)
        ranks = snapshot.ref(layout.RANKS)
        if ranks is None:
            raise InputError([error("MISSING_NAME", f"Sổ thiếu vùng tên «{layout.RANKS}» trên trang Tổng hợp.",
                                    file=snapshot.label)])
        patch = plan_patch(plan, ranks.sheet, ranks.min_row, ranks.min_col)
        return ScoreOutcome(result, doc, save_patch(path, out, patch))


# --- Kiểm tra ----------------------------------------------------------------------------

def _deadline(profile: Profile, year: str) -> dt.date | None:
    day = profile.deadlines.get("score_tables") or profile.deadlines.get("results")
    try:
        return dt.date(int(year), day.month, day.day) if day else None
    except ValueError:
        return None


def _received_at(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    text = cell_text(value)
    for fmt in (layout.STAMP_FORMAT, "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def arrival_problems(data: BlocData, profile: Profile, today: dt.date) -> list[Problem]:
    """Units missing or late against the profile's deadline for score tables."""
    deadline = _deadline(profile, str(data.info.get("year", "")))
    if deadline is None:
        return []
    found = []
    for unit in data.units:
        grid = data.grids.get(code_key(unit.code))
        arrived = _received_at(data.snapshot.value(grid.received.name)) if grid and grid.received else None
        has_scores = any(code_key(e.scorer) == code_key(unit.code) and e.value not in (None, "")
                         for e in data.entries)
        where = data.snapshot.where(grid.received) if grid and grid.received else {"file": data.snapshot.label}
        if arrived and arrived.date() > deadline:
            found.append(warning("LATE_SHEET", f"Phiếu của {unit.code} đến ngày {arrived:%d/%m/%Y}, sau hạn "
                                 f"{deadline:%d/%m/%Y} ({profile.id}).", scorer=unit.code, **where))
        elif not has_scores:
            state = "đã quá hạn" if today > deadline else "hạn gửi"
            found.append(warning("SHEET_NOT_RECEIVED", f"Chưa nhận phiếu của {unit.code} ({state} "
                                 f"{deadline:%d/%m/%Y}).", scorer=unit.code, **where))
    return found


def check_file(path: Path, profile: str | None = None, today: dt.date | None = None) -> list[Problem]:
    """Every problem of a bloc workbook or a unit form, with file, sheet and cell."""
    return check_snapshot(read_snapshot(path), profile, today)


def check_snapshot(snapshot: BookSnapshot, profile: str | None = None,
                   today: dt.date | None = None) -> list[Problem]:
    """Kiểm tra on a snapshot already read (file or open workbook): every problem found."""
    if cell_text(snapshot.value(layout.KIND)) == layout.KIND_FORM:
        form = read_form(snapshot)
        units, table = read_form_table(snapshot)
        array, problems = build_scores(units, table, form.entries)
        own = [p for p in validate(array, load_profile(profile)) if p.where.scorer == form.scorer
               and p.code != "MISSING_SHEET"]
        return form.problems + problems + own
    data = read_bloc(snapshot)
    rules = bloc_profile(data, profile)
    array, problems = build_scores(data.units, data.table, data.entries)
    return data.problems + problems + validate(array, rules) + arrival_problems(data, rules, today or dt.date.today())
