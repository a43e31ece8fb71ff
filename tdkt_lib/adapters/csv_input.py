"""Read the CSV contract: units, criteria, scores (long format) and votes.

Each file may be UTF-8 with or without BOM, `,`- or `;`-separated, with decimal commas,
NFC or NFD text and stray spaces. Problems carry the file name and line.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from decimal import Decimal
from pathlib import Path

from tdkt_lib.core.model import Criterion, Kind, ScoringTable, Section, Unit, code_key
from tdkt_lib.core.numbers import NumberError, clean_text, parse_decimal
from tdkt_lib.core.problems import InputError, Problem, error
from tdkt_lib.core.result import Ballot
from tdkt_lib.core.scores import Entry

MAX_CSV_BYTES = 64 * 1024 * 1024

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


def _read_rows(path: Path, required: tuple[str, ...], optional: tuple[str, ...]):
    """Yield (line, {column: text}) for every non-blank row; raise InputError on bad files."""
    name = str(path)
    try:
        if path.stat().st_size > MAX_CSV_BYTES:
            raise InputError([error("FILE_TOO_LARGE", f"Tệp lớn hơn {MAX_CSV_BYTES // 2**20} MB.", file=name)])
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError([error("FILE_UNREADABLE", f"Không đọc được tệp ({exc.strerror}). Kiểm tra đường dẫn.",
                                file=name)]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([error(
            "NOT_UTF8",
            f"Tệp không phải mã UTF-8 (byte lỗi ở vị trí {exc.start}). Mở tệp bằng Excel hoặc Notepad "
            "và lưu lại dạng «CSV UTF-8».",
            file=name)]) from None
    if "\x00" in text:
        raise InputError([error("NOT_CSV", "Tệp không phải tệp văn bản CSV.", file=name)])
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    columns: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(clean_text(c) for c in row):
                continue
            if header is None:
                header = [fold(c) for c in row]
                columns = {c: header.index(c) for c in (*required, *optional) if c in header}
                missing = [c for c in required if c not in columns]
                if missing:
                    raise InputError([error(
                        "MISSING_COLUMN",
                        f"Thiếu cột {', '.join(missing)} ở dòng tiêu đề. Dòng đầu tiên phải là: "
                        f"{','.join((*required, *optional))}.",
                        file=name, line=line)])
                continue
            yield line, {c: clean_text(row[i]) if i < len(row) else "" for c, i in columns.items()}
    except csv.Error as exc:
        raise InputError([error("BAD_CSV", f"Tệp CSV hỏng ({exc}). Kiểm tra dấu ngoặc kép.",
                                file=name, line=reader.line_num)]) from None
    if header is None:
        raise InputError([error("EMPTY_FILE", "Tệp rỗng: cần dòng tiêu đề và dữ liệu.", file=name)])


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


def read_units(path: Path) -> tuple[Unit, ...]:
    problems: list[Problem] = []
    units: list[Unit] = []
    seen: dict[str, int] = {}
    for line, row in _read_rows(path, ("unit",), ("name", "eligible", "reason")):
        where = {"file": str(path), "line": line}
        code = row["unit"]
        if not code:
            problems.append(error("MISSING_CODE", "Thiếu mã đơn vị.", **where))
            continue
        if code_key(code) in seen:
            problems.append(error("DUPLICATE_UNIT", f"Mã đơn vị {code} lặp lại (đã có ở dòng {seen[code_key(code)]}).",
                                  unit=code, **where))
            continue
        seen[code_key(code)] = line
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


def read_criteria(path: Path) -> ScoringTable:
    problems: list[Problem] = []
    criteria: list[Criterion] = []
    sections: dict[str, Section] = {}
    seen: dict[str, int] = {}
    optional = ("title", "kind", "coefficient", "priority", "section", "disqualifying")
    for line, row in _read_rows(path, ("criterion", "max"), optional):
        where = {"file": str(path), "line": line}
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
                                  f"Mã tiêu chí {code} lặp lại (đã có ở dòng {seen[code_key(code)]}).",
                                  criterion=code, **where))
            continue
        seen[code_key(code)] = line
        if kind is None:
            problems.append(error(
                "INVALID_KIND",
                f"Loại «{row['kind']}» không hợp lệ: dùng normal (tiêu chí), bonus (điểm cộng), "
                "deduction (điểm trừ) hoặc section (mục).", criterion=code, **where))
            continue
        if kind == "section":
            sections[code] = Section(code, row.get("title", ""), coefficient, row.get("section") or None)
            continue
        maximum = _decimal(row["max"], "max", problems, where) if row["max"] else None
        if maximum is None or maximum <= 0:
            if row["max"] == "" or maximum is not None:
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
        if crit.section and crit.section not in sections:
            sections[crit.section] = Section(crit.section)
    if problems:
        raise InputError(problems)
    return ScoringTable(tuple(criteria), tuple(sections.values()))


def read_scores(path: Path) -> list[Entry]:
    return [
        Entry(row["scorer"], row["unit"], row["criterion"], row["points"], {"file": str(path), "line": line})
        for line, row in _read_rows(path, ("scorer", "unit", "criterion", "points"), ())
    ]


def read_votes(path: Path, voters: int | None) -> Ballot:
    problems: list[Problem] = []
    votes: dict[str, int] = {}
    where_of: dict[str, dict[str, object]] = {}
    for line, row in _read_rows(path, ("unit", "votes"), ()):
        where = {"file": str(path), "line": line}
        if row["unit"] in votes:
            problems.append(error("DUPLICATE_ENTRY", f"Đơn vị {row['unit']} có hai dòng số phiếu.", **where))
            continue
        try:
            count = parse_decimal(row["votes"])
            if count != int(count):
                raise NumberError(row["votes"])
        except NumberError:
            problems.append(error("INVALID_VOTES", f"Số phiếu «{row['votes']}» phải là số nguyên.", **where))
            continue
        votes[row["unit"]] = int(count)
        where_of[row["unit"]] = where
    if problems:
        raise InputError(problems)
    return Ballot(votes, voters, where_of)
