"""`tdkt score` (Tính điểm): rank a bloc from CSV files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="Tính điểm và xếp hạng khối (từ CSV).",
                       description="Tính điểm, xếp hạng và lập danh sách thẩm định.")
    p.add_argument("--units", type=Path, required=True, help="CSV đơn vị: unit,name,eligible,reason")
    p.add_argument("--criteria", type=Path, required=True,
                   help="CSV tiêu chí: criterion,title,max,kind,coefficient,priority,section,disqualifying")
    p.add_argument("--scores", type=Path, required=True, help="CSV điểm (dạng dài): scorer,unit,criterion,points")
    p.add_argument("--profile", help="Tên hồ sơ quy tắc (vd. hai-phong-2024) hoặc đường dẫn tệp .toml")
    p.add_argument("--votes", type=Path, help="CSV số phiếu bầu: unit,votes")
    p.add_argument("--voters", type=int, help="Số người bỏ phiếu (để kiểm tra ngưỡng suy tôn)")
    p.add_argument("--json", action="store_true", help="In đúng một tài liệu JSON ra stdout")
    p.set_defaults(run=run)


def emit(doc: dict, as_json: bool) -> None:
    """Print a result: JSON only on stdout, or the Vietnamese table."""
    if as_json:
        from tdkt_lib.report import describe_issue

        for issue in doc["issues"]:
            print(describe_issue(issue), file=sys.stderr)
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        from tdkt_lib.report import render_ranking

        print(render_ranking(doc))


def run(args: argparse.Namespace) -> int:
    from tdkt_lib.service import score_csv

    result = score_csv(args.units, args.criteria, args.scores, args.profile, args.votes, args.voters)
    emit(result.as_json(), args.json)
    return 0 if result.ranked else 2
