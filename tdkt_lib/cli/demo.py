"""`tdkt demo`: the built-in Hải Phòng example, scored end to end."""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path


def example_dir() -> Path:
    return Path(str(resources.files("tdkt_lib.examples") / "hai-phong-7"))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="Chạy ví dụ có sẵn: khối 7 đơn vị của Hải Phòng.")
    p.add_argument("--json", action="store_true", help="In kết quả dạng JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tdkt_lib.cli.score import emit
    from tdkt_lib.service import score_csv

    folder = example_dir()
    result = score_csv(folder / "units.csv", folder / "criteria.csv", folder / "scores.csv", "hai-phong-2024")
    emit(result.as_json(), args.json)
    return 0 if result.ranked else 2
