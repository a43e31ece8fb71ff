"""Rule profiles: what differs between provinces, as data checked against a strict schema.

A profile file holds only what its source document says; everything else is taken from
the default profile and reported as a default (`Profile.defaulted`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from tdkt_lib.core.numbers import NumberError, parse_decimal

METHODS = ("mean", "weighted", "trimmed_cross")
MISSING_SHEETS = ("error", "divide_by_received")
TIE_BREAK_STEPS = ("score", "priority", "cross_mean", "deductions")

STEP_LABELS = {
    "score": "Điểm (làm tròn 2 chữ số)",
    "priority": "Điểm nhóm tiêu chí ưu tiên",
    "cross_mean": "Điểm chấm chéo trung bình",
    "deductions": "Điểm trừ (ít hơn xếp trên)",
    "votes": "Số phiếu bầu",
    "vote_needed": "Cần bỏ phiếu (bằng nhau trên mọi tiêu chí)",
}
SHORT_STEP_LABELS = {
    "score": "Điểm",
    "priority": "Nhóm ưu tiên",
    "cross_mean": "Chấm chéo TB",
    "deductions": "Điểm trừ",
    "votes": "Phiếu bầu",
    "vote_needed": "Cần bỏ phiếu",
}

_TEXT = str
SCHEMA: dict[str, Any] = {
    "id": _TEXT,
    "title": _TEXT,
    "extends": _TEXT,
    "source": {
        "document": _TEXT,
        "issuer": _TEXT,
        "title": _TEXT,
        "date": _TEXT,
        "seed": _TEXT,
        "quote": _TEXT,
        "notes": _TEXT,
    },
    "method": {"name": _TEXT, "self_weight": _TEXT, "missing_sheets": _TEXT},
    "ranking": {"tie_break": [_TEXT]},
    "appraisal": {"top": int, "start": _TEXT, "end": _TEXT},
    "vote": {"required": bool, "threshold": _TEXT},
    "deadlines": {"reports": _TEXT, "score_tables": _TEXT, "results": _TEXT, "conference": _TEXT},
    "awards": [{"title": _TEXT, "count": int}],
    "classification": [{"label": _TEXT, "min": _TEXT, "min_percent": _TEXT}],
}


class ProfileError(ValueError):
    """A profile that cannot be used; the message is Vietnamese and names the key."""


@dataclass(frozen=True)
class DayMonth:
    day: int
    month: int

    def __str__(self) -> str:
        return f"{self.day:02d}/{self.month:02d}"


@dataclass(frozen=True)
class Award:
    title: str
    count: int


@dataclass(frozen=True)
class Grade:
    """A classification band: score ≥ `minimum`, or ≥ `percent`% of the table's maximum."""

    label: str
    minimum: Fraction | None = None
    percent: Fraction | None = None


@dataclass(frozen=True)
class Profile:
    id: str
    title: str
    source: dict[str, str]
    method: str
    self_weight: Fraction | None
    missing_sheets: str
    tie_break: tuple[str, ...]
    top_count: int
    appraisal: tuple[DayMonth | None, DayMonth | None]
    vote_required: bool
    vote_threshold: Fraction | None
    deadlines: dict[str, DayMonth]
    awards: tuple[Award, ...]
    classification: tuple[Grade, ...]
    defaulted: tuple[str, ...]

    def describe_method(self) -> str:
        """One Vietnamese line saying how the score is computed."""
        if self.method == "weighted":
            w = self.self_weight or Fraction(0)
            text = (
                f"Điểm = {_fraction_text(w)} × điểm tự chấm + {_fraction_text(1 - w)} × "
                "trung bình điểm chấm chéo"
            )
        elif self.method == "trimmed_cross":
            text = (
                "Điểm = (điểm tự chấm + tổng điểm chấm chéo, bỏ một điểm cao nhất và một điểm "
                "thấp nhất) / (N − 2)"
            )
        else:
            text = "Điểm = (điểm tự chấm + tổng điểm chấm chéo) / N"
        if self.missing_sheets == "divide_by_received":
            text += "; N là số phiếu thực nhận"
        return text + "; làm tròn 2 chữ số thập phân (nửa xa số 0, như hàm ROUND của Excel)"


def _fraction_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def check_keys(data: dict[str, Any], schema: dict[str, Any], where: str, path: str = "") -> None:
    """Refuse unknown or misspelt keys and values of the wrong type."""
    for key, value in data.items():
        full = f"{path}{key}"
        if key not in schema:
            close = difflib.get_close_matches(key, list(schema), n=1)
            hint = f" Có phải ý là «{path}{close[0]}»?" if close else ""
            known = ", ".join(sorted(schema))
            raise ProfileError(
                f"{where}: khoá «{full}» không có trong hồ sơ quy tắc.{hint} "
                f"Các khoá hợp lệ ở đây: {known}."
            )
        expected = schema[key]
        if isinstance(expected, dict):
            if not isinstance(value, dict):
                raise ProfileError(f"{where}: «{full}» phải là một bảng [{full}].")
            check_keys(value, expected, where, full + ".")
        elif isinstance(expected, list):
            if not isinstance(value, list):
                raise ProfileError(f"{where}: «{full}» phải là một danh sách.")
            for item in value:
                if isinstance(expected[0], dict):
                    if not isinstance(item, dict):
                        raise ProfileError(f"{where}: mỗi phần tử của «{full}» phải là một bảng.")
                    check_keys(item, expected[0], where, full + ".")
                elif not isinstance(item, expected[0]):
                    raise ProfileError(f"{where}: «{full}» phải là danh sách chữ.")
        elif expected is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ProfileError(f"{where}: «{full}» phải là số nguyên.")
        elif not isinstance(value, expected):
            kind = {str: "chuỗi chữ", bool: "true hoặc false"}.get(expected, str(expected))
            raise ProfileError(f"{where}: «{full}» phải là {kind}.")


