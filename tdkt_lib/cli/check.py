"""`tdkt check` (Kiểm tra): list every problem of a bloc workbook or a unit form."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="Kiểm tra sổ tổng hợp hoặc phiếu chấm: liệt kê mọi vấn đề.")
    p.add_argument("file", type=Path, metavar="TỆP", help="Sổ tổng hợp (.xlsx) hoặc phiếu chấm của đơn vị")
    p.add_argument("--profile", metavar="HỒ_SƠ", help="Hồ sơ quy tắc (mặc định: hồ sơ ghi trong sổ)")
    p.add_argument("--json", action="store_true", help="In danh sách vấn đề dạng JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tdkt_lib.report import describe_issue
    from tdkt_lib.workbook.actions import check_file

    found = check_file(args.file, args.profile)
    for note in (p for p in found if p.is_note):
        print(describe_issue(note.as_dict()), file=sys.stderr)
    problems = [p for p in found if not p.is_note]
    if args.json:
        json.dump({"issues": [p.as_dict() for p in problems]}, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        for problem in problems:
            print(describe_issue(problem.as_dict()))
        blocking = sum(p.blocking for p in problems)
        print(f"Tổng cộng: {len(problems)} vấn đề, trong đó {blocking} lỗi phải sửa trước khi tính điểm."
              if problems else "Không có vấn đề nào: có thể tính điểm.")
    return 2 if any(p.blocking for p in problems) else 0
