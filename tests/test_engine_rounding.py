"""Rounding: half away from zero (Excel's ROUND), never Python's banker's round()."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from blocs import excel_round, run, uniform
from hypothesis import given, settings
from hypothesis import strategies as st

from tdkt_lib.core.model import Criterion, Kind
from tdkt_lib.core.numbers import round_fraction, round_half_away


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (5, 2, 3),      # 2.5 → 3   (round() gives 2)
        (-5, 2, -3),    # −2.5 → −3 (round() gives −2)
        (7, 2, 4),      # 3.5 → 4
        (3, 2, 2),
        (1, 3, 0),
        (-1, 3, 0),
        (2, 3, 1),
        (-2, 3, -1),
        (0, 7, 0),
    ],
)
def test_round_half_away(numerator, denominator, expected):
    assert round_half_away(numerator, denominator) == expected


def test_python_round_would_differ():
    # 90.005 → 90.01 in Excel; Python's round() on the exact value gives 90.00 (banker's).
    value = Fraction("90.005")
    assert round_fraction(value) == Decimal("90.01")
    assert round(value, 2) == Fraction("90.00")
    # And on the binary float it is wrong again for another reason (90.005 is 90.00499999…).
    assert round(90.005, 2) == 90.0


@settings(max_examples=200, deadline=None)
@given(st.integers(-10**9, 10**9), st.integers(1, 10**4))
def test_round_fraction_matches_decimal_half_up(numerator, denominator):
    value = Fraction(numerator, denominator)
    assert round_fraction(value) == excel_round(value)
    assert round_fraction(-value) == -round_fraction(value)


def _deduction_bloc(self_points, cross_points):
    normal = Criterion("N", "Tiêu chí", Decimal(10))
    deduction = Criterion("D", "Điểm trừ", Decimal(20), kind=Kind.DEDUCTION)
    values = uniform(("X", "Y"), (normal, deduction), {"X": ("0", "0"), "Y": ("5", "0")})
    values[("X", "X", "N")], values[("X", "X", "D")] = self_points
    values[("Y", "X", "N")], values[("Y", "X", "D")] = cross_points
    return run(("X", "Y"), (normal, deduction), values)


def test_negative_total_rounds_away_from_zero():
    # Deductions larger than the points: T(X,X) = 0.02 − 10 = −9.98, T(Y,X) = 0.01 − 10 = −9.99.
    # score = (−9.98 − 9.99) / 2 = −19.97 / 2 = −9.985 exactly → −9.99 (away from zero).
    # Banker's rounding would give −9.98 (8 is even).
    result = _deduction_bloc(("0,02", "10"), ("0,01", "10"))
    assert result.ranked
    assert result.aggregates.score[0] == Fraction("-9.985")
    assert result.score_of(0) == Decimal("-9.99")
    assert round(Fraction("-9.985"), 2) == Fraction("-9.98")
    doc = result.as_json()
    assert [(r["unit"], r["score"], r["rank"]) for r in doc["units"]] == [("Y", 5.0, 1), ("X", -9.99, 2)]


def test_negative_total_below_half_rounds_toward_zero():
    # T(X,X) = 0.01 − 10 = −9.99, T(Y,X) = 0 − 10 = −10 → −19.99 / 2 = −9.995 → −10.00;
    # T(X,X) = 0.03 − 10, T(Y,X) = 0 − 10 → −19.97 / 2 = −9.985 → −9.99.
    assert _deduction_bloc(("0,01", "10"), ("0", "10")).score_of(0) == Decimal("-10.00")
    assert _deduction_bloc(("0,03", "10"), ("0", "10")).score_of(0) == Decimal("-9.99")
