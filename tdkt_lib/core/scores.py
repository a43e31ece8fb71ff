"""Turn score entries (from CSV rows, form cells or any source) into a ScoreArray.

Every front end goes through `build_scores`, so codes, numbers, blanks and duplicates
are judged the same way whatever the file was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from tdkt_lib.core.model import ScoreArray, ScoringTable, Unit, code_key
from tdkt_lib.core.numbers import NumberError, clean_text, decimal_places, parse_decimal
from tdkt_lib.core.problems import Location, Problem, error

MAX_PLACES = 6
_LIMIT = 10**15  # |points| · 10**places must stay well inside int64


class _Refused:
    """The value of an entry whose cell the reader refused and reported (a formula, an error value, a date)."""

    def __repr__(self) -> str:
        return "REFUSED"


REFUSED = _Refused()   # not a score and not a blank: validation does not report the cell again as missing


class Entry(NamedTuple):
    """One score as read: codes and value untouched; `where` says where it was read.

    A named tuple: a bloc has tens of thousands of these, and tuples are cheap to make.
    """

    scorer: str
    unit: str
    criterion: str
    value: object
    where: Mapping[str, object] = MappingProxyType({})


def _labels(units: tuple[Unit, ...], table: ScoringTable, key: tuple[int, int, int]) -> dict[str, str]:
    s, u, c = key
    return {"scorer": units[s].code, "unit": units[u].code, "criterion": table.criteria[c].code}


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and clean_text(value) == "")


def build_scores(
    units: tuple[Unit, ...], table: ScoringTable, entries: Iterable[Entry]
) -> tuple[ScoreArray, list[Problem]]:
    """Place each entry in the scorer × unit × criterion array; report what does not fit."""
    unit_index = {code_key(u.code): i for i, u in enumerate(units)}
    crit_index = {code_key(c.code): i for i, c in enumerate(table.criteria)}
    problems: list[Problem] = []
    origins: dict[int, Mapping[str, object]] = {}    # by flat cell index

    def refuse(code: str, message: str, entry: Entry, labels: dict[str, str] | None = None) -> None:
        labels = labels or {"scorer": entry.scorer, "unit": entry.unit, "criterion": entry.criterion}
        problems.append(error(code, message, **labels, **entry.where))

    # Codes as typed → index (None: unknown): a bloc's tens of thousands of entries repeat a few
    # hundred codes. The sheet readers share one object per distinct number, so each value object is
    # parsed once (kept by id, with the object held so that the id stays its own); each entry then
    # records its cell (a flat index) and its distinct value (a slot), and numpy places them.
    units_by_code: dict[str, int | None] = {}
    crits_by_code: dict[str, int | None] = {}
    slot_of: dict[int, tuple[object, int]] = {}
    distinct: list[Decimal] = []
    cells: list[int] = []
    slots: list[int] = []
    refused: list[int] = []         # cells whose content was refused (reported here or by the reader)
    n_units, n_criteria = len(units), len(table.criteria)
    most = 0
    for entry in entries:
        scorer, unit, criterion, raw, where = entry
        s = units_by_code.get(scorer, -1)
        if s == -1:
            s = units_by_code[scorer] = unit_index.get(code_key(scorer))
        u = units_by_code.get(unit, -1)
        if u == -1:
            u = units_by_code[unit] = unit_index.get(code_key(unit))
        c = crits_by_code.get(criterion, -1)
        if c == -1:
            c = crits_by_code[criterion] = crit_index.get(code_key(criterion))
        if s is None or u is None or c is None:
            if s is None:
                refuse("UNKNOWN_SCORER", f"Đơn vị chấm «{entry.scorer}» không có trong danh sách đơn vị của "
                       "khối. Sửa mã đơn vị cho đúng danh sách đơn vị.", entry)
            if u is None:
                refuse("UNKNOWN_UNIT", f"Đơn vị được chấm «{entry.unit}» không có trong danh sách đơn vị của "
                       "khối. Sửa mã đơn vị cho đúng danh sách đơn vị.", entry)
            if c is None:
                refuse("UNKNOWN_CRITERION", f"Tiêu chí «{entry.criterion}» không có trong bảng điểm. "
                       "Sửa mã tiêu chí cho đúng bảng điểm.", entry)
            continue
        cell = (s * n_units + u) * n_criteria + c      # the flat index of points[s, u, c] (ScoreArray.origin)
        if cell in origins:
            first = Location(**origins[cell]).describe() or "trước đó"
            refuse("DUPLICATE_ENTRY", f"Điểm này được nhập hai lần (lần đầu: {first}). Xoá một dòng, kể cả "
                   "khi hai giá trị bằng nhau.", entry, _labels(units, table, (s, u, c)))
            continue
        origins[cell] = where
        if raw is REFUSED:
            refused.append(cell)
            continue
        if raw is None or (type(raw) is not Decimal and _is_blank(raw)):
            continue
        known = slot_of.get(id(raw))
        if known is None or known[0] is not raw:
            try:
                value = parse_decimal(raw)
            except NumberError:
                refuse("INVALID_NUMBER", f"«{entry.value}» không phải là một số. Nhập số điểm, ví dụ 9,5.",
                       entry, _labels(units, table, (s, u, c)))
                refused.append(cell)
                continue
            places = decimal_places(value)
            if places > MAX_PLACES:
                refuse("TOO_MANY_DECIMALS", f"«{entry.value}» có quá {MAX_PLACES} chữ số thập phân. Làm tròn "
                       "điểm trước khi nhập.", entry, _labels(units, table, (s, u, c)))
                refused.append(cell)
                continue
            most = max(most, places)
            known = slot_of[id(raw)] = (raw, len(distinct))
            distinct.append(value)
        cells.append(cell)
        slots.append(known[1])
    places = max((most, *(decimal_places(c.maximum) for c in table.criteria)))
    shape = (n_units, n_units, n_criteria)
    points = np.zeros(shape, dtype=np.int64)
    present = np.zeros(shape, dtype=bool)
    scaled = [int(value.scaleb(places)) for value in distinct]
    too_big = {slot for slot, number in enumerate(scaled) if abs(number) >= _LIMIT}
    if too_big:
        for cell, slot in zip(cells, slots, strict=True):
            if slot in too_big:
                key = tuple(int(i) for i in np.unravel_index(cell, shape))
                problems.append(error(
                    "OUT_OF_RANGE",
                    f"Điểm {distinct[slot]} quá lớn, vượt xa điểm tối đa {table.criteria[key[2]].maximum}. "
                    "Nhập lại điểm.", **_labels(units, table, key), **origins[cell]))
                refused.append(cell)
        kept = [(cell, slot) for cell, slot in zip(cells, slots, strict=True) if slot not in too_big]
        cells, slots = [cell for cell, _ in kept], [slot for _, slot in kept]
        for slot in too_big:
            scaled[slot] = 0        # no longer placed; keeps the array int64
    if cells:
        flat = np.fromiter(cells, dtype=np.intp, count=len(cells))
        points.reshape(-1)[flat] = np.array(scaled, dtype=np.int64)[np.fromiter(slots, dtype=np.intp,
                                                                                  count=len(slots))]
        present.reshape(-1)[flat] = True
    refused_mask = np.zeros(shape, dtype=bool)
    refused_mask.reshape(-1)[refused] = True
    return ScoreArray(units, table, points, present, places, refused_mask, origins), problems

