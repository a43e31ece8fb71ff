"""The worksheet functions give the library's answer: on the Hải Phòng bloc and on generated inputs."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tdkt_lib.addin.udfs import ERROR_PREFIX, TDKT_DIEM, TDKT_TOP3, TDKT_XEPHANG, TDKT_XEPLOAI
from tdkt_lib.service import score_csv

EXAMPLE = Path(__file__).resolve().parents[1] / "tdkt_lib" / "examples" / "hai-phong-7"


@pytest.fixture(scope="module")
def bloc():
    return score_csv(EXAMPLE / "units.csv", EXAMPLE / "criteria.csv", EXAMPLE / "scores.csv")


def col(values):
    """A column range as xlwings passes it with ndim=2."""
    return [[v] for v in values]


def test_diem_equals_the_engine_on_the_example(bloc):
    agg = bloc.aggregates
    n = len(bloc.scores.units)
    for u in range(n):
        total = [Fraction(int(agg.totals[s, u]), agg.total_scale) for s in range(n)]
        own = float(total[u])
        cross = [float(total[s]) for s in range(n) if s != u]
        assert Decimal(str(TDKT_DIEM([[own]], col(cross)))) == bloc.score_of(u)


def test_xephang_equals_the_engine_on_the_example(bloc):
    agg = bloc.aggregates
    scores = [float(bloc.score_of(u)) for u in range(len(bloc.scores.units))]
    prio = [float(v) for v in agg.priority_mean]
    cross = [float(v) if v is not None else 0.0 for v in agg.cross_mean]
    neg_ded = [-float(v) for v in agg.deduction_mean]
    assert bloc.profile.tie_break == ("score", "priority", "cross_mean", "deductions")
    for p in bloc.placements:
        u = p.index
        assert TDKT_XEPHANG(scores[u], col(scores)) == p.score_rank  # RANK.EQ on the score alone
        full = TDKT_XEPHANG(scores[u], col(scores), prio[u], col(prio), cross[u], col(cross),
                            neg_ded[u], col(neg_ded))
        assert full == p.rank


def test_top3_follows_the_appraisal_list_rules():
    rows = TDKT_TOP3(col(["A", "B", "C", "D", "E"]), col([90, "95", "85,5", 85.5, 80]))
    assert [r[:3] for r in rows] == [[1, "B", 95.0], [2, "A", 90.0], [3, "C", 85.5], [3, "D", 85.5]]
    assert rows[2][3] == rows[3][3] == "Bằng điểm – cần bỏ phiếu"
    assert TDKT_TOP3(col(["A", "B"]), col([1, 2])) == [[1, "B", 2.0, ""], [2, "A", 1.0, ""]]


def test_xeploai_uses_the_highest_band_reached():
    bands = [["Khá", 80], ["Xuất sắc", "95"], ["Tốt", "90,0"]]
    assert TDKT_XEPLOAI(95, bands) == "Xuất sắc"
    assert TDKT_XEPLOAI(94.995, bands) == "Xuất sắc"  # rounded to 2 decimals first, like the engine
    assert TDKT_XEPLOAI("89,99", bands) == "Khá"
    assert TDKT_XEPLOAI(10, bands) == "Không đạt mức nào"


@pytest.mark.parametrize("call", [
    lambda: TDKT_DIEM(None, col([90])),
    lambda: TDKT_DIEM(90, col([90, None])),
    lambda: TDKT_DIEM(90, col(["chín"])),
    lambda: TDKT_DIEM(col([1, 2]), col([90])),
    lambda: TDKT_XEPHANG(90, col([90, ""])),
    lambda: TDKT_XEPHANG(90, col([90]), 1),
    lambda: TDKT_XEPHANG(90, col([90, 80]), 1, col([1])),
    lambda: TDKT_XEPLOAI(90, [["Tốt"]]),
    lambda: TDKT_TOP3(col(["A"]), col([1, 2])),
    lambda: TDKT_TOP3(col(["A", None]), col([1, 2])),
])
def test_wrong_input_is_a_vietnamese_message(call):
    result = call()
    assert isinstance(result, str) and result.startswith(ERROR_PREFIX)
    assert any(ch in result for ch in "ốàảộệ")


def test_blank_is_not_zero():
    assert TDKT_DIEM(90, col([0, 90])) == 60.0
    assert TDKT_DIEM(90, col([None, 90])).startswith(ERROR_PREFIX)


# ------------------------------------------------------------------ generated inputs

points = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)


def as_cell(value: Decimal, how: int):
    """The ways a number reaches a cell: a number, text with a comma, text with a point."""
    if how == 0:
        return float(value)
    if how == 1:
        return f"{value:f}".replace(".", ",")
    return f" {value:f} "


def excel_round(value: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@settings(max_examples=150, deadline=None)
@given(own=points, cross=st.lists(points, min_size=1, max_size=19), how=st.integers(0, 2))
def test_diem_is_the_exact_mean_rounded_half_away(own, cross, how):
    expected = excel_round((Fraction(own) + sum(map(Fraction, cross))) / (len(cross) + 1))
    got = TDKT_DIEM(as_cell(own, how), col([as_cell(c, how) for c in cross]))
    assert Decimal(str(got)) == expected


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(points, st.integers(0, 3)), min_size=1, max_size=20), pick=st.integers(0, 19))
def test_xephang_counts_the_units_strictly_ahead(rows, pick):
    me = rows[pick % len(rows)]
    scores = [float(s) for s, _ in rows]
    keys = [k for _, k in rows]
    ahead = sum((Decimal(str(s)), k) > (me[0], me[1]) for s, k in zip(scores, keys, strict=True))
    assert TDKT_XEPHANG(float(me[0]), col(scores), me[1], col(keys)) == 1 + ahead
    assert TDKT_XEPHANG(float(me[0]), col(scores)) == 1 + sum(Decimal(str(s)) > me[0] for s in scores)


@settings(max_examples=100, deadline=None)
@given(scores=st.lists(points, min_size=1, max_size=20))
def test_top3_is_the_first_three_plus_ties(scores):
    names = [f"U{i}" for i in range(len(scores))]
    rows = TDKT_TOP3(col(names), col([float(s) for s in scores]))
    ordered = sorted(scores, reverse=True)
    cut = ordered[min(3, len(scores)) - 1]
    assert sorted(Decimal(str(r[2])) for r in rows) == sorted(s for s in scores if s >= cut)
    for rank, _, score, _ in rows:
        assert rank == 1 + sum(s > Decimal(str(score)) for s in scores)
