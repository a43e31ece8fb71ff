"""Update a workbook by patching its zip package: write only what tdkt owns.

Every part tdkt does not own (pictures, charts, drawings, comments, VBA, extensions, the
officer's own sheets…) is copied byte for byte: the same compressed bytes, taken raw from
the source archive. What is rewritten:

* tdkt's output sheets (Xếp hạng, Danh sách thẩm định, Kiểm tra, Kiểm chứng), created or
  replaced wholesale from the WritePlan (inline strings, so sharedStrings stays untouched);
* the cells tdkt fills (tdkt_ranks; for Gộp phiếu the grid score cells and the received
  cells): only those `<c>` elements of those sheets' `<sheetData>`, style kept; every other
  byte of those sheets is kept as it was;
* cached values (`<v>`) of formula cells in every sheet whose formulas may depend on a
  changed cell (found through sheet titles and defined names in the formulas, transitively),
  so every spreadsheet program recomputes (LibreOffice keeps a cached value even with
  fullCalcOnLoad); and `<calcPr fullCalcOnLoad="1"/>`;
* bookkeeping: xl/workbook.xml (sheets, defined names, calcPr), its relationships,
  [Content_Types].xml, xl/styles.xml (a few cell formats for the output sheets, reused when
  present) and xl/calcChain.xml (dropped: Excel rebuilds it).

XML we do not own is edited as text (never parsed and re-serialised), so namespaces,
mc:Ignorable content and extensions survive exactly.
"""

from __future__ import annotations

import functools
import html
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tdkt_lib.workbook.outputs import SheetPlan, WritePlan
from tdkt_lib.workbook.snapshot import (
    WORKBOOK_PART,
    WORKBOOK_RELS,
    PackageIndex,
    attributes,
    column_index,
    get_column_letter,
    parse_reference,
    quote_sheet,
    read_package_index,
    sheet_prefix,
)

CONTENT_TYPES = "[Content_Types].xml"
STYLES_TYPE = "styles"
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TDKT_OWNED_LOCAL_NAMES = ("_xlnm.print_titles", "_xlnm.print_area", "_xlnm._filterdatabase")


class PackageError(Exception):
    """The package cannot be patched safely (message is Vietnamese)."""


@dataclass
class Patch:
    """Everything one update writes."""

    sheets: list[SheetPlan] = field(default_factory=list)
    cells: dict[str, dict[tuple[int, int], object]] = field(default_factory=dict)  # title → (row, col) → value

    def set(self, sheet: str, row: int, col: int, value: object) -> None:
        self.cells.setdefault(sheet, {})[(row, col)] = value


def plan_patch(plan: WritePlan, ranks_sheet: str, first_row: int, column: int) -> Patch:
    """The Tính điểm patch: output sheets and the tdkt_ranks values (in Đơn vị order)."""
    patch = Patch(list(plan.sheets))
    for i, rank in enumerate(plan.ranks):
        patch.set(ranks_sheet, first_row + i, column, rank)
    return patch


# --- zip: raw copies --------------------------------------------------------------------

def _raw_bytes(handle: Any, info: zipfile.ZipInfo) -> bytes:
    """The compressed bytes of a member, read from behind its local header."""
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(info.filename)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    handle.seek(info.header_offset + 30 + name_length + extra_length)
    data = handle.read(info.compress_size)
    if len(data) != info.compress_size:
        raise zipfile.BadZipFile(info.filename)
    return data


def _copy_raw(out: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes) -> None:
    """Append a member with its compressed bytes as they are (zipfile has no public API for this)."""
    if info.flag_bits & 0x1:
        raise PackageError("Tệp có phần bị mã hoá, không cập nhật được.")
    copy = zipfile.ZipInfo(info.filename, info.date_time)
    copy.compress_type = info.compress_type
    copy.CRC = info.CRC
    copy.compress_size = info.compress_size
    copy.file_size = info.file_size
    copy.external_attr = info.external_attr
    copy.internal_attr = info.internal_attr
    copy.create_system = info.create_system
    copy.flag_bits = info.flag_bits & ~0x08 & 0x0806   # no data descriptor; keep utf-8 name + deflate level bits
    out._writecheck(copy)  # type: ignore[attr-defined]
    copy.header_offset = out.fp.tell()  # type: ignore[union-attr]
    zip64 = copy.file_size > zipfile.ZIP64_LIMIT or copy.compress_size > zipfile.ZIP64_LIMIT
    out.fp.write(copy.FileHeader(zip64))  # type: ignore[union-attr]
    out.fp.write(data)  # type: ignore[union-attr]
    out.filelist.append(copy)
    out.NameToInfo[copy.filename] = copy
    out.start_dir = out.fp.tell()  # type: ignore[attr-defined,union-attr]


@dataclass(frozen=True)
class _Deflated:
    """A part compressed ahead of writing (raw deflate, as zipfile's ZIP_DEFLATED at level 6)."""

    data: bytes
    crc: int
    size: int


