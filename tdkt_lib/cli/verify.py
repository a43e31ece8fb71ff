"""`tdkt verify`: check that the results in a bloc workbook were not edited after scoring."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="Kiểm chứng: điểm, hạng, danh sách thẩm định có bị sửa sau khi tính không.")
    p.add_argument("file", type=Path, metavar="SỔ_KHỐI", help="Sổ tổng hợp đã tính điểm (.xlsx)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tdkt_lib.report import describe_issue
    from tdkt_lib.workbook.verify import verify_file

    problems = verify_file(args.file)
    for problem in problems:
        print(describe_issue(problem.as_dict()))
    if problems:
        print(f"KHÔNG NGUYÊN VẸN: {len(problems)} chỗ khác với kết quả tính điểm.")
        return 2
    print("NGUYÊN VẸN: dữ liệu, điểm, hạng và danh sách thẩm định khớp với lần tính điểm đã ghi.")
    return 0
