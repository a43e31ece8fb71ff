"""Helpers for building small blocs in memory and an independent Fraction oracle.

Nothing here uses tdkt's aggregation: the oracle recomputes every score from the raw
Decimal entries, so the tests compare two independent computations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from tdkt_lib.adapters.profiles import profile_data
from tdkt_lib.core.model import Criterion, Kind, ScoreArray, ScoringTable, Section, Unit
from tdkt_lib.core.profile import Profile, build_profile
from tdkt_lib.core.result import Ballot, BlocResult, evaluate
from tdkt_lib.core.scores import Entry, build_scores

Key = tuple[str, str, str]  # scorer, unit, criterion codes


def make_profile(**tables: Any) -> Profile:
    """The default profile with some tables replaced, e.g. method={"name": "weighted", ...}."""
    defaults, _ = profile_data("default")
    data: dict[str, Any] = {"id": "test", "title": "test"}
    data.update(tables)
    return build_profile(data, defaults, "test")


def make_scores(
    unit_codes: list[str] | tuple[str, ...],
    criteria: list[Criterion] | tuple[Criterion, ...],
    values: Mapping[Key, object],
    sections: tuple[Section, ...] = (),
    units: tuple[Unit, ...] | None = None,
) -> ScoreArray:
    units = units or tuple(Unit(code) for code in unit_codes)
    table = ScoringTable(tuple(criteria), sections)
    entries = [Entry(s, u, c, v) for (s, u, c), v in values.items()]
    array, problems = build_scores(units, table, entries)
    assert problems == [], problems
    return array


def run(
    unit_codes, criteria, values, profile: Profile | None = None, sections=(), units=None,
    ballot: Ballot | None = None,
) -> BlocResult:
    array = make_scores(unit_codes, criteria, values, sections, units)
    return evaluate(array, profile or make_profile(), ballot=ballot)


def uniform(unit_codes, criteria, given: Mapping[str, tuple[object, ...]]) -> dict[Key, object]:
    """Every scorer (self included) gives unit u the points given[u], one per criterion."""
    return {
        (s, u, c.code): given[u][i]
        for s in unit_codes for u in unit_codes for i, c in enumerate(criteria)
    }


# ---------------------------------------------------------------- the oracle

def effective_coefficient(crit: Criterion, sections: tuple[Section, ...]) -> Fraction:
    """Own coefficient, else its (single-level) section's, else 1 — written independently."""
    if crit.coefficient is not None:
        return Fraction(crit.coefficient)
    for sec in sections:
        if sec.code == crit.section and sec.coefficient is not None:
            return Fraction(sec.coefficient)
    return Fraction(1)


def oracle_total(
    values: Mapping[Key, object], s: str, u: str, criteria, sections=()
) -> Fraction:
    total = Fraction(0)
    for crit in criteria:
        points = Fraction(Decimal(str(values[(s, u, crit.code)]).replace(",", ".")))
        sign = -1 if crit.kind is Kind.DEDUCTION else 1
        total += sign * effective_coefficient(crit, sections) * points
    return total


@dataclass
class OracleMethod:
    name: str = "mean"                # mean | weighted | trimmed_cross
    self_weight: Fraction = Fraction(0)


def oracle_scores(
    unit_codes, criteria, values, method: OracleMethod, sections=(), senders: set[str] | None = None
) -> dict[str, Fraction]:
    """The exact score of each unit; `senders` = scorers whose cross sheets were received."""
    result = {}
    for u in unit_codes:
        own = oracle_total(values, u, u, criteria, sections)
        cross = [
            oracle_total(values, s, u, criteria, sections)
            for s in unit_codes
            if s != u and (senders is None or s in senders)
        ]
        if method.name == "weighted":
            w = method.self_weight
            result[u] = w * own + (1 - w) * sum(cross, Fraction(0)) / len(cross)
        elif method.name == "trimmed_cross":
            kept = sorted(cross)[1:-1]
            result[u] = (own + sum(kept, Fraction(0))) / (1 + len(kept))
        else:
            result[u] = (own + sum(cross, Fraction(0))) / (1 + len(cross))
    return result


def excel_round(value: Fraction, places: int = 2) -> Decimal:
    """ROUND(value, places) via the decimal module (ROUND_HALF_UP = halves away from zero)."""
    ctx = Context(prec=80)
    exact = ctx.divide(Decimal(value.numerator), Decimal(value.denominator))
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- hypothesis strategies

MAXIMA = (Decimal("10"), Decimal("15"), Decimal("2.5"), Decimal("100"), Decimal("1"))
COEFFICIENTS = (None, Decimal("1"), Decimal("2"), Decimal("0.5"), Decimal("1.5"), Decimal("0.25"))


@st.composite
def tables(draw, min_criteria: int = 1, max_criteria: int = 5, kinds=tuple(Kind)):
    """A scoring table with kinds, criterion and section coefficients, priority flags."""
    sections = (
        Section("A", coefficient=draw(st.sampled_from(COEFFICIENTS))),
        Section("B", coefficient=draw(st.sampled_from(COEFFICIENTS))),
    )
    count = draw(st.integers(min_criteria, max_criteria))
    criteria = []
    for i in range(count):
        criteria.append(Criterion(
            code=f"K{i}",
            title=f"Tiêu chí {i}",
            maximum=draw(st.sampled_from(MAXIMA)),
            kind=draw(st.sampled_from(kinds)),
            coefficient=draw(st.sampled_from(COEFFICIENTS)),
            priority=draw(st.booleans()),
            section=draw(st.sampled_from((None, "A", "B"))),
        ))
    return tuple(criteria), sections


def points_for(draw, maximum: Decimal, places: int = 2) -> Decimal:
    """A realistic value in [0, maximum] with up to `places` decimals (9.25, 7.5, 10)."""
    scale = 10**places
    steps = int(maximum * scale)
    return Decimal(draw(st.integers(0, steps))).scaleb(-places)


@st.composite
def blocs(draw, min_units: int = 2, max_units: int = 8, **table_args):
    """(unit codes, criteria, sections, values) with every score present."""
    n = draw(st.integers(min_units, max_units))
    codes = [f"U{i:02d}" for i in range(n)]
    criteria, sections = draw(tables(**table_args))
    places = draw(st.sampled_from((0, 1, 2, 3)))
    values: dict[Key, object] = {}
    for s in codes:
        for u in codes:
            for crit in criteria:
                value = points_for(draw, crit.maximum, places)
                values[(s, u, crit.code)] = draw(st.sampled_from((str(value), str(value).replace(".", ","))))
    return codes, criteria, sections, values