def _deflate(data: bytes) -> _Deflated:
    """Compress a part; zlib releases the GIL, so this runs in a worker thread while the next part is patched."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return _Deflated(packer.compress(data) + packer.flush(), zlib.crc32(data), len(data))


def _write_new(out: zipfile.ZipFile, name: str, part: _Deflated, like: zipfile.ZipInfo | None) -> None:
    info = zipfile.ZipInfo(name, like.date_time if like else (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = like.external_attr if like else 0o600 << 16
    info.CRC, info.compress_size, info.file_size = part.crc, len(part.data), part.size
    _copy_raw(out, info, part.data)


# --- text helpers -----------------------------------------------------------------------

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    return _INVALID_XML.sub("", value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(value: str) -> str:
    return xml_text(value).replace('"', "&quot;")


def _decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def cell_xml(ref: str, value: object, style: str | None) -> str:
    """A `<c>` element for a value: numbers as exact decimal text, text as an inline string."""
    s = f' s="{style}"' if style not in (None, "", "0") else ""
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise PackageError(f"Giá trị không hợp lệ cho ô {ref}.")
        return f'<c r="{ref}"{s}><v>{_decimal_text(value)}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    text = xml_text(str(value))
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _prefixed(xml: str, prefix: str) -> str:
    """Our unprefixed SpreadsheetML snippets with the part's namespace prefix."""
    if not prefix:
        return xml
    return re.sub(r"<(/?)(?=[A-Za-z])", lambda m: f"<{m.group(1)}{prefix}", xml)


# --- cells of sheets we do not own ------------------------------------------------------

@dataclass
class _SheetText:
    """A worksheet part as text, with the position of its sheetData."""

    xml: str
    prefix: str

    def data_span(self) -> tuple[int, int, int]:
        """(start of sheetData's content, end of content, end of element) — or raise."""
        p = re.escape(self.prefix)
        start = re.search(rf"<{p}sheetData\b[^>]*?(/?)>", self.xml)
        if start is None:
            raise PackageError("Trang tính không có phần dữ liệu (sheetData).")
        if start.group(1):
            return start.start(), start.start(), start.end()
        end = self.xml.find(f"</{self.prefix}sheetData>", start.end())
        if end < 0:
            raise PackageError("Trang tính bị hỏng (thiếu </sheetData>).")
        return start.end(), end, end + len(f"</{self.prefix}sheetData>")


def _before(end: str) -> str:
    """Pattern for the text before the first `end` (a regex starting with "<"): what `(?s:.*?)` followed by
    `end` matches, without the lazy match's step-by-step backtracking (runs of non-"<", and "<" not
    starting `end`)."""
    return rf"[^<]*+(?:<(?!{end[1:]})[^<]*+)*+"


