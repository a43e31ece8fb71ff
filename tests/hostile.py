"""Build messy and hostile inputs in memory: workbook bytes patched at the XML level, bombs, broken zips.

Everything works on bytes (no openpyxl round trip), so the fuzz suite and the acceptance
corpus can make thousands of variants cheaply. Cells are addressed through the defined names
of the built files (read once with `names_of`).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from tdkt_lib.workbook.snapshot import parse_reference

Members = dict[str, bytes]
FUZZ: dict[str, float] = {"cases": 0}   # fuzz cases run in this session (printed by conftest)


def unzip(data: bytes) -> Members:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(members: Members | list[tuple[str, bytes]], level: int = 1) -> bytes:
    """A deflated zip of the members, in order (a list allows duplicate names)."""
    buffer = io.BytesIO()
    items = members.items() if isinstance(members, dict) else members
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, content in items:
            archive.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


# --- names and sheets -------------------------------------------------------------------------

_NAME = re.compile(rb'<definedName name="([^"]+)"(?: [^>]*)?>([^<]*)</definedName>')
_SHEET = re.compile(rb'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"')
_REL = re.compile(rb'<Relationship [^>]*Id="([^"]+)"[^>]*Target="([^"]+)"'
                  rb'|<Relationship [^>]*Target="([^"]+)"[^>]*Id="([^"]+)"')


def _unescape(text: bytes) -> str:
    return text.decode().replace("&apos;", "'").replace("&quot;", '"').replace("&lt;", "<").replace(
        "&gt;", ">").replace("&amp;", "&")


def sheet_parts(members: Members) -> dict[str, str]:
    """Sheet title → zip member of its XML."""
    rels = {}
    for match in _REL.finditer(members["xl/_rels/workbook.xml.rels"]):
        rid, target = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        target = target.decode()
        rels[rid.decode()] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return {_unescape(title): rels[rid.decode()] for title, rid in _SHEET.findall(members["xl/workbook.xml"])}


def names_of(members: Members) -> dict[str, tuple[str, tuple[int, int, int, int]]]:
    """Defined name → (sheet title, (min_col, min_row, max_col, max_row))."""
    out = {}
    for name, text in _NAME.findall(members["xl/workbook.xml"]):
        parsed = parse_reference(_unescape(text))
        if parsed:
            out[name.decode()] = parsed
    return out


def col_letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_ref(names: dict, name: str, i: int = 0, j: int = 0) -> tuple[str, str]:
    """(sheet title, A1 address) of offset (i, j) inside a named range."""
    sheet, (min_col, min_row, _, _) = names[name]
    return sheet, f"{col_letter(min_col + j)}{min_row + i}"


# --- cells --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    """A cell value as Excel stores it: kind n (number), s (text), f (formula), e (error), b, d (date), blank."""

    kind: str
    value: str = ""


def _cell_xml(ref: str, style: str, cell: Cell, date_style: str | None) -> bytes:
    s = f' s="{style}"' if style else ""
    if cell.kind == "blank":
        return f'<c r="{ref}"{s}/>'.encode()
    if cell.kind == "n":
        return f'<c r="{ref}"{s}><v>{cell.value}</v></c>'.encode()
    if cell.kind == "d":
        ds = f' s="{date_style}"' if date_style else s
        return f'<c r="{ref}"{ds}><v>{cell.value}</v></c>'.encode()
    if cell.kind == "b":
        return f'<c r="{ref}"{s} t="b"><v>{cell.value}</v></c>'.encode()
    if cell.kind == "e":
        return f'<c r="{ref}"{s} t="e"><v>{escape(cell.value)}</v></c>'.encode()
    if cell.kind == "f":
        return f'<c r="{ref}"{s}><f>{escape(cell.value)}</f><v>1</v></c>'.encode()
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{escape(cell.value)}</t></is></c>'.encode()


def set_cell(xml: bytes, ref: str, cell: Cell, date_style: str | None = None) -> bytes:
    """The sheet XML with cell `ref` replaced (it must exist in the XML, as every built grid cell does)."""
    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"(?P<attrs>[^>]*?)(?:/>|>.*?</c>)', re.S)
    match = pattern.search(xml)
    if match is None:
        raise KeyError(ref)
    style = re.search(rb' s="(\d+)"', match.group("attrs"))
    new = _cell_xml(ref, style.group(1).decode() if style else "", cell, date_style)
    return xml[:match.start()] + new + xml[match.end():]


def date_style_of(xml: bytes, ref: str) -> str | None:
    match = re.search(rb'<c r="' + ref.encode() + rb'"[^>]*? s="(\d+)"', xml)
    return match.group(1).decode() if match else None


def with_cells(data: bytes, changes: list[tuple[str, str, Cell]], date_ref: str | None = None) -> bytes:
    """Workbook bytes with cells (sheet title, A1, Cell) replaced."""
    members = unzip(data)
    parts = sheet_parts(members)
    for sheet, ref, cell in changes:
        part = parts[sheet]
        date_style = date_style_of(members[part], date_ref) if date_ref else None
        members[part] = set_cell(members[part], ref, cell, date_style)
    return rezip(members)


# --- structure ------------------------------------------------------------------------------------

def rename_sheet(data: bytes, old: str, new: str) -> bytes:
    """Rename a sheet as Excel does: the tab and every defined name and formula reference follow."""
    members = unzip(data)

    def quoted(title: str) -> str:
        return "'" + title.replace("'", "''") + "'"

    def esc(text: str) -> bytes:
        return escape(text, {"'": "&apos;", '"': "&quot;"}).encode()

    for part, content in list(members.items()):
        if not part.endswith(".xml"):
            continue
        updated = content
        for before, after in ((quoted(old), quoted(new)),):
            updated = updated.replace(esc(before + "!"), esc(after + "!")).replace(
                escape(before + "!").encode(), escape(after + "!").encode())
        if part == "xl/workbook.xml":
            updated = updated.replace(b'name="' + esc(old) + b'"', b'name="' + esc(new) + b'"')
        members[part] = updated
    return rezip(members)


def reorder_sheets(data: bytes) -> bytes:
    """Reverse the sheet tabs (defined names keep pointing at the same sheets)."""
    members = unzip(data)
    xml = members["xl/workbook.xml"]
    sheets = re.findall(rb"<sheet [^>]*/>", xml)
    start = xml.index(sheets[0])
    end = xml.index(sheets[-1]) + len(sheets[-1])
    members["xl/workbook.xml"] = xml[:start] + b"".join(reversed(sheets)) + xml[end:]
    return rezip(members)


def drop_name(data: bytes, name: str) -> bytes:
    members = unzip(data)
    members["xl/workbook.xml"] = re.sub(rb'<definedName name="' + name.encode() + rb'"[^>]*>[^<]*</definedName>', b"",
                                        members["xl/workbook.xml"])
    return rezip(members)


def garble_name(data: bytes, name: str, target: str) -> bytes:
    members = unzip(data)
    members["xl/workbook.xml"] = re.sub(rb'(<definedName name="' + name.encode() + rb'"[^>]*>)[^<]*(</definedName>)',
                                        lambda m: m.group(1) + escape(target).encode() + m.group(2),
                                        members["xl/workbook.xml"])
    return rezip(members)


def add_merge(data: bytes, sheet: str, area: str) -> bytes:
    """Merge cells over `area` the way Excel stores it (the top-left value stays, the others go)."""
    members = unzip(data)
    part = sheet_parts(members)[sheet]
    xml = members[part]
    if b"<mergeCells" in xml:
        xml = re.sub(rb'<mergeCells count="(\d+)"', lambda m: b'<mergeCells count="%d"' % (int(m.group(1)) + 1), xml)
        xml = xml.replace(b"</mergeCells>", f'<mergeCell ref="{area}"/></mergeCells>'.encode())
    else:
        xml = xml.replace(b"</sheetData>", f'</sheetData><mergeCells count="1"><mergeCell ref="{area}"/></mergeCells>'
                          .encode())
    members[part] = xml
    return rezip(members)


def as_xlsm(data: bytes) -> bytes:
    """The same workbook as a macro-enabled file with a (harmless, never run) VBA project."""
    members = unzip(data)
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml").replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    members["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name = \"Auto_Open\"" * 8
    return rezip(members)


# --- bombs and broken files -------------------------------------------------------------------------

def entity_bomb(root: str = "sst", levels: int = 10) -> bytes:
    """A billion-laughs document: 10 entities each expanding to 10 of the previous (10**levels 'lol's)."""
    ents = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{"".join(f"&lol{i - 1};" for _ in range(10))}">' for i in range(1, levels)]
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    body = (f'<si><t>&lol{levels - 1};</t></si>' if root == "sst" else
            f'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol{levels - 1};</t></is></c></row></sheetData>')
    extra = ' count="1" uniqueCount="1"' if root == "sst" else ""
    return (f'<?xml version="1.0"?>\n<!DOCTYPE {root} [{"".join(ents)}]>\n<{root} xmlns="{ns}"{extra}>{body}</{root}>'
            ).encode()


def with_entity_bomb(data: bytes, where: str) -> bytes:
    """Put a billion-laughs DTD into sharedStrings.xml, a sheet, or workbook.xml."""
    members = unzip(data)
    if where == "sharedStrings":
        members["xl/sharedStrings.xml"] = entity_bomb("sst")
        if b"sharedStrings" not in members["xl/_rels/workbook.xml.rels"]:
            members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
                b"</Relationships>",
                b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                b'sharedStrings" Target="sharedStrings.xml"/></Relationships>')
            members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
                b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    elif where == "sheet":
        part = next(iter(sheet_parts(members).values()))
        xml = members[part]
        ents = "".join(['<!ENTITY a0 "lol">'] + [f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)])
        xml = re.sub(rb"^(<\?xml[^>]*\?>)?", lambda m: (m.group(0) or b"") + f"<!DOCTYPE worksheet [{ents}]>".encode(),
                     xml, count=1)
        members[part] = re.sub(rb'(<c r="B6"[^>]*?)(?:/>|>.*?</c>)',
                               rb'<c r="B6" t="inlineStr"><is><t>&a9;</t></is></c>', xml, count=1, flags=re.S)
    else:
        xml = members["xl/workbook.xml"]
        ents = "".join(['<!ENTITY a0 "lol">'] + [f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)])
        members["xl/workbook.xml"] = re.sub(rb"^(<\?xml[^>]*\?>)?",
                                            lambda m: (m.group(0) or b"") + f"<!DOCTYPE workbook [{ents}]>".encode(),
                                            xml, count=1).replace(b"</definedNames>",
                                                                  b'<definedName name="boom">&a9;</definedName>'
                                                                  b"</definedNames>")
    return rezip(members)


def zip_bomb(data: bytes, member: str = "xl/worksheets/sheet9.xml", size: int = 64 * 2**20) -> bytes:
    """Add a member of `size` zero bytes that deflates ~1000:1."""
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive, archive.open(member, "w",
                                                                                     force_zip64=True) as handle:
        chunk = b"\0" * 2**20
        for _ in range(size // 2**20):
            handle.write(chunk)
    return buffer.getvalue()


def deflate_bomb_bytes(size: int) -> bytes:
    """Raw deflate of `size` zeros (for hand-built zips whose headers lie)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(b"\0" * size) + compressor.flush()


