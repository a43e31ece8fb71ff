"""One pipeline for every front end: validate → aggregate → rank → select → result."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from tdkt_lib.core.aggregate import Aggregates, aggregate
from tdkt_lib.core.appraisal import Selection, classify, ineligibility, select
from tdkt_lib.core.model import ScoreArray, code_key
from tdkt_lib.core.numbers import round_fraction
from tdkt_lib.core.problems import Problem, error, warning
from tdkt_lib.core.profile import STEP_LABELS, Profile
from tdkt_lib.core.ranking import Placement, rank_units, tie_groups
from tdkt_lib.core.validate import validate

RANK_RULE = (
    "Thứ hạng = 1 + số đơn vị đứng trên sau toàn bộ chuỗi tiêu chí phân hạng; chỉ các đơn vị "
    "bằng nhau ở mọi bước mới cùng hạng. Cách này khác hàm RANK.EQ của Excel (chỉ xét điểm): "
    "cột «RANK.EQ» cho kết quả của hàm đó để đối chiếu."
)


@dataclass(frozen=True)
class Ballot:
    """Votes in favour per unit code (as typed) and the number of voters."""

    votes: dict[str, int]
    voters: int | None = None
    where: dict[str, dict[str, object]] = field(default_factory=dict)


@dataclass
class BlocResult:
    """Everything a front end shows; `as_json()` is the CSV contract's document."""

    scores: ScoreArray
    profile: Profile
    problems: list[Problem]
    aggregates: Aggregates | None = None
    placements: list[Placement] = field(default_factory=list)
    selection: Selection | None = None
    excluded: dict[int, list[str]] = field(default_factory=dict)
    votes: dict[int, int] | None = None
    acclamation: dict[str, Any] | None = None

    @property
    def ranked(self) -> bool:
        return self.aggregates is not None

    @property
    def notes(self) -> list[Problem]:
        """What tdkt did to the input, for people (stderr, Kiểm tra); not in `as_json()`."""
        return [p for p in self.problems if p.is_note]

    @property
    def blocking(self) -> list[Problem]:
        return [p for p in self.problems if p.blocking]

    def score_of(self, u: int) -> Decimal:
        assert self.aggregates is not None
        return Decimal(self.aggregates.score_hundredths[u]).scaleb(-2)

    def rank_by_code(self) -> dict[str, int]:
        return {self.scores.units[p.index].code: p.rank for p in self.placements}

    def as_json(self) -> dict[str, Any]:
        units = self.scores.units
        doc: dict[str, Any] = {
            "ranked": self.ranked,
            "units": [],
            "top": [],
            "top_tie": False,
            "needs_vote": [],
            "issues": [p.as_dict() for p in self.problems if not p.is_note],
            "method": {"name": self.profile.method, "description": self.profile.describe_method()},
            "profile": {
                "id": self.profile.id,
                "title": self.profile.title,
                "document": self.profile.source.get("document", ""),
                "defaults": list(self.profile.defaulted),
            },
            "rank_rule": RANK_RULE,
        }
        if not self.ranked:
            return doc
        agg, sel = self.aggregates, self.selection
        assert agg is not None and sel is not None
        maximum = Fraction(self.scores.table.maximum_total())
        for p in self.placements:
            u = p.index
            cross = agg.cross_mean[u]
            doc["units"].append({
                "unit": units[u].code,
                "name": units[u].name,
                "score": float(self.score_of(u)),
                "rank": p.rank,
                "eligible": u not in self.excluded,
                "reason": "; ".join(self.excluded.get(u, [])),
                "decided_by": p.decided_by,
                "decided_by_label": STEP_LABELS[p.decided_by],
                "needs_vote": p.tied,
                "score_rank": p.score_rank,
                "self_total": _number(agg.self_total[u]),
                "cross_mean": _number(cross) if cross is not None else None,
                "priority_mean": _number(agg.priority_mean[u]),
                "deduction_mean": _number(agg.deduction_mean[u]),
                "sheets": agg.sheets[u],
                "votes": (self.votes or {}).get(u),
                "classification": classify(Fraction(self.score_of(u)), self.profile.classification, maximum),
                "award": sel.awards.get(u),
            })
        doc["top"] = [units[u].code for u in sel.top]
        doc["top_tie"] = sel.top_tie
        doc["skipped"] = [
            {"unit": units[u].code, "reason": "; ".join(self.excluded[u])} for u in sel.skipped
        ]
        doc["needs_vote"] = [[units[u].code for u in g] for g in tie_groups(self.placements)]
        doc["awards"] = [
            {
                "title": a.title,
                "units": [units[u].code for p in self.placements if (u := p.index) in sel.awards
                          and sel.awards[u] == a.title],
                "tie": a.title in sel.award_ties,
            }
            for a in self.profile.awards
        ]
        doc["vote"] = self.acclamation
        return doc


def _number(value: Fraction) -> float:
    """A figure shown for information: exact to 4 decimals, half away from zero."""
    return float(round_fraction(value, 4))


