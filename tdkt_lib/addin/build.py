"""`tdkt addin build`: make tdkt.xlam on any OS, without Excel.

Start from xlwings' own Excel-saved add-in of the installed xlwings version
(`quickstart_addin_ribbon.xlam`), then with pyOpenVBA: replace the `xlwings` module with
xlwings' `xlwings_custom_addin.bas` (PROJECT_NAME = "tdkt"), drop the sample
`RibbonMyAddin`, add our callback module and the generated UDF wrappers; finally swap in
our customUI.xml and rewrite the zip with fixed timestamps so the same inputs always give
the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import xlwings

from tdkt_lib import __version__
from tdkt_lib.addin import vba

SOURCE_DIR = Path(str(resources.files("tdkt_lib.addin_sources")))  # the top-level addin/ folder
CUSTOM_UI = "customUI.xml"
RIBBON_BAS = "TdktRibbon.bas"
RIBBON_MODULE = "TdktRibbon"
UDF_PYTHON_MODULE = "tdkt_lib.addin.udfs"
BASE_ADDIN = "quickstart_addin_ribbon.xlam"
BASE_XLWINGS_BAS = "xlwings_custom_addin.bas"
SAMPLE_MODULE = "RibbonMyAddin"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CUSTOM_UI_PART = "customUI/customUI.xml"


class BuildError(RuntimeError):
    """The add-in cannot be built; the message is Vietnamese."""


@dataclass(frozen=True)
class BuildInfo:
    path: Path
    sha256: str
    xlwings_version: str
    tdkt_version: str
    modules: tuple[str, ...]


def xlwings_dir() -> Path:
    return Path(xlwings.__file__).resolve().parent


def source_files() -> dict[str, Path]:
    """Every input of the build, for error messages and reproducibility checks."""
    return {
        "base": xlwings_dir() / BASE_ADDIN,
        "xlwings_bas": xlwings_dir() / BASE_XLWINGS_BAS,
        "custom_ui": SOURCE_DIR / CUSTOM_UI,
        "ribbon_bas": SOURCE_DIR / RIBBON_BAS,
    }


def _check_sources(files: dict[str, Path]) -> None:
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise BuildError(
            "Thiếu tệp nguồn để dựng add-in: " + "; ".join(missing) + ". Cần cài đúng xlwings "
            f"{xlwings.__version__} và dùng mã nguồn tdkt có thư mục addin/."
        )


def vba_modules() -> dict[str, str]:
    """The VBA modules we put into the add-in: name → source (ASCII, CRLF)."""
    from tdkt_lib.addin import udfs

    files = source_files()
    _check_sources(files)
    xlwings_src = vba.xlwings_module(files["xlwings_bas"].read_text(encoding="ascii"))
    found = vba.dll_versions(xlwings_src)
    if found != {xlwings.__version__}:
        raise BuildError(
            f"xlwings_custom_addin.bas khai báo DLL phiên bản {sorted(found)} nhưng xlwings đã cài là "
            f"{xlwings.__version__}: hãy cài lại xlwings."
        )
    return {
        "xlwings": xlwings_src,
        RIBBON_MODULE: vba.ribbon_module(vba.read_text(files["ribbon_bas"]), __version__),
        vba.UDF_MODULE_NAME: vba.udf_module(UDF_PYTHON_MODULE, udfs.FUNCTIONS),
    }


def custom_ui() -> bytes:
    """Our ribbon XML, checked to be well-formed UTF-8."""
    import xml.etree.ElementTree as ET

    data = (SOURCE_DIR / CUSTOM_UI).read_bytes()
    try:
        ET.fromstring(data)
    except ET.ParseError as exc:
        raise BuildError(f"addin/customUI.xml không hợp lệ: {exc}") from None
    return data


def _inject_vba(base: Path, modules: dict[str, str], work: Path) -> Path:
    from pyopenvba import ExcelFile

    staged = work / "base.xlam"
    staged.write_bytes(base.read_bytes())
    out = work / "vba.xlam"
    with ExcelFile(staged) as book:
        project = book.vba_project()
        existing = {name.casefold() for name in book.module_names()}
        if SAMPLE_MODULE.casefold() in existing:
            project.delete_module(SAMPLE_MODULE)
        for name, source in modules.items():
            if name.casefold() in existing:
                book.set_module(name, source)
            else:
                project.add_module(name, source)
        book.save(out)
    with ExcelFile(out) as saved:
        problems = saved.validate()
    if problems:
        raise BuildError("pyOpenVBA báo dự án VBA không nhất quán: " + "; ".join(problems))
    return out


def _rezip(package: Path, replacements: dict[str, bytes], dest: Path) -> None:
    """Same parts in the same order, fixed time stamps and attributes: reproducible bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(buffer, "w") as out:
        names = src.namelist()
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            out.writestr(info, replacements.get(name, src.read(name)), compresslevel=6)
        for name in sorted(set(replacements) - set(names)):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, replacements[name], compresslevel=6)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(dest)


def build(output: Path) -> BuildInfo:
    """Build the add-in at `output` (.xlam); same inputs → same bytes."""
    if output.suffix.lower() != ".xlam":
        raise BuildError(f"Tệp add-in phải có đuôi .xlam (nhận được «{output.name}»).")
    files = source_files()
    _check_sources(files)
    modules = vba_modules()
    ribbon = custom_ui()
    with tempfile.TemporaryDirectory(prefix="tdkt-addin-") as tmp:
        package = _inject_vba(files["base"], modules, Path(tmp))
        _rezip(package, {CUSTOM_UI_PART: ribbon}, output)
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    return BuildInfo(output, digest, xlwings.__version__, __version__, tuple(modules))
