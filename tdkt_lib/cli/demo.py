"""`tdkt demo`: the built-in Hải Phòng bloc, from blank forms to the appraisal list."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="Chạy ví dụ có sẵn: khối 7 đơn vị của Hải Phòng, từ phiếu đến danh sách thẩm định.")
    p.add_argument("--dir", type=Path, default=Path("tdkt-demo"), metavar="THƯ_MỤC",
                   help="Thư mục ghi sổ và phiếu (mặc định ./tdkt-demo)")
    p.add_argument("--json", action="store_true", help="In kết quả dạng JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tdkt_lib.cli.score import emit
    from tdkt_lib.workbook.demo import run_demo

    demo = run_demo(args.dir)
    emit(demo.outcome.doc, args.json, demo.outcome.result.notes)
    print(f"Phiếu chấm của 7 đơn vị: {demo.forms[0].parent}", file=sys.stderr)
    print(f"Sổ tổng hợp đã tính điểm: {demo.outcome.written}", file=sys.stderr if args.json else sys.stdout)
    return 0 if demo.outcome.result.ranked else 2
