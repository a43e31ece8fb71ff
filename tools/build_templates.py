#!/usr/bin/env python3
"""Rebuild the committed templates in xlsx_templates/ (same as `python -m tdkt_lib.workbook.build --regenerate`).

tests/test_workbook_build.py fails when a committed template differs from a fresh build:
run this after changing the builder, the example data or a seed profile, then commit the files.
"""

from __future__ import annotations

import sys

from tdkt_lib.workbook.build import _main

if __name__ == "__main__":
    raise SystemExit(_main(["--regenerate", *sys.argv[1:]]))
