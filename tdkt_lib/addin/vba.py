"""VBA source text for the add-in: the UDF wrappers, the `xlwings` module, ASCII checks.

`xlwings.udfs.generate_vba_wrapper` cannot be imported on Linux (it imports pywin32 at
module level), and on Linux `xw.func` leaves no `__xlfunc__` metadata. So the wrapper text
is generated here from the functions' signatures, line for line as xlwings 0.37.8 writes it
for a function with default options (call_in_wizard=True, volatile=False) in an add-in
(`ActiveWorkbook`). tests/test_addin_vba.py checks it against xlwings' own generator.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from pathlib import Path

CRLF = "\r\n"
MAX_VBA_LINE = 1024  # xlwings' VBAWriter.MAX_VBA_LINE_LENGTH
UDF_MODULE_NAME = "xlwings_udfs"
PROJECT_NAME = "tdkt"
_PROJECT_LINE = re.compile(r'^(Public Const PROJECT_NAME As String = )"[^"]*"', re.MULTILINE)
_DLL_NAME = re.compile(r'"xlwings(?:32|64)-([0-9][0-9A-Za-z.+-]*)\.dll"')
_VERSION_CONST = re.compile(r'^(Public Const TDKT_VERSION As String = )"[^"]*"', re.MULTILINE)


class VbaSourceError(ValueError):
    """A VBA source that cannot go into the add-in (not ASCII, unexpected template...)."""


def to_crlf(text: str) -> str:
    """VBA modules are stored with CRLF line ends."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", CRLF)


def non_ascii(text: str) -> list[tuple[int, str]]:
    """(line number, line) of every line holding a non-ASCII character."""
    return [(i, line) for i, line in enumerate(text.splitlines(), start=1) if not line.isascii()]


def require_ascii(name: str, text: str) -> None:
    bad = non_ascii(text)
    if bad:
        line, content = bad[0]
        raise VbaSourceError(
            f"Mô-đun VBA «{name}» có ký tự không phải ASCII ở dòng {line}: {content.strip()!r}. "
            "VBA lưu theo bảng mã 1252 nên chữ tiếng Việt sẽ thành «?»: hãy để chữ tiếng Việt ở "
            "customUI.xml hoặc trong Python."
        )


