"""Units and scoring tables from rows of text, whatever the file (CSV, a sheet of a workbook).

Rows come as (where, {column: text}); `where` (file, line or sheet, cell) goes into every
problem so an officer knows what to fix.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from decimal import Decimal

from tdkt_lib.core.model import Criterion, Kind, ScoringTable, Section, Unit, code_key
from tdkt_lib.core.numbers import NumberError, clean_text, parse_decimal
from tdkt_lib.core.problems import InputError, Location, Problem, error

_KIND_ALIASES = {
    Kind.NORMAL: ("normal", "thường", "tiêu chí", "chuẩn", "cơ bản", "điểm chuẩn"),
    Kind.BONUS: ("bonus", "cộng", "điểm cộng", "thưởng", "điểm thưởng", "khuyến khích"),
    Kind.DEDUCTION: ("deduction", "trừ", "điểm trừ", "khấu trừ"),
    "section": ("section", "mục", "phần", "nhóm", "chương"),
}
_TRUE = {"1", "x", "true", "yes", "co", "dung", "đ", "d"}
_FALSE = {"", "0", "false", "no", "khong", "sai"}


def fold(text: str) -> str:
    """Lower-case, no diacritics (đ → d): for matching words typed many ways."""
    text = clean_text(text).casefold().replace("đ", "d")
    text = unicodedata.normalize("NFD", text)
    return " ".join("".join(ch for ch in text if not unicodedata.combining(ch)).split())


def _flag(text: str, default: bool, problems: list[Problem], where: dict[str, object], column: str) -> bool:
    value = fold(text)
    if value == "":
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    problems.append(error("INVALID_FLAG", f"Cột {column}: «{text}» phải là 1 (có) hoặc 0 (không).", **where))
    return default


def units_from_rows(rows: Iterable[tuple[dict[str, object], dict[str, str]]]) -> tuple[Unit, ...]:
    """Units from (where, {unit, name, eligible, reason}) rows; InputError lists every problem."""
    problems: list[Problem] = []
    units: list[Unit] = []
    seen: dict[str, str] = {}
    for where, row in rows:
        code = row["unit"]
        if not code:
            problems.append(error("MISSING_CODE", "Thiếu mã đơn vị.", **where))
            continue
        if code_key(code) in seen:
            problems.append(error("DUPLICATE_UNIT", f"Mã đơn vị {code} lặp lại (đã có ở {seen[code_key(code)]}).",
                                  unit=code, **where))
            continue
        seen[code_key(code)] = Location(**where).describe()
        eligible = _flag(row.get("eligible", ""), True, problems, where, "eligible")
        units.append(Unit(code, row.get("name", ""), eligible, row.get("reason", "")))
    if problems:
        raise InputError(problems)
    return tuple(units)


def _kind(text: str) -> Kind | str | None:
    """A kind by name, with or without diacritics; None when unknown or ambiguous (thuong)."""
    exact = " ".join(clean_text(text).casefold().split())
    if exact == "":
        return Kind.NORMAL
    for kind, names in _KIND_ALIASES.items():
        if exact in names:
            return kind
    folded = [k for k, names in _KIND_ALIASES.items() if fold(exact) in {fold(n) for n in names}]
    return folded[0] if len(folded) == 1 else None


def _decimal(text: str, column: str, problems: list[Problem], where: dict[str, object]) -> Decimal | None:
    try:
        return parse_decimal(text)
    except NumberError:
        problems.append(error("INVALID_NUMBER", f"Cột {column}: «{text}» không phải là số (ví dụ 9,5).", **where))
        return None


def table_from_rows(rows: Iterable[tuple[dict[str, object], dict[str, str]]]) -> ScoringTable:
    """A scoring table from (where, {criterion, title, max, kind, …}) rows; `section` rows are headings."""
    problems: list[Problem] = []
    criteria: list[Criterion] = []
    sections: dict[str, Section] = {}
    seen: dict[str, str] = {}
    for where, row in rows:
        code = row["criterion"]
        kind = _kind(row.get("kind", ""))
        coefficient = None
        if row.get("coefficient"):
            coefficient = _decimal(row["coefficient"], "coefficient", problems, where)
            if coefficient is not None and coefficient < 0:
                problems.append(error("INVALID_NUMBER", "Hệ số phải không âm.", criterion=code, **where))
        if not code:
            problems.append(error("MISSING_CODE", "Thiếu mã tiêu chí.", **where))
            continue
        if code_key(code) in seen:
            problems.append(error("DUPLICATE_CRITERION",
                                  f"Mã tiêu chí {code} lặp lại (đã có ở {seen[code_key(code)]}).",
                                  criterion=code, **where))
            continue
        seen[code_key(code)] = Location(**where).describe()
        if kind is None:
            problems.append(error(
                "INVALID_KIND",
                f"Loại «{row['kind']}» không hợp lệ: dùng normal (tiêu chí), bonus (điểm cộng), "
                "deduction (điểm trừ) hoặc section (mục).", criterion=code, **where))
            continue
        if kind == "section":
            sections[code_key(code)] = Section(code, row.get("title", ""), coefficient, row.get("section") or None)
            continue
        maximum = _decimal(row.get("max", ""), "max", problems, where) if row.get("max", "") else None
        if maximum is None or maximum <= 0:
            if row.get("max", "") == "" or maximum is not None:
                problems.append(error("INVALID_MAX", "Điểm tối đa (max) phải là số lớn hơn 0.",
                                      criterion=code, **where))
            continue
        criteria.append(Criterion(
            code=code,
            title=row.get("title", ""),
            maximum=maximum,
            kind=kind,
            coefficient=coefficient,
            priority=_flag(row.get("priority", ""), False, problems, where, "priority"),
            section=row.get("section") or None,
            disqualifying=_flag(row.get("disqualifying", ""), False, problems, where, "disqualifying"),
        ))
    for crit in criteria:
        if crit.section and code_key(crit.section) not in sections:
            sections[code_key(crit.section)] = Section(crit.section)
    if problems:
        raise InputError(problems)
    return ScoringTable(tuple(criteria), tuple(sections.values()))


