"""Write workbooks safely: atomic replace, a backup when updating in place, no stale caches."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tdkt_lib.core.problems import InputError, error
from tdkt_lib.workbook.outputs import SheetPlan, WritePlan
from tdkt_lib.workbook.snapshot import parse_reference

LOCK_STALE_SECONDS = 600


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.tdkt-lock")


@contextlib.contextmanager
def update_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` from reading to writing, so two runs cannot interleave.

    Also refuses a workbook Excel has open (its `~$name` owner file is present).
    """
    owner = path.with_name(f"~${path.name}")
    if owner.exists():
        raise InputError([error(
            "FILE_OPEN_ELSEWHERE",
            "Tệp đang được mở trong Excel (có tệp khoá ~$ bên cạnh). Lưu và đóng tệp trong Excel rồi chạy lại; "
            "hoặc dùng nút trên thanh công cụ tdkt trong Excel.", file=path.name)])
    lock = lock_path(path)
    for _ in range(2):
        try:
            handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            with contextlib.suppress(FileNotFoundError):
                if time.time() - lock.stat().st_mtime > LOCK_STALE_SECONDS:
                    lock.unlink()
                    continue
            raise InputError([error(
                "FILE_LOCKED",
                "Một lệnh tdkt khác đang cập nhật tệp này. Đợi lệnh đó xong rồi chạy lại (nếu chắc chắn không có lệnh "
                f"nào đang chạy, xoá tệp {lock.name}).", file=path.name)]) from None
        except OSError as exc:
            raise InputError([error("WRITE_FAILED", f"Không tạo được khoá tệp ({exc.strerror}). Kiểm tra quyền ghi "
                                    "vào thư mục.", file=path.name)]) from None
    else:  # pragma: no cover - the stale lock reappeared between two attempts
        raise InputError([error("FILE_LOCKED", "Tệp đang bị khoá bởi một lệnh tdkt khác.", file=path.name)])
    try:
        os.write(handle, f"{os.getpid()}\n".encode())
        os.close(handle)
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()


def backup_path(path: Path) -> Path:
    """`bloc.xlsx` → `bloc.sao-luu.xlsx` (the state before the last update in place)."""
    return path.with_name(f"{path.stem}.sao-luu{path.suffix}")


def write_atomically(target: Path, write: Callable[[Path], None], *, backup_of: Path | None = None) -> None:
    """Write to a temp file beside `target`, then rename over it; back up `backup_of` first."""
    folder = target.resolve().parent
    handle, temp_name = tempfile.mkstemp(prefix=".tdkt-", suffix=target.suffix, dir=folder)
    os.close(handle)
    temp = Path(temp_name)
    try:
        write(temp)
        with temp.open("rb") as written:
            os.fsync(written.fileno())
        if backup_of is not None and backup_of.exists():
            _copy_atomically(backup_of, backup_path(backup_of))
        os.replace(temp, target)
    except OSError as exc:
        raise InputError([error(
            "WRITE_FAILED",
            f"Không ghi được tệp ({exc.strerror or exc}). Tệp gốc không bị thay đổi. Kiểm tra tệp có đang mở ở "
            "Excel không, ổ đĩa còn chỗ trống và quyền ghi vào thư mục.",
            file=str(target))]) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _copy_atomically(source: Path, target: Path) -> None:
    handle, temp_name = tempfile.mkstemp(prefix=".tdkt-", suffix=target.suffix, dir=target.resolve().parent)
    os.close(handle)
    try:
        shutil.copy2(source, temp_name)
        os.replace(temp_name, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)


def load_for_update(path: Path) -> Any:
    """Open a workbook with openpyxl for writing (macros kept, never run)."""
    import openpyxl

    return openpyxl.load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm", keep_links=True)


def save(book: Any, source: Path, out: Path | None) -> Path:
    """Save `book` (read from `source`) to `out`, or over `source` with a backup."""
    target = out or source
    if out is not None and out.resolve() == source.resolve():
        out = None
    book.calculation.fullCalcOnLoad = True
    write_atomically(target, lambda temp: book.save(temp), backup_of=None if out is not None else source)
    return target


def _output_sheet(book: Any, plan: SheetPlan) -> Any:
    """The sheet a defined name points at, emptied; or a new one (never an officer's own sheet)."""
    from openpyxl.workbook.defined_name import DefinedName

    defined = book.defined_names.get(plan.name)
    parsed = parse_reference(defined.attr_text) if defined is not None else None
    if parsed and parsed[0] in book.sheetnames:
        old = book[parsed[0]]
        index, title = book.index(old), old.title
        book.remove(old)
        sheet = book.create_sheet(title, index)
    else:
        title = plan.title
        while title in book.sheetnames:
            title = f"{title} (tdkt)"[:31]
        sheet = book.create_sheet(title)
    quoted = sheet.title.replace("'", "''")
    book.defined_names[plan.name] = DefinedName(plan.name, attr_text=f"'{quoted}'!$A$1")
    return sheet


def fill_sheet(sheet: Any, plan: SheetPlan) -> None:
    """Values and the light formatting of a plan (bold header, widths, print setup)."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    for r, row in enumerate(plan.rows, 1):
        for c, value in enumerate(row, 1):
            if value is not None and value != "":
                sheet.cell(r, c, value)
    width = max(len(plan.widths), 1)
    for c, w in enumerate(plan.widths, 1):
        sheet.column_dimensions[get_column_letter(c)].width = w
    bold = Font(bold=True)
    for r in plan.title_rows:
        sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
        sheet.cell(r, 1).font = Font(bold=True, size=13)
        sheet.cell(r, 1).alignment = Alignment(horizontal="center", wrap_text=True)
    if plan.header_row:
        for c in range(1, width + 1):
            cell = sheet.cell(plan.header_row, c)
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        sheet.print_title_rows = f"{plan.header_row}:{plan.header_row}"
        sheet.freeze_panes = sheet.cell(plan.header_row + 1, 1)
        for r in range(plan.header_row + 1, len(plan.rows) + 1):
            for c in plan.number_columns:
                sheet.cell(r, c).number_format = "0.00"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if plan.landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def apply_plan(book: Any, plan: WritePlan, ranks_ref: str) -> None:
    """Replace tdkt's output sheets and write the ranks into the tdkt_ranks cells."""
    for sheet_plan in plan.sheets:
        fill_sheet(_output_sheet(book, sheet_plan), sheet_plan)
    parsed = parse_reference(ranks_ref)
    assert parsed is not None
    sheet_title, (min_col, min_row, _, _) = parsed
    sheet = book[sheet_title]
    for i, rank in enumerate(plan.ranks):
        sheet.cell(min_row + i, min_col).value = rank
