"""One guarded reader for every workbook, giving a snapshot: sheet values and defined names.

The snapshot has the shape of an xlwings payload (values from A1 per sheet, names with
their sheet and address), so the ribbon and the command line feed the same code.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils.cell import get_column_letter, range_boundaries

from tdkt_lib.core.problems import InputError, error

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_MEMBER_BYTES = 300 * 1024 * 1024       # uncompressed, any one zip member
MAX_TOTAL_BYTES = 600 * 1024 * 1024        # uncompressed, all members
MAX_RATIO = 200                            # compression ratio of a member above 1 MB
OUTPUT_PREFIX = "tdkt_out_"  # names anchoring whole output sheets (loaded entirely)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ERROR_VALUES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!"})


@dataclass(frozen=True)
class NameRef:
    """A workbook-scoped defined name pointing at one rectangular range of one sheet."""

    name: str
    sheet: str
    min_row: int
    min_col: int
    max_row: int
    max_col: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.max_row - self.min_row + 1, self.max_col - self.min_col + 1

    def cell(self, i: int, j: int = 0) -> str:
        """A1 address of the cell at offset (i, j) inside the range."""
        return f"{get_column_letter(self.min_col + j)}{self.min_row + i}"


@dataclass
class BookSnapshot:
    """Values (from A1) of the sheets tdkt reads, and the workbook-scoped defined names."""

    label: str                               # file name shown in messages
    names: dict[str, NameRef]                # lower-case name → reference
    sheets: dict[str, list[list[object]]] = field(default_factory=dict)
    bad_names: dict[str, str] = field(default_factory=dict)   # lower-case name → why unusable

    def ref(self, name: str) -> NameRef | None:
        return self.names.get(name.lower())

    def values(self, ref: NameRef) -> list[list[object]]:
        """The range's values, padded with None where the sheet is shorter."""
        rows = self.sheets.get(ref.sheet, [])
        out = []
        for r in range(ref.min_row - 1, ref.max_row):
            row = rows[r] if r < len(rows) else []
            out.append([row[c] if c < len(row) else None for c in range(ref.min_col - 1, ref.max_col)])
        return out

    def value(self, name: str) -> object:
        """Top-left value of a named cell, or None when the name is missing."""
        ref = self.ref(name)
        return self.values(ref)[0][0] if ref else None

    def where(self, ref: NameRef, i: int = 0, j: int = 0) -> dict[str, object]:
        return {"file": self.label, "sheet": ref.sheet, "cell": ref.cell(i, j)}


_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)$")


def parse_reference(text: str) -> tuple[str, tuple[int, int, int, int]] | None:
    """`'Tổng hợp'!$A$5:$A$11` → ('Tổng hợp', (min_col, min_row, max_col, max_row))."""
    match = _REF.match(text.strip().lstrip("="))
    if not match:
        return None
    sheet = (match.group(1) or "").replace("''", "'") or match.group(2)
    return sheet, range_boundaries(match.group(3).replace("$", ""))


def _refuse(label: str, code: str, message: str) -> InputError:
    return InputError([error(code, message, file=label)])


