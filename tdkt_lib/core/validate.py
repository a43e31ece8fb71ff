"""Checks before ranking: nothing is ranked on incomplete or impossible data."""

from __future__ import annotations

import numpy as np

from tdkt_lib.core.model import ScoreArray
from tdkt_lib.core.problems import Problem, error, warning
from tdkt_lib.core.profile import Profile

_LIST_AT_MOST = 8


def _codes(codes: list[str]) -> str:
    shown = ", ".join(codes[:_LIST_AT_MOST])
    return shown + (f" và {len(codes) - _LIST_AT_MOST} tiêu chí khác" if len(codes) > _LIST_AT_MOST else "")


def missing_index(scores: ScoreArray, s: int, u: int) -> int:
    """The first criterion scorer s left blank for unit u."""
    return int(np.flatnonzero(scores.unanswered[s, u])[0])


def missing_where(scores: ScoreArray, s: int, u: int, c: int) -> dict[str, object]:
    """Where the first missing score is, when the reader saw that (blank) cell: file, sheet, cell."""
    where = scores.origin(s, u, c)
    return {k: v for k, v in where.items() if k in ("file", "sheet", "cell", "line")}


def sheets_received(scores: ScoreArray) -> np.ndarray:
    """received[s] is True when scorer s sent any cross-score (a score for another unit, or content
    refused as one).

    A unit's self-score is always required, so a "sheet" that may be missing (under
    `missing_sheets = "divide_by_received"`) is a scorer's cross-score sheet.
    """
    n = len(scores.units)
    cross = (scores.present | scores.refused).any(axis=2)
    cross[np.arange(n), np.arange(n)] = False
    return cross.any(axis=1)


# Cross-score sheets each unit needs for the method to mean anything.
_MIN_CROSS = {"mean": 1, "weighted": 1, "trimmed_cross": 3}


def validate(scores: ScoreArray, profile: Profile) -> list[Problem]:
    """Every sheet present and complete, points within [0, max], every self-score present."""
    problems: list[Problem] = []
    units, criteria = scores.units, scores.table.criteria
    n = len(units)
    if n < 2:
        problems.append(error("TOO_FEW_UNITS", "Khối phải có ít nhất 2 đơn vị để chấm chéo."))
    if not criteria:
        problems.append(error("NO_CRITERIA", "Bảng điểm chưa có tiêu chí nào."))
    if profile.method == "trimmed_cross" and n < 4:
        problems.append(error(
            "TOO_FEW_FOR_TRIMMED",
            "Phương pháp bỏ điểm cao nhất và thấp nhất cần ít nhất 4 đơn vị.",
        ))
    received = sheets_received(scores)
    blank = scores.unanswered
    complete = ~blank.any(axis=2)
    lenient = profile.missing_sheets == "divide_by_received"
    for s, unit in enumerate(units):
        if not received[s]:
            if lenient:
                problems.append(warning(
                    "MISSING_SHEET",
                    f"Đơn vị {unit.code} chưa gửi phiếu chấm chéo; điểm được chia cho số phiếu thực nhận "
                    "(theo hồ sơ quy tắc).",
                    scorer=unit.code))
            else:
                problems.append(error(
                    "MISSING_SHEET",
                    f"Chưa có phiếu chấm của đơn vị {unit.code}. Cần đủ phiếu của mọi đơn vị "
                    "trước khi xếp hạng; đề nghị đơn vị gửi phiếu.",
                    scorer=unit.code))
        if not complete[s, s] and (received[s] or lenient or not blank[s, s].all()):
            self_missing = [criteria[c].code for c in np.flatnonzero(blank[s, s])]
            first = missing_index(scores, s, s)
            problems.append(error(
                "MISSING_SELF_SCORE",
                f"Đơn vị {unit.code} chưa tự chấm đủ: thiếu {_codes(self_missing)}. "
                "Điểm tự chấm là bắt buộc.",
                scorer=unit.code, unit=unit.code, **missing_where(scores, s, s, first)))
    for s, u in np.argwhere(~complete & received[:, None]):
        if u == s:
            continue
        missing = [criteria[c].code for c in np.flatnonzero(blank[s, u])]
        first = missing_index(scores, int(s), int(u))
        problems.append(error(
            "MISSING_SCORE",
            f"Đơn vị {units[s].code} chưa chấm đơn vị {units[u].code} ở {_codes(missing)}. "
            "Ô trống không phải là 0: nhập điểm (kể cả 0) cho mọi tiêu chí.",
            scorer=units[s].code, unit=units[u].code, **missing_where(scores, int(s), int(u), first)))
    if lenient and n >= 2:
        need = _MIN_CROSS.get(profile.method, 1)
        for u, unit in enumerate(units):
            got = int(received.sum()) - int(received[u])
            if got < need:
                problems.append(error(
                    "TOO_FEW_SHEETS",
                    f"Đơn vị {unit.code} chỉ nhận được {got} phiếu chấm chéo; phương pháp tính cần ít "
                    f"nhất {need}. Đề nghị các đơn vị gửi phiếu.",
                    unit=unit.code))
    return problems + range_problems(scores)


def range_problems(scores: ScoreArray) -> list[Problem]:
    """Scores below 0 or above their criterion's maximum (deductions are entered as positive points)."""
    units, criteria = scores.units, scores.table.criteria
    maxima = np.array([int(c.maximum * scores.scale) for c in criteria], dtype=np.int64)
    bad = scores.present & ((scores.points < 0) | (scores.points > maxima))
    problems = []
    for s, u, c in np.argwhere(bad):
        crit = criteria[c]
        value = scores.value(s, u, c)
        problems.append(error(
            "OUT_OF_RANGE",
            f"Điểm {value} nằm ngoài khoảng cho phép 0..{crit.maximum} của tiêu chí {crit.code}. "
            "Nhập lại điểm trong khoảng đó (điểm trừ nhập số dương).",
            scorer=units[s].code, unit=units[u].code, criterion=crit.code,
            **scores.origin(s, u, c)))
    return problems
