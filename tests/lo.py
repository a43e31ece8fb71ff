"""Recalculate workbooks in LibreOffice headless and read back the computed values.

Used by the tests that check the templates' formulas against the exact engine. Missing
LibreOffice is a failure, never a skip: tools/test.sh installs it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import openpyxl

# Recalculate every formula when an OOXML file is loaded (0 = always), whatever was cached.
_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str:
    """Path of soffice; AssertionError (a failure, not a skip) when LibreOffice is missing."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    assert found, "LibreOffice (soffice) is required: apt-get install -y libreoffice-calc-nogui"
    return found


def strip_cached_values(path: Path) -> None:
    """Re-save through openpyxl, which keeps formulas and drops every cached value."""
    wb = openpyxl.load_workbook(path)
    wb.save(path)


def recalculate(paths: list[Path], outdir: Path, timeout: float = 120) -> list[Path]:
    """Open every file in one LibreOffice run, recalculate, save as xlsx into `outdir`."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tdkt-lo-profile-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_REGISTRY, "utf-8")
        cmd = [
            soffice(), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
            "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir), *map(str, paths),
        ]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    outputs = [outdir / Path(p).name for p in paths]
    missing = [str(p) for p in outputs if not p.exists()]
    assert not missing, f"LibreOffice did not convert {missing}: {run.stdout}\n{run.stderr}"
    return outputs


def values(path: Path) -> openpyxl.Workbook:
    """The recalculated workbook, values only."""
    return openpyxl.load_workbook(path, data_only=True)
