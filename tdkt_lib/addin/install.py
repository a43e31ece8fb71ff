"""`tdkt addin install | remove | status`: put tdkt.xlam where Excel loads it at start-up.

Excel opens every file in the user's XLSTART folder at start-up (Windows:
%APPDATA%\\Microsoft\\Excel\\XLSTART); an add-in there is not blocked like a downloaded
macro file. The interpreter goes into the add-in's user config file, which xlwings' custom
add-in VBA reads from %USERPROFILE%\\.tdkt\\tdkt.conf (PROJECT_NAME = "tdkt"), one
`"KEY","VALUE"` line each, as VBA's `Write #` writes it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ADDIN_NAME = "tdkt.xlam"
CONFIG_NAME = "tdkt.conf"
UDF_MODULES = "tdkt_lib.addin.udfs"
OUR_KEYS = ("INTERPRETER_WIN", "UDF MODULES")


class InstallError(RuntimeError):
    """Install/remove cannot go on; the message is Vietnamese."""


@dataclass
class Report:
    """Lines to print and whether everything is as it should be."""

    lines: list[str] = field(default_factory=list)
    ok: bool = True

    def add(self, text: str, ok: bool = True) -> None:
        self.lines.append(text)
        self.ok = self.ok and ok


# --------------------------------------------------------------------------- locations


def default_xlstart() -> Path:
    """The user's XLSTART folder (Windows); elsewhere the caller must pass --xlstart."""
    appdata = os.environ.get("APPDATA")
    if sys.platform == "win32" and appdata:
        return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"
    raise InstallError(
        "Chỉ tự tìm được thư mục XLSTART trên Windows (%APPDATA%\\Microsoft\\Excel\\XLSTART). "
        "Hãy chỉ rõ thư mục bằng --xlstart THƯ_MỤC."
    )


def default_config_dir() -> Path:
    """%USERPROFILE%\\.tdkt — where the add-in's VBA looks for tdkt.conf."""
    home = os.environ.get("USERPROFILE") if sys.platform == "win32" else None
    return Path(home or Path.home()) / ".tdkt"


def interpreter() -> Path:
    """This Python; on Windows its pythonw.exe (no console window) when there is one."""
    exe = Path(sys.executable)
    if sys.platform == "win32":
        windowless = exe.with_name("pythonw.exe")
        if windowless.is_file():
            return windowless
    return exe


# --------------------------------------------------------------------------- tdkt.conf


