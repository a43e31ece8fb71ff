"""`tdkt new`: a bloc workbook (sổ chấm điểm của khối) or one unit's form (phiếu chấm).

From CSV files (`--units`, `--criteria`) or from last year's bloc workbook (`--from`).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

DEFAULT_BLOC = "Khối thi đua"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "new", help="Lập sổ chấm điểm của khối (hoặc phiếu chấm của một đơn vị) từ CSV hay sổ năm trước.",
        description="Lập sổ chấm điểm của khối thi đua (.xlsx) hoặc phiếu chấm của một đơn vị (--form).")
    src = p.add_argument_group("nguồn (chọn một)")
    src.add_argument("--units", type=Path, metavar="TỆP_CSV", help="CSV đơn vị: unit,name,eligible,reason")
    src.add_argument("--criteria", type=Path, metavar="TỆP_CSV",
                     help="CSV tiêu chí: criterion,title,max,kind,coefficient,priority,section,disqualifying")
    src.add_argument("--from", dest="source", type=Path, metavar="SỔ_KHỐI",
                     help="Sổ của khối năm trước (.xlsx): lấy trang Đơn vị và Tiêu chí")
    p.add_argument("--profile", metavar="HỒ_SƠ",
                   help="Hồ sơ quy tắc (vd. hai-phong-2024) hoặc tệp .toml; mặc định: default "
                        "hoặc hồ sơ ghi trong sổ --from")
    p.add_argument("--bloc", metavar="TÊN_KHỐI",
                   help=f"Tên khối thi đua (mặc định «{DEFAULT_BLOC}» hoặc tên trong sổ --from)")
    p.add_argument("--year", type=int, metavar="NĂM", help="Năm thi đua (mặc định năm nay; với --from: năm của sổ + 1, "
                                            "hoặc đúng năm của sổ khi lập phiếu --form)")
    p.add_argument("--leader", metavar="TÊN", help="Trưởng khối")
    p.add_argument("--deputy", metavar="TÊN", help="Phó Trưởng khối")
    p.add_argument("--form", metavar="MÃ_ĐƠN_VỊ", help="Ghi phiếu chấm của đơn vị này thay cho sổ của khối")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="TỆP_RA", help="Tệp .xlsx sẽ ghi")
    p.set_defaults(run=run)


def _refuse(code: str, message: str, **where: object):
    from tdkt_lib.core.problems import InputError, error

    return InputError([error(code, message, **where)])


def run(args: argparse.Namespace) -> int:
    from tdkt_lib.adapters.profiles import load_profile
    from tdkt_lib.core.model import code_key
    from tdkt_lib.workbook.build import build_bloc_workbook, build_unit_form, save_workbook

    out: Path = args.output
    if out.suffix.lower() != ".xlsx":
        raise _refuse("BAD_OUTPUT", "Tệp ghi ra (-o) phải có đuôi .xlsx.", file=str(out))
    inputs = [p for p in (args.units, args.criteria, args.source) if p is not None]
    if args.source is not None and (args.units or args.criteria):
        raise _refuse("BAD_ARGUMENTS", "Dùng --from, hoặc --units và --criteria, không dùng cả hai.")
    if args.source is None and not (args.units and args.criteria):
        raise _refuse("BAD_ARGUMENTS", "Cần --units và --criteria (tệp CSV), hoặc --from <sổ năm trước .xlsx>.")
    for path in inputs:
        if out.exists() and path.exists() and out.resolve() == path.resolve():
            raise _refuse("OVERWRITE_INPUT", "Không ghi đè lên tệp đầu vào: chọn tên khác cho -o.", file=str(out))
    if not out.resolve().parent.is_dir():
        raise _refuse("BAD_OUTPUT", f"Thư mục {out.parent} không tồn tại.", file=str(out))

    previous: dict[str, object] = {}
    if args.source is not None:
        from tdkt_lib.workbook.start import read_previous

        units, table, previous = read_previous(args.source)
    else:
        from tdkt_lib.adapters.csv_input import read_criteria, read_units
        from tdkt_lib.core.problems import InputError

        problems = []
        units = table = None
        try:
            units = read_units(args.units)
        except InputError as exc:
            problems += exc.problems
        try:
            table = read_criteria(args.criteria)
        except InputError as exc:
            problems += exc.problems
        if problems:
            raise InputError(problems)
    if not units:
        raise _refuse("NO_UNITS", "Danh sách đơn vị trống.")
    if not table.criteria:
        raise _refuse("NO_CRITERIA", "Bảng điểm chưa có tiêu chí nào.")

    profile = load_profile(args.profile or previous.get("profile") or None)
    year = args.year
    if year is None:
        old = previous.get("year")
        # Next year's workbook from an old one; a form from a bloc workbook is for that same year.
        year = (old + (0 if args.form else 1)) if isinstance(old, int) else dt.date.today().year
    if not 1980 <= year <= 2200:
        raise _refuse("BAD_YEAR", f"Năm {year} không hợp lệ.")
    bloc = args.bloc or str(previous.get("bloc") or "") or DEFAULT_BLOC
    if args.form:
        unit = next((u for u in units if code_key(u.code) == code_key(args.form)), None)
        if unit is None:
            codes = ", ".join(u.code for u in units)
            raise _refuse("UNKNOWN_UNIT", f"Đơn vị «{args.form}» không có trong danh sách đơn vị ({codes}).")
        wb = build_unit_form(units, table, profile, unit.code, bloc=bloc, year=year)
        what = f"Phiếu chấm của {unit.code}"
    else:
        wb = build_bloc_workbook(units, table, profile, bloc=bloc, year=year,
                                 leader=args.leader or "", deputy=args.deputy or "")
        what = "Sổ chấm điểm của khối"
    save_workbook(wb, out)
    print(f"{what} «{bloc}» năm {year} ({len(units)} đơn vị, {len(table.criteria)} tiêu chí, "
          f"hồ sơ {profile.id}): {out}")
    return 0
