"""Read the CSV contract: units, criteria, scores (long format) and votes.

Each file may be UTF-8 with or without BOM, `,`- or `;`-separated, with decimal commas,
NFC or NFD text and stray spaces. Problems carry the file name and line.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tdkt_lib.adapters.tables import fold, table_from_rows, units_from_rows
from tdkt_lib.core.model import ScoringTable, Unit, code_key
from tdkt_lib.core.numbers import NumberError, clean_text, parse_decimal
from tdkt_lib.core.problems import InputError, Problem, error
from tdkt_lib.core.result import Ballot
from tdkt_lib.core.scores import Entry

MAX_CSV_BYTES = 64 * 1024 * 1024

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
    extra: list[Problem] = []
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
            if any(clean_text(c) for c in row[len(header):]):
                extra.append(error(
                    "EXTRA_CELLS",
                    f"Dòng có {len(row)} ô, nhiều hơn {len(header)} cột của dòng tiêu đề. Nếu là số thập phân "
                    f"viết bằng dấu phẩy (9,5) trong tệp phân cách bằng dấu phẩy, hãy đặt số trong ngoặc kép "
                    f'("9,5") hoặc lưu tệp với dấu chấm phẩy (;).',
                    file=name, line=line))
                continue
            yield line, {c: clean_text(row[i]) if i < len(row) else "" for c, i in columns.items()}
    except csv.Error as exc:
        raise InputError([error("BAD_CSV", f"Tệp CSV hỏng ({exc}). Kiểm tra dấu ngoặc kép.",
                                file=name, line=reader.line_num)]) from None
    if header is None:
        raise InputError([error("EMPTY_FILE", "Tệp rỗng: cần dòng tiêu đề và dữ liệu.", file=name)])
    if extra:
        raise InputError(extra)


def _located(path: Path, required: tuple[str, ...], optional: tuple[str, ...]):
    for line, row in _read_rows(path, required, optional):
        yield {"file": str(path), "line": line}, row


def read_units(path: Path, notes: list[Problem] | None = None) -> tuple[Unit, ...]:
    """Units of a units CSV; `notes` receives non-blocking findings (legacy encodings converted)."""
    return units_from_rows(_located(path, ("unit",), ("name", "eligible", "reason")), notes)


def read_criteria(path: Path, notes: list[Problem] | None = None) -> ScoringTable:
    """Scoring table of a criteria CSV; `notes` receives non-blocking findings."""
    optional = ("title", "kind", "coefficient", "priority", "section", "disqualifying")
    return table_from_rows(_located(path, ("criterion", "max"), optional), notes)


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
        if code_key(row["unit"]) in {code_key(u) for u in votes}:
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