def _resolve_votes(scores: ScoreArray, ballot: Ballot) -> tuple[dict[int, int], list[Problem]]:
    index = {code_key(u.code): i for i, u in enumerate(scores.units)}
    votes: dict[int, int] = {}
    problems: list[Problem] = []
    for code, count in ballot.votes.items():
        where = ballot.where.get(code, {})
        u = index.get(code_key(code))
        if u is None:
            problems.append(error("UNKNOWN_UNIT", f"Phiếu bầu cho đơn vị «{code}» không có trong khối.",
                                  unit=code, **where))
        elif count < 0 or (ballot.voters is not None and count > ballot.voters):
            problems.append(error(
                "INVALID_VOTES",
                f"Số phiếu {count} của {code} không hợp lệ (phải từ 0 đến số người bỏ phiếu "
                f"{ballot.voters if ballot.voters is not None else ''}).".replace(" )", ")"),
                unit=code, **where))
        else:
            votes[u] = count
    if ballot.voters is not None and ballot.voters < 1:
        problems.append(error("INVALID_VOTES", "Số người bỏ phiếu (--voters) phải lớn hơn 0."))
    return votes, problems


def evaluate(
    scores: ScoreArray,
    profile: Profile,
    problems: list[Problem] | None = None,
    ballot: Ballot | None = None,
) -> BlocResult:
    """Validate, then (only when nothing blocks) aggregate, rank and select."""
    found = list(problems or []) + validate(scores, profile)
    votes = None
    if ballot is not None:
        votes, vote_problems = _resolve_votes(scores, ballot)
        found += vote_problems
    result = BlocResult(scores, profile, found, votes=votes)
    if result.blocking:
        return result
    agg = aggregate(scores, profile)
    placements = rank_units(agg, profile.tie_break, votes)
    excluded = ineligibility(scores)
    result.aggregates, result.placements, result.excluded = agg, placements, excluded
    result.selection = select(placements, set(excluded), profile)
    for group in tie_groups(placements):
        codes = ", ".join(scores.units[u].code for u in group)
        result.problems.append(warning(
            "NEEDS_VOTE",
            f"Các đơn vị {codes} bằng nhau ở mọi tiêu chí phân hạng (cùng hạng "
            f"{next(p.rank for p in placements if p.index == group[0])}): cần bỏ phiếu để phân định.",
        ))
        if votes is not None and any(u not in votes for u in group):
            result.problems.append(warning(
                "VOTES_MISSING", f"Thiếu số phiếu bầu của một số đơn vị trong nhóm {codes}."))
    if result.selection.top_tie:
        result.problems.append(warning(
            "TOP_TIE",
            "Có đơn vị bằng nhau ở vị trí cuối của danh sách thẩm định: tất cả được đưa vào danh sách.",
        ))
    if ballot is not None:
        result.acclamation = _acclamation(result, ballot)
    elif profile.vote_required:
        result.problems.append(warning(
            "VOTE_REQUIRED",
            "Hồ sơ quy tắc yêu cầu bình xét, bỏ phiếu suy tôn đơn vị đề nghị tặng Cờ thi đua: ghi kết quả bỏ phiếu "
            "vào tệp CSV (unit,votes) và chạy lại với --votes … --voters N.",
        ))
    return result


def _acclamation(result: BlocResult, ballot: Ballot) -> dict[str, Any]:
    """Does the unit proposed for the flag reach the profile's vote threshold?"""
    profile, sel = result.profile, result.selection
    assert sel is not None
    proposed = sel.top[0] if sel.top else None
    threshold = profile.vote_threshold
    info: dict[str, Any] = {
        "unit": result.scores.units[proposed].code if proposed is not None else None,
        "votes": (result.votes or {}).get(proposed) if proposed is not None else None,
        "voters": ballot.voters,
        "threshold": f"{threshold.numerator}/{threshold.denominator}" if threshold else None,
        "required": None,
        "reached": None,
    }
    if threshold is None or ballot.voters is None or info["votes"] is None:
        result.problems.append(warning(
            "VOTE_NOT_CHECKED",
            "Chưa kiểm tra được ngưỡng suy tôn: cần hồ sơ có ngưỡng (vote.threshold), số phiếu của "
            "đơn vị đề nghị tặng Cờ và số người bỏ phiếu (--voters).",
        ))
        return info
    info["required"] = math.ceil(threshold * ballot.voters)
    info["reached"] = info["votes"] * threshold.denominator >= threshold.numerator * ballot.voters
    if not info["reached"]:
        result.problems.append(warning(
            "VOTE_THRESHOLD_NOT_REACHED",
            f"Đơn vị {info['unit']} được {info['votes']}/{ballot.voters} phiếu, chưa đạt ngưỡng "
            f"{info['threshold']} (cần ít nhất {info['required']} phiếu) để đề nghị tặng Cờ thi đua.",
            unit=info["unit"],
        ))
    return info
