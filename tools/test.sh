#!/usr/bin/env bash
# Sets up everything the test suite needs, then runs it. Fails (never skips) when it cannot.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'
# LibreOffice checks the templates' formulas; its Python bridge reads the add-in's VBA back.
if ! command -v soffice >/dev/null 2>&1 || ! /usr/bin/python3 -c "import uno" >/dev/null 2>&1; then
  echo "tools/test.sh: installing LibreOffice (libreoffice-calc-nogui, python3-uno)…" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libreoffice-calc-nogui python3-uno >/dev/null
fi
command -v soffice >/dev/null 2>&1 || { echo "tools/test.sh: LibreOffice (soffice) is required and could not be installed" >&2; exit 1; }
/usr/bin/python3 -c "import uno" || { echo "tools/test.sh: python3-uno is required and could not be installed" >&2; exit 1; }
.venv/bin/ruff check tdkt_lib tests benchmarks tools
.venv/bin/python -m pytest "$@"
