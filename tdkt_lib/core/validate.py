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


def sheets_received(scores: ScoreArray) -> np.ndarray:
    """received[s] is True when scorer s sent any score at all."""
    return scores.present.any(axis=(1, 2))


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
    for s, unit in enumerate(units):
        if not received[s]:
            if profile.missing_sheets == "divide_by_received":
                problems.append(warning(
                    "MISSING_SHEET",
                    f"Đơn vị {unit.code} chưa gửi phiếu chấm; điểm được chia cho số phiếu thực nhận "
                    "(theo hồ sơ quy tắc).",
                    scorer=unit.code))
            else:
                problems.append(error(
                    "MISSING_SHEET",
                    f"Chưa có phiếu chấm của đơn vị {unit.code}. Cần đủ phiếu của mọi đơn vị "
                    "trước khi xếp hạng; đề nghị đơn vị gửi phiếu.",
                    scorer=unit.code))
        self_missing = [criteria[c].code for c in np.flatnonzero(~scores.present[s, s])]
        if self_missing and (received[s] or profile.missing_sheets == "divide_by_received"):
            problems.append(error(
                "MISSING_SELF_SCORE",
                f"Đơn vị {unit.code} chưa tự chấm đủ: thiếu {_codes(self_missing)}. "
                "Điểm tự chấm là bắt buộc.",
                scorer=unit.code, unit=unit.code))
    for s in np.flatnonzero(received):
        for u in range(n):
            if u == s:
                continue
            missing = [criteria[c].code for c in np.flatnonzero(~scores.present[s, u])]
            if missing:
                problems.append(error(
                    "MISSING_SCORE",
                    f"Đơn vị {units[s].code} chưa chấm đơn vị {units[u].code} ở {_codes(missing)}. "
                    "Ô trống không phải là 0: nhập điểm (kể cả 0) cho mọi tiêu chí.",
                    scorer=units[s].code, unit=units[u].code))
    maxima = np.array([int(c.maximum * scores.scale) for c in criteria], dtype=np.int64)
    bad = scores.present & ((scores.points < 0) | (scores.points > maxima))
    for s, u, c in np.argwhere(bad):
        crit = criteria[c]
        value = scores.value(s, u, c)
        problems.append(error(
            "OUT_OF_RANGE",
            f"Điểm {value} nằm ngoài khoảng cho phép 0..{crit.maximum} của tiêu chí {crit.code}. "
            "Nhập lại điểm trong khoảng đó (điểm trừ nhập số dương).",
            scorer=units[s].code, unit=units[u].code, criterion=crit.code,
            **scores.origins.get((int(s), int(u), int(c)), {})))
    return problems
