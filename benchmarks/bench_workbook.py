"""Benchmark tdkt on workbooks: `tdkt score` and `tdkt merge` as whole processes vs openpyxl.

Run:  python benchmarks/bench_workbook.py [--rounds 5] [--keep DIR]

Builds a 20-unit × 120-criterion bloc workbook (48,000 scores: every grid filled with random
2-decimal scores) with tdkt_lib.workbook.build, and the 20 unit forms (blank bloc + forms for
the merge). Every case runs in its own child process; the rounds alternate the cases (one of
each per round) and the figures are medians. Peak memory is ru_maxrss of each child (os.wait4).

Baselines are timed inside their child, after its imports (the strictest comparison); tdkt is
timed as a whole process from the parent, interpreter start-up and imports included.
Every child runs as an installed program does: with its bytecode cached (in a private
PYTHONPYCACHEPREFIX, even when PYTHONDONTWRITEBYTECODE is set, as on a development machine with
an editable install: otherwise tdkt would recompile its sources at every start while openpyxl
loads the .pyc files pip made). One untimed warm-up round fills that cache and the file cache.
Targets (issue 5): score ≤ 1.0× openpyxl load+save of the bloc and faster than LibreOffice;
merge ≤ 1.0× openpyxl loading the 20 forms; peak memory ≤ 2× openpyxl's.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

UNITS, CRITERIA = 20, 120
PY = sys.executable
TDKT = str(Path(sys.executable).with_name("tdkt"))

BASELINES = {
    "openpyxl load+save": """
import openpyxl
wb = openpyxl.load_workbook(BLOC)
wb.save(OUT)
""",
    "openpyxl read-only pass": """
import openpyxl
wb = openpyxl.load_workbook(BLOC, read_only=True)
n = sum(len(row) for ws in wb.worksheets for row in ws.iter_rows(values_only=True))
wb.close()
""",
    "python-calamine, every cell": """
from python_calamine import CalamineWorkbook
with CalamineWorkbook.from_path(BLOC) as wb:
    n = sum(len(row) for name in wb.sheet_names for row in wb.get_sheet_by_name(name).to_python())
""",
    "import numpy+pandas+openpyxl": """
import numpy, pandas, openpyxl
""",
    "openpyxl loading the 20 forms": """
import openpyxl
for form in FORMS:
    openpyxl.load_workbook(form)
""",
}
# LibreOffice profile setting: recalculate every formula when an OOXML file is loaded (as tests/lo.py).
LO_RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""
TIMER = """
import sys, time
BLOC, OUT, FORMS = sys.argv[1], sys.argv[2], sys.argv[3:]
{imports}
start = time.perf_counter()
{body}
print(time.perf_counter() - start)
"""


def build(folder: Path, seed: int = 7) -> tuple[Path, Path, list[Path]]:
    """(filled bloc, blank bloc, 20 filled forms)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_engine import make_table

    from tdkt_lib.adapters.profiles import load_profile
    from tdkt_lib.core.model import Unit
    from tdkt_lib.core.scores import Entry
    from tdkt_lib.workbook import layout
    from tdkt_lib.workbook.build import build_bloc_workbook, build_unit_form
    from tdkt_lib.workbook.demo import fill_form
    from tdkt_lib.workbook.snapshot import parse_reference

    rng = random.Random(seed)
    table = make_table(rng)
    units = tuple(Unit(f"DV{u:02d}", f"Đơn vị số {u}") for u in range(UNITS))
    profile = load_profile()
    entries = [Entry(s.code, u.code, c.code, Decimal(rng.randint(0, int(c.maximum * 100))) / 100)
               for s in units for u in units for c in table.criteria]
    blank = folder / "khoi-trong.xlsx"
    book = build_bloc_workbook(units, table, profile, bloc="Khối thử nghiệm", year=2024)
    book.save(blank)
    by_code = {(e.scorer, e.unit, e.criterion): e.value for e in entries}

    def cells(name: str):  # type: ignore[no-untyped-def]
        sheet, (c1, r1, c2, r2) = parse_reference(book.defined_names[name].attr_text)
        return book[sheet], r1, c1, r2, c2

    for index in range(1, UNITS + 1):
        ws, row, col, _, _ = cells(layout.scorer_name(index, "scorer"))
        scorer = ws.cell(row, col).value
        _, unit_row, first_col, _, last_col = cells(layout.scorer_name(index, "units"))
        _, first_row, code_col, last_row, _ = cells(layout.scorer_name(index, "codes"))
        for r in range(first_row, last_row + 1):
            code = ws.cell(r, code_col).value
            for c in range(first_col, last_col + 1):
                value = by_code.get((scorer, ws.cell(unit_row, c).value, code))
                if value is not None:
                    ws.cell(r, c).value = float(value)
    bloc = folder / "khoi.xlsx"
    book.save(bloc)
    forms = []
    for unit in units:
        form = build_unit_form(units, table, profile, unit.code, bloc="Khối thử nghiệm", year=2024)
        fill_form(form, [e for e in entries if e.scorer == unit.code])
        forms.append(folder / f"phieu-{unit.code}.xlsx")
        form.save(forms[-1])
    return bloc, blank, forms


