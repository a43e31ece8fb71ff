"""Benchmark the scoring engine: one bloc, a province (40 blocs), the nation (1,360 blocs).

Run:  python benchmarks/bench_engine.py [--repeats 5] [--national 1360]

Each bloc is 20 units × 120 criteria (48,000 scores, realistic points such as 9.25, with
bonus and deduction criteria, section coefficients and priority flags), built in memory as a
ScoreArray through `tdkt_lib.core.scores.build_scores`, exactly as every front end does.
What is timed is `evaluate` = validate + aggregate + rank + select (the ribbon's and the CLI's
work after reading). The floor is a plain numpy sum over the same arrays. The script also
checks that the int64 fast path and the exact Python-int path give bit-for-bit identical
results. Targets (issue 2): one bloc ≤ 10 ms, 40 blocs ≤ 1 s, cost linear in the blocs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from decimal import Decimal

import numpy as np

import tdkt_lib.core.aggregate as aggregate_module
from tdkt_lib.adapters.profiles import load_profile
from tdkt_lib.core.model import Criterion, Kind, ScoreArray, ScoringTable, Section, Unit
from tdkt_lib.core.result import BlocResult, evaluate
from tdkt_lib.core.scores import Entry, build_scores

UNITS, CRITERIA, PROVINCE, NATIONAL = 20, 120, 40, 1360
DISTINCT = 40  # distinct blocs built; larger batches cycle through them (no caching anywhere)


def make_table(rng: random.Random) -> ScoringTable:
    sections = tuple(Section(f"S{i}", f"Mục {i}", Decimal(rng.choice(("1", "1", "2", "1.5")))) for i in range(6))
    criteria = []
    for c in range(CRITERIA):
        if c >= CRITERIA - 6:
            kind, maximum = Kind.DEDUCTION, Decimal(rng.choice((2, 5)))
        elif c >= CRITERIA - 12:
            kind, maximum = Kind.BONUS, Decimal(rng.choice((3, 5)))
        else:
            kind, maximum = Kind.NORMAL, Decimal(rng.choice((5, 10, 10, 15)))
        criteria.append(Criterion(
            code=f"{c // 20 + 1}.{c % 20 + 1}", title=f"Tiêu chí {c}", maximum=maximum, kind=kind,
            priority=c < 20, section=f"S{c // 20}",
        ))
    return ScoringTable(tuple(criteria), sections)


def make_bloc(seed: int) -> ScoreArray:
    rng = random.Random(seed)
    table = make_table(rng)
    units = tuple(Unit(f"DV{seed:04d}-{u:02d}", f"Đơn vị {u}") for u in range(UNITS))
    quarter = Decimal("0.25")
    entries = []
    for s in units:
        for u, unit in enumerate(units):
            strength = 0.55 + 0.4 * ((u * 7919 + seed) % UNITS) / UNITS
            for crit in table.criteria:
                steps = int(crit.maximum * 4)
                if crit.kind is Kind.NORMAL:
                    k = min(steps, max(0, round(steps * strength + rng.randint(-4, 4))))
                else:
                    k = rng.choice((0, 0, 0, rng.randint(0, steps)))
                entries.append(Entry(s.code, unit.code, crit.code, quarter * k))
    array, problems = build_scores(units, table, entries)
    assert not problems, problems[:3]
    return array


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fingerprint(result: BlocResult) -> tuple:
    agg = result.aggregates
    assert agg is not None
    return (
        agg.score, agg.score_hundredths, agg.self_total, agg.cross_mean, agg.priority_mean,
        agg.deduction_mean, agg.sheets, [int(x) for x in np.asarray(agg.totals).ravel()], result.as_json(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--national", type=int, default=NATIONAL)
    args = parser.parse_args()
    profile = load_profile()

    start = time.perf_counter()
    blocs = [make_bloc(seed) for seed in range(DISTINCT)]
    print(f"Built {DISTINCT} distinct blocs of {UNITS} units × {CRITERIA} criteria "
          f"({UNITS * UNITS * CRITERIA:,} scores each) in {time.perf_counter() - start:.1f} s")

    first = evaluate(blocs[0], profile)
    assert first.ranked and not first.blocking, [p.describe() for p in first.blocking]
    assert first.aggregates is not None and first.aggregates.totals.dtype == np.int64

    def batch(count: int):
        chosen = [blocs[i % DISTINCT] for i in range(count)]
        return lambda: [evaluate(b, profile) for b in chosen], lambda: [int(b.points.sum()) for b in chosen]

    print(f"\n{'case':<28}{'blocs':>7}{'scores':>14}{'evaluate':>12}{'per bloc':>11}{'numpy sum':>12}{'ratio':>8}")
    rows = []
    for name, count, target in (("one bloc", 1, 0.010), ("province", PROVINCE, 1.0),
                                ("national", args.national, None)):
        engine, floor = batch(count)
        repeats = args.repeats if count <= PROVINCE else max(1, min(args.repeats, 3))
        t_engine = median_time(engine, repeats)
        t_floor = median_time(floor, repeats)
        rows.append((count, t_engine))
        verdict = "" if target is None else ("  ✓ ≤ " if t_engine <= target else "  ✗ > ") + f"{target * 1000:g} ms"
        print(f"{name:<28}{count:>7}{count * UNITS * UNITS * CRITERIA:>14,}{t_engine * 1000:>10.1f}ms"
              f"{t_engine / count * 1000:>9.2f}ms{t_floor * 1000:>10.2f}ms{t_engine / t_floor:>7.0f}×{verdict}")

    (n1, t1), (n2, t2), (n3, t3) = rows
    print(f"\nLinearity: per-bloc cost {t1 / n1 * 1000:.2f} ms (1), {t2 / n2 * 1000:.2f} ms ({n2}), "
          f"{t3 / n3 * 1000:.2f} ms ({n3}); national/province time ratio {t3 / t2:.1f} "
          f"for {n3 / n2:.1f}× the blocs")

    # Exactness first: the int64 fast path and the Python-int path must agree bit for bit.
    fast = [fingerprint(evaluate(b, profile)) for b in blocs]
    saved = aggregate_module._INT64_SAFE
    aggregate_module._INT64_SAFE = 0
    try:
        slow_results = [evaluate(b, profile) for b in blocs]
        assert all(r.aggregates is not None and r.aggregates.totals.dtype == object for r in slow_results)
        slow = [fingerprint(r) for r in slow_results]
        t_slow = median_time(lambda: [evaluate(b, profile) for b in blocs], max(1, min(args.repeats, 3)))
    finally:
        aggregate_module._INT64_SAFE = saved
    identical = fast == slow
    print(f"\nFast int64 path vs exact Python-int path on {DISTINCT} blocs: "
          f"{'bit-for-bit identical' if identical else 'DIFFERENT'} "
          f"(object path: {t_slow * 1000:.0f} ms for {DISTINCT} blocs)")
    if not identical:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
