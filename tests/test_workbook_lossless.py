"""Officer-added content survives `tdkt merge` and `tdkt score` byte for byte.

The bloc workbook gets what officers add in real life — a logo and a scanned signature
(pictures), a chart, a shape, comments, conditional formatting, a data-validation extension
(x14) and extra sheets with formulas — once made with openpyxl (plus parts injected as Excel
writes them) and once re-saved by LibreOffice. After Gộp phiếu and Tính điểm every part tdkt
does not own is byte-identical (uncompressed), the sheets tdkt fills differ only inside
<sheetData>, the Excel-visible content is unchanged except tdkt's outputs, and LibreOffice
opens the result and recalculates tdkt_scores to the engine's values.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from decimal import Decimal
from pathlib import Path

import lo
import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from tdkt_lib.adapters.csv_input import read_criteria, read_scores, read_units
from tdkt_lib.adapters.profiles import load_profile
from tdkt_lib.cli import main
from tdkt_lib.workbook import layout
from tdkt_lib.workbook.build import build_bloc_workbook, build_unit_form
from tdkt_lib.workbook.demo import DEMO_BLOC, DEMO_YEAR, example_dir, fill_form
from tdkt_lib.workbook.snapshot import read_package_index

BOOKKEEPING = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
               "xl/calcChain.xml", "docProps/app.xml"}
NOTES = "Ghi chú khối"          # officer sheet reading Tổng hợp: its caches must go
CONTACTS = "Liên hệ"            # officer sheet reading only Thông tin: untouched


def png(width: int = 4, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A tiny valid PNG (a logo, a scanned signature) without Pillow."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


DRAWING = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" \
xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<xdr:twoCellAnchor editAs="oneCell"><xdr:from><xdr:col>3</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row>\
<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>5</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>4</xdr:row>\
<xdr:rowOff>0</xdr:rowOff></xdr:to><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="{name}"/><xdr:cNvPicPr>\
<a:picLocks noChangeAspect="1"/></xdr:cNvPicPr></xdr:nvPicPr><xdr:blipFill><a:blip r:embed="rIdImg1"/>\
<a:stretch><a:fillRect/></a:stretch></xdr:blipFill><xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="1828800" \
cy="914400"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/>\
</xdr:twoCellAnchor>{shape}</xdr:wsDr>"""

SHAPE = """<xdr:twoCellAnchor><xdr:from><xdr:col>6</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row>\
<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>9</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>4</xdr:row>\
<xdr:rowOff>0</xdr:rowOff></xdr:to><xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="3" name="Ghi chú \
khung"/><xdr:cNvSpPr/></xdr:nvSpPr><xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="1828800" cy="914400"/>\
</a:xfrm><a:prstGeom prst="wedgeRoundRectCallout"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="FFFF99"/>\
</a:solidFill></xdr:spPr><xdr:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="vi-VN"/><a:t>Đã đối chiếu \
với biên bản họp khối</a:t></a:r></a:p></xdr:txBody></xdr:sp><xdr:clientData/></xdr:twoCellAnchor>"""

X14_VALIDATION = """<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" \
xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:dataValidations count="1" \
xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:dataValidation type="list" allowBlank="1" \
showErrorMessage="1"><x14:formula1><xm:f>'Đơn vị'!$A$2:$A$8</xm:f></x14:formula1><xm:sqref>C6</xm:sqref>\
</x14:dataValidation></x14:dataValidations></ext></extLst>"""


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    return {s.title: s.part for s in read_package_index(archive).sheets if s.part}


