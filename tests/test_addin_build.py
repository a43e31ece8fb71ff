"""The add-in builds on Linux, reproducibly, and reads back clean with tools that did not write it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
import xlwings
from oletools import olevba

from tdkt_lib import __version__
from tdkt_lib.addin import ribbon
from tdkt_lib.addin.build import SOURCE_DIR, build

NS = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}
REQUIRED = {
    "tdkt_check": "Kiểm tra",
    "tdkt_merge": "Gộp phiếu",
    "tdkt_score": "Tính điểm",
    "tdkt_appraisal": "Danh sách thẩm định",
    "tdkt_undo": "Hoàn tác",
    "tdkt_help": "Hướng dẫn",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("addin")
    first, second = build(base / "a" / "tdkt.xlam"), build(base / "b" / "tdkt.xlam")
    return first.path, second.path


@pytest.fixture(scope="module")
def macros(built) -> dict[str, str]:
    """Module name → source, decoded by oletools (not by pyOpenVBA, which wrote them)."""
    parser = olevba.VBA_Parser(str(built[0]))
    try:
        assert parser.detect_vba_macros()
        return {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


@pytest.fixture(scope="module")
def ribbon_xml(built) -> ET.Element:
    with zipfile.ZipFile(built[0]) as z:
        return ET.fromstring(z.read("customUI/customUI.xml"))


def test_build_is_reproducible(built):
    a, b = built
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert z.testzip() is None


def test_package_carries_our_ribbon_as_plain_utf8(built):
    with zipfile.ZipFile(built[0]) as z:
        data = z.read("customUI/customUI.xml")
        rels = z.read("_rels/.rels").decode()
    assert data == (SOURCE_DIR / "customUI.xml").read_bytes()
    assert 'label="Tính điểm"' in data.decode("utf-8")  # not &#...; entities
    assert "customUI/customUI.xml" in rels


def test_ribbon_has_the_required_buttons(ribbon_xml):
    tabs = ribbon_xml.findall(".//ui:tab", NS)
    assert [t.get("label") for t in tabs] == ["Thi đua – Khen thưởng"]
    labels = {b.get("id"): b.get("label") for b in ribbon_xml.iterfind(".//ui:button", NS)}
    for control_id, label in REQUIRED.items():
        assert labels.get(control_id) == label
    assert [i for i, lab in labels.items() if lab == "Tính điểm"] == ["tdkt_score"]


def test_every_on_action_has_its_vba_sub(ribbon_xml, macros):
    actions = {el.get("onAction") for el in ribbon_xml.iter() if el.get("onAction")}
    assert actions == {"TdktRibbon.TdktRibbonAction"}  # one callback for every button
    for action in actions:
        module, _, sub = action.rpartition(".")
        source = macros[module] if module else "\n".join(macros.values())
        assert re.search(rf"^\s*(Public\s+)?Sub\s+{sub}\s*\(\s*control\s+As\s+IRibbonControl\s*\)",
                         source, re.MULTILINE | re.IGNORECASE), action
    callback = macros["TdktRibbon"]
    assert "control.Id" in callback
    assert "tdkt_lib.addin.ribbon" in callback and "r.dispatch(" in callback
    assert "RunPython" in callback and re.search(r"^(Public\s+)?Function RunPython\(", macros["xlwings"], re.M)


def test_every_button_has_a_python_handler(ribbon_xml):
    ids = {el.get("id") for el in ribbon_xml.iter() if el.get("onAction")}
    assert ids == set(ribbon.HANDLERS)
    assert set(REQUIRED) <= ids


def test_vba_is_ascii_and_matches_installed_xlwings(macros):
    assert {"xlwings", "TdktRibbon", "xlwings_udfs"} <= set(macros)
    assert "RibbonMyAddin" not in macros
    for name, source in macros.items():
        assert source.isascii(), name
    dlls = set(re.findall(r'"xlwings(?:32|64)-([^"]+)\.dll"', macros["xlwings"]))
    assert dlls == {xlwings.__version__}
    assert f'XLWINGS_VERSION As String = "{xlwings.__version__}"' in macros["xlwings"]
    assert 'PROJECT_NAME As String = "tdkt"' in macros["xlwings"]
    assert f'TDKT_VERSION As String = "{__version__}"' in macros["TdktRibbon"]


def test_udf_wrappers_are_in_the_addin(macros):
    udfs = macros["xlwings_udfs"]
    for name in ("TDKT_DIEM", "TDKT_XEPHANG", "TDKT_XEPLOAI", "TDKT_TOP3"):
        assert re.search(rf"^Function {name}\(", udfs, re.M)
        assert f'XLPy.CallUDF("tdkt_lib.addin.udfs", "{name}"' in udfs


def _as_xlsm(xlam: Path, dest: Path) -> Path:
    """The same package declared as a workbook: LibreOffice opens that, not an add-in."""
    with zipfile.ZipFile(xlam) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for name in src.namelist():
            data = src.read(name)
            if name == "[Content_Types].xml":
                data = data.replace(b"application/vnd.ms-excel.addin.macroEnabled.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
            out.writestr(name, data)
    return dest


def _system_python_with_uno() -> str | None:
    for candidate in ("/usr/bin/python3", shutil.which("python3")):
        if candidate and Path(candidate).exists():
            probe = subprocess.run([candidate, "-c", "import uno"], capture_output=True)
            if probe.returncode == 0:
                return candidate
    return None


def test_libreoffice_lists_the_vba_modules(built, tmp_path):
    python = _system_python_with_uno()
    assert shutil.which("soffice") and python is not None, (
        "LibreOffice with python3-uno is required: apt-get install -y libreoffice-calc-nogui python3-uno")
    book = _as_xlsm(built[0], tmp_path / "tdkt.xlsm")
    script = Path(__file__).with_name("lo_list_vba.py")
    done = subprocess.run([python, str(script), str(book), str(tmp_path / "profile")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    libraries = json.loads(done.stdout)
    modules = {m: src for lib in libraries.values() for m, src in lib.items()}
    assert {"xlwings", "TdktRibbon", "xlwings_udfs"} <= set(modules)
    assert "Sub TdktRibbonAction(control As IRibbonControl)" in modules["TdktRibbon"]
    assert "Function TDKT_DIEM(tu_cham, cham_cheo)" in modules["xlwings_udfs"]
