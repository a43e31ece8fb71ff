"""One guarded reader for every workbook, giving a snapshot: sheet values and defined names.

The snapshot has the shape of an xlwings payload (values from A1 per sheet, names with
their sheet and address), so the ribbon and the command line feed the same code.

Fast path (default): the zip guards, then the package index (xl/workbook.xml and its
relationships, parsed with defusedxml), python-calamine for the cell values, and a scan of
the loaded sheets' XML for what calamine does not give (formula text, error values). The
plain openpyxl read-only path (`engine="openpyxl"`) gives the same snapshot; a test runs both.
Nothing here imports openpyxl, numpy or pandas at import time.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tdkt_lib.core.problems import InputError, error

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_MEMBER_BYTES = 300 * 1024 * 1024       # uncompressed, any one zip member
MAX_TOTAL_BYTES = 600 * 1024 * 1024        # uncompressed, all members
MAX_RATIO = 200                            # compression ratio of a member above 1 MB
OUTPUT_PREFIX = "tdkt_out_"  # names anchoring whole output sheets (loaded entirely)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ERROR_VALUES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!"})


@functools.lru_cache(maxsize=4096)
def get_column_letter(index: int) -> str:
    """1 → A, 27 → AA (as openpyxl.utils.get_column_letter, without importing openpyxl)."""
    if not 1 <= index <= 18278:
        raise ValueError(f"Invalid column index {index}")
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@functools.lru_cache(maxsize=4096)
def column_index(letters: str) -> int:
    """A → 1, AA → 27."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index


_CELL_RANGE = re.compile(r"^([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?$")


def range_boundaries(text: str) -> tuple[int, int, int, int]:
    """`A1:C3` → (min_col, min_row, max_col, max_row); `B2` → (2, 2, 2, 2)."""
    match = _CELL_RANGE.match(text.replace("$", "").upper())
    if not match:
        raise ValueError(f"{text} is not a valid cell range")
    c1, r1 = column_index(match.group(1)), int(match.group(2))
    c2, r2 = (column_index(match.group(3)), int(match.group(4))) if match.group(3) else (c1, r1)
    return min(c1, c2), min(r1, r2), max(c1, c2), max(r1, r2)


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


class CellWhere(Mapping[str, object]):
    """Where a cell is (file, sheet, cell) as a mapping that spells the address only when asked.

    A bloc has tens of thousands of score cells; most are never named in a message.
    """

    __slots__ = ("i", "j", "label", "ref")
    _KEYS = ("file", "sheet", "cell")

    def __init__(self, label: str, ref: NameRef, i: int, j: int):
        self.label, self.ref, self.i, self.j = label, ref, i, j

    def __getitem__(self, key: str) -> object:
        if key == "file":
            return self.label
        if key == "sheet":
            return self.ref.sheet
        if key == "cell":
            return self.ref.cell(self.i, self.j)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._KEYS)

    def __len__(self) -> int:
        return 3


@dataclass
class BookSnapshot:
    """Values (from A1) of the sheets tdkt reads, and the workbook-scoped defined names."""

    label: str                               # file name shown in messages
    names: dict[str, NameRef]                # lower-case name → reference
    sheets: dict[str, list[list[object]]] = field(default_factory=dict)
    bad_names: dict[str, str] = field(default_factory=dict)   # lower-case name → why unusable
    merged: dict[str, list[tuple[int, int, int, int]]] = field(default_factory=dict)  # sheet → merges

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

    def cell_where(self, ref: NameRef, i: int, j: int) -> CellWhere:
        """Like `where`, lazily: for the many score cells of a grid."""
        return CellWhere(self.label, ref, i, j)


_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)$")


def quote_sheet(title: str) -> str:
    """`Xếp hạng` → `'Xếp hạng'` (always quoted, as Excel accepts; the inverse of parse_reference's)."""
    return "'" + title.replace("'", "''") + "'"


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
    try:       # every part's data must match its checksum (and its declared size: no lying headers)
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, OSError, ValueError):
        damaged = "?"
    if damaged is not None:
        raise _refuse(label, "CORRUPT_FILE",
                      "Tệp bị hỏng (dữ liệu bên trong không khớp mã kiểm tra, có thể tải về chưa trọn). "
                      "Đề nghị gửi lại tệp.")



# --- package index: sheets and defined names from xl/workbook.xml (defusedxml) ------------

WORKBOOK_PART = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_REL_TYPES = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
              "http://purl.oclc.org/ooxml/officeDocument/relationships")


