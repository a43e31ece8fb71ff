"""tools/acceptance.py on a small corpus of valid and hostile files (zip bomb, entity bombs included)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

from hostile import (
    Cell,
    as_xlsm,
    cell_ref,
    lying_bomb,
    names_of,
    rezip,
    unzip,
    with_cells,
    with_entity_bomb,
    zip_bomb,
)

from tdkt_lib.core.legacy_text import TCVN3, encode
from tdkt_lib.workbook.demo import run_demo

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def load_harness():
    spec = importlib.util.spec_from_file_location("acceptance", TOOLS / "acceptance.py")
    module = importlib.util.module_from_spec(spec)
    assert spec and spec.loader
    sys.modules["acceptance"] = module
    spec.loader.exec_module(module)
    return module


def build_corpus(root: Path, example: Path) -> dict[str, set[int]]:
    """Write the corpus; return the exits each file's runs may give."""
    demo = run_demo(root / "_build")
    bloc, form = demo.bloc.read_bytes(), demo.forms[1].read_bytes()
    shutil.rmtree(root / "_build")
    books = root / "so"
    books.mkdir()
    names = names_of(unzip(bloc))
    sheet, ref = cell_ref(names, "tdkt_s02_grid", 1, 2)
    files = {
        "khoi-hop-le.xlsx": (bloc, {0}),
        "phieu-hop-le.xlsx": (form, {0, 2}),             # score on a form: explained refusal
        "phieu-macro.xlsm": (as_xlsm(form), {0, 2}),
        "khoi-chu-trong-o-diem.xlsx": (with_cells(bloc, [(sheet, ref, Cell("s", "chín"))]), {2}),
        "khoi-cong-thuc.xlsx": (with_cells(bloc, [(sheet, ref, Cell("f", "1+1"))]), {2}),
        "khoi-loi-ref.xlsx": (with_cells(bloc, [(sheet, ref, Cell("e", "#REF!"))]), {2}),
        "cu.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096, {2}),
        "mat-khau.xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\1" * 4096, {2}),
        "cat-cut.xlsx": (bloc[: len(bloc) // 3], {2}),
        "khong-phai-zip.xlsx": (b"%PDF-1.4 not a workbook", {2}),
        "thieu-thanh-phan.xlsx": (rezip({k: v for k, v in unzip(bloc).items() if "worksheets" not in k}), {2}),
        "bom-zip.xlsx": (zip_bomb(form, size=400 * 2**20), {2}),           # 400 MB of zeros inside
        "bom-zip-khai-sai.xlsx": (lying_bomb(form, 256), {2}),             # header says 20 KB, holds 256 MB
        "bom-xml-sharedstrings.xlsx": (with_entity_bomb(form, "sharedStrings"), {0, 2}),
        "bom-xml-sheet.xlsx": (with_entity_bomb(form, "sheet"), {2}),
        "bom-xml-workbook.xlsx": (with_entity_bomb(form, "workbook"), {2}),
        "khong-duoi": (bloc, {0}),
    }
    expected: dict[str, set[int]] = {}
    for name, (data, exits) in files.items():
        (books / name).write_bytes(data)
        expected[f"score so/{name}"] = exits if name != "khoi-hop-le.xlsx" else {0}
        expected[f"check so/{name}"] = exits if name != "phieu-hop-le.xlsx" else {0}
    big = books / "rat-lon.xlsx"
    with big.open("wb") as handle:
        handle.write(b"PK\x03\x04")
        handle.truncate(201 * 2**20)       # sparse
    expected["score so/rat-lon.xlsx"] = expected["check so/rat-lon.xlsx"] = {2}
    triples = {
        "hop-le": {},
        "ten-tcvn3": {"units.csv": lambda text: "\n".join(
            ",".join([cells[0], encode(cells[1], TCVN3), *cells[2:]]) if i else line
            for i, line in enumerate(text.splitlines()) for cells in [line.split(",")])},
        "diem-chu": {"scores.csv": lambda text: text.replace(",14.5\n", ",mười bốn\n", 1)},
        "diem-am": {"scores.csv": lambda text: text.replace(",14.5\n", ",-14.5\n", 1)},
        "thieu-diem": {"scores.csv": lambda text: "\n".join(text.splitlines()[:-3]) + "\n"},
        "khong-utf8": {},      # units.csv saved as Windows-1258 below
    }
    codes = {"hop-le": {0}, "ten-tcvn3": {0}}
    for folder, edits in triples.items():
        target = root / "csv" / folder
        target.mkdir(parents=True)
        for name in ("units.csv", "criteria.csv", "scores.csv"):
            text = (example / name).read_text(encoding="utf-8")
            text = edits.get(name, lambda t: t)(text)
            legacy = folder == "khong-utf8" and name == "units.csv"
            (target / name).write_bytes(text.encode("cp1258", "replace") if legacy else text.encode("utf-8"))
        expected[f"score CSV csv/{folder}"] = codes.get(folder, {2})
    return expected


def test_acceptance_harness_on_a_small_hostile_corpus(tmp_path, example, capsys):
    harness = load_harness()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    expected = build_corpus(corpus, example)
    outcomes = harness.run_corpus(corpus, timeout=60, memory_gb=4, jobs=2)
    by_label = {o.label: o for o in outcomes}
    assert set(by_label) == set(expected)
    for label, outcome in by_label.items():
        assert outcome.ok, (label, outcome.problems)
        assert outcome.exit in expected[label], (label, outcome.exit, outcome.first_message)
        if outcome.exit == 2:     # a Vietnamese message, on stderr or in the JSON issues
            assert "[LỖI]" in outcome.first_message or "Chưa" in outcome.first_message, (label, outcome.first_message)
    assert max(o.seconds for o in outcomes) < 60
    # The command line of the harness: exit 0, one line per run.
    assert harness.main([str(corpus), "--jobs", "2", "--report", str(tmp_path / "report.json")]) == 0
    printed = capsys.readouterr().out
    assert f"{len(expected)} runs, 0 failed" in printed
    assert (tmp_path / "report.json").exists()


def test_harness_flags_an_internal_error_a_traceback_and_a_changed_input(tmp_path, monkeypatch):
    """The harness itself: a fake tdkt that misbehaves is caught."""
    harness = load_harness()
    target = tmp_path / "in.xlsx"
    target.write_bytes(b"x")
    script = ("import sys, pathlib; p = pathlib.Path(sys.argv[-2] if sys.argv[-1] == '--json' else sys.argv[-1]); "
              "p.write_bytes(b'changed'); print('Traceback (most recent call last):', file=sys.stderr); sys.exit(1)")
    monkeypatch.setattr(harness, "TDKT", [sys.executable, "-c", script])
    outcome = harness.run_one("check in.xlsx", ["check", str(target), "--json"], [target], 30, 4)
    text = " ".join(outcome.problems)
    assert "internal error" in text and "traceback" in text and "input changed" in text
