"""Turn score entries (from CSV rows, form cells or any source) into a ScoreArray.

Every front end goes through `build_scores`, so codes, numbers, blanks and duplicates
are judged the same way whatever the file was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from tdkt_lib.core.model import ScoreArray, ScoringTable, Unit, code_key
from tdkt_lib.core.numbers import NumberError, clean_text, decimal_places, parse_decimal
from tdkt_lib.core.problems import Location, Problem, error

MAX_PLACES = 6
_LIMIT = 10**15  # |points| · 10**places must stay well inside int64


@dataclass(frozen=True)
class Entry:
    """One score as read: codes and value untouched; `where` says where it was read."""

    scorer: str
    unit: str
    criterion: str
    value: object
    where: dict[str, object] = field(default_factory=dict)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and clean_text(value) == "")


def build_scores(
    units: tuple[Unit, ...], table: ScoringTable, entries: Iterable[Entry]
) -> tuple[ScoreArray, list[Problem]]:
    """Place each entry in the scorer × unit × criterion array; report what does not fit."""
    unit_index = {code_key(u.code): i for i, u in enumerate(units)}
    crit_index = {code_key(c.code): i for i, c in enumerate(table.criteria)}
    problems: list[Problem] = []
    parsed: dict[tuple[int, int, int], Decimal] = {}
    origins: dict[tuple[int, int, int], dict[str, object]] = {}
    for entry in entries:
        where = dict(entry.where)
        s = unit_index.get(code_key(entry.scorer))
        u = unit_index.get(code_key(entry.unit))
        c = crit_index.get(code_key(entry.criterion))
        labels = {"scorer": entry.scorer, "unit": entry.unit, "criterion": entry.criterion}
        if s is None:
            problems.append(error(
                "UNKNOWN_SCORER",
                f"Đơn vị chấm «{entry.scorer}» không có trong danh sách đơn vị của khối. "
                "Sửa mã đơn vị cho đúng danh sách đơn vị.",
                **labels, **where))
        if u is None:
            problems.append(error(
                "UNKNOWN_UNIT",
                f"Đơn vị được chấm «{entry.unit}» không có trong danh sách đơn vị của khối. "
                "Sửa mã đơn vị cho đúng danh sách đơn vị.",
                **labels, **where))
        if c is None:
            problems.append(error(
                "UNKNOWN_CRITERION",
                f"Tiêu chí «{entry.criterion}» không có trong bảng điểm. "
                "Sửa mã tiêu chí cho đúng bảng điểm.",
                **labels, **where))
        if s is None or u is None or c is None:
            continue
        key = (s, u, c)
        labels = {"scorer": units[s].code, "unit": units[u].code, "criterion": table.criteria[c].code}
        if key in origins:
            first = Location(**origins[key]).describe() or "trước đó"
            problems.append(error(
                "DUPLICATE_ENTRY",
                f"Điểm này được nhập hai lần (lần đầu: {first}). Xoá một dòng, kể cả khi hai "
                "giá trị bằng nhau.",
                **labels, **where))
            continue
        origins[key] = where
        if _is_blank(entry.value):
            continue
        try:
            value = parse_decimal(entry.value)
        except NumberError:
            problems.append(error(
                "INVALID_NUMBER",
                f"«{entry.value}» không phải là một số. Nhập số điểm, ví dụ 9,5.",
                **labels, **where))
            continue
        if decimal_places(value) > MAX_PLACES:
            problems.append(error(
                "TOO_MANY_DECIMALS",
                f"«{entry.value}» có quá {MAX_PLACES} chữ số thập phân. Làm tròn điểm trước khi nhập.",
                **labels, **where))
            continue
        parsed[key] = value
    places = max(
        (decimal_places(v) for v in [*parsed.values(), *(c.maximum for c in table.criteria)]),
        default=0,
    )
    scale = 10**places
    shape = (len(units), len(units), len(table.criteria))
    points = np.zeros(shape, dtype=np.int64)
    present = np.zeros(shape, dtype=bool)
    for key, value in parsed.items():
        scaled = int(value * scale)
        if abs(scaled) >= _LIMIT:
            s, u, c = key
            problems.append(error(
                "OUT_OF_RANGE",
                f"Điểm {value} quá lớn, vượt xa điểm tối đa {table.criteria[c].maximum}. Nhập lại điểm.",
                scorer=units[s].code, unit=units[u].code, criterion=table.criteria[c].code,
                **origins[key]))
            continue
        points[key] = scaled
        present[key] = True
    return ScoreArray(units, table, points, present, places, origins), problems