def lying_bomb(data: bytes, payload_mb: int) -> bytes:
    """The first sheet padded with `payload_mb` MB of spaces (valid XML), its headers declaring the original size.

    The zip-header guards see a small member with a normal ratio; only a reader that trusts the
    deflate stream instead of the declared size inflates it all.
    """
    import struct

    members = unzip(data)
    part = next(iter(sheet_parts(members).values()))
    xml = members[part]
    cut = xml.index(b"<sheetData")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=name == part) as handle:
                if name != part:
                    handle.write(content)
                    continue
                handle.write(xml[:cut])
                chunk = b" " * 2**20
                for _ in range(payload_mb):
                    handle.write(chunk)
                handle.write(xml[cut:])
    raw = bytearray(buffer.getvalue())
    name = part.encode()
    for signature, name_len_at, name_at, size_at in ((b"PK\x03\x04", 26, 30, 22), (b"PK\x01\x02", 28, 46, 24)):
        pos = raw.find(signature)
        while pos >= 0:
            length = struct.unpack_from("<H", raw, pos + name_len_at)[0]
            if raw[pos + name_at:pos + name_at + length] == name:
                struct.pack_into("<I", raw, pos + size_at, len(xml))
            pos = raw.find(signature, pos + 4)
    return bytes(raw)


MUTATORS: dict[str, Callable[[bytes], bytes]] = {
    "truncated-half": lambda data: data[: len(data) // 2],
    "truncated-tail": lambda data: data[:-30],
    "not-zip": lambda data: b"Xin chao" + data[8:],
    "empty": lambda data: b"",
    "old-xls": lambda data: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024,
}
