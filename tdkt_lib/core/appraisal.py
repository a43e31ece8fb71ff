"""Eligibility, the appraisal list (top three), award proposals and classification."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from tdkt_lib.core.model import ScoreArray
from tdkt_lib.core.profile import Grade, Profile
from tdkt_lib.core.ranking import Placement


def ineligibility(scores: ScoreArray) -> dict[int, list[str]]:
    """Reasons a unit cannot be proposed: its own flag, or a disqualifying criterion marked.

    A disqualifying criterion (Nghị định 152/2025, Điều 4: under discipline, investigation,
    inspection or complaint) counts as marked when any scorer entered points above 0 for it.
    """
    reasons: dict[int, list[str]] = {}
    for u, unit in enumerate(scores.units):
        if not unit.eligible:
            reasons.setdefault(u, []).append(unit.reason or "Không đủ điều kiện (theo danh sách đơn vị)")
    for c, crit in enumerate(scores.table.criteria):
        if not crit.disqualifying:
            continue
        marked = scores.present[:, :, c] & (scores.points[:, :, c] > 0)
        for u in np.flatnonzero(marked.any(axis=0)):
            by = ", ".join(scores.units[s].code for s in np.flatnonzero(marked[:, u]))
            reasons.setdefault(int(u), []).append(
                f"Vướng tiêu chí loại trừ {crit.code} «{crit.title}» (đơn vị chấm đánh dấu: {by})"
            )
    return reasons


@dataclass(frozen=True)
class Selection:
    top: list[int]                 # unit indices on the appraisal list, in rank order
    top_tie: bool                  # a tie straddles the last place of the list
    skipped: list[int]             # ineligible units ranked above the list's last place
    awards: dict[int, str]         # unit index → proposed award title
    award_ties: list[str]          # award titles whose last place is tied


def select(placements: list[Placement], excluded: set[int], profile: Profile) -> Selection:
    """First `top_count` eligible units in rank order; a tie at the last place brings all in."""
    eligible = [p for p in placements if p.index not in excluded]
    top, top_tie = _take(eligible, profile.top_count)
    last_rank = max((p.rank for p in placements if p.index in top), default=0)
    skipped = [p.index for p in placements if p.index in excluded and p.rank <= last_rank]
    awards: dict[int, str] = {}
    award_ties: list[str] = []
    remaining = eligible
    for award in profile.awards:
        chosen, straddled = _take(remaining, award.count)
        if straddled:
            award_ties.append(award.title)
        awards.update((u, award.title) for u in chosen)
        remaining = [p for p in remaining if p.index not in chosen]
    return Selection(top, top_tie, skipped, awards, award_ties)


def _take(ordered: list[Placement], count: int) -> tuple[list[int], bool]:
    """The first `count` units plus every unit tied with the last one; True if that added any."""
    if count <= 0 or not ordered:
        return [], False
    chosen = ordered[:count]
    chosen += [p for p in ordered[count:] if p.rank == chosen[-1].rank]
    return [p.index for p in chosen], len(chosen) > count


def classify(score: Fraction, grades: tuple[Grade, ...], maximum_total: Fraction) -> str | None:
    """The first band whose threshold the (rounded) score reaches."""
    for grade in grades:
        threshold = grade.minimum if grade.minimum is not None else (grade.percent or 0) / 100 * maximum_total
        if score >= threshold:
            return grade.label
    return None

