"""The seed's rule worked by hand: score = (self + Σ cross) / N, rounded half away from zero.

Kế hoạch 1516/KH-KTĐ (Hải Phòng, 2024): "Điểm của từng đơn vị = [Điểm đơn vị tự chấm (1) +
Điểm của 6 đơn vị trong Khối chấm chéo (2)]/7". Every expected number below is written out
by hand in the comments; none is computed by tdkt.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from blocs import make_profile, run, uniform

from tdkt_lib.core.model import Criterion, Kind

K1 = Criterion("K1", "Nhiệm vụ chuyên môn", Decimal(60))
K2 = Criterion("K2", "Nhiệm vụ trọng tâm", Decimal(40), priority=True)
K3 = Criterion("K3", "Vi phạm", Decimal(10), kind=Kind.DEDUCTION)
CRITERIA = (K1, K2, K3)
UNITS = ("A", "B", "C", "D", "E", "F", "G")

# What each scorer (A..G, in that order) gave units A and B: (K1, K2, K3 deduction).
RECEIVED_BY_A = [(58, 38.5, 0), (55, 37, 1), (56.5, 36, 0), (54, 35.25, 0.5), (57, 38, 0), (53.5, 36.5, 2),
                 (55, 37.75, 0)]
RECEIVED_BY_B = [(55, 36, 1), (58, 38, 0), (56, 37, 0), (54, 35, 0.53), (57, 38, 0), (53.5, 36.5, 2),
                 (55, 39, 0)]


def seven_unit_values() -> dict:
    # C..G receive the same sheet from every scorer (self included):
    #   C 50+30−0 = 80, D 45+30−0 = 75, E 40+30−0 = 70, F 40+30−1 = 69, G 40+30−0 = 70.
    rest = {"C": (50, 30, 0), "D": (45, 30, 0), "E": (40, 30, 0), "F": (40, 30, 1), "G": (40, 30, 0)}
    values = uniform(UNITS, CRITERIA, {**rest, "A": (0, 0, 0), "B": (0, 0, 0)})
    for target, received in (("A", RECEIVED_BY_A), ("B", RECEIVED_BY_B)):
        for scorer, points in zip(UNITS, received, strict=True):
            for crit, p in zip(CRITERIA, points, strict=True):
                values[(scorer, target, crit.code)] = str(p)
    return values


def test_seven_unit_bloc_by_hand():
    # Unit A. Totals T(s,A) = K1 + K2 − K3:
    #   self A: 58 + 38.5 − 0 = 96.5
    #   B: 55 + 37 − 1 = 91;  C: 56.5 + 36 − 0 = 92.5;  D: 54 + 35.25 − 0.5 = 88.75
    #   E: 57 + 38 − 0 = 95;  F: 53.5 + 36.5 − 2 = 88;  G: 55 + 37.75 − 0 = 92.75
    #   sum = 644.5;  644.5 / 7 = 92.071428…  → 92.07
    #   priority (K2) mean = (38.5+37+36+35.25+38+36.5+37.75) / 7 = 259 / 7 = 37
    #   cross mean = (644.5 − 96.5) / 6 = 548 / 6 = 91.3333…
    #   deduction mean = (0+1+0+0.5+0+2+0) / 7 = 3.5 / 7 = 0.5
    # Unit B. Totals T(s,B):
    #   A: 55+36−1 = 90; self B: 58+38−0 = 96; C: 56+37 = 93; D: 54+35−0.53 = 88.47
    #   E: 57+38 = 95; F: 53.5+36.5−2 = 88; G: 55+39 = 94
    #   sum = 644.47;  644.47 / 7 = 92.067142…  → 92.07 (same rounded score as A)
    #   priority (K2) mean = (36+38+37+35+38+36.5+39) / 7 = 259.5 / 7 = 37.0714…
    # A's exact score is higher (92.0714 > 92.0671) but the rounded score is what is ranked:
    # both show 92.07, so the priority step decides and B (37.07 > 37) comes first.
    result = run(UNITS, CRITERIA, seven_unit_values(), make_profile())
    assert result.ranked, [p.describe() for p in result.blocking]
    agg = result.aggregates
    idx = {code: i for i, code in enumerate(UNITS)}
    assert agg.score[idx["A"]] == Fraction("644.5") / 7
    assert agg.score[idx["B"]] == Fraction("644.47") / 7
    assert result.score_of(idx["A"]) == Decimal("92.07")
    assert result.score_of(idx["B"]) == Decimal("92.07")
    assert agg.priority_mean[idx["A"]] == 37
    assert agg.priority_mean[idx["B"]] == Fraction("259.5") / 7
    assert agg.cross_mean[idx["A"]] == Fraction(548, 6)
    assert agg.deduction_mean[idx["A"]] == Fraction(1, 2)
    assert agg.self_total[idx["A"]] == Fraction("96.5")

    doc = result.as_json()
    rows = {r["unit"]: r for r in doc["units"]}
    # Ranks: B 1, A 2 (priority); C 80 → 3; D 75 → 4; E = G = 70 on every step → 5, 5; F 69 → 7.
    assert [r["unit"] for r in doc["units"]][:4] == ["B", "A", "C", "D"]
    assert {u: rows[u]["rank"] for u in UNITS} == {"B": 1, "A": 2, "C": 3, "D": 4, "E": 5, "G": 5, "F": 7}
    assert rows["B"]["decided_by"] == rows["A"]["decided_by"] == "priority"
    assert rows["C"]["decided_by"] == "score"
    assert rows["E"]["decided_by"] == rows["G"]["decided_by"] == "vote_needed"
    assert doc["needs_vote"] == [["E", "G"]]
    # Excel's RANK.EQ on the rounded score would put A and B both first.
    assert rows["A"]["score_rank"] == rows["B"]["score_rank"] == 1
    assert [rows[u]["score"] for u in ("C", "D", "E", "F", "G")] == [80.0, 75.0, 70.0, 69.0, 70.0]
    assert doc["top"] == ["B", "A", "C"]


def test_bloc_of_two_exact_half_rounds_up():
    # N = 2, one criterion max 100. Self 90.01, cross 90.00: (90.01 + 90.00) / 2 = 90.005 exactly.
    # Half away from zero → 90.01 (banker's rounding would give 90.00).
    k = Criterion("K", "Tổng hợp", Decimal(100))
    values = {("X", "X", "K"): "90,01", ("Y", "X", "K"): "90", ("X", "Y", "K"): "80", ("Y", "Y", "K"): "80"}
    result = run(("X", "Y"), (k,), values)
    assert result.aggregates.score[0] == Fraction("90.005")
    assert result.score_of(0) == Decimal("90.01")
    assert result.score_of(1) == Decimal("80.00")


def test_bloc_of_four_and_eight_exact_half():
    k = Criterion("K", "Tổng hợp", Decimal(100))
    # N = 4: unit P receives 90, 90, 90, 90.02 → 360.02 / 4 = 90.005 → 90.01.
    four = ("P", "Q", "R", "S")
    values = uniform(four, (k,), {u: ("50",) for u in four})
    for s, v in zip(four, ("90", "90", "90", "90.02"), strict=True):
        values[(s, "P", "K")] = v
    result = run(four, (k,), values)
    assert result.score_of(0) == Decimal("90.01")
    # N = 8: unit P receives 90 seven times and 90.04 once → 720.04 / 8 = 90.005 → 90.01;
    # unit Q receives 70 seven times and 70.02 once → 560.02 / 8 = 70.0025 → 70.00 (below the half).
    eight = tuple("PQRSTUVW")
    values = uniform(eight, (k,), {u: ("50",) for u in eight})
    for i, s in enumerate(eight):
        values[(s, "P", "K")] = "90.04" if i == 3 else "90"
        values[(s, "Q", "K")] = "70.02" if i == 5 else "70"
    result = run(eight, (k,), values)
    assert result.score_of(0) == Decimal("90.01")
    assert result.score_of(1) == Decimal("70.00")


def test_section_and_criterion_coefficients_by_hand():
    # Section S has hệ số 2; K1 in S has no own coefficient → 2; K2 in S has its own 0.5;
    # K3 has none and no section → 1. Two units; every sheet: K1 = 3, K2 = 4, K3 = 5.
    # T = 2·3 + 0.5·4 + 1·5 = 6 + 2 + 5 = 13 for every sheet → score 13.00.
    from tdkt_lib.core.model import Section

    crits = (
        Criterion("K1", "", Decimal(10), section="S"),
        Criterion("K2", "", Decimal(10), coefficient=Decimal("0.5"), section="S"),
        Criterion("K3", "", Decimal(10)),
    )
    values = uniform(("X", "Y"), crits, {"X": (3, 4, 5), "Y": (3, 4, 5)})
    result = run(("X", "Y"), crits, values, sections=(Section("S", coefficient=Decimal(2)),))
    assert result.aggregates.score == [13, 13]


def test_a_section_coefficient_applies_whatever_the_case_of_its_code():
    from decimal import Decimal

    from tdkt_lib.core.model import Criterion, ScoringTable, Section

    table = ScoringTable(
        (Criterion("A.1", "x", Decimal(10), section="a"),),
        (Section(" A ", "Mục A", Decimal(2)),),
    )
    assert table.coefficient(table.criteria[0]) == Decimal(2)