class _Writer:
    """The indentation rules of xlwings' VBAWriter (4 spaces per level, labels one level out)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.indent = 0

    def line(self, text: str) -> None:
        full = "    " * self.indent + text
        if len(full) > MAX_VBA_LINE:
            raise VbaSourceError(f"Dòng VBA dài quá {MAX_VBA_LINE} ký tự: {full[:60]}…")
        self.lines.append(full)

    def label(self, text: str) -> None:
        self.indent -= 1
        self.line(text + ":")
        self.indent += 1


def _signature(func: Callable[..., object]) -> tuple[list[str], set[str], str | None]:
    """Argument names, those with defaults, and the *args name (xlwings rejects **kwargs)."""
    names: list[str] = []
    optional: set[str] = set()
    vararg = None
    for p in inspect.signature(func).parameters.values():
        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
            names.append(p.name)
            if p.default is not inspect.Parameter.empty:
                optional.add(p.name)
        elif p.kind is inspect.Parameter.VAR_POSITIONAL:
            names.append(p.name)
            vararg = p.name
        else:
            raise VbaSourceError(f"Hàm {func.__name__}: xlwings không hỗ trợ tham số kiểu {p.kind}.")
    if vararg and optional:
        raise VbaSourceError(f"Hàm {func.__name__}: xlwings không hỗ trợ vừa tham số tuỳ chọn vừa *args.")
    return names, optional, vararg


def udf_wrapper(module_name: str, func: Callable[..., object], writer: _Writer | None = None) -> list[str]:
    """The VBA Function that forwards one UDF to Python (XLPy.CallUDF)."""
    w = writer or _Writer()
    fname = func.__name__
    names, optional, vararg = _signature(func)
    parts = []
    for name in names:
        prefix = "Optional " if name in optional else "ParamArray " if name == vararg else ""
        parts.append(prefix + name + ("()" if name == vararg else ""))
    w.line(f"Function {fname}(" + ", ".join(parts) + ")")
    w.indent += 1
    if vararg:
        fixed = [n for n in names if n != vararg]
        w.line("Dim argsArray() As Variant")
        w.line("argsArray = Array(" + ", ".join(fixed) + ")")
        w.line(f"ReDim Preserve argsArray(0 to UBound({vararg}) - LBound({vararg}) + {len(fixed)})")
        w.line(f"For k = LBound({vararg}) To UBound({vararg})")
        w.line(f"argsArray({len(fixed)} + k - LBound({vararg})) = {vararg}(k)")
        w.line("Next k")
        args_vba = "argsArray"
    else:
        args_vba = "Array(" + ", ".join(names) + ")"
    w.line('#If App = "Microsoft Excel" Then')
    w.indent += 1
    w.line("If TypeOf Application.Caller Is Range Then On Error GoTo failed")
    w.line(f'{fname} = XLPy.CallUDF("{module_name}", "{fname}", {args_vba}, ActiveWorkbook, Application.Caller)')
    w.line("Exit Function")
    w.indent -= 1
    w.line("#Else")
    w.indent += 1
    w.line(f'{fname} = XLPy.CallUDF("{module_name}", "{fname}", {args_vba})')
    w.line("Exit Function")
    w.indent -= 1
    w.line("#End If")
    w.label("failed")
    w.line(f"{fname} = Err.Description")
    w.indent -= 1
    w.line("End Function")
    w.line("")
    return w.lines


def udf_module(module_name: str, functions: Iterable[Callable[..., object]]) -> str:
    """The whole `xlwings_udfs` module, as xlwings' "Import Functions" writes it (CRLF)."""
    w = _Writer()
    w.line(f'Attribute VB_Name = "{UDF_MODULE_NAME}"')
    w.line("'Autogenerated code by xlwings - changes will be lost with next import!")
    w.line("#Const App = \"Microsoft Excel\" 'Adjust when using outside of Excel")
    # xlwings walks dir(module): functions in name order
    for func in sorted(functions, key=lambda f: f.__name__):
        if not func.__name__.isascii() or not func.__name__.isidentifier():
            raise VbaSourceError(f"Tên hàm {func.__name__!r} phải là ASCII.")
        udf_wrapper(module_name, func, w)
    text = CRLF.join(w.lines) + CRLF
    require_ascii(UDF_MODULE_NAME, text)
    return text


def _with_constant(module: str, text: str, pattern: re.Pattern[str], value: str, missing: str) -> str:
    """Set one VBA string constant (it must appear exactly once); CRLF line ends; ASCII only."""
    text, count = pattern.subn(rf'\g<1>"{value}"', text)
    if count != 1:
        raise VbaSourceError(missing)
    text = to_crlf(text)
    require_ascii(module, text)
    return text


def xlwings_module(template: str, project_name: str = PROJECT_NAME) -> str:
    """xlwings' `xlwings_custom_addin.bas` with PROJECT_NAME set (config: %USERPROFILE%\\.tdkt\\tdkt.conf)."""
    return _with_constant("xlwings", template, _PROJECT_LINE, project_name,
                          "Không tìm thấy hằng PROJECT_NAME trong xlwings_custom_addin.bas của xlwings.")


def ribbon_module(source: str, version: str) -> str:
    """Our callback module with TDKT_VERSION set to the tdkt version being built."""
    return _with_constant("TdktRibbon", source, _VERSION_CONST, version, "TdktRibbon.bas thiếu hằng TDKT_VERSION.")


def dll_versions(source: str) -> set[str]:
    """Versions in the `xlwingsNN-<version>.dll` names the VBA declares."""
    return set(_DLL_NAME.findall(source))


def tdkt_version(source: str) -> str | None:
    found = _VERSION_CONST.search(source)
    return found.group(0).rsplit('"', 2)[1] if found else None


def read_text(path: Path) -> str:
    """A VBA source file from disk (must be ASCII)."""
    data = path.read_bytes()
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise VbaSourceError(f"Tệp {path.name} có ký tự không phải ASCII.") from None
