"""Properties of the ranking that must hold for every bloc (hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from blocs import OracleMethod, blocs, excel_round, make_profile, oracle_scores, run
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tdkt_lib.core.model import Criterion, Kind, ScoringTable, Unit
from tdkt_lib.core.result import evaluate
from tdkt_lib.core.scores import Entry, build_scores

SETTINGS = settings(max_examples=80, deadline=None)


def by_unit(result) -> dict[str, tuple]:
    """What a unit got, independent of labels' order: score, rank, decided_by, needs_vote."""
    return {r["unit"]: (r["score"], r["rank"], r["decided_by"], r["needs_vote"], r["score_rank"])
            for r in result.as_json()["units"]}


@SETTINGS
@given(blocs(max_units=7), st.randoms(use_true_random=False))
def test_renaming_and_reordering_units_changes_only_labels(bloc, rnd):
    codes, criteria, sections, values = bloc
    before = run(codes, criteria, values, sections=sections)
    order = list(codes)
    rnd.shuffle(order)
    rename = {code: f"Đơn vị {chr(0x41 + i)}{rnd.randint(0, 99)}" for i, code in enumerate(order)}
    renamed_values = {(rename[s], rename[u], c): v for (s, u, c), v in values.items()}
    after = run([rename[c] for c in order], criteria, renamed_values, sections=sections)
    old, new = by_unit(before), by_unit(after)
    assert {rename[code]: got for code, got in old.items()} == new
    old_groups = {frozenset(rename[c] for c in g) for g in before.as_json()["needs_vote"]}
    assert old_groups == {frozenset(g) for g in after.as_json()["needs_vote"]}


@SETTINGS
@given(blocs(max_units=7, kinds=(Kind.NORMAL, Kind.BONUS, Kind.DEDUCTION)), st.data(),
       st.sampled_from(("mean", "weighted", "trimmed_cross")))
def test_raising_received_points_never_lowers_rank(bloc, data, name):
    codes, criteria, sections, values = bloc
    if name == "trimmed_cross" and len(codes) < 4:
        name = "mean"
    raisable = [c for c in criteria if c.kind is not Kind.DEDUCTION]
    assume(raisable)
    profile = make_profile(method={"name": name, "self_weight": "1/3"} if name == "weighted" else {"name": name})
    crit = data.draw(st.sampled_from(raisable))
    scorer = data.draw(st.sampled_from(codes))
    unit = data.draw(st.sampled_from(codes))
    key = (scorer, unit, crit.code)
    old = Decimal(str(values[key]).replace(",", "."))
    assume(old < crit.maximum)
    step = data.draw(st.sampled_from((Decimal("0.01"), Decimal("0.25"), Decimal(1), crit.maximum)))
    raised = dict(values)
    raised[key] = str(min(crit.maximum, old + step))
    before = run(codes, criteria, values, profile, sections).rank_by_code()
    after = run(codes, criteria, raised, profile, sections).rank_by_code()
    assert after[unit] <= before[unit]


def oracle_rank_keys(codes, criteria, values) -> dict[str, tuple]:
    """Default chain, recomputed independently: rounded score, priority, cross mean, −deductions."""
    scores = oracle_scores(codes, criteria, values, OracleMethod())
    n = len(codes)
    keys = {}
    for u in codes:
        def part(s, u=u, pick=lambda c: True, sign=1):
            return sum(
                (sign * (-1 if c.kind is Kind.DEDUCTION else 1) * Fraction(c.coefficient or 1)
                 * Fraction(Decimal(str(values[(s, u, c.code)]).replace(",", "."))) for c in criteria if pick(c)),
                Fraction(0),
            )
        priority = sum((part(s, pick=lambda c: c.priority) for s in codes), Fraction(0)) / n
        cross = sum((part(s) for s in codes if s != u), Fraction(0)) / (n - 1)
        deductions = sum((part(s, pick=lambda c: c.kind is Kind.DEDUCTION, sign=-1) for s in codes),
                         Fraction(0)) / n
        keys[u] = (excel_round(scores[u]), priority, cross, -deductions)
    return keys


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 30), st.data())
def test_any_bloc_size_from_2_to_30(n, data):
    criteria = (
        Criterion("K1", "", Decimal(10), priority=True),
        Criterion("K2", "", Decimal(5), kind=Kind.BONUS),
        Criterion("K3", "", Decimal(2), kind=Kind.DEDUCTION),
    )
    codes = [f"DV{i}" for i in range(n)]
    # Few distinct values so ties at every step happen often.
    values = {
        (s, u, c.code): data.draw(st.sampled_from(("0", "0,5", "1", "2", str(c.maximum))))
        for s in codes for u in codes for c in criteria
    }
    result = run(codes, criteria, values)
    assert result.ranked
    keys = oracle_rank_keys(codes, criteria, values)
    ranks = result.rank_by_code()
    for u in codes:
        assert ranks[u] == 1 + sum(keys[v] > keys[u] for v in codes)
    tied = {frozenset(g) for g in result.as_json()["needs_vote"]}
    expected = {frozenset(v for v in codes if keys[v] == keys[u]) for u in codes}
    assert tied == {g for g in expected if len(g) > 1}


