"""The int64 fast path and the exact Python-int (object) path give identical results."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
from blocs import OracleMethod, blocs, make_profile, make_scores, oracle_scores, run
from hypothesis import given, settings
from hypothesis import strategies as st

import tdkt_lib.core.aggregate as aggregate_module
from tdkt_lib.core.model import Criterion, Kind
from tdkt_lib.core.result import evaluate


def _everything(result) -> tuple:
    agg = result.aggregates
    return (
        agg.score, agg.score_hundredths, agg.self_total, agg.cross_mean, agg.priority_mean,
        agg.deduction_mean, agg.sheets, [int(x) for x in np.asarray(agg.totals).ravel()],
        result.as_json(),
    )


@settings(max_examples=80, deadline=None)
@given(blocs(), st.sampled_from(("mean", "weighted", "trimmed_cross")))
def test_object_path_equals_int64_path(bloc, name):
    codes, criteria, sections, values = bloc
    if name == "trimmed_cross" and len(codes) < 4:
        name = "mean"
    method = {"name": name, "self_weight": "2/5"} if name == "weighted" else {"name": name}
    profile = make_profile(method=method)
    array = make_scores(codes, criteria, values, sections)
    fast = evaluate(array, profile)
    saved = aggregate_module._INT64_SAFE
    aggregate_module._INT64_SAFE = 0  # every weighted sum now takes the Python-int path
    try:
        slow = evaluate(array, profile)
    finally:
        aggregate_module._INT64_SAFE = saved
    assert fast.aggregates.totals.dtype == np.int64
    assert slow.aggregates.totals.dtype == object
    assert _everything(fast) == _everything(slow)


def test_huge_values_take_the_exact_path_and_stay_exact():
    # 6-decimal points near 10^8 with a 6-decimal coefficient: scaled products reach 10^20,
    # beyond int64, so the object path is taken on its own.
    big = Criterion("B", "", Decimal("100000000"), coefficient=Decimal("1.000001"))
    ded = Criterion("D", "", Decimal("100000000"), kind=Kind.DEDUCTION, coefficient=Decimal("0.999999"))
    codes = ("X", "Y", "Z")
    values = {}
    for i, s in enumerate(codes):
        for j, u in enumerate(codes):
            values[(s, u, "B")] = f"{99999999 - i * 7 - j * 3}.{123457 + i * 11 + j:06d}"
            values[(s, u, "D")] = f"{1000 + i + j}.000001"
    result = run(codes, (big, ded), values)
    assert result.aggregates.totals.dtype == object
    expected = oracle_scores(codes, (big, ded), values, OracleMethod())
    assert result.aggregates.score == [expected[c] for c in codes]
    assert all(isinstance(s, Fraction) for s in result.aggregates.score)
