"""Write workbooks safely: atomic replace, a backup when updating in place, an update lock;
the update itself is a package patch (tdkt_lib.workbook.package): only what tdkt owns is rewritten."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tdkt_lib.core.problems import InputError, error

if TYPE_CHECKING:
    from tdkt_lib.workbook.package import Patch

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


def save_patch(source: Path, out: Path | None, patch: Patch) -> Path:
    """Apply `patch` to `source` (only what tdkt owns is rewritten, every other part copied
    byte for byte) and write it to `out`, or over `source` with a backup; atomically."""
    from tdkt_lib.workbook.package import PackageError, patch_package

    target = out or source
    if out is not None and out.resolve() == source.resolve():
        out = None

    def write(temp: Path) -> None:
        try:
            patch_package(source, temp, patch)
        except PackageError as exc:
            raise InputError([error("UPDATE_FAILED", f"Không cập nhật được sổ: {exc} Tệp gốc không bị thay đổi.",
                                    file=source.name)]) from None
        except (zipfile.BadZipFile, zlib.error, ValueError, KeyError, UnicodeDecodeError, EOFError):
            raise InputError([error(
                "CORRUPT_FILE", "Cấu trúc tệp bị hỏng nên không cập nhật được; tệp gốc không bị thay đổi. Mở tệp "
                "bằng Excel, lưu lại dạng .xlsx rồi chạy lại.", file=source.name)]) from None

    write_atomically(target, write, backup_of=None if out is not None else source)
    return target


def load_for_update(path: Path) -> Any:
    """Open a workbook with openpyxl for writing (macros kept, never run). Only the ribbon
    simulator uses this; tdkt's own updates patch the package (save_patch)."""
    import openpyxl

    return openpyxl.load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm", keep_links=True)


def save(book: Any, source: Path, out: Path | None) -> Path:
    """Save an openpyxl `book` (read from `source`) to `out`, or over `source` with a backup."""
    target = out or source
    if out is not None and out.resolve() == source.resolve():
        out = None
    book.calculation.fullCalcOnLoad = True
    write_atomically(target, lambda temp: book.save(temp), backup_of=None if out is not None else source)
    return target
