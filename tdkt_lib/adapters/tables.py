"""Units and scoring tables from rows of text, whatever the file (CSV, a sheet of a workbook).

Rows come as (where, {column: text}); `where` (file, line or sheet, cell) goes into every
problem so an officer knows what to fix.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from decimal import Decimal

from tdkt_lib.core import legacy_text
from tdkt_lib.core.model import Criterion, Kind, ScoringTable, Section, Unit, code_key
from tdkt_lib.core.numbers import NumberError, clean_text, parse_decimal
from tdkt_lib.core.problems import InputError, Location, Problem, error, info, warning

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


def _column_where(where: dict[str, object], row: dict[str, str], column: str) -> dict[str, object]:
    """`where` of one column of a row: sheet rows list their columns in sheet order from `cell`."""
    cell = where.get("cell")
    if not isinstance(cell, str) or column not in row:
        return where
    letters = "".join(ch for ch in cell if ch.isalpha())
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    number += list(row).index(column)
    shifted = ""
    while number:
        number, rest = divmod(number - 1, 26)
        shifted = chr(65 + rest) + shifted
    return {**where, "cell": shifted + cell[len(letters):]}


def legacy_text_of(text: str, what: str, where: dict[str, object], notes: list[Problem] | None,
                   **labels: object) -> str:
    """`text` converted from TCVN3/VNI when certain (an info note says so), else unchanged."""
    found = legacy_text.detect(text)
    if found.status == "converted" and found.encoding:
        if notes is not None:
            notes.append(info(
                "LEGACY_ENCODING_CONVERTED",
                f"{what} «{text}» được gõ bằng bảng mã cũ {legacy_text.LABELS[found.encoding]}; đã chuyển sang "
                f"Unicode: «{found.text}». Nên sửa lại tệp gốc bằng Unicode (Unikey: chuyển mã).",
                **labels, **where))
        return found.text
    if found.status == "uncertain" and notes is not None:
        notes.append(warning(
            "LEGACY_ENCODING_UNCERTAIN",
            f"{what} «{text}» có vẻ gõ bằng bảng mã cũ (TCVN3/VNI) nhưng không chắc chắn ({found.reason}), nên "
            "được giữ nguyên. Gõ lại bằng Unicode.",
            **labels, **where))
    return text


def _legacy_code(code: str, what: str, where: dict[str, object], notes: list[Problem] | None,
                 **labels: object) -> None:
    """Codes are never converted (they must match the other files byte for byte): only a warning."""
    found = legacy_text.detect(code)
    if found.status == "converted" and notes is not None and found.encoding:
        notes.append(warning(
            "LEGACY_ENCODING_CODE",
            f"{what} «{code}» có vẻ gõ bằng bảng mã {legacy_text.LABELS[found.encoding]} (là «{found.text}»). "
            "Mã không được tự chuyển để vẫn khớp với các tệp khác; nên gõ lại mã bằng Unicode ở mọi tệp.",
            **labels, **where))


def units_from_rows(rows: Iterable[tuple[dict[str, object], dict[str, str]]],
                    notes: list[Problem] | None = None) -> tuple[Unit, ...]:
    """Units from (where, {unit, name, eligible, reason}) rows; InputError lists every problem.

    Names typed in TCVN3/VNI are converted when certain; `notes` receives what was done.
    """
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
        _legacy_code(code, "Mã đơn vị", where, notes, unit=code)
        name = legacy_text_of(row.get("name", ""), "Tên đơn vị", _column_where(where, row, "name"), notes, unit=code)
        reason = legacy_text_of(row.get("reason", ""), "Lý do", _column_where(where, row, "reason"), notes, unit=code)
        units.append(Unit(code, name, eligible, reason))
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


def table_from_rows(rows: Iterable[tuple[dict[str, object], dict[str, str]]],
                    notes: list[Problem] | None = None) -> ScoringTable:
    """A scoring table from (where, {criterion, title, max, kind, …}) rows; `section` rows are headings.

    Titles typed in TCVN3/VNI are converted when certain; `notes` receives what was done.
    """
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
        _legacy_code(code, "Mã tiêu chí", where, notes, criterion=code)
        title = legacy_text_of(row.get("title", ""), "Nội dung tiêu chí", _column_where(where, row, "title"), notes,
                               criterion=code)
        if kind is None:
            problems.append(error(
                "INVALID_KIND",
                f"Loại «{row['kind']}» không hợp lệ: dùng normal (tiêu chí), bonus (điểm cộng), "
                "deduction (điểm trừ) hoặc section (mục).", criterion=code, **where))
            continue
        if kind == "section":
            sections[code_key(code)] = Section(code, title, coefficient, row.get("section") or None)
            continue
        maximum = _decimal(row.get("max", ""), "max", problems, where) if row.get("max", "") else None
        if maximum is None or maximum <= 0:
            if row.get("max", "") == "" or maximum is not None:
                problems.append(error("INVALID_MAX", "Điểm tối đa (max) phải là số lớn hơn 0.",
                                      criterion=code, **where))
            continue
        criteria.append(Criterion(
            code=code,
            title=title,
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


