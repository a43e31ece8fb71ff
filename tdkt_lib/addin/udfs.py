"""Worksheet functions of the tdkt add-in (xlwings UDFs).

Every function computes its answer with the library (`tdkt_lib.core`): exact decimals,
rounding half away from zero, ranking by `core.ranking.rank_units`, the top three by
`core.appraisal.select`, classification by `core.appraisal.classify`. Names and argument
names are ASCII because Excel calls them through VBA wrappers (code page 1252); the
Vietnamese help is in docs/addin-functions.md. A wrong input gives a Vietnamese message
in the cell, never a Python error.

The four UDFs carry no type annotations on purpose: on Windows xlwings turns an argument's
annotation into its converter (`Any`, `float | str` would break the call), so the
conversion is given by `xw.arg(..., ndim=2)` only.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction
from typing import Any

import xlwings as xw

from tdkt_lib.core.aggregate import Aggregates
from tdkt_lib.core.appraisal import classify, select
from tdkt_lib.core.numbers import NumberError, clean_text, parse_decimal, round_fraction, round_half_away
from tdkt_lib.core.profile import Grade
from tdkt_lib.core.ranking import rank_units

CATEGORY = "Thi đua – Khen thưởng"
# The core's tie-break steps that carry "larger is better" values we can fill freely.
_SECONDARY_STEPS = ("priority", "cross_mean", "deductions")
ERROR_PREFIX = "#TDKT: "


class UdfInputError(ValueError):
    """A Vietnamese explanation of a wrong argument, shown in the cell."""


# --------------------------------------------------------------------------- helpers


def _flatten(value: Any) -> list[Any]:
    """A cell, a row, a column or a block of cells → values in reading order."""
    if isinstance(value, list | tuple):
        out: list[Any] = []
        for item in value:
            out.extend(_flatten(item))
        return out
    return [value]


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not clean_text(value))


def _number(value: Any, what: str) -> Decimal:
    """One exact decimal; blank is an error (blank is not zero)."""
    if _is_blank(value):
        raise UdfInputError(f"{what} đang trống (ô trống không phải điểm 0).")
    try:
        return parse_decimal(value)
    except NumberError:
        raise UdfInputError(f"{what} không phải là số: «{value}».") from None


def _single(value: Any, what: str) -> Decimal:
    items = _flatten(value)
    if len(items) != 1:
        raise UdfInputError(f"{what} phải là một ô, không phải một vùng {len(items)} ô.")
    return _number(items[0], what)


def _column(value: Any, what: str) -> list[Decimal]:
    items = _flatten(value)
    return [_number(v, f"Ô thứ {i} của {what}") for i, v in enumerate(items, start=1)]


def _hundredths(value: Decimal) -> int:
    """The score as officers see it: rounded to 2 decimals, half away from zero, ×100."""
    exact = Fraction(value)
    return round_half_away(exact.numerator * 100, exact.denominator)


def _error(exc: UdfInputError) -> str:
    return ERROR_PREFIX + str(exc)


def _aggregates(scores: list[int], secondary: list[list[Decimal]]) -> Aggregates:
    """Aggregates carrying only what `rank_units` reads: the score and up to 3 secondary keys."""
    n = len(scores)
    columns = [[Fraction(v) for v in col] for col in secondary]
    columns += [[Fraction(0)] * n] * (3 - len(columns))
    return Aggregates(
        totals=None,  # type: ignore[arg-type]
        received=None,  # type: ignore[arg-type]
        total_scale=1,
        score=[Fraction(h, 100) for h in scores],
        score_hundredths=list(scores),
        self_total=[Fraction(0)] * n,
        cross_mean=list(columns[1]),
        priority_mean=list(columns[0]),
        # the core ranks fewer deductions higher (it negates them): store −key so larger key wins
        deduction_mean=[-v for v in columns[2]],
        sheets=[0] * n,
    )


def _grades(table: Any) -> tuple[Grade, ...]:
    rows = table if isinstance(table, list) else [[table]]
    rows = [r if isinstance(r, list) else [r] for r in rows]
    grades: list[Grade] = []
    for i, row in enumerate(rows, start=1):
        if all(_is_blank(v) for v in row):
            continue
        if len(row) < 2:
            raise UdfInputError("nguong phải có 2 cột: tên mức xếp loại và điểm tối thiểu.")
        label, minimum = row[0], row[1]
        if _is_blank(label):
            raise UdfInputError(f"Dòng {i} của nguong thiếu tên mức xếp loại.")
        threshold = _number(minimum, f"Điểm tối thiểu dòng {i}")
        grades.append(Grade(label=clean_text(str(label)), minimum=Fraction(threshold)))
    if not grades:
        raise UdfInputError("nguong chưa có mức xếp loại nào.")
    # highest threshold first, so the table may be typed in any order
    return tuple(sorted(grades, key=lambda g: g.minimum or Fraction(0), reverse=True))


# --------------------------------------------------------------------------- functions


@xw.func(category=CATEGORY)
@xw.arg("tu_cham", ndim=2, doc="Tổng điểm đơn vị tự chấm (một ô).")
@xw.arg("cham_cheo", ndim=2, doc="Vùng tổng điểm các đơn vị khác chấm chéo cho đơn vị này.")
def TDKT_DIEM(tu_cham, cham_cheo):
    """Điểm bình quân = (tự chấm + tổng chấm chéo) / N, làm tròn 2 chữ số (nửa xa số 0)."""
    try:
        own = _single(tu_cham, "Điểm tự chấm (tu_cham)")
        cross = _column(cham_cheo, "cham_cheo (điểm chấm chéo)")
        if not cross:
            raise UdfInputError("cham_cheo chưa có điểm chấm chéo nào.")
        total = Fraction(own) + sum((Fraction(v) for v in cross), Fraction(0))
        return float(round_fraction(total / (1 + len(cross)), 2))
    except UdfInputError as exc:
        return _error(exc)


@xw.func(category=CATEGORY)
@xw.arg("diem", ndim=2, doc="Điểm của đơn vị cần xếp hạng.")
@xw.arg("bang_diem", ndim=2, doc="Cột điểm của cả khối.")
@xw.arg("khoa_phu", ndim=2, doc="Từng cặp: giá trị khoá phụ của đơn vị, cột khoá phụ của cả khối.")
def TDKT_XEPHANG(diem, bang_diem, *khoa_phu):
    """Hạng = 1 + số đơn vị đứng trên hẳn (điểm làm tròn 2 chữ số, rồi lần lượt các khoá phụ)."""
    try:
        mine = _hundredths(_single(diem, "diem"))
        table = [_hundredths(v) for v in _column(bang_diem, "bang_diem")]
        if not table:
            raise UdfInputError("bang_diem chưa có điểm nào.")
        if len(khoa_phu) % 2:
            raise UdfInputError(
                "Khoá phụ phải đi theo cặp: giá trị của đơn vị, rồi cột khoá phụ của cả khối.")
        if len(khoa_phu) > 2 * len(_SECONDARY_STEPS):
            raise UdfInputError("Tối đa 3 khoá phụ.")
        own_keys: list[Decimal] = []
        columns: list[list[Decimal]] = []
        for k in range(0, len(khoa_phu), 2):
            n = k // 2 + 1
            own_keys.append(_single(khoa_phu[k], f"Giá trị khoá phụ {n}"))
            column = _column(khoa_phu[k + 1], f"cột khoá phụ {n}")
            if len(column) != len(table):
                raise UdfInputError(
                    f"Cột khoá phụ {n} có {len(column)} ô, bang_diem có {len(table)} ô: phải bằng nhau.")
            columns.append(column)
        # This unit is added as one more row: the rows strictly ahead of it are the same.
        scores = [*table, mine]
        secondary = [[*col, own] for col, own in zip(columns, own_keys, strict=True)]
        chain = ("score", *_SECONDARY_STEPS[: len(columns)])
        placements = rank_units(_aggregates(scores, secondary), chain)
        return next(p.rank for p in placements if p.index == len(table))
    except UdfInputError as exc:
        return _error(exc)


@xw.func(category=CATEGORY)
@xw.arg("diem", ndim=2, doc="Điểm của đơn vị.")
@xw.arg("nguong", ndim=2, doc="Bảng 2 cột: tên mức xếp loại, điểm tối thiểu.")
def TDKT_XEPLOAI(diem, nguong):
    """Mức xếp loại: mức cao nhất có điểm tối thiểu không lớn hơn điểm (làm tròn 2 chữ số)."""
    try:
        score = Fraction(_hundredths(_single(diem, "diem")), 100)
        label = classify(score, _grades(nguong), Fraction(0))
        return label if label is not None else "Không đạt mức nào"
    except UdfInputError as exc:
        return _error(exc)


@xw.func(category=CATEGORY)
@xw.arg("don_vi", ndim=2, doc="Cột tên (hoặc mã) đơn vị.")
@xw.arg("diem", ndim=2, doc="Cột điểm tương ứng.")
def TDKT_TOP3(don_vi, diem):
    """Ba đơn vị đứng đầu (thêm mọi đơn vị bằng điểm ở vị trí thứ ba): Hạng, Đơn vị, Điểm, Ghi chú."""
    try:
        names = _flatten(don_vi)
        scores = [_hundredths(v) for v in _column(diem, "diem")]
        if len(names) != len(scores):
            raise UdfInputError(f"don_vi có {len(names)} ô, diem có {len(scores)} ô: phải bằng nhau.")
        if not scores:
            raise UdfInputError("Chưa có đơn vị nào.")
        for i, name in enumerate(names, start=1):
            if _is_blank(name):
                raise UdfInputError(f"Ô thứ {i} của don_vi đang trống.")
        placements = rank_units(_aggregates(scores, []), ("score",))
        chosen = select(placements, set(), _top3_profile()).top
        by_index = {p.index: p for p in placements}
        rows: list[list[Any]] = []
        for u in chosen:
            p = by_index[u]
            note = "Bằng điểm – cần bỏ phiếu" if p.tied else ""
            rows.append([p.rank, clean_text(str(names[u])), float(Decimal(scores[u]).scaleb(-2)), note])
        return rows
    except UdfInputError as exc:
        return _error(exc)


_PROFILE_CACHE: list[Any] = []


def _top3_profile() -> Any:
    """The default rule profile with a list of three and no awards (what `select` needs)."""
    if not _PROFILE_CACHE:
        from tdkt_lib.adapters.profiles import load_profile

        _PROFILE_CACHE.append(dataclasses.replace(load_profile(None), top_count=3, awards=()))
    return _PROFILE_CACHE[0]


FUNCTIONS = (TDKT_DIEM, TDKT_XEPHANG, TDKT_XEPLOAI, TDKT_TOP3)
