"""`tdkt addin build | install | remove | status | simulate`: the Excel add-in (thẻ «Thi đua – Khen thưởng»)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("addin", help="Add-in Excel: dựng, cài, gỡ, kiểm tra.",
                       description="Add-in Excel «Thi đua – Khen thưởng» (xlwings).")
    p.set_defaults(run=lambda args: _usage(p))
    verbs = p.add_subparsers(dest="addin_command", metavar="VIỆC")

    b = verbs.add_parser("build", help="Dựng tệp add-in .xlam (không cần Excel).",
                         description="Dựng tdkt.xlam từ add-in gốc của xlwings đang cài.")
    b.add_argument("-o", "--output", type=Path, default=Path("tdkt.xlam"),
                   help="Tệp .xlam cần tạo (mặc định tdkt.xlam)")
    b.set_defaults(run=run_build)

    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--xlstart", type=Path,
                       help="Thư mục XLSTART (mặc định %%APPDATA%%\\Microsoft\\Excel\\XLSTART trên Windows)")
    where.add_argument("--config-dir", type=Path,
                       help="Thư mục cấu hình của add-in (mặc định %%USERPROFILE%%\\.tdkt)")

    i = verbs.add_parser("install", parents=[where], help="Cài add-in vào XLSTART và đặt Python cho Excel.",
                         description="Dựng add-in, chép vào XLSTART, ghi đường dẫn Python vào tdkt.conf.")
    i.add_argument("--from", dest="addin", type=Path, help="Cài tệp .xlam có sẵn thay vì dựng mới")
    i.set_defaults(run=run_install)
    r = verbs.add_parser("remove", parents=[where], help="Gỡ add-in khỏi XLSTART.")
    r.set_defaults(run=run_remove)
    s = verbs.add_parser("status", parents=[where], help="Xem add-in đã cài và phiên bản có khớp không.")
    s.set_defaults(run=run_status)

    m = verbs.add_parser(
        "simulate", help="Chạy thử một nút của ribbon không cần Excel (engine remote của xlwings).",
        description="Chạy một nút của thẻ «Thi đua – Khen thưởng» trên tệp qua engine remote của xlwings "
                    "(xlwings PRO, giấy phép phi thương mại; công cụ cho người phát triển và kiểm thử), "
                    "rồi áp dụng các thao tác trả về vào tệp bằng openpyxl.")
    m.add_argument("file", type=Path, help="Sổ tổng hợp (.xlsx/.xlsm) để chạy thử nút")
    m.add_argument("button_id", help="Mã nút: tdkt_check, tdkt_score, tdkt_appraisal, tdkt_merge, tdkt_undo")
    m.add_argument("-o", "--output", type=Path, help="Ghi kết quả vào tệp này thay vì cập nhật tại chỗ")
    m.add_argument("--actions", type=Path, help="Lưu các thao tác xlwings (book.json()) vào tệp JSON này")
    m.add_argument("--form", dest="forms", type=Path, action="append",
                   help="Phiếu chấm cho nút Gộp phiếu (lặp lại cho nhiều phiếu)")
    m.set_defaults(run=run_simulate)


def run_simulate(args: argparse.Namespace) -> int:
    from tdkt_lib.addin.simulate import run

    return run(args)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _fail(message: str) -> int:
    print(f"[LỖI] {message}", file=sys.stderr)
    return 2


def run_build(args: argparse.Namespace) -> int:
    from tdkt_lib.addin.build import BuildError, build

    try:
        info = build(args.output)
    except BuildError as exc:
        return _fail(str(exc))
    print(f"Đã dựng add-in: {info.path}")
    print(f"  tdkt {info.tdkt_version}, xlwings {info.xlwings_version}; mô-đun VBA: {', '.join(info.modules)}")
    print(f"  SHA-256: {info.sha256}")
    return 0


def _places(args: argparse.Namespace) -> tuple[Path, Path]:
    from tdkt_lib.addin.install import default_config_dir, default_xlstart

    return args.xlstart or default_xlstart(), args.config_dir or default_config_dir()


def _run(args: argparse.Namespace, verb: str) -> int:
    from tdkt_lib.addin import install
    from tdkt_lib.addin.build import BuildError

    try:
        xlstart, config_dir = _places(args)
        if verb == "install":
            report = install.install(xlstart, config_dir, args.addin)
        elif verb == "remove":
            report = install.remove(xlstart, config_dir)
        else:
            report = install.status(xlstart, config_dir)
    except (install.InstallError, BuildError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"Không thao tác được với tệp «{exc.filename}»: {exc.strerror}.")
    for line in report.lines:
        print(line)
    return 0 if report.ok else 2


def run_install(args: argparse.Namespace) -> int:
    return _run(args, "install")


def run_remove(args: argparse.Namespace) -> int:
    return _run(args, "remove")


def run_status(args: argparse.Namespace) -> int:
    return _run(args, "status")