def inject(path: Path) -> None:
    """Add what openpyxl cannot make, as Excel writes it: pictures with a shape, an x14 validation."""
    with zipfile.ZipFile(path) as archive:
        parts = {i.filename: archive.read(i.filename) for i in archive.infolist()}
        sheets = _sheet_parts(archive)
    parts["xl/media/tdkt-test-logo.png"] = png(8, 4, (10, 60, 160))
    parts["xl/media/tdkt-test-signature.png"] = png(6, 3, (20, 20, 20))
    types = parts["[Content_Types].xml"].decode()
    if 'Extension="png"' not in types:
        types = types.replace("</Types>", '<Default Extension="png" ContentType="image/png"/></Types>')
    for n, (title, image, shape) in enumerate(((layout.SHEET_INFO, "tdkt-test-logo.png", SHAPE),
                                               ("Phiếu SNN", "tdkt-test-signature.png", "")), start=1):
        drawing = f"xl/drawings/tdkt-test-drawing{n}.xml"
        parts[drawing] = DRAWING.format(name=image, shape=shape).encode()
        parts[f"xl/drawings/_rels/tdkt-test-drawing{n}.xml.rels"] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rIdImg1" Type="http://schemas.'
            f'openxmlformats.org/officeDocument/2006/relationships/image" Target="../media/{image}"/>'
            "</Relationships>").encode()
        types = types.replace("</Types>", f'<Override PartName="/{drawing}" ContentType="application/vnd.'
                              'openxmlformats-officedocument.drawing+xml"/></Types>')
        sheet = sheets[title]
        folder, _, base = sheet.rpartition("/")
        rels_name = f"{folder}/_rels/{base}.rels"
        rel = (f'<Relationship Id="rIdTdktDrawing" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
               f'relationships/drawing" Target="/{drawing}"/>')
        rels = parts.get(rels_name, b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                         b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>')
        parts[rels_name] = rels.decode().replace("</Relationships>", rel + "</Relationships>").encode()
        xml = parts[sheet].decode()
        if "xmlns:r=" not in xml[:500]:
            xml = xml.replace("<worksheet ", '<worksheet xmlns:r="http://schemas.openxmlformats.org/'
                              'officeDocument/2006/relationships" ', 1)
        anchor = min(xml.find(t) for t in ("<legacyDrawing", "<tableParts", "<extLst", "</worksheet>")
                      if xml.find(t) >= 0)
        parts[sheet] = (xml[:anchor] + '<drawing r:id="rIdTdktDrawing"/>' + xml[anchor:]).encode()
    sheet = sheets["Phiếu SGTVT"]
    xml = parts[sheet].decode()
    parts[sheet] = xml.replace("</worksheet>", X14_VALIDATION + "</worksheet>").encode()
    parts["[Content_Types].xml"] = types.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def officer_bloc(folder: Path) -> tuple[Path, list[Path]]:
    """A blank bloc with officers' additions, and the seven filled unit forms."""
    source = example_dir()
    units, table = read_units(source / "units.csv"), read_criteria(source / "criteria.csv")
    entries = read_scores(source / "scores.csv")
    profile = load_profile("hai-phong-2024")
    book = build_bloc_workbook(units, table, profile, bloc=DEMO_BLOC, year=DEMO_YEAR)
    summary = book[layout.SHEET_SUMMARY]
    chart = BarChart()
    chart.title = "Điểm các đơn vị"
    chart.add_data(Reference(summary, min_col=12, min_row=4, max_row=11), titles_from_data=True)
    chart.set_categories(Reference(summary, min_col=1, min_row=5, max_row=11))
    summary.add_chart(chart, "B15")
    summary.conditional_formatting.add("L5:L11", CellIsRule(operator="greaterThan", formula=["90"],
                                                            fill=PatternFill("solid", fgColor="C6EFCE")))
    summary["B13"].comment = Comment("Số liệu đã đối chiếu với phiếu gốc.", "Văn phòng khối")
    book["Phiếu BQLKKT"]["B6"].comment = Comment("Phiếu nhận qua bưu điện.", "Văn phòng khối")
    notes = book.create_sheet(NOTES)
    notes["A1"], notes["B1"] = "Điểm cao nhất", "=MAX('Tổng hợp'!L5:L11)"
    notes["A2"], notes["B2"] = "Đơn vị đầu bảng", "=INDEX(tdkt_units,1)"
    notes["A3"] = "Ý kiến thống nhất của các thành viên khối."
    contacts = book.create_sheet(CONTACTS)
    contacts["A1"], contacts["B1"] = "Năm", "='Thông tin'!B4"
    contacts["A2"], contacts["B2"] = "Điện thoại", "0225 3836 123"
    dv = DataValidation(type="list", formula1='"Đã gửi,Chưa gửi"', allow_blank=True)
    dv.add("C2")
    contacts.add_data_validation(dv)
    bloc = folder / "khoi.xlsx"
    book.save(bloc)
    inject(bloc)
    forms = []
    for unit in units:
        form = build_unit_form(units, table, profile, unit.code, bloc=DEMO_BLOC, year=DEMO_YEAR)
        fill_form(form, [e for e in entries if e.scorer == unit.code])
        forms.append(folder / f"{unit.code}.xlsx")
        form.save(forms[-1])
    return bloc, forms


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def raw_infos(path: Path) -> dict[str, tuple[int, int, int]]:
    with zipfile.ZipFile(path) as archive:
        return {i.filename: (i.CRC, i.compress_size, i.compress_type) for i in archive.infolist()}


def outside_sheet_data(xml: bytes) -> bytes:
    text = re.sub(rb"<sheetData\b[^>]*/>|<sheetData\b.*?</sheetData>", b"<sheetData/>", xml, count=1, flags=re.S)
    return re.sub(rb'<dimension ref="[^"]*"/>', b"", text, count=1)


def run_tdkt(*args: object) -> None:
    assert main([str(a) for a in args]) == 0


@pytest.fixture(scope="module")
def flows(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """openpyxl-made and LibreOffice-made officer blocs, each merged then scored by tdkt."""
    folder = tmp_path_factory.mktemp("lossless")
    bloc, forms = officer_bloc(folder)
    lo_dir = folder / "lo"
    (lo_made,) = lo.recalculate([bloc], lo_dir)
    result = {}
    for label, source in (("openpyxl", bloc), ("libreoffice", lo_made)):
        merged, scored = folder / f"{label}-merged.xlsx", folder / f"{label}-scored.xlsx"
        run_tdkt("merge", source, *forms, "-o", merged)
        run_tdkt("score", merged, "-o", scored, "--json")
        result[label] = {"source": source, "merged": merged, "scored": scored}
    return result


def owned_parts(path: Path) -> dict[str, str]:
    """Parts of tdkt's output sheets (rewritten wholesale) → title."""
    with zipfile.ZipFile(path) as archive:
        index = read_package_index(archive)
    targets = {n.text.split("!")[0].strip("'").replace("''", "'") for n in index.names
               if n.name.lower().startswith("tdkt_out_")}
    return {s.part: s.title for s in index.sheets if s.title in targets and s.part}


@pytest.mark.parametrize("made_by", ["openpyxl", "libreoffice"])
@pytest.mark.parametrize("step", [("source", "merged"), ("merged", "scored")])
def test_every_part_tdkt_does_not_own_is_byte_identical(flows, made_by, step):
    before, after = (flows[made_by][s] for s in step)
    old, new = members(before), members(after)
    old_raw, new_raw = raw_infos(before), raw_infos(after)
    owned = owned_parts(before) | owned_parts(after)
    with zipfile.ZipFile(before) as archive:
        sheet_parts = {s.part for s in read_package_index(archive).sheets}
    checked = 0
    for name, data in old.items():
        if name in BOOKKEEPING or name in owned or (name.endswith(".rels") and name.replace("_rels/", "")
                                                     .removesuffix(".rels") in owned):
            continue
        assert name in new, f"{made_by}: {name} was dropped"
        if name in sheet_parts:
            assert outside_sheet_data(new[name]) == outside_sheet_data(data), f"{made_by}: {name} changed"
            continue
        assert new[name] == data, f"{made_by}: {name} changed"
        assert new_raw[name] == old_raw[name], f"{made_by}: {name} was recompressed"
        checked += 1
    kinds = " ".join(old)
    for part in ("xl/media/", "xl/drawings/", "xl/charts/chart", "comments", ".vml"):
        assert part in kinds, f"{made_by}: the test workbook lacks {part}"
    assert checked >= 8


def test_officer_additions_are_really_there(flows):
    for made_by in ("openpyxl", "libreoffice"):
        parts = members(flows[made_by]["scored"])
        joined = b"".join(parts.values())
        assert "Đã đối chiếu với biên bản họp khối".encode() in joined, made_by       # the shape's text
        assert b"<x14:dataValidation" in joined or made_by == "libreoffice"
        assert any(n.startswith("xl/media/") for n in parts)
        assert any(n.startswith("xl/charts/") for n in parts)
        assert b"conditionalFormatting" in joined


def filled_cells(path: Path) -> set[tuple[str, str]]:
    """(sheet, cell) of every cell tdkt may fill: ranks, score grids, received stamps."""
    book = openpyxl.load_workbook(path, read_only=True)
    found = set()
    for name, defined in book.defined_names.items():
        parsed = layout.parse_scorer_name(name)
        if name == layout.RANKS or (parsed and parsed[1] in ("grid", "received")):
            for title, ref in defined.destinations:
                for row in book[title][ref] if ":" in ref else ((book[title][ref],),):
                    for cell in row:
                        found.add((title, cell.coordinate))
    book.close()
    return found


def visible(path: Path, data_only: bool) -> tuple[dict[str, dict[str, object]], dict[str, str]]:
    book = openpyxl.load_workbook(path, data_only=data_only)
    outputs = {next(iter(d.destinations))[0] for n, d in book.defined_names.items() if n.startswith("tdkt_out_")}
    sheets = {ws.title: {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}
              for ws in book.worksheets if ws.title not in outputs}
    names = {n: d.attr_text for n, d in book.defined_names.items() if not n.startswith("tdkt_out_")}
    return sheets, names


@pytest.mark.filterwarnings("ignore:Data Validation extension")   # openpyxl drops x14: that is the point
@pytest.mark.parametrize("made_by", ["openpyxl", "libreoffice"])
def test_excel_visible_content_is_unchanged_except_tdkt_outputs(flows, made_by):
    source, scored = flows[made_by]["source"], flows[made_by]["scored"]
    skip = filled_cells(source)
    before, names_before = visible(source, data_only=False)
    after, names_after = visible(scored, data_only=False)
    assert names_after == names_before
    assert set(after) == set(before)
    for title, cells in before.items():
        kept = {k: v for k, v in cells.items() if (title, k) not in skip}
        now = {k: v for k, v in after[title].items() if (title, k) not in skip}
        assert now == kept, title
    filled = {(t, c) for t, cells in after.items() for c in cells if (t, c) in skip}
    assert len(filled) > 7 * 7 * 10, "the merge wrote the grids"


@pytest.mark.parametrize("made_by", ["openpyxl", "libreoffice"])
def test_stale_caches_dropped_only_where_formulas_read_changed_cells(flows, made_by):
    merged = flows[made_by]["merged"]
    with zipfile.ZipFile(merged) as archive:
        parts = _sheet_parts(archive)
        xml = {title: archive.read(part).decode() for title, part in parts.items()}
        workbook = archive.read("xl/workbook.xml").decode()
    for title in (layout.SHEET_SUMMARY, NOTES, "Phiếu SNN", "Phiếu SGTVT"):
        assert re.search(r"</f>\s*<v", xml[title]) is None, f"{made_by}: {title} keeps a cached value"
    assert 'fullCalcOnLoad="1"' in workbook
    source = flows[made_by]["source"]
    with zipfile.ZipFile(source) as archive:
        assert archive.read(_sheet_parts(archive)[CONTACTS]).decode() == xml[CONTACTS]


@pytest.fixture(scope="module")
def recalculated(flows, tmp_path_factory):
    paths = [flows[m]["scored"] for m in ("openpyxl", "libreoffice")]
    outputs = lo.recalculate(paths, tmp_path_factory.mktemp("lossless-lo"))
    return dict(zip(("openpyxl", "libreoffice"), outputs, strict=True))


@pytest.mark.parametrize("made_by", ["openpyxl", "libreoffice"])
def test_libreoffice_opens_the_patched_file_and_agrees_with_the_engine(flows, recalculated, made_by, capsys):
    capsys.readouterr()
    assert main(["score", str(flows[made_by]["scored"]), "-o", str(flows[made_by]["scored"].with_name(
        f"{made_by}-again.xlsx")), "--json"]) == 0
    import json

    doc = json.loads(capsys.readouterr().out)
    engine = {u["unit"]: Decimal(str(u["score"])) for u in doc["units"]}
    book = lo.values(recalculated[made_by])
    (title, ref), = book.defined_names[layout.UNITS].destinations
    units = [row[0].value for row in book[title][ref]]
    (title, ref), = book.defined_names[layout.SCORES].destinations
    scores = [Decimal(str(row[0].value)) for row in book[title][ref]]
    (title, ref), = book.defined_names[layout.RANKS].destinations
    ranks = [row[0].value for row in book[title][ref]]
    assert dict(zip(units, scores, strict=True)) == engine
    assert ranks == [next(u["rank"] for u in doc["units"] if u["unit"] == code) for code in units]
    ranking = book[layout.SHEET_RANKING]
    assert ranking["A6"].value == "Hạng" and ranking["A7"].value == 1
