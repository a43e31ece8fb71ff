"""Shared fixtures: the built-in Hải Phòng example and a runner for the `tdkt` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tdkt_lib.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "tdkt_lib" / "examples" / "hai-phong-7"


@pytest.fixture
def example() -> Path:
    return EXAMPLE


class CliRun:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    @property
    def json(self) -> dict:
        return json.loads(self.out)


@pytest.fixture
def tdkt(capsys):
    """Run `tdkt ARGS…` in-process; return exit code, stdout and stderr."""

    def run(*args: object) -> CliRun:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say how many fuzz cases ran (tests/test_fuzz_inputs.py) and how long they took."""
    import sys

    hostile = sys.modules.get("hostile")
    fuzz = getattr(hostile, "FUZZ", None)
    if fuzz and fuzz.get("cases"):
        seconds = fuzz.get("last", 0) - fuzz.get("first", 0)
        terminalreporter.write_sep("=", f"fuzz: {int(fuzz['cases'])} cases ran in {seconds:.0f} s")
