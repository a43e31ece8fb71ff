"""Acceptance harness: run tdkt on every file of a corpus as an officer's machine would, and judge it.

For every workbook (.xlsx, .xlsm, .xls, or any file that is not .csv) of CORPUS, recursively:
`tdkt score FILE -o OUT --json` and `tdkt check FILE --json`; for every folder holding
units.csv, criteria.csv and scores.csv: `tdkt score --units … --criteria … --scores … --json`.
Each run is a subprocess under an address-space limit (RLIMIT_AS, default 4 GB) and a timeout
(default 60 s). A run passes when:

- it exits 0 or 2 (1 is an internal error; a signal or the timeout is a crash or a hang),
- stderr holds no Python traceback, and a refusal (exit 2) says something,
- stdout is exactly one JSON document,
- every input file is byte-identical afterwards and nothing new appears beside it.

Usage: python tools/acceptance.py CORPUS [--timeout 60] [--memory-gb 4] [--jobs 2] [--report FILE]
Exit status: 0 when every run passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

CSV_TRIPLE = ("units.csv", "criteria.csv", "scores.csv")
TDKT = [sys.executable, "-c", "from tdkt_lib.cli import entry_point; entry_point()"]


@dataclass
class Outcome:
    """One tdkt run and the verdict on it."""

    label: str
    args: list[str]
    exit: int | None = None
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    first_message: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def limit_memory(gigabytes: float):
    """preexec_fn: cap the child's address space (RLIMIT_AS) so a bomb fails instead of swapping."""
    limit = int(gigabytes * 2**30)

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def run_one(label: str, args: list[str], inputs: list[Path], timeout: float, memory_gb: float) -> Outcome:
    """Run tdkt with `args` and judge the run (exit, traceback, JSON, untouched inputs)."""
    outcome = Outcome(label, args)
    before = {p: digest(p) for p in inputs}
    neighbours = {p.parent: sorted(x.name for x in p.parent.iterdir()) for p in inputs}
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "TDKT_DEBUG": ""}
    start = time.monotonic()
    try:
        done = subprocess.run([*TDKT, *args], capture_output=True, timeout=timeout, env=env,
                              preexec_fn=limit_memory(memory_gb), check=False)
    except subprocess.TimeoutExpired:
        outcome.seconds = time.monotonic() - start
        outcome.problems.append(f"hang: no answer within {timeout:.0f} s")
        return outcome
    outcome.seconds = time.monotonic() - start
    outcome.exit = done.returncode
    out = done.stdout.decode("utf-8", "replace")
    err = done.stderr.decode("utf-8", "replace")
    outcome.first_message = next((line for line in err.splitlines() if line.strip()), "")[:300]
    if done.returncode not in (0, 2):
        kind = "internal error (exit 1)" if done.returncode == 1 else f"crash (exit {done.returncode})"
        outcome.problems.append(f"{kind}: {err.strip()[-400:]}")
    if "Traceback (most recent call last)" in err or "Traceback (most recent call last)" in out:
        outcome.problems.append("traceback printed")
    if done.returncode == 2 and not (err.strip() or out.strip()):
        outcome.problems.append("refused without any message")
    if "--json" in args and done.returncode in (0, 2):
        try:
            doc = json.loads(out)
        except ValueError:
            outcome.problems.append("stdout is not one JSON document")
        else:
            errors = [i for i in doc.get("issues", []) if isinstance(i, dict) and i.get("severity") == "error"]
            if done.returncode == 2 and errors and not outcome.first_message:
                outcome.first_message = f"[LỖI] {errors[0].get('message', '')}"[:300]
    for path, value in before.items():
        if not path.exists():
            outcome.problems.append(f"input removed: {path}")
        elif digest(path) != value:
            outcome.problems.append(f"input changed: {path}")
    for folder, names in neighbours.items():
        now = sorted(x.name for x in folder.iterdir())
        if now != names:
            outcome.problems.append(f"files appeared or vanished beside the input: {sorted(set(now) ^ set(names))}")
    return outcome


def plan(corpus: Path, out_dir: Path) -> list[tuple[str, list[str], list[Path]]]:
    """Every run to make: (label, tdkt arguments, input files)."""
    runs: list[tuple[str, list[str], list[Path]]] = []
    files = sorted(p for p in corpus.rglob("*") if p.is_file())
    triples = sorted({p.parent for p in files if p.name == "units.csv"
                      and all((p.parent / name).is_file() for name in CSV_TRIPLE)})
    for number, path in enumerate(p for p in files if p.suffix.lower() != ".csv"):
        label = str(path.relative_to(corpus))
        out = out_dir / f"{number:04d}-{path.stem[:40]}{path.suffix if path.suffix else '.xlsx'}"
        runs.append((f"score {label}", ["score", str(path), "-o", str(out), "--json"], [path]))
        runs.append((f"check {label}", ["check", str(path), "--json"], [path]))
    for folder in triples:
        paths = [folder / name for name in CSV_TRIPLE]
        args = ["score", "--units", str(paths[0]), "--criteria", str(paths[1]), "--scores", str(paths[2]), "--json"]
        runs.append((f"score CSV {folder.relative_to(corpus) or '.'}", args, paths))
    return runs


def run_corpus(corpus: Path, timeout: float = 60, memory_gb: float = 4, jobs: int = 2) -> list[Outcome]:
    """Run and judge every planned run of the corpus."""
    with tempfile.TemporaryDirectory(prefix="tdkt-acceptance-") as out_dir:
        runs = plan(corpus, Path(out_dir))
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            return list(pool.map(lambda r: run_one(*r, timeout=timeout, memory_gb=memory_gb), runs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run tdkt on every file of a corpus and judge each run.")
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per run (default 60)")
    parser.add_argument("--memory-gb", type=float, default=4.0, help="address-space limit per run (default 4)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2)")
    parser.add_argument("--report", type=Path, help="write the outcomes as JSON to this file")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"acceptance: {args.corpus} is not a folder", file=sys.stderr)
        return 2
    outcomes = run_corpus(args.corpus, args.timeout, args.memory_gb, args.jobs)
    for outcome in outcomes:
        verdict = "ok  " if outcome.ok else "FAIL"
        print(f"{verdict} exit={outcome.exit!s:4} {outcome.seconds:6.2f}s  {outcome.label}")
        if outcome.first_message and outcome.exit == 2:
            print(f"       {outcome.first_message}")
        for problem in outcome.problems:
            print(f"       !! {problem}")
    failed = [o for o in outcomes if not o.ok]
    exits = {code: sum(o.exit == code for o in outcomes) for code in sorted({o.exit for o in outcomes}, key=str)}
    print(f"\n{len(outcomes)} runs, {len(failed)} failed; exits: {exits}; "
          f"slowest {max((o.seconds for o in outcomes), default=0):.1f} s")
    if args.report:
        args.report.write_text(json.dumps([asdict(o) | {"ok": o.ok} for o in outcomes], ensure_ascii=False, indent=1),
                               encoding="utf-8")
    return 0 if not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