def merge_layers(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `over` onto `base` (lists and scalars replace)."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_layers(merged[key], value)
        else:
            merged[key] = value
    return merged


def _leaf_paths(data: dict[str, Any], prefix: str = "") -> set[str]:
    paths: set[str] = set()
    for key, value in data.items():
        if isinstance(value, dict):
            paths |= _leaf_paths(value, f"{prefix}{key}.")
        else:
            paths.add(f"{prefix}{key}")
    return paths


def parse_day_month(text: str, where: str) -> DayMonth:
    parts = text.strip().split("/")
    try:
        day, month = int(parts[0]), int(parts[1])
        if len(parts) != 2 or not (1 <= month <= 12 and 1 <= day <= 31):
            raise ValueError
    except (ValueError, IndexError):
        raise ProfileError(f"{where}: «{text}» phải là ngày/tháng dạng dd/mm, ví dụ 08/12.") from None
    return DayMonth(day, month)


def parse_ratio(text: str, where: str) -> Fraction:
    """`2/3`, `0,5` or `0.5` as an exact Fraction."""
    try:
        if "/" in text:
            num, den = text.split("/")
            return Fraction(int(num), int(den))
        return Fraction(parse_decimal(text))
    except (ValueError, ZeroDivisionError, NumberError):
        raise ProfileError(f"{where}: «{text}» phải là một tỉ lệ như 2/3 hoặc 0,5.") from None


def build_profile(data: dict[str, Any], defaults: dict[str, Any], where: str) -> Profile:
    """Resolve a profile mapping over the default mapping; record what came from defaults."""
    check_keys(data, SCHEMA, where)
    own = _leaf_paths(data)
    merged = merge_layers(defaults, data)
    defaulted = tuple(sorted(p for p in _leaf_paths(merged) - own if not p.startswith("source.")))
    method = merged.get("method", {})
    name = method.get("name", "mean")
    if name not in METHODS:
        raise ProfileError(f"{where}: phương pháp «{name}» không có; chọn một trong: {', '.join(METHODS)}.")
    weight = None
    if name == "weighted":
        if "self_weight" not in method:
            raise ProfileError(f"{where}: phương pháp weighted cần «method.self_weight», ví dụ 1/3.")
        weight = parse_ratio(method["self_weight"], where)
        if not 0 <= weight <= 1:
            raise ProfileError(f"{where}: «method.self_weight» phải nằm trong khoảng 0..1.")
    missing = method.get("missing_sheets", "error")
    if missing not in MISSING_SHEETS:
        raise ProfileError(
            f"{where}: «method.missing_sheets» = «{missing}» không hợp lệ; chọn: {', '.join(MISSING_SHEETS)}."
        )
    chain = tuple(merged.get("ranking", {}).get("tie_break", TIE_BREAK_STEPS))
    for step in chain:
        if step not in TIE_BREAK_STEPS:
            raise ProfileError(
                f"{where}: bước phân hạng «{step}» không có; chọn trong: {', '.join(TIE_BREAK_STEPS)}."
            )
    if not chain or chain[0] != "score" or len(set(chain)) != len(chain):
        raise ProfileError(
            f"{where}: «ranking.tie_break» phải bắt đầu bằng «score» và không lặp bước."
        )
    appraisal = merged.get("appraisal", {})
    top = appraisal.get("top", 3)
    if top < 1:
        raise ProfileError(f"{where}: «appraisal.top» phải ≥ 1.")
    vote = merged.get("vote", {})
    threshold = parse_ratio(vote["threshold"], where) if vote.get("threshold") else None
    if threshold is not None and not 0 < threshold <= 1:
        raise ProfileError(f"{where}: «vote.threshold» phải nằm trong khoảng (0, 1].")
    grades = []
    for item in merged.get("classification", []):
        if ("min" in item) == ("min_percent" in item):
            raise ProfileError(f"{where}: mỗi mức xếp loại cần đúng một trong «min» hoặc «min_percent».")
        grades.append(
            Grade(
                item["label"],
                minimum=parse_ratio(item["min"], where) if "min" in item else None,
                percent=parse_ratio(item["min_percent"], where) if "min_percent" in item else None,
            )
        )
    return Profile(
        id=merged.get("id", ""),
        title=merged.get("title", ""),
        source=dict(data.get("source", {})),
        method=name,
        self_weight=weight,
        missing_sheets=missing,
        tie_break=chain,
        top_count=top,
        appraisal=(
            parse_day_month(appraisal["start"], where) if "start" in appraisal else None,
            parse_day_month(appraisal["end"], where) if "end" in appraisal else None,
        ),
        vote_required=bool(vote.get("required", False)),
        vote_threshold=threshold,
        deadlines={k: parse_day_month(v, where) for k, v in merged.get("deadlines", {}).items()},
        awards=tuple(Award(a["title"], a["count"]) for a in merged.get("awards", [])),
        classification=tuple(grades),
        defaulted=defaulted,
    )
