"""`tdkt profiles`: list the rule profiles and show what each one says."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("profiles", help="Liệt kê hồ sơ quy tắc và văn bản nguồn.")
    p.add_argument("name", nargs="?", help="Xem chi tiết một hồ sơ")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tdkt_lib.adapters.profiles import load_profile, profile_names

    names = [args.name] if args.name else profile_names()
    for name in names:
        profile = load_profile(name)
        print(f"{profile.id}: {profile.title}")
        print(f"  Văn bản: {profile.source.get('document', '')}")
        if args.name:
            print(f"  Cách tính: {profile.describe_method()}")
            print(f"  Chuỗi phân hạng: {' → '.join(profile.tie_break)}")
            for key, day in profile.deadlines.items():
                print(f"  Hạn {key}: {day}")
            if profile.defaulted:
                print(f"  Lấy theo mặc định (văn bản không quy định): {', '.join(profile.defaulted)}")
    return 0