def run_child(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int, str]:
    """(wall seconds, seconds printed by the child — else wall —, its peak RSS in KiB, stdout)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)     # this child's own rusage (ru_maxrss)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, errors = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])}… failed ({proc.returncode}): {errors[-2000:]}")
    lines = text.strip().splitlines()
    try:
        inner = float(lines[-1])
    except (ValueError, IndexError):
        inner = wall
    return wall, inner, usage.ru_maxrss, text


def lo_command(profile: Path, bloc: Path, outdir: Path) -> list[str]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise SystemExit("LibreOffice (soffice) is required: apt-get install -y libreoffice-calc-nogui")
    return [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--convert-to",
            "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir), str(bloc)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="keep the built workbooks in this folder")
    parser.add_argument("--build-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build(args.build_only)
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="tdkt-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    # Built in a child: on Linux a child's ru_maxrss starts from its parent's size at fork,
    # so the parent stays small (no openpyxl, no workbooks in memory).
    subprocess.run([PY, __file__, "--build-only", str(folder)], check=True)
    bloc, blank = folder / "khoi.xlsx", folder / "khoi-trong.xlsx"
    forms = sorted(folder.glob("phieu-*.xlsx"))
    print(f"Built a {UNITS}-unit × {CRITERIA}-criterion bloc ({UNITS * UNITS * CRITERIA:,} scores, "
          f"{bloc.stat().st_size // 1024} KB) and {len(forms)} forms in {time.perf_counter() - started:.1f} s")

    lo_profile = folder / "lo-profile"
    (lo_profile / "user").mkdir(parents=True, exist_ok=True)
    (lo_profile / "user" / "registrymodifications.xcu").write_text(LO_RECALC_ALWAYS, "utf-8")
    lo_out = folder / "lo-out"

    out = folder / "out.xlsx"
    cases: dict[str, list[str]] = {}
    for name, body in BASELINES.items():
        imports = "\n".join(line for line in body.strip().splitlines() if line.startswith(("import", "from")))
        code = "\n".join(line for line in body.strip().splitlines() if not line.startswith(("import", "from")))
        if name.startswith("import"):
            imports, code = "", body.strip()
        cases[name] = [PY, "-c", TIMER.format(imports=imports, body=code or "pass"), str(bloc), str(out),
                       *map(str, forms)]
    cases["LibreOffice headless recalculation"] = lo_command(lo_profile, bloc, lo_out)
    cases["tdkt score FILE -o OUT"] = [TDKT, "score", str(bloc), "-o", str(folder / "scored.xlsx")]
    cases["tdkt merge BLOC 20 forms -o OUT"] = [TDKT, "merge", str(blank), *map(str, forms), "-o",
                                               str(folder / "merged.xlsx")]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    for cmd in cases.values():      # warm-up: bytecode and file caches
        run_child(cmd, env)
    walls: dict[str, list[float]] = {k: [] for k in cases}
    inner: dict[str, list[float]] = {k: [] for k in cases}
    rss: dict[str, list[int]] = {k: [] for k in cases}
    for _ in range(args.rounds):
        for name, cmd in cases.items():
            wall, own, peak, _ = run_child(cmd, env)
            walls[name].append(wall)
            inner[name].append(own)
            rss[name].append(peak)

    def med(values: list[float]) -> float:
        return statistics.median(values)

    print(f"\nMedians of {args.rounds} alternated rounds (each case a child process).")
    print(f"{'case':<38}{'timed part':>12}{'whole process':>15}{'peak RSS':>11}")
    for name in cases:
        timed = med(inner[name]) if name in BASELINES else med(walls[name])
        print(f"{name:<38}{timed:>10.3f} s{med(walls[name]):>13.3f} s{med(rss[name]) / 1024:>8.0f} MB")

    score, merge = med(walls["tdkt score FILE -o OUT"]), med(walls["tdkt merge BLOC 20 forms -o OUT"])
    load_save, load_forms = med(inner["openpyxl load+save"]), med(inner["openpyxl loading the 20 forms"])
    lo_time = med(walls["LibreOffice headless recalculation"])
    score_rss, merge_rss = med(rss["tdkt score FILE -o OUT"]), med(rss["tdkt merge BLOC 20 forms -o OUT"])
    base_rss, forms_rss = med(rss["openpyxl load+save"]), med(rss["openpyxl loading the 20 forms"])
    rows = [
        ("tdkt score / openpyxl load+save", score / load_save, 1.0),
        ("tdkt score / LibreOffice recalculation", score / lo_time, 1.0),
        ("tdkt merge / openpyxl loading 20 forms", merge / load_forms, 1.0),
        ("peak RSS: score / openpyxl load+save", score_rss / base_rss, 2.0),
        ("peak RSS: merge / openpyxl loading 20 forms", merge_rss / forms_rss, 2.0),
    ]
    print(f"\n{'ratio':<46}{'value':>8}{'target':>9}")
    for label, value, target in rows:
        mark = "✓" if value <= target else "✗"
        print(f"{label:<46}{value:>7.2f}×{'≤ ' + format(target, 'g') + '×':>9} {mark}")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