def _parse_conf(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        parts = [p.strip().strip('"') for p in line.split('","', 1)] if '","' in line else []
        if len(parts) == 2:
            values[parts[0]] = parts[1]
    return values


def _conf_encoding() -> str:
    # VBA's Input # reads the ANSI code page: "mbcs" is that code page on Windows.
    return "mbcs" if sys.platform == "win32" else "ascii"


def read_config(config_dir: Path) -> dict[str, str]:
    path = config_dir / CONFIG_NAME
    if not path.is_file():
        return {}
    data = path.read_bytes()
    try:
        return _parse_conf(data.decode(_conf_encoding()))
    except UnicodeDecodeError:
        return _parse_conf(data.decode("latin-1"))


def write_config(config_dir: Path, updates: dict[str, str | None]) -> Path:
    """Set (or, with None, drop) keys, keeping every other key the officer set."""
    values = read_config(config_dir)
    for key, value in updates.items():
        values.pop(key, None)
        if value is not None:
            values[key] = value
    path = config_dir / CONFIG_NAME
    if not values:
        path.unlink(missing_ok=True)
        return path
    config_dir.mkdir(parents=True, exist_ok=True)
    text = "".join(f'"{k}","{v}"\r\n' for k, v in values.items())
    try:
        path.write_bytes(text.encode(_conf_encoding()))
    except UnicodeEncodeError:
        raise InstallError(
            f"Đường dẫn «{updates.get('INTERPRETER_WIN')}» có ký tự mà Excel (VBA) không đọc được. "
            "Hãy cài Python vào thư mục chỉ có chữ không dấu, ví dụ C:\\tdkt\\python."
        ) from None
    return path


# --------------------------------------------------------------------------- actions


def _build_to(dest: Path) -> str:
    from tdkt_lib.addin.build import build

    return build(dest).sha256


def install(xlstart: Path, config_dir: Path, addin: Path | None = None) -> Report:
    """Build (or take `addin`), copy into XLSTART, write the interpreter into tdkt.conf."""
    report = Report()
    xlstart.mkdir(parents=True, exist_ok=True)
    target = xlstart / ADDIN_NAME
    with tempfile.TemporaryDirectory(prefix="tdkt-install-") as tmp:
        staged = Path(tmp) / ADDIN_NAME
        if addin is None:
            _build_to(staged)
        elif not addin.is_file():
            raise InstallError(f"Không tìm thấy tệp add-in «{addin}».")
        else:
            shutil.copyfile(addin, staged)
        try:
            shutil.copyfile(staged, target)
        except PermissionError:
            raise InstallError(
                f"Không ghi được «{target}»: Excel đang mở add-in này. Hãy đóng hết Excel rồi chạy lại."
            ) from None
    report.add(f"Đã cài add-in: {target}")
    python = interpreter()
    conf = write_config(config_dir, {"INTERPRETER_WIN": str(python), "UDF MODULES": UDF_MODULES})
    report.add(f"Đã ghi trình thông dịch Python vào {conf}: {python}")
    if not str(python).isascii():
        report.add("Cảnh báo: đường dẫn Python có dấu tiếng Việt; Excel có thể không tìm thấy Python.", ok=False)
    report.add("Hãy mở lại Excel: thẻ «Thi đua – Khen thưởng» sẽ hiện trên thanh công cụ (ribbon).")
    return report


def remove(xlstart: Path, config_dir: Path) -> Report:
    """Delete the add-in from XLSTART and our keys from tdkt.conf (other keys stay)."""
    report = Report()
    target = xlstart / ADDIN_NAME
    if target.exists():
        try:
            target.unlink()
        except PermissionError:
            raise InstallError(
                f"Không xoá được «{target}»: Excel đang mở add-in này. Hãy đóng hết Excel rồi chạy lại."
            ) from None
        report.add(f"Đã gỡ add-in: {target}")
    else:
        report.add(f"Không có add-in tdkt trong {xlstart}: không có gì để gỡ.")
    if any(key in read_config(config_dir) for key in OUR_KEYS):
        conf = write_config(config_dir, dict.fromkeys(OUR_KEYS))
        report.add(f"Đã xoá cấu hình Python của tdkt khỏi {conf}.")
    return report


def addin_versions(path: Path) -> tuple[str | None, set[str]]:
    """(tdkt version, xlwings DLL versions) written in an add-in's VBA."""
    from pyopenvba import ExcelFile

    from tdkt_lib.addin import vba

    with ExcelFile(path) as book:
        modules = {name.casefold(): source for name, source in book.vba_modules().items()}
    return vba.tdkt_version(modules.get("tdktribbon", "")), vba.dll_versions(modules.get("xlwings", ""))


def status(xlstart: Path, config_dir: Path) -> Report:
    """What is installed, and whether it matches this tdkt and xlwings."""
    import xlwings

    from tdkt_lib import __version__

    report = Report()
    target = xlstart / ADDIN_NAME
    if not target.is_file():
        report.add(f"Chưa cài add-in: không có {target}. Chạy «tdkt addin install».", ok=False)
    else:
        report.add(f"Add-in đã cài: {target}")
        try:
            tdkt_in_addin, xlwings_in_addin = addin_versions(target)
        except Exception:
            report.add("Không đọc được VBA của add-in đã cài (tệp hỏng?). Chạy lại «tdkt addin install».", ok=False)
        else:
            same = tdkt_in_addin == __version__
            report.add(f"Phiên bản tdkt trong add-in: {tdkt_in_addin or 'không rõ'}; đã cài: {__version__}"
                       + ("" if same else " — KHÔNG KHỚP"), ok=same)
            same = xlwings_in_addin == {xlwings.__version__}
            shown = ", ".join(sorted(xlwings_in_addin)) or "không rõ"
            report.add(f"Phiên bản xlwings trong add-in: {shown}; đã cài: {xlwings.__version__}"
                       + ("" if same else " — KHÔNG KHỚP (Excel sẽ không nạp được xlwings)"), ok=same)
            with tempfile.TemporaryDirectory(prefix="tdkt-status-") as tmp:
                fresh = _build_to(Path(tmp) / ADDIN_NAME)
            same = fresh == hashlib.sha256(target.read_bytes()).hexdigest()
            report.add("Add-in trùng khớp từng byte với bản dựng từ tdkt đang cài." if same else
                       "Add-in khác bản dựng từ tdkt đang cài (đã sửa addin/ hoặc cài bản khác): "
                       "chạy lại «tdkt addin install».", ok=same)
    conf = read_config(config_dir)
    python = conf.get("INTERPRETER_WIN")
    if not python:
        report.add(f"Chưa đặt trình thông dịch Python trong {config_dir / CONFIG_NAME}.", ok=False)
    else:
        exists = Path(python).is_file()
        report.add(f"Python dùng cho Excel: {python}" + ("" if exists else " — KHÔNG TÌM THẤY TỆP"), ok=exists)
    report.add("Kết luận: sẵn sàng." if report.ok else "Kết luận: cần xử lý các mục ở trên.")
    return report