def _patterns(prefix: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    p = re.escape(prefix)
    row = re.compile(rf"<{p}row\b([^>]*?)(?:/>|>({_before(f'</{p}row>')})</{p}row>)")
    # group 1: the column letters of r="…" when present; group 2: the style index s="…" when present;
    # group 3: the attributes; group 4: the content
    cell = re.compile(rf"""<{p}c\b(?=[^>]*?\br=["']([A-Z]{{1,3}})\d+["'])?(?=[^>]*?\bs=["'](\d+)["'])?"""
                      rf"""([^>]*?)(?:/>|>(.*?)</{p}c>)""", re.S)
    return row, cell


_R_ATTR = re.compile(r"""\br=["']([A-Z]{1,3})?(\d+)["']""")


def _drop_cached(cell: str, prefix: str) -> str:
    """A formula cell without its cached value (and without the cached value's type)."""
    p = re.escape(prefix)
    head_end = cell.index(">")
    head = cell[:head_end + 1]
    if head.endswith("/>"):
        return cell
    body = cell[head_end + 1:]
    if f"<{prefix}f" not in body:
        return cell
    body = re.sub(rf"<{p}v\s*/>|<{p}v\b[^>]*>[^<]*</{p}v>", "", body)
    head = re.sub(r"""\s+t=["'][^"']*["']""", "", head)
    return head + body


def patch_sheet(xml: str, edits: dict[tuple[int, int], object], drop_cached: bool) -> str:
    """Set cell values (style kept) and/or drop formula caches in one worksheet part's text.

    Only the `<row>` elements concerned are rebuilt; every other byte stays as it was.
    """
    prefix = sheet_prefix(xml[:4096].encode("utf-8", "ignore")).decode()
    begin, end, close = _SheetText(xml, prefix).data_span()
    if drop_cached and f"<{prefix}f" not in xml[begin:end]:
        drop_cached = False
    if not edits and not drop_cached:
        return xml
    row_re, cell_re = _patterns(prefix)
    by_row: dict[int, dict[int, object]] = {}
    for (r, c), value in edits.items():
        by_row.setdefault(r, {})[c] = value
    pending = sorted(by_row)          # edited rows not met yet, ascending
    known = _NumberTexts()
    data = xml[begin:end]
    out: list[str] = []
    last = 0
    row_number = 0

    def new_rows(below: int | None) -> str:
        made = []
        while pending and (below is None or pending[0] < below):
            r = pending.pop(0)
            cells = "".join(cell_xml(f"{get_column_letter(c)}{r}", v, None)
                            for c, v in sorted(by_row[r].items()) if v is not None)
            if cells:
                made.append(_prefixed(f'<row r="{r}">{cells}</row>', prefix))
        return "".join(made)

    for match in row_re.finditer(data):
        attrs, content = match.group(1), match.group(2)
        found = _R_ATTR.search(attrs)
        row_number = int(found.group(2)) if found else row_number + 1
        wanted = by_row.get(row_number)
        before = bool(pending) and pending[0] < row_number
        stale = drop_cached and content is not None and f"<{prefix}f" in content
        if wanted is None and not before and not stale:
            continue
        out.append(data[last:match.start()])
        last = match.end()
        out.append(new_rows(row_number))
        if wanted is not None:
            pending.remove(row_number)
        out.append(_patch_row(match.group(0), content, row_number, wanted or {}, cell_re, prefix, drop_cached,
                              known))
    out.append(data[last:])
    out.append(new_rows(None))
    body = "".join(out)
    if begin == end and body:       # <sheetData/>: open it
        start_tag = xml[begin:close]
        opened = start_tag[:-2].rstrip() + ">"
        patched = xml[:begin] + opened + body + f"</{prefix}sheetData>" + xml[close:]
    else:
        patched = xml[:begin] + body + xml[end:]
    return _widen_dimension(patched, edits, prefix) if edits else patched


class _NumberTexts:
    """`<v>` texts of the int and finite Decimal objects met so far (what Gộp phiếu writes), by id.

    The objects are held, so an id met here stays that object's own; Gộp phiếu passes one object
    per distinct score, so a grid's thousands of cells need a few hundred texts."""

    def __init__(self) -> None:
        self.by_id: dict[int, str] = {}
        self._held: list[object] = []

    def text(self, value: object) -> str | None:
        """The value's `<v>` text, or None when it is not an int or a finite Decimal."""
        known = self.by_id.get(id(value))
        if known is not None:
            return known
        kind = type(value)
        if kind is int:
            text = str(value)
        elif kind is Decimal and value.is_finite():  # type: ignore[attr-defined]
            text = _decimal_text(value)  # type: ignore[arg-type]
        else:
            return None
        self._held.append(value)
        self.by_id[id(value)] = text
        return text


@functools.lru_cache(maxsize=16)
def _plain_cell(prefix: str) -> re.Pattern[str]:
    """A cell as Excel, LibreOffice and openpyxl write it (r, then s and t): the whole cell, its column
    letters, style and content. Where it matches, it reads the cell as `_patterns`' cell pattern does."""
    p = re.escape(prefix)
    return re.compile(rf"""(<{p}c r="([A-Z]{{1,3}})\d+"(?: s="(\d+)")?(?: t="\w+")?(?:\s*/>|>(.*?)</{p}c>))""",
                      re.S)


@functools.lru_cache(maxsize=64)
def _column_letters(first: int, last: int) -> list[str]:
    return [get_column_letter(col) for col in range(first, last + 1)]


def _patch_run(content: str, row: int, wanted: dict[int, object], prefix: str,
               known: _NumberTexts) -> str | None:
    """The row's content with its edited cells rebuilt, in one regex pass, when the row is plain cells
    only (see `_plain_cell`), no formula, and the edited cells are a run of adjacent existing cells given
    plain numbers (a score grid row of Gộp phiếu); None otherwise, for the general path. The result is
    exactly what the general path gives."""
    if f"<{prefix}f" in content:
        return None
    first, last = min(wanted), max(wanted)
    if last - first + 1 != len(wanted):
        return None
    found = _plain_cell(prefix).findall(content)
    if "".join([cell[0] for cell in found]) != content:
        return None
    letters = [cell[1] for cell in found]
    run = _column_letters(first, last)
    try:
        k = letters.index(run[0])
    except ValueError:
        return None
    end = k + len(run)
    if letters[k:end] != run or not set(letters[:k]).isdisjoint(run):
        return None
    values = [wanted[col] for col in range(first, last + 1)]
    numbers = [known.by_id.get(id(value)) for value in values]
    if None in numbers:
        numbers = [text if text is not None else known.text(value) for text, value in zip(numbers, values, strict=True)]
        if None in numbers:
            return None
    p = prefix
    marks = {style: f' s="{style}"' if style not in ("", "0") else "" for style in {cell[2] for cell in found}}
    made = [f'<{p}c r="{cell[1]}{row}"{marks[cell[2]]}><{p}v>{number}</{p}v></{p}c>'
            for cell, number in zip(found[k:end], numbers, strict=True)]
    return "".join([cell[0] for cell in found[:k]] + made + [cell[0] for cell in found[end:]])


def _patch_row(row_xml: str, content: str | None, row: int, wanted: dict[int, object],
               cell_re: re.Pattern[str], prefix: str, drop_cached: bool, known: _NumberTexts) -> str:
    head = row_xml[:row_xml.index(">") + 1]
    if content is not None and wanted:
        run = _patch_run(content, row, wanted, prefix, known)
        if run is not None:
            return head + run + f"</{prefix}row>"
    if content is None:       # <row …/>
        head = head[:-2].rstrip() + ">"
        content = ""
    out: list[str] = []       # unchanged stretches are sliced, only edited cells are rebuilt
    placed: list[tuple[int, str]] = []
    last = 0
    col = 0
    pending = dict(wanted)
    formula = f"<{prefix}f"
    for match in cell_re.finditer(content):
        letters = match.group(1)
        col = column_index(letters) if letters else col + 1
        if col in pending:
            text = match.group(0)
            if formula in text and "shared" in text and "ref=" in text:
                raise PackageError(f"Ô {get_column_letter(col)}{row} là gốc của một công thức dùng chung; "
                                   "không ghi đè được. Xoá công thức ở ô đó rồi chạy lại.")
            made = cell_xml(f"{letters or get_column_letter(col)}{row}", pending.pop(col), match.group(2))
            new = _prefixed(made, prefix) if prefix else made
        elif drop_cached and formula in match.group(0):
            new = _drop_cached(match.group(0), prefix)
        else:
            placed.append((col, match.group(0)))
            continue
        out.append(content[last:match.start()])
        out.append(new)
        last = match.end()
        placed.append((col, new))
    if not pending:
        out.append(content[last:])
        return head + "".join(out) + f"</{prefix}row>"
    for c, value in pending.items():   # cells the row does not have yet: rebuild it in column order
        placed.append((c, _prefixed(cell_xml(f"{get_column_letter(c)}{row}", value, None), prefix)))
    placed.sort(key=lambda item: item[0])
    head = re.sub(r"""\s+spans=["'][^"']*["']""", "", head)
    return head + "".join(text for _, text in placed) + f"</{prefix}row>"


def _widen_dimension(xml: str, edits: dict[tuple[int, int], object], prefix: str) -> str:
    p = re.escape(prefix)
    match = re.search(rf"""<{p}dimension\b[^>]*?\bref=["']([^"']*)["']""", xml[:8192])
    if match is None:
        return xml
    try:
        from tdkt_lib.workbook.snapshot import range_boundaries

        c1, r1, c2, r2 = range_boundaries(match.group(1))
    except ValueError:
        return xml
    rows = [r for (r, _), v in edits.items() if v is not None]
    cols = [c for (_, c), v in edits.items() if v is not None]
    if not rows:
        return xml
    n1, m1, n2, m2 = min(c1, *cols), min(r1, *rows), max(c2, *cols), max(r2, *rows)
    if (n1, m1, n2, m2) == (c1, r1, c2, r2):
        return xml
    ref = f"{get_column_letter(n1)}{m1}:{get_column_letter(n2)}{m2}"
    return xml[:match.start(1)] + ref + xml[match.end(1):]


# --- which sheets' formulas may depend on changed cells ---------------------------------

_FORMULA_TEXT = re.compile(r"<(?:[\w.-]+:)?f\b[^>]*>([^<]*)</(?:[\w.-]+:)?f>")


def _mentioned(lowered: str, tests: list[tuple[str, str, str, re.Pattern[str]]]) -> set[str]:
    """Titles a casefolded formula text refers to, as 'Title'! or Title! (see `_title_tests`)."""
    return {title for title, quoted, plain, pattern in tests
            if quoted in lowered or (plain in lowered and pattern.search(lowered) is not None)}


def _title_tests(titles: list[str]) -> list[tuple[str, str, str, re.Pattern[str]]]:
    tests = []
    for title in titles:
        name = title.casefold()
        tests.append((title, quote_sheet(name) + "!", name + "!",
                      re.compile(r"(?<![\w.'])" + re.escape(name) + "!")))
    return tests


def dependent_sheets(formulas: dict[str, list[str]], changed: set[str], names: Iterable[tuple[str, str]],
                     titles: list[str]) -> set[str]:
    """Sheets whose formulas may read a changed sheet, directly, through defined names, or
    through other such sheets (transitively). INDIRECT, 3-D and structured references count
    as reading everything."""
    tests = _title_tests(titles)
    name_sheets: dict[str, set[str] | None] = {}
    for name, text in names:
        if _reads_anything(text):
            name_sheets[name.casefold()] = None
        else:
            name_sheets[name.casefold()] = _mentioned(text.casefold(), tests)
    reads: dict[str, set[str] | None] = {}
    for sheet, texts in formulas.items():
        joined = "\n".join(texts)
        if _reads_anything(joined):
            reads[sheet] = None
            continue
        lowered = joined.casefold()
        found = _mentioned(lowered, tests)
        for name, sheets in name_sheets.items():
            if name in lowered and re.search(r"(?<![\w.])" + re.escape(name) + r"(?![\w.(])", lowered):
                if sheets is None:
                    found = set(titles)
                    break
                found |= sheets
        reads[sheet] = found
    dirty = set(changed)
    grew = True
    while grew:
        grew = False
        for sheet, sources in reads.items():
            if sheet in dirty:
                continue
            if sources is None or sources & dirty:
                dirty.add(sheet)
                grew = True
    return dirty


def _reads_anything(text: str) -> bool:
    upper = text.upper()
    return "INDIRECT(" in upper or "[" in text or re.search(r"[\w']:[\w']*'?!", text) is not None


# --- output sheets ----------------------------------------------------------------------

@dataclass
class _Styles:
    bold: str | None = None
    title: str | None = None
    number: str | None = None


def _split_elements(block: str, tag: str, prefix: str) -> list[str]:
    p = re.escape(prefix)
    return re.findall(rf"<{p}{tag}\b[^>]*?/>|<{p}{tag}\b[^>]*?>.*?</{p}{tag}>", block, re.S)


def patch_styles(xml: str) -> tuple[str, _Styles]:
    """Find or add the three cell formats the output sheets use (bold header, title, 0.00)."""
    match = re.search(r"<(?:([\w.-]+):)?styleSheet\b", xml)
    prefix = (match.group(1) + ":") if match and match.group(1) else ""
    p = re.escape(prefix)
    fonts_m = re.search(rf"<{p}fonts\b[^>]*?>(.*?)</{p}fonts>", xml, re.S)
    xfs_m = re.search(rf"<{p}cellXfs\b[^>]*?>(.*?)</{p}cellXfs>", xml, re.S)
    if fonts_m is None or xfs_m is None:
        return xml, _Styles()
    fonts = _split_elements(fonts_m.group(1), "font", prefix)
    if not fonts:
        return xml, _Styles()
    base = fonts[0]
    inner = re.sub(rf"^<{p}font\b[^>]*>|</{p}font>$|^<{p}font\b[^>]*/>$", "", base)
    inner = re.sub(rf"<{p}b\b[^>]*/>", "", inner)
    bold_font = f"<{prefix}font><{prefix}b/>{inner}</{prefix}font>"
    size = f'<{prefix}sz val="13"/>'
    title_inner = re.sub(rf"<{p}sz\b[^>]*/>", size, inner) if f"<{prefix}sz" in inner else inner + size
    title_font = f"<{prefix}font><{prefix}b/>{title_inner}</{prefix}font>"
    new_fonts = list(fonts)

    def font_id(font: str) -> int:
        if font not in new_fonts:
            new_fonts.append(font)
        return new_fonts.index(font)

    bold_id, title_id = font_id(bold_font), font_id(title_font)
    xfs = _split_elements(xfs_m.group(1), "xf", prefix)
    new_xfs = list(xfs)

    def xf_id(xf: str) -> str:
        xf = _prefixed(xf, prefix)
        if xf not in new_xfs:
            new_xfs.append(xf)
        return str(new_xfs.index(xf))

    styles = _Styles(
        bold=xf_id(f'<xf numFmtId="0" fontId="{bold_id}" fillId="0" borderId="0" xfId="0" applyFont="1" '
                   'applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>'),
        title=xf_id(f'<xf numFmtId="0" fontId="{title_id}" fillId="0" borderId="0" xfId="0" applyFont="1" '
                    'applyAlignment="1"><alignment horizontal="center" wrapText="1"/></xf>'),
        number=xf_id('<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'),
    )
    if new_fonts == fonts and new_xfs == xfs:
        return xml, styles
    out = xml
    # cellXfs comes after fonts: patch it first so the fonts' offsets stay valid.
    if new_xfs != xfs:
        block = "".join(new_xfs[len(xfs):])
        start, end = xfs_m.span(1)
        head = re.sub(r"""\bcount=["']\d+["']""", f'count="{len(new_xfs)}"', out[xfs_m.start():start], count=1)
        out = out[:xfs_m.start()] + head + out[start:end] + block + out[end:]
    if new_fonts != fonts:
        block = "".join(new_fonts[len(fonts):])
        start, end = fonts_m.span(1)
        head = re.sub(r"""\bcount=["']\d+["']""", f'count="{len(new_fonts)}"', out[fonts_m.start():start], count=1)
        out = out[:fonts_m.start()] + head + out[start:end] + block + out[end:]
    return out, styles


def sheet_xml(plan: SheetPlan, styles: _Styles, namespace: str = MAIN_NS) -> str:
    """The worksheet part of an output sheet: values, widths, merged title rows, bold header,
    frozen panes under the header, 0.00 number columns, A4 fitted to one page wide."""
    width = max(len(plan.widths), 1)
    styled: dict[tuple[int, int], str] = {}
    if plan.header_row and styles.number:
        for r in range(plan.header_row + 1, len(plan.rows) + 1):
            for c in plan.number_columns:
                styled[(r, c)] = styles.number
    if plan.header_row and styles.bold:
        for c in range(1, width + 1):
            styled[(plan.header_row, c)] = styles.bold
    if styles.title:
        for r in plan.title_rows:
            styled[(r, 1)] = styles.title
    rows: list[str] = []
    last_row, last_col = 1, 1
    for r in range(1, max(len(plan.rows), max((k[0] for k in styled), default=0)) + 1):
        values = plan.rows[r - 1] if r <= len(plan.rows) else []
        cols = sorted({c for c, v in enumerate(values, 1) if v is not None and v != ""}
                      | {c for (rr, c) in styled if rr == r})
        if not cols:
            continue
        cells = "".join(cell_xml(f"{get_column_letter(c)}{r}", values[c - 1] if c <= len(values) else None,
                                 styled.get((r, c))) for c in cols)
        rows.append(f'<row r="{r}">{cells}</row>')
        last_row, last_col = max(last_row, r), max(last_col, cols[-1])
    pane = ""
    if plan.header_row:
        top = f"A{plan.header_row + 1}"
        pane = (f'<pane ySplit="{plan.header_row}" topLeftCell="{top}" activePane="bottomLeft" state="frozen"/>'
                f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>')
    cols_xml = "".join(f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>'
                       for c, w in enumerate(plan.widths, 1))
    merges = "".join(f'<mergeCell ref="A{r}:{get_column_letter(width)}{r}"/>' for r in plan.title_rows) \
        if width > 1 else ""
    orientation = "landscape" if plan.landscape else "portrait"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{namespace}" xmlns:r="{REL_NS}">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:{get_column_letter(last_col)}{last_row}"/>'
        f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{cols_xml}</cols>" if cols_xml else "")
        + f"<sheetData>{''.join(rows)}</sheetData>"
        + (f'<mergeCells count="{len(plan.title_rows)}">{merges}</mergeCells>' if merges else "")
        + '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="1" fitToHeight="0"/>'
        "</worksheet>"
    )


# --- the workbook part ------------------------------------------------------------------

_BEFORE_DEFINED_NAMES_END = ("calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr",
                             "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst")


def _insert_before_first(xml: str, prefix: str, tags: Iterable[str], snippet: str) -> str:
    positions = [m.start() for tag in tags for m in [re.search(rf"<{re.escape(prefix)}{tag}\b", xml)] if m]
    closing = xml.rfind(f"</{prefix}workbook>")
    at = min(positions) if positions else closing
    if at < 0:
        raise PackageError("Phần workbook.xml bị hỏng.")
    return xml[:at] + snippet + xml[at:]


@dataclass
class _Name:
    name: str
    local: int | None
    text: str
    xml: str | None = None    # original element text when unchanged


def patch_workbook_xml(xml: str, new_sheets: list[tuple[str, str, str]], names: list[_Name]) -> str:
    """Append <sheet> entries, rewrite <definedNames>, set fullCalcOnLoad."""
    match = re.search(r"<(?:([\w.-]+):)?workbook\b([^>]*)>", xml)
    if match is None:
        raise PackageError("Phần workbook.xml bị hỏng.")
    prefix = (match.group(1) + ":") if match.group(1) else ""
    p = re.escape(prefix)
    declared = re.search(r"""xmlns:([\w.-]+)=["']""" + re.escape(REL_NS) + "[\"']", match.group(2))
    if new_sheets:
        r = declared.group(1) if declared else "r"
        decl = "" if declared else f' xmlns:r="{REL_NS}"'
        snippet = "".join(f'<{prefix}sheet name="{xml_attr(title)}" sheetId="{sheet_id}" {r}:id="{rid}"{decl}/>'
                          for title, sheet_id, rid in new_sheets)
        end = re.search(rf"</{p}sheets>", xml)
        if end is None:
            raise PackageError("Phần workbook.xml không có danh sách trang tính.")
        xml = xml[:end.start()] + snippet + xml[end.start():]
    body = "".join(n.xml if n.xml is not None else
                   f'<{prefix}definedName name="{xml_attr(n.name)}"'
                   + (f' localSheetId="{n.local}"' if n.local is not None else "")
                   + f">{xml_text(n.text)}</{prefix}definedName>" for n in names)
    block = re.search(rf"<{p}definedNames\b[^>]*?(?:/>|>.*?</{p}definedNames>)", xml, re.S)
    new_block = f"<{prefix}definedNames>{body}</{prefix}definedNames>" if names else ""
    if block is not None:
        xml = xml[:block.start()] + new_block + xml[block.end():]
    elif new_block:
        xml = _insert_before_first(xml, prefix, _BEFORE_DEFINED_NAMES_END, new_block)
    calc = re.search(rf"<{p}calcPr\b([^>]*?)(/?)>", xml)
    if calc is None:
        xml = _insert_before_first(xml, prefix, _BEFORE_DEFINED_NAMES_END[1:], f'<{prefix}calcPr fullCalcOnLoad="1"/>')
    else:
        attrs = re.sub(r"""\s+fullCalcOnLoad=["'][^"']*["']""", "", calc.group(1))
        xml = xml[:calc.start()] + f'<{prefix}calcPr{attrs} fullCalcOnLoad="1"{calc.group(2)}>' + xml[calc.end():]
    return xml


def _defined_names(xml: str) -> list[_Name]:
    found = []
    for m in re.finditer(r"<(?:[\w.-]+:)?definedName\b([^>]*?)(?:/>|>(.*?)</(?:[\w.-]+:)?definedName>)", xml, re.S):
        attrs = attributes(m.group(1).encode("utf-8"))
        local = attrs.get("localSheetId")
        found.append(_Name(attrs.get("name", ""), int(local) if local and local.isdigit() else None,
                           html.unescape(m.group(2) or ""), m.group(0)))
    return found


# --- putting it together ----------------------------------------------------------------

def _text(data: bytes, what: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    head = data[:200].lower()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (b"encoding=" in head and b"utf-8" not in head):
        raise PackageError(f"Phần {what} không dùng mã UTF-8; mở tệp bằng Excel, lưu lại rồi chạy lại.")
    return data.decode("utf-8")


def patch_package(source: Path, target: Path, patch: Patch) -> None:
    """Write `source` with `patch` applied to `target`, copying every other part raw."""
    with zipfile.ZipFile(source) as archive, source.open("rb") as raw, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as out, \
            ThreadPoolExecutor(max_workers=2) as pool:
        index = read_package_index(archive)
        members = {info.filename: info for info in archive.infolist()}
        replaced: dict[str, Future[_Deflated]] = {}     # compressed in the pool while the next part is made

        def replace(part: str, text: str) -> None:
            replaced[part] = pool.submit(_deflate, text.encode("utf-8"))

        removed: set[str] = set()
        workbook_xml = _text(archive.read(WORKBOOK_PART), WORKBOOK_PART)
        rels_xml = _text(archive.read(WORKBOOK_RELS), WORKBOOK_RELS) if WORKBOOK_RELS in members else None
        types_xml = _text(archive.read(CONTENT_TYPES), CONTENT_TYPES)
        names = _defined_names(workbook_xml)
        titles = [s.title for s in index.sheets]

        # 1. Output sheets: where their names point (replaced), or new ones appended.
        styles_part = next((part for kind, part in index.rels.values() if kind == STYLES_TYPE), None)
        styles = _Styles()
        if patch.sheets and styles_part in members:
            styles_xml, styles = patch_styles(_text(archive.read(styles_part), styles_part))
            replace(styles_part, styles_xml)
        namespace = _namespace(workbook_xml)
        new_sheets: list[tuple[str, str, str]] = []
        new_rels: list[tuple[str, str]] = []
        changed: set[str] = set()
        taken_parts = {m.lower() for m in members}
        for plan in patch.sheets:
            title, part = _output_target(plan, names, index)
            if part is None:
                title = plan.title
                while title.casefold() in {t.casefold() for t in titles}:
                    title = f"{title} (tdkt)"[:31]
                part = _free_part(taken_parts)
                taken_parts.add(part.lower())
                rid = _free_rid(index, new_rels)
                sheet_id = str(max([int(s.sheet_id) for s in index.sheets if s.sheet_id.isdigit()] +
                                   [int(s[1]) for s in new_sheets] + [0]) + 1)
                new_sheets.append((title, sheet_id, rid))
                new_rels.append((rid, part))
                titles.append(title)
            else:
                rels_part = _rels_of(part)
                if rels_part in members:
                    removed.add(rels_part)
            position = titles.index(title)
            replace(part, sheet_xml(plan, styles, namespace))
            changed.add(title)
            _set_name(names, plan.name, None, f"{quote_sheet(title)}!$A$1")
            names[:] = [n for n in names if not (n.local == position and n.name.lower() in TDKT_OWNED_LOCAL_NAMES)]
            if plan.header_row:
                names.append(_Name("_xlnm.Print_Titles", position,
                                   f"{quote_sheet(title)}!${plan.header_row}:${plan.header_row}"))

        # 2. Cells tdkt fills.
        owned = {title for title in changed}
        sheet_texts: dict[str, str] = {}
        for title in patch.cells:
            entry = index.sheet(title)
            if entry is None or entry.part is None or entry.part not in members:
                raise PackageError(f"Không tìm thấy trang tính «{title}» trong tệp.")
            sheet_texts[title] = _text(archive.read(entry.part), entry.part)
            changed.add(title)

        # 3. Formula caches of every sheet that may read a changed cell.
        formulas: dict[str, list[str]] = {}
        for entry in index.sheets:
            if entry.title in owned or entry.part is None or entry.part not in members or entry.kind != "worksheet":
                continue
            text = sheet_texts.get(entry.title)
            if text is None:
                data = archive.read(entry.part)
                if b"</f>" not in data and b":f>" not in data:
                    continue
                text = _text(data, entry.part)
            found = _FORMULA_TEXT.findall(text)
            if found:
                sheet_texts[entry.title] = text
                formulas[entry.title] = [html.unescape(f) for f in found]
        stale = dependent_sheets(formulas, changed, [(n.name, n.text) for n in names], titles) - owned
        for title in sorted(set(patch.cells) | (stale & set(formulas))):
            entry = index.sheet(title)
            assert entry is not None and entry.part is not None
            new = patch_sheet(sheet_texts[title], patch.cells.get(title, {}), title in stale and title in formulas)
            replace(entry.part, new)

        # 4. Bookkeeping: workbook, relationships, content types, calcChain.
        calc_chain = [(rid, part) for rid, (kind, part) in index.rels.items() if kind == "calcChain"]
        for _, part in calc_chain:
            removed.add(part)
        replace(WORKBOOK_PART, patch_workbook_xml(workbook_xml, new_sheets, names))
        if rels_xml is not None and (new_rels or calc_chain):
            replace(WORKBOOK_RELS, _patch_rels(rels_xml, new_rels, [rid for rid, _ in calc_chain]))
        elif new_rels:
            raise PackageError("Tệp thiếu phần quan hệ của workbook (xl/_rels/workbook.xml.rels).")
        new_types = _patch_content_types(types_xml, [part for _, part in new_rels], removed)
        if new_types != types_xml:
            replace(CONTENT_TYPES, new_types)

        for name, info in members.items():
            if name in removed:
                continue
            if name in replaced:
                _write_new(out, name, replaced.pop(name).result(), info)
            else:
                _copy_raw(out, info, _raw_bytes(raw, info))
        like = members.get(WORKBOOK_PART)
        for name, part in replaced.items():
            _write_new(out, name, part.result(), like)


def _namespace(workbook_xml: str) -> str:
    match = re.search(r"<(?:[\w.-]+:)?workbook\b[^>]*?\bxmlns(?::[\w.-]+)?=[\"']([^\"']*spreadsheetml[^\"']*)[\"']",
                      workbook_xml)
    return match.group(1) if match else MAIN_NS


def _output_target(plan: SheetPlan, names: list[_Name], index: PackageIndex) -> tuple[str, str | None]:
    """(title, part) of the worksheet the plan's name points at, or (plan title, None) to create one."""
    for n in names:
        if n.local is None and n.name.lower() == plan.name.lower():
            parsed = parse_reference(n.text)
            entry = index.sheet(parsed[0]) if parsed else None
            if entry is not None and entry.part is not None and entry.kind == "worksheet":
                return entry.title, entry.part
    return plan.title, None


def _set_name(names: list[_Name], name: str, local: int | None, text: str) -> None:
    for i, n in enumerate(names):
        if n.local == local and n.name.lower() == name.lower():
            if n.text != text:
                names[i] = _Name(n.name, local, text)
            return
    names.append(_Name(name, local, text))


def _rels_of(part: str) -> str:
    folder, _, base = part.rpartition("/")
    return f"{folder}/_rels/{base}.rels"


def _free_part(taken: set[str]) -> str:
    n = 1
    while f"xl/worksheets/sheet{n}.xml" in taken:
        n += 1
    return f"xl/worksheets/sheet{n}.xml"


def _free_rid(index: PackageIndex, new_rels: list[tuple[str, str]]) -> str:
    used = set(index.rels) | {rid for rid, _ in new_rels}
    n = len(used) + 1
    while f"rId{n}" in used:
        n += 1
    return f"rId{n}"


def _patch_rels(xml: str, new: list[tuple[str, str]], drop: list[str]) -> str:
    for rid in drop:
        xml = re.sub(r"<(?:[\w.-]+:)?Relationship\b[^>]*?\bId=[\"']" + re.escape(rid) + r"[\"'][^>]*?(?:/>|>\s*</"
                     r"(?:[\w.-]+:)?Relationship>)", "", xml)
    snippet = "".join(f'<Relationship Id="{rid}" Type="{WORKSHEET_REL}" Target="/{part}"/>' for rid, part in new)
    end = xml.rfind("</Relationships>")
    if end < 0:
        raise PackageError("Phần quan hệ của workbook bị hỏng.")
    return xml[:end] + snippet + xml[end:]


def _patch_content_types(xml: str, new_parts: list[str], removed: set[str]) -> str:
    for part in removed:
        xml = re.sub(r"<Override\b[^>]*?\bPartName=[\"']/" + re.escape(part) + r"[\"'][^>]*?/>", "", xml,
                     flags=re.IGNORECASE)
    if new_parts:
        snippet = "".join(f'<Override PartName="/{part}" ContentType="{WORKSHEET_CT}"/>' for part in new_parts)
        end = xml.rfind("</Types>")
        if end < 0:
            raise PackageError("Phần [Content_Types].xml bị hỏng.")
        xml = xml[:end] + snippet + xml[end:]
    return xml