@dataclass(frozen=True)
class SheetEntry:
    """One <sheet> of xl/workbook.xml and the part it lives in."""

    title: str
    part: str | None          # zip member name, e.g. xl/worksheets/sheet3.xml
    sheet_id: str
    rid: str
    kind: str                 # relationship type tail: worksheet, chartsheet, dialogsheet…


@dataclass(frozen=True)
class DefinedNameEntry:
    name: str
    local_sheet: int | None   # localSheetId, None when workbook-scoped
    text: str


@dataclass
class PackageIndex:
    sheets: list[SheetEntry]
    names: list[DefinedNameEntry]
    rels: dict[str, tuple[str, str]]      # rId → (type tail, zip member name)

    def sheet(self, title: str) -> SheetEntry | None:
        return next((s for s in self.sheets if s.title == title), None)


def resolve_target(base_part: str, target: str) -> str:
    """A relationship target of `base_part` as a zip member name (`worksheets/sheet1.xml` → xl/…)."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts = base_part.split("/")[:-1]
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_package_index(archive: zipfile.ZipFile) -> PackageIndex:
    """Sheets, defined names and workbook relationships, parsed safely (defusedxml)."""
    from defusedxml import ElementTree

    rels: dict[str, tuple[str, str]] = {}
    if WORKBOOK_RELS in archive.NameToInfo:
        root = ElementTree.fromstring(archive.read(WORKBOOK_RELS))
        for rel in root:
            if _local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
                continue
            rels[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1],
                                       resolve_target(WORKBOOK_PART, rel.get("Target", "")))
    root = ElementTree.fromstring(archive.read(WORKBOOK_PART))
    sheets: list[SheetEntry] = []
    names: list[DefinedNameEntry] = []
    for element in root.iter():
        tag = _local(element.tag)
        if tag == "sheet":
            rid = next((v for k, v in element.attrib.items() if _local(k) == "id" and k.startswith("{")), "")
            kind, part = rels.get(rid, ("", None))
            sheets.append(SheetEntry(element.get("name", ""), part, element.get("sheetId", ""), rid, kind))
        elif tag == "definedName":
            local = element.get("localSheetId")
            names.append(DefinedNameEntry(element.get("name", ""), int(local) if local and local.isdigit() else None,
                                          element.text or ""))
    return PackageIndex(sheets, names, rels)


# --- reading -----------------------------------------------------------------------------

Engine = Literal["calamine", "openpyxl"]


def _corrupt(label: str, exc: BaseException) -> InputError:
    return _refuse(label, "CORRUPT_FILE",
                   f"Không đọc được nội dung bảng tính ({type(exc).__name__}). Mở tệp bằng Excel, "
                   "lưu lại dạng .xlsx rồi thử lại.")


def _name_refs(label: str, defined: list[tuple[str, str]], titles: set[str]) -> BookSnapshot:
    """Workbook-scoped names → NameRef (usable) or bad_names (unusable), as a fresh snapshot."""
    names: dict[str, NameRef] = {}
    bad: dict[str, str] = {}
    for name, text in defined:
        parsed = parse_reference(text or "")
        if parsed is None or parsed[0] not in titles:
            bad[name.lower()] = text or ""
            continue
        sheet, (min_col, min_row, max_col, max_row) = parsed
        names[name.lower()] = NameRef(name, sheet, min_row, min_col, max_row, max_col)
    return BookSnapshot(label, names, bad_names=bad)


def _sheet_bounds(snapshot: BookSnapshot, wanted: set[str] | None) -> dict[str, tuple[int, int] | None]:
    """Sheets to load → (last row, last column) to read, or None for the whole sheet (output sheets)."""
    names = snapshot.names
    keys = wanted if wanted is not None else {k for k in names if k.startswith("tdkt_")}
    needed = {names[k] for k in keys if k in names}
    whole = {ref.sheet for ref in needed if ref.name.lower().startswith(OUTPUT_PREFIX)}
    bounds: dict[str, tuple[int, int] | None] = {}
    for sheet in {ref.sheet for ref in needed}:
        bounds[sheet] = None if sheet in whole else (
            max(ref.max_row for ref in needed if ref.sheet == sheet),
            max(ref.max_col for ref in needed if ref.sheet == sheet))
    return bounds


def read_snapshot(path: Path, wanted: set[str] | None = None, engine: Engine = "calamine") -> BookSnapshot:
    """Open a workbook through the guards; load the sheets the defined names point at.

    `wanted` limits loading to the sheets of those names (lower-case); None loads every
    sheet a tdkt_* name points at. `engine="openpyxl"` reads with openpyxl read-only instead
    of python-calamine (same snapshot; kept for the equivalence test and as a fallback).
    """
    check_package(path)
    if engine == "openpyxl":
        return _read_openpyxl(path, wanted)
    label = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            index = read_package_index(archive)
            titles = {s.title for s in index.sheets}
            snapshot = _name_refs(label, [(d.name, d.text) for d in index.names if d.local_sheet is None], titles)
            bounds = _sheet_bounds(snapshot, wanted)
            if not bounds:
                return snapshot
            from python_calamine import CalamineWorkbook

            with CalamineWorkbook.from_path(str(path)) as book:
                for title, bound in bounds.items():
                    entry = index.sheet(title)
                    if entry is None or entry.part is None or entry.kind != "worksheet":
                        snapshot.sheets[title] = []
                        continue
                    xml = archive.read(entry.part)
                    snapshot.merged[title] = merged_ranges(xml)
                    fixes = _xml_fixes(xml)
                    if fixes is None:     # cells without addresses: let openpyxl walk that sheet
                        snapshot.sheets[title] = _openpyxl_sheet(path, title, bound)
                        continue
                    sheet = book.get_sheet_by_name(title)
                    rows = sheet.to_python(skip_empty_area=False, nrows=bound[0] if bound else None)
                    snapshot.sheets[title] = _convert(rows, fixes, bound)
            return snapshot
    except InputError:
        raise
    except Exception as exc:
        raise _corrupt(label, exc) from None


_MIDNIGHT = dt.time()
_INT_LIMIT = 2.0**53
_KEEP = frozenset({type(None), int, bool, dt.datetime, dt.time, dt.timedelta})


def _value(value: Any) -> object:
    """One calamine value as openpyxl gives it: None for blank, int for whole, datetime for date."""
    kind = type(value)
    if kind is float:
        return int(value) if value.is_integer() and -_INT_LIMIT < value < _INT_LIMIT else value
    if kind is str:
        return value or None
    if kind is dt.date:
        return dt.datetime.combine(value, _MIDNIGHT)
    return value


def _convert(rows: list[list[Any]], fixes: dict[tuple[int, int], object],
             bound: tuple[int, int] | None) -> list[list[object]]:
    """calamine values → what openpyxl read-only gives; formula text and error values from the XML."""
    width = bound[1] if bound else None
    keep = _KEEP
    out = [[None if v == "" else v if type(v) in keep else _value(v) for v in (row[:width] if width else row)]
           for row in rows]     # calamine gives "" for every blank cell: the common case first
    for (r, c), value in fixes.items():
        if bound and (r > bound[0] or c > bound[1]):
            continue
        while len(out) < r:
            out.append([])
        row = out[r - 1]
        if len(row) < c:
            row.extend([None] * (c - len(row)))
        row[c - 1] = value
    return out


_ROOT_TAG = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>]")
_ADDRESS = re.compile(rb"""\br\s*=\s*["']([A-Z]{1,3})(\d+)["']""")
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SCAN_CACHE: dict[bytes, tuple[re.Pattern[bytes], re.Pattern[bytes]]] = {}


def sheet_prefix(xml: bytes) -> bytes:
    """Namespace prefix of the worksheet's elements (`b''` for the usual default namespace)."""
    match = _ROOT_TAG.search(xml, 0, 4096)
    return (match.group(1) + b":") if match and match.group(1) else b""


def _scanners(prefix: bytes) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    if prefix not in _SCAN_CACHE:
        p = re.escape(prefix)
        formula = re.compile(rb"<" + p + rb"c\b([^>]*+)>\s*+<" + p + rb"f\b([^>]*?)(?:/>|>([^<]*)</" + p + rb"f>)")
        errors = re.compile(rb"<" + p + rb"c\b([^>]*?\bt=[\"']e[\"'][^>]*+)>\s*+<" + p + rb"v>([^<]*)</"
                            + p + rb"v>")
        _SCAN_CACHE[prefix] = (formula, errors)
    return _SCAN_CACHE[prefix]


def attributes(text: bytes) -> dict[str, str]:
    """Attributes of a start tag's inside (`r="A1" s="3"`), unescaped, prefixes kept."""
    return {m.group(1).decode(): unescape((m.group(2) if m.group(2) is not None else m.group(3)).decode("utf-8"))
            for m in _ATTR.finditer(text)}


def unescape(text: str) -> str:
    if "&" not in text:
        return text
    import html

    return html.unescape(text)


def _xml_fixes(xml: bytes) -> dict[tuple[int, int], object] | None:
    """Formula text (as openpyxl gives it: `=…`, shared formulas translated) and error values of
    a sheet's cells, by (row, column); None when such a cell has no address (Excel, LibreOffice
    and openpyxl always write one: read that sheet with openpyxl then)."""
    prefix = sheet_prefix(xml)
    formula_re, error_re = _scanners(prefix)
    fixes: dict[tuple[int, int], object] = {}
    shared: dict[str, Any] = {}
    for match in formula_re.finditer(xml):
        where = _ADDRESS.search(match.group(1))
        if where is None:
            return None
        col, row = where.group(1).decode(), int(where.group(2))
        attrs = attributes(match.group(2))
        text = "=" + unescape(match.group(3).decode("utf-8")) if match.group(3) is not None else "="
        if attrs.get("t") == "shared":
            si = attrs.get("si", "")
            if si in shared:
                text = shared[si].translate_formula(f"{col}{row}")
            elif text != "=":
                from openpyxl.formula.translate import Translator

                shared[si] = Translator(text, f"{col}{row}")
        fixes[(row, column_index(col))] = text
    has_errors = b"t=\"e\"" in xml or b"t='e'" in xml
    for match in error_re.finditer(xml) if has_errors else ():
        where = _ADDRESS.search(match.group(1))
        if where is None:
            return None
        key = (int(where.group(2)), column_index(where.group(1).decode()))
        if key not in fixes and match.group(2):
            fixes[key] = unescape(match.group(2).decode("utf-8"))
    return fixes


def _openpyxl_sheet(path: Path, title: str, bound: tuple[int, int] | None) -> list[list[object]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    try:
        return _openpyxl_rows(book[title], bound)
    finally:
        book.close()


def _openpyxl_rows(sheet: Any, bound: tuple[int, int] | None) -> list[list[object]]:
    rows = (sheet.iter_rows(min_row=1, values_only=True) if bound is None else
            sheet.iter_rows(min_row=1, max_row=bound[0], min_col=1, max_col=bound[1], values_only=True))
    return [list(row) for row in rows]


_MERGE_CELL = re.compile(rb"""<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref=["']([A-Z]{1,3}\d+(?::[A-Z]{1,3}\d+)?)["']""")


def merged_ranges(sheet_xml: bytes) -> list[tuple[int, int, int, int]]:
    """The sheet's merged areas as (min_row, min_col, max_row, max_col), 1-based."""
    first = sheet_xml.find(b"mergeCell")     # the pattern tries every "<": start at the first candidate
    if first < 0:
        return []
    found = []
    for match in _MERGE_CELL.finditer(sheet_xml, max(sheet_xml.rfind(b"<", 0, first), 0)):
        min_col, min_row, max_col, max_row = range_boundaries(match.group(1).decode("ascii"))
        found.append((min_row, min_col, max_row, max_col))
    return found


def _read_openpyxl(path: Path, wanted: set[str] | None) -> BookSnapshot:
    """The plain openpyxl read-only reader (what tdkt used before the fast path)."""
    import openpyxl

    label = path.name
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except InputError:
        raise
    except Exception as exc:
        raise _corrupt(label, exc) from None
    try:
        defined = [(name, d.attr_text) for name, d in book.defined_names.items() if d.localSheetId is None]
        snapshot = _name_refs(label, defined, set(book.sheetnames))
        bounds = _sheet_bounds(snapshot, wanted)
        for sheet, bound in bounds.items():
            snapshot.sheets[sheet] = _openpyxl_rows(book[sheet], bound)
        with zipfile.ZipFile(path) as archive:
            index = read_package_index(archive)
            for sheet in bounds:
                entry = index.sheet(sheet)
                if entry is not None and entry.part is not None and entry.kind == "worksheet":
                    snapshot.merged[sheet] = merged_ranges(archive.read(entry.part))
        return snapshot
    except InputError:
        raise
    except Exception as exc:
        raise _refuse(label, "CORRUPT_FILE",
                      f"Nội dung bảng tính bị hỏng ({type(exc).__name__}). Mở bằng Excel, lưu lại rồi thử lại."
                      ) from None
    finally:
        book.close()
