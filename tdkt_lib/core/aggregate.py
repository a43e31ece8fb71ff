"""Totals and scores in exact integer arithmetic.

T(s,u) = Σ coef·points (normal, bonus) − Σ coef·points (deduction). Every figure is an
integer numerator over a known denominator, so nothing is ever a binary float.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from tdkt_lib.core.model import Kind, ScoreArray
from tdkt_lib.core.numbers import decimal_places, round_half_away
from tdkt_lib.core.profile import Profile
from tdkt_lib.core.validate import sheets_received

_INT64_SAFE = 2**62


@dataclass
class Aggregates:
    """Per-unit exact figures; fractions are value = numerator / denominator."""

    totals: np.ndarray          # T(s,u) scaled by `total_scale` (object or int64)
    received: np.ndarray        # received[s, u]: scorer s's sheet counted for unit u
    total_scale: int
    score: list[Fraction]
    score_hundredths: list[int]
    self_total: list[Fraction]
    cross_mean: list[Fraction | None]
    priority_mean: list[Fraction]
    deduction_mean: list[Fraction]
    sheets: list[int]


def _weighted_sum(points: np.ndarray, weights: list[int]) -> np.ndarray:
    """Σ_c points[s,u,c]·weights[c], exact: int64 when it cannot overflow, else Python ints."""
    bound = int(np.abs(points).max(initial=0)) * max((abs(w) for w in weights), default=0)
    if bound * max(points.shape[-1], 1) < _INT64_SAFE:
        return points @ np.asarray(weights, dtype=np.int64)
    return points.astype(object) @ np.asarray(weights, dtype=object)


def coefficient_weights(scores: ScoreArray) -> tuple[list[int], list[int], list[int], int]:
    """Signed, priority and deduction weights per criterion, scaled to integers."""
    table = scores.table
    coefs = [table.coefficient(c) for c in table.criteria]
    places = max((decimal_places(k) for k in coefs), default=0)
    scale = 10**places
    signed = [int(k * scale) * c.kind.sign for k, c in zip(coefs, table.criteria, strict=True)]
    priority = [w if c.priority else 0 for w, c in zip(signed, table.criteria, strict=True)]
    deduction = [
        -w if c.kind is Kind.DEDUCTION else 0 for w, c in zip(signed, table.criteria, strict=True)
    ]
    return signed, priority, deduction, scale


def aggregate(scores: ScoreArray, profile: Profile) -> Aggregates:
    """Apply the profile's method to valid scores (validation must have passed)."""
    signed, priority, deduction, coef_scale = coefficient_weights(scores)
    points = np.where(scores.present, scores.points, 0)
    totals = _weighted_sum(points, signed)
    prio = _weighted_sum(points, priority)
    ded = _weighted_sum(points, deduction)
    scale = scores.scale * coef_scale
    n = len(scores.units)
    sent = sheets_received(scores)
    received = np.repeat(sent[:, None], n, axis=1)
    if profile.missing_sheets == "error":
        received[:] = True
    received[np.arange(n), np.arange(n)] = True  # the self-score always counts
    result = Aggregates(totals, received, scale, [], [], [], [], [], [], [])
    for u in range(n):
        col = [s for s in range(n) if received[s, u]]
        cross = [int(totals[s, u]) for s in col if s != u]
        own = int(totals[u, u])
        count = len(col)
        if profile.method == "weighted":
            w = profile.self_weight or Fraction(0)
            score = w * Fraction(own, scale) + (1 - w) * Fraction(sum(cross), len(cross) * scale)
        elif profile.method == "trimmed_cross":
            kept = sum(cross) - max(cross) - min(cross)
            score = Fraction(own + kept, (count - 2) * scale)
        else:
            score = Fraction(own + sum(cross), count * scale)
        result.score.append(score)
        result.score_hundredths.append(round_half_away(score.numerator * 100, score.denominator))
        result.self_total.append(Fraction(own, scale))
        result.cross_mean.append(Fraction(sum(cross), len(cross) * scale) if cross else None)
        result.priority_mean.append(Fraction(sum(int(prio[s, u]) for s in col), count * scale))
        result.deduction_mean.append(Fraction(sum(int(ded[s, u]) for s in col), count * scale))
        result.sheets.append(count)
    return result
