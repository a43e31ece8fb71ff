"""Ranking by a tie-break chain: rank = 1 + the number of units strictly ahead.

Only units equal on every step share a rank; a tie no step breaks is reported as
needing a vote and is never settled by input order.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from tdkt_lib.core.aggregate import Aggregates


@dataclass(frozen=True)
class Placement:
    """Where one unit landed and which step put it there."""

    index: int            # the unit's position in the bloc's unit list
    rank: int
    score_rank: int       # Excel RANK.EQ on the rounded score alone, for comparison
    decided_by: str       # a tie-break step, "votes", or "vote_needed"
    tied: bool            # still equal to another unit after the chain (and votes)


def step_keys(agg: Aggregates, chain: tuple[str, ...]) -> list[tuple[Fraction | int, ...]]:
    """Per unit, one comparable value per step, larger = better."""
    values = {
        "score": agg.score_hundredths,
        "priority": agg.priority_mean,
        "cross_mean": [v if v is not None else Fraction(0) for v in agg.cross_mean],
        "deductions": [-v for v in agg.deduction_mean],
    }
    return [tuple(values[step][u] for step in chain) for u in range(len(agg.score))]


def rank_units(
    agg: Aggregates, chain: tuple[str, ...], votes: dict[int, int] | None = None
) -> list[Placement]:
    """Order units best first; `votes` (unit index → ballots) orders what the chain leaves tied."""
    keys = step_keys(agg, chain)
    vote_of = votes or {}
    use_votes = votes is not None
    # A group the chain leaves tied is ordered by votes only when every member has a count:
    # a unit missing from the ballot must not lose (or win) the tie silently.
    groups: dict[tuple, list[int]] = {}
    for u, key in enumerate(keys):
        groups.setdefault(key, []).append(u)
    unvoted = {u for g in groups.values() if any(v not in vote_of for v in g) for u in g}

    def full_key(u: int) -> tuple:
        return keys[u] + ((-1 if u in unvoted else vote_of[u],) if use_votes else ())

    order = sorted(range(len(keys)), key=full_key, reverse=True)
    steps = (*chain, "votes") if use_votes else chain

    def first_difference(a: int, b: int) -> int:
        ka, kb = full_key(a), full_key(b)
        return next((i for i, (x, y) in enumerate(zip(ka, kb, strict=True)) if x != y), len(ka))

    placements: dict[int, Placement] = {}
    rank = 1
    for pos, u in enumerate(order):
        if pos and full_key(order[pos - 1]) != full_key(u):
            rank = pos + 1
        around = []
        if pos:
            around.append(first_difference(order[pos - 1], u))
        if pos + 1 < len(order):
            around.append(first_difference(u, order[pos + 1]))
        deepest = max(around, default=0)
        tied = deepest == len(steps)
        placements[u] = Placement(
            index=u,
            rank=rank,
            score_rank=1 + sum(h > agg.score_hundredths[u] for h in agg.score_hundredths),
            decided_by="vote_needed" if tied else steps[deepest],
            tied=tied,
        )
    return [placements[u] for u in order]


def tie_groups(placements: list[Placement]) -> list[list[int]]:
    """Groups of unit indices still tied, in rank order, each in the bloc's unit order."""
    groups: dict[int, list[int]] = {}
    for p in placements:
        if p.tied:
            groups.setdefault(p.rank, []).append(p.index)
    return [sorted(groups[r]) for r in sorted(groups)]
