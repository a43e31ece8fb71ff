"""Exactness: tdkt's scores equal an independent Fraction computation from the raw entries.

The oracle (tests/blocs.py) reads the Decimal text of every entry, applies kinds and
coefficients itself and never calls tdkt's aggregation.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from blocs import OracleMethod, blocs, excel_round, make_profile, oracle_scores, oracle_total, run
from hypothesis import given, settings
from hypothesis import strategies as st

from tdkt_lib.core.model import Criterion

SETTINGS = settings(max_examples=120, deadline=None)


def check_against_oracle(codes, criteria, sections, values, profile, method, senders=None):
    result = run(codes, criteria, values, profile, sections)
    assert result.ranked, [p.describe() for p in result.blocking]
    expected = oracle_scores(codes, criteria, values, method, sections, senders)
    agg = result.aggregates
    doc = {row["unit"]: row for row in result.as_json()["units"]}
    for i, code in enumerate(codes):
        assert agg.score[i] == expected[code]
        shown = excel_round(expected[code])
        assert result.score_of(i) == shown
        assert doc[code]["score"] == float(shown)
        assert agg.self_total[i] == oracle_total(values, code, code, criteria, sections)
    return result


@SETTINGS
@given(blocs())
def test_mean_is_exact(bloc):
    codes, criteria, sections, values = bloc
    check_against_oracle(codes, criteria, sections, values, make_profile(), OracleMethod())


@SETTINGS
@given(blocs(), st.sampled_from(("1/3", "0,5", "1/4", "0", "1", "2/7")))
def test_weighted_is_exact(bloc, weight):
    codes, criteria, sections, values = bloc
    profile = make_profile(method={"name": "weighted", "self_weight": weight})
    w = Fraction(weight.replace(",", ".")) if "/" not in weight else Fraction(weight)
    check_against_oracle(codes, criteria, sections, values, profile, OracleMethod("weighted", w))


@SETTINGS
@given(blocs(min_units=4, max_units=9))
def test_trimmed_cross_is_exact(bloc):
    codes, criteria, sections, values = bloc
    profile = make_profile(method={"name": "trimmed_cross"})
    check_against_oracle(codes, criteria, sections, values, profile, OracleMethod("trimmed_cross"))


@SETTINGS
@given(blocs(min_units=3, max_units=9), st.data(), st.sampled_from(("mean", "weighted", "trimmed_cross")))
def test_divide_by_received_is_exact(bloc, data, name):
    codes, criteria, sections, values = bloc
    need = 3 if name == "trimmed_cross" else 1
    if len(codes) < need + 2:  # need at least one missing sheet and enough remaining
        return
    senders = set(data.draw(st.lists(st.sampled_from(codes), min_size=need + 1, max_size=len(codes) - 1,
                                     unique=True)))
    kept = {k: v for k, v in values.items() if k[0] in senders or k[0] == k[1]}
    method = {"name": name, "missing_sheets": "divide_by_received"}
    if name == "weighted":
        method["self_weight"] = "1/3"
    result = check_against_oracle(codes, criteria, sections, kept, make_profile(method=method),
                                  OracleMethod(name, Fraction(1, 3)), senders)
    warned = {p.where.scorer for p in result.problems if p.code == "MISSING_SHEET"}
    assert warned == set(codes) - senders
    for i, code in enumerate(codes):
        assert result.aggregates.sheets[i] == 1 + len(senders - {code})


def test_divide_by_received_needs_enough_sheets():
    # Trimmed cross mean with only 2 cross sheets left for a unit cannot drop a highest and a lowest.
    k = Criterion("K", "", Decimal(10))
    codes = ("A", "B", "C", "D")
    values = {(s, u, "K"): "5" for s in codes for u in codes if s in ("A", "B", "C") or s == u}
    profile = make_profile(method={"name": "trimmed_cross", "missing_sheets": "divide_by_received"})
    result = run(codes, (k,), values, profile)
    assert not result.ranked
    assert {p.where.unit for p in result.blocking if p.code == "TOO_FEW_SHEETS"} == {"A", "B", "C"}


def test_missing_sheet_is_an_error_by_default():
    # A scorer who sends only its self-score must not make the others' scores divide by N − 1.
    k = Criterion("K", "", Decimal(10))
    codes = ("A", "B", "C")
    values = {(s, u, "K"): "5" for s in codes for u in codes if s != "C" or u == "C"}
    result = run(codes, (k,), values)
    assert not result.ranked
    assert [(p.code, p.where.scorer) for p in result.blocking] == [("MISSING_SHEET", "C")]
