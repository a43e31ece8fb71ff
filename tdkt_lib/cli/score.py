"""`tdkt score` (Tính điểm): rank a bloc from CSV files or from a bloc workbook."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "score", help="Tính điểm và xếp hạng khối (từ sổ tổng hợp .xlsx hoặc từ CSV).",
        description="Tính điểm, xếp hạng và lập danh sách thẩm định. Với sổ .xlsx: ghi các trang Xếp hạng, "
                    "Danh sách thẩm định, Kiểm tra và cột tdkt_ranks (tại chỗ, có bản sao lưu, hoặc vào -o).")
    p.add_argument("file", nargs="?", type=Path, metavar="SỔ_KHỐI", help="Sổ tổng hợp của khối (.xlsx)")
    p.add_argument("-o", "--output", type=Path, metavar="TỆP_RA",
                   help="Ghi kết quả vào tệp này thay vì cập nhật tại chỗ")
    p.add_argument("--units", type=Path, metavar="TỆP_CSV", help="CSV đơn vị: unit,name,eligible,reason")
    p.add_argument("--criteria", type=Path, metavar="TỆP_CSV",
                   help="CSV tiêu chí: criterion,title,max,kind,coefficient,priority,section,disqualifying")
    p.add_argument("--scores", type=Path, metavar="TỆP_CSV", help="CSV điểm (dạng dài): scorer,unit,criterion,points")
    p.add_argument("--profile", metavar="HỒ_SƠ", help="Tên hồ sơ quy tắc (vd. hai-phong-2024) hoặc đường dẫn tệp .toml")
    p.add_argument("--votes", type=Path, metavar="TỆP_CSV", help="CSV số phiếu bầu: unit,votes")
    p.add_argument("--voters", type=int, metavar="SỐ_NGƯỜI", help="Số người bỏ phiếu (để kiểm tra ngưỡng suy tôn)")
    p.add_argument("--json", action="store_true", help="In đúng một tài liệu JSON ra stdout")
    p.set_defaults(run=run)


def emit(doc: dict, as_json: bool, notes: list | None = None) -> None:
    """Print a result: JSON only on stdout (messages on stderr), or the Vietnamese table.

    `notes` (what tdkt did to the input, e.g. converted legacy text) always go to stderr.
    """
    from tdkt_lib.report import describe_issue

    for note in notes or []:
        print(describe_issue(note.as_dict()), file=sys.stderr)
    if as_json:
        for issue in doc["issues"]:
            print(describe_issue(issue), file=sys.stderr)
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        from tdkt_lib.report import render_ranking

        print(render_ranking(doc))


def run(args: argparse.Namespace) -> int:
    from tdkt_lib.core.problems import InputError, error
    from tdkt_lib.service import read_ballot

    csv_parts = (args.units, args.criteria, args.scores)
    if args.file is None:
        if not all(csv_parts):
            raise InputError([error("MISSING_ARGUMENT", "Cần sổ tổng hợp .xlsx, hoặc đủ ba tệp --units, --criteria, "
                                    "--scores.")])
        from tdkt_lib.service import score_csv

        result = score_csv(args.units, args.criteria, args.scores, args.profile, args.votes, args.voters)
        emit(result.as_json(), args.json, result.notes)
        return 0 if result.ranked else 2
    if any(csv_parts):
        raise InputError([error("MISSING_ARGUMENT", "Dùng sổ .xlsx hoặc các tệp CSV, không dùng cả hai.")])
    from tdkt_lib.workbook.actions import score_file

    outcome = score_file(args.file, args.output, args.profile, read_ballot(args.votes, args.voters))
    emit(outcome.doc, args.json, outcome.result.notes)
    if outcome.written is not None:
        print(f"Đã ghi kết quả vào: {outcome.written}", file=sys.stderr)
    else:
        print("Chưa xếp hạng: dữ liệu còn lỗi; tệp không bị thay đổi.", file=sys.stderr)
    return 0 if outcome.result.ranked else 2