def check_package(path: Path) -> None:
    """Refuse what is not a plain .xlsx/.xlsm package, before any XML is parsed."""
    label = path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
    except FileNotFoundError:
        raise _refuse(label, "FILE_NOT_FOUND", f"Không tìm thấy tệp {path}. Kiểm tra lại đường dẫn.") from None
    except OSError as exc:
        raise _refuse(label, "FILE_UNREADABLE",
                      f"Không đọc được tệp ({exc.strerror}). Đóng tệp ở chương trình khác rồi thử lại.") from None
    if size > MAX_FILE_BYTES:
        raise _refuse(label, "FILE_TOO_LARGE",
                      f"Tệp quá lớn ({size // 2**20} MB; tối đa {MAX_FILE_BYTES // 2**20} MB). "
                      "Kiểm tra lại: phiếu chấm của một khối chỉ vài trăm KB.")
    if head == _OLE_MAGIC:
        if path.suffix.lower() == ".xls":
            raise _refuse(label, "OLD_XLS",
                          "Tệp định dạng Excel 97-2003 (.xls) không được hỗ trợ. Mở tệp bằng Excel hoặc "
                          "LibreOffice, chọn Lưu thành (Save As) «Excel Workbook (.xlsx)» rồi gửi lại.")
        raise _refuse(label, "ENCRYPTED",
                      "Tệp được đặt mật khẩu (mã hoá) nên không đọc được. Đề nghị đơn vị gửi bản không đặt "
                      "mật khẩu mở tệp (có thể giữ bảo vệ trang tính).")
    if not head.startswith(b"PK"):
        raise _refuse(label, "NOT_XLSX",
                      "Tệp không phải bảng tính Excel .xlsx (hoặc đã bị hỏng). Mở bằng Excel và lưu lại dạng .xlsx.")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse(label, "CORRUPT_FILE",
                      "Tệp bị hỏng hoặc không trọn vẹn (có thể tải về chưa xong). Đề nghị gửi lại tệp.") from None
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        raise _refuse(label, "NOT_XLSX", "Tệp nén này không phải bảng tính Excel (.xlsx). Gửi đúng tệp phiếu chấm.")
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES or (
            member.file_size > 2**20 and ratio > MAX_RATIO
        ):
            raise _refuse(label, "ZIP_BOMB",
                          f"Tệp chứa phần dữ liệu bất thường ({member.filename}: {member.file_size // 2**20} MB khi "
                          "giải nén) nên bị từ chối để bảo vệ máy. Đề nghị gửi lại tệp phiếu gốc.")


def read_snapshot(path: Path, wanted: set[str] | None = None) -> BookSnapshot:
    """Open a workbook through the guards; load the sheets the defined names point at.

    `wanted` limits loading to the sheets of those names (lower-case); None loads every
    sheet a tdkt_* name points at.
    """
    import openpyxl

    check_package(path)
    label = path.name
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except InputError:
        raise
    except Exception as exc:
        raise _refuse(label, "CORRUPT_FILE",
                      f"Không đọc được nội dung bảng tính ({type(exc).__name__}). Mở tệp bằng Excel, "
                      "lưu lại dạng .xlsx rồi thử lại.") from None
    try:
        names: dict[str, NameRef] = {}
        bad: dict[str, str] = {}
        for name, defined in book.defined_names.items():
            if defined.localSheetId is not None:
                continue
            parsed = parse_reference(defined.attr_text or "")
            if parsed is None or parsed[0] not in book.sheetnames:
                bad[name.lower()] = defined.attr_text or ""
                continue
            sheet, (min_col, min_row, max_col, max_row) = parsed
            names[name.lower()] = NameRef(name, sheet, min_row, min_col, max_row, max_col)
        snapshot = BookSnapshot(label, names, bad_names=bad)
        keys = wanted if wanted is not None else {k for k in names if k.startswith("tdkt_")}
        needed = {names[k] for k in keys if k in names}
        whole = {ref.sheet for ref in needed if ref.name.lower().startswith(OUTPUT_PREFIX)}
        for sheet in {ref.sheet for ref in needed}:
            last_row = max(ref.max_row for ref in needed if ref.sheet == sheet)
            last_col = max(ref.max_col for ref in needed if ref.sheet == sheet)
            rows = (book[sheet].iter_rows(min_row=1, values_only=True) if sheet in whole else
                    book[sheet].iter_rows(min_row=1, max_row=last_row, min_col=1, max_col=last_col,
                                          values_only=True))
            snapshot.sheets[sheet] = [list(row) for row in rows]
        return snapshot
    except InputError:
        raise
    except Exception as exc:
        raise _refuse(label, "CORRUPT_FILE",
                      f"Nội dung bảng tính bị hỏng ({type(exc).__name__}). Mở bằng Excel, lưu lại rồi thử lại."
                      ) from None
    finally:
        book.close()