@SETTINGS
@given(st.integers(3, 9), st.data())
def test_ties_are_never_broken_by_input_order(n, data):
    criteria = (Criterion("K1", "", Decimal(10), priority=True), Criterion("K2", "", Decimal(10)))
    codes = [f"U{i}" for i in range(n)]
    # Every scorer gives unit u the same sheet; units drawn with the same sheet are equal on every step.
    sheets = ((9, 8), (8, 9), (9, 9), (9, 8))
    given_to = {u: data.draw(st.sampled_from(sheets)) for u in codes}
    values = {(s, u, c.code): str(given_to[u][i]) for s in codes for u in codes for i, c in enumerate(criteria)}
    forward = run(codes, criteria, values)
    backward = run(list(reversed(codes)), criteria, values)
    assert forward.rank_by_code() == backward.rank_by_code()
    ranks = forward.rank_by_code()
    for u in codes:
        for v in codes:
            if given_to[u] == given_to[v]:
                assert ranks[u] == ranks[v]
    groups = {frozenset(g) for g in forward.as_json()["needs_vote"]}
    expected = {frozenset(v for v in codes if given_to[v] == given_to[u]) for u in codes}
    assert groups == {g for g in expected if len(g) > 1}
    assert groups == {frozenset(g) for g in backward.as_json()["needs_vote"]}
    # A tied group is listed in the bloc's unit order, whatever the input order.
    for g in forward.as_json()["needs_vote"]:
        assert g == sorted(g)


@SETTINGS
@given(blocs(max_units=6, kinds=(Kind.NORMAL, Kind.BONUS)), st.data())
def test_deduction_behaves_as_a_negative(bloc, data):
    codes, criteria, sections, values = bloc
    coefficient = data.draw(st.sampled_from((None, Decimal(1), Decimal(2), Decimal("0.5"))))
    ded = Criterion("TRU", "Điểm trừ", Decimal(10), kind=Kind.DEDUCTION, coefficient=coefficient)
    d = {(s, u): Decimal(data.draw(st.integers(0, 1000))).scaleb(-2) for s in codes for u in codes}
    with_ded = dict(values)
    with_ded.update({(s, u, "TRU"): str(v) for (s, u), v in d.items()})
    plain = run(codes, criteria, values, sections=sections)
    deducted = run(codes, (*criteria, ded), with_ded, sections=sections)
    k = Fraction(coefficient if coefficient is not None else 1)
    n = len(codes)
    for i, u in enumerate(codes):
        mean_d = sum((Fraction(d[(s, u)]) for s in codes), Fraction(0)) / n
        assert deducted.aggregates.score[i] == plain.aggregates.score[i] - k * mean_d
        assert deducted.aggregates.deduction_mean[i] == k * mean_d
        assert deducted.aggregates.self_total[i] == plain.aggregates.self_total[i] - k * Fraction(d[(u, u)])


def test_fewer_deductions_rank_higher_when_all_else_is_equal():
    # Both units: T = 10 − 1 = 9 on every sheet versus 9.5 − 0.5 = 9 — equal score, priority
    # (none) and cross mean; the unit with fewer deduction points comes first.
    criteria = (Criterion("K", "", Decimal(10)), Criterion("D", "", Decimal(5), kind=Kind.DEDUCTION))
    values = {}
    for s in ("X", "Y"):
        values[(s, "X", "K")], values[(s, "X", "D")] = "10", "1"
        values[(s, "Y", "K")], values[(s, "Y", "D")] = "9,5", "0,5"
    doc = run(("X", "Y"), criteria, values).as_json()
    assert [(r["unit"], r["rank"], r["decided_by"]) for r in doc["units"]] == [
        ("Y", 1, "deductions"), ("X", 2, "deductions")]


@SETTINGS
@given(blocs(min_units=2, max_units=6), st.data())
def test_blank_is_not_zero(bloc, data):
    codes, criteria, sections, values = bloc
    key = data.draw(st.sampled_from(sorted(values)))
    blank = dict(values)
    blank[key] = data.draw(st.sampled_from(("", "  ", None)))
    result = run(codes, criteria, blank, sections=sections)
    assert not result.ranked and result.aggregates is None
    scorer, unit, crit = key
    if scorer == unit:
        expected = ("MISSING_SELF_SCORE", scorer, unit)
    elif len(codes) == 2 and len(criteria) == 1:
        expected = ("MISSING_SHEET", scorer, None)  # that blank was the scorer's whole cross sheet
    else:
        expected = ("MISSING_SCORE", scorer, unit)
    assert [(p.code, p.where.scorer, p.where.unit) for p in result.blocking] == [expected]
    if expected[0] != "MISSING_SHEET":
        assert crit in result.blocking[0].message
    zero = dict(values)
    zero[key] = "0"
    assert run(codes, criteria, zero, sections=sections).ranked


@SETTINGS
@given(blocs(min_units=2, max_units=6), st.data())
def test_a_refused_value_is_reported_once_as_itself(bloc, data):
    """Refused content is neither a score nor a blank: one problem, never also a missing score or sheet."""
    codes, criteria, sections, values = bloc
    key = data.draw(st.sampled_from(sorted(values)))
    bad, code = data.draw(st.sampled_from((("mười", "INVALID_NUMBER"), ("9..5", "INVALID_NUMBER"),
                                           ("1,1234567", "TOO_MANY_DECIMALS"))))
    table = ScoringTable(tuple(criteria), sections)
    entries = [Entry(*k, v) for k, v in {**values, key: bad}.items()]
    array, problems = build_scores(tuple(Unit(c) for c in codes), table, entries)
    result = evaluate(array, make_profile(), problems)
    assert not result.ranked
    scorer, unit, crit = key
    assert [(p.code, p.where.scorer, p.where.unit, p.where.criterion) for p in result.blocking] == [
        (code, scorer, unit, crit)]
