"""Benchmark the ribbon's «Tính điểm» on a 20-unit × 120-criterion bloc through xlwings' remote engine.

Run:  python benchmarks/bench_ribbon.py [--repeats 5] [--keep FOLDER]

The bloc workbook is built with tdkt_lib.workbook.build and every score grid is filled with
random 2-decimal points (48,000 scores). What is timed for the ribbon is the Python time of the
handler on `xw.Book(json=payload)`: read once, compute, plan, undo record, write actions — the
payload building (openpyxl reading the file, done by Excel in real use) is excluded. Beside it,
`tdkt score FILE -o OUT` is timed as a whole process on the same file. Target (issue 4): ≤ 1.0 s.
The remote engine needs XLWINGS_LICENSE_KEY (set to «noncommercial» here, as `simulate` does).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tdkt_lib.adapters.profiles import load_profile
from tdkt_lib.core.model import Unit, code_key
from tdkt_lib.workbook import layout
from tdkt_lib.workbook.build import build_bloc_workbook
from tdkt_lib.workbook.snapshot import parse_reference

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import make_table

UNITS, CRITERIA, TARGET = 20, 120, 1.0


def make_bloc(path: Path, seed: int = 2024) -> None:
    """Build the bloc workbook and type random 2-decimal scores into every grid."""
    rng = random.Random(seed)
    table = make_table(rng)
    units = tuple(Unit(f"DV{u:02d}", f"Đơn vị số {u}") for u in range(1, UNITS + 1))
    wb = build_bloc_workbook(units, table, load_profile(None), bloc="Khối thử nghiệm 20 đơn vị", year=2024,
                             leader="DV01", deputy="DV02")
    maxima = {code_key(c.code): c.maximum for c in table.criteria}
    names = wb.defined_names
    for index in range(1, UNITS + 1):
        grid_sheet, (min_col, min_row, max_col, max_row) = parse_reference(
            names[layout.scorer_name(index, "grid")].attr_text)
        _, (codes_col, codes_row, _, _) = parse_reference(names[layout.scorer_name(index, "codes")].attr_text)
        ws = wb[grid_sheet]
        for i in range(max_row - min_row + 1):
            maximum = maxima.get(code_key(str(ws.cell(codes_row + i, codes_col).value or "")))
            if maximum is None:
                continue                      # a section row: no score
            for col in range(min_col, max_col + 1):
                ws.cell(min_row + i, col).value = round(rng.uniform(0.6, 1.0) * float(maximum), 2)
    wb.save(path)


def time_handler(path: Path, repeats: int) -> tuple[list[float], str]:
    from tdkt_lib.addin.handlers import handle_score
    from tdkt_lib.addin.simulate import build_payload, remote_book

    payload = build_payload(path)                       # excluded: Excel builds it in real use
    times, message = [], ""
    for _ in range(repeats):
        book = remote_book(payload)
        start = time.perf_counter()
        outcome = handle_score(book)
        times.append(time.perf_counter() - start)
        message = outcome.message
        assert outcome.ok, outcome.message
        assert any(a["func"] == "setValues" for a in book.json()["actions"])
    return times, message


def time_cli(path: Path, out: Path, repeats: int) -> list[float]:
    tdkt = shutil.which("tdkt") or str(Path(sys.executable).with_name("tdkt"))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run([tdkt, "score", str(path), "-o", str(out)], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"tdkt score failed:\n{done.stderr}")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="Keep the generated workbook in this folder")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="tdkt-bench-")) if args.keep is None else args.keep
    folder.mkdir(parents=True, exist_ok=True)
    bloc = folder / "khoi-20x120.xlsx"
    start = time.perf_counter()
    make_bloc(bloc)
    print(f"Bloc {UNITS} units × {CRITERIA} criteria ({UNITS * UNITS * CRITERIA:,} scores) built in "
          f"{time.perf_counter() - start:.1f} s: {bloc} ({bloc.stat().st_size // 1024} KB)")
    handler, message = time_handler(bloc, args.repeats)
    cli = time_cli(bloc, folder / "ket-qua.xlsx", max(3, args.repeats // 2))
    h, c = statistics.median(handler), statistics.median(cli)
    print(f"«Tính điểm» handler, remote engine (Python time, payload excluded): median {h:.3f} s "
          f"(min {min(handler):.3f}, max {max(handler):.3f}, {len(handler)} runs)  target ≤ {TARGET:.1f} s")
    print(f"`tdkt score FILE -o OUT`, whole process:                       median {c:.3f} s "
          f"(min {min(cli):.3f}, max {max(cli):.3f}, {len(cli)} runs)")
    print(message.splitlines()[0])
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if h <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
