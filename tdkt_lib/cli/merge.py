"""`tdkt merge` (Gộp phiếu): bring unit forms and CSV scores into the bloc workbook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("merge", help="Gộp phiếu chấm của các đơn vị (.xlsx, .csv) vào sổ tổng hợp.")
    p.add_argument("bloc", type=Path, metavar="SỔ_KHỐI", help="Sổ tổng hợp của khối (.xlsx)")
    p.add_argument("sources", type=Path, nargs="+", metavar="PHIẾU",
                   help="Phiếu chấm .xlsx hoặc CSV scorer,unit,criterion,points")
    p.add_argument("-o", "--output", type=Path, metavar="TỆP_RA", help="Ghi vào tệp này thay vì cập nhật sổ tại chỗ")
    p.add_argument("--replace", action="store_true", help="Cho phép thay điểm đã gộp trước đó bằng điểm mới")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tdkt_lib.report import describe_issue
    from tdkt_lib.workbook.merge import merge_files

    outcome = merge_files(args.bloc, args.sources, args.output, args.replace)
    for problem in outcome.problems:
        print(describe_issue(problem.as_dict()), file=sys.stderr)
    if outcome.written is None:
        print("Chưa gộp: còn lỗi ở trên; sổ tổng hợp không bị thay đổi.", file=sys.stderr)
        return 2
    for scorer, source in sorted(outcome.merged.items()):
        print(f"Đã gộp phiếu của {scorer} từ {source}")
    print(f"Sổ tổng hợp: {outcome.written}")
    return 0
