#!/usr/bin/env bash
# Install the toolkit into ./.venv and the Label Studio server into its own
# virtual environment, then run the whole test suite (a real Label Studio is
# started on a loopback port by the tests). Needs only Python 3.10+, pip, gcc.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e ".[test,train,loop,docs]"
# Label Studio pins many packages, so it lives in a venv of its own.
.venv/bin/empathykit studio install
# Lint and formatting first: a minute's check before the long suite (rules in pyproject.toml).
.venv/bin/ruff check empathykit tests benchmarks scripts docs
.venv/bin/ruff format --check -q empathykit tests benchmarks scripts docs
# --durations/-rs: the 15 slowest tests and why each skipped test skipped. Tests that need a
# whole data release read it from $EMPATHYKIT_TEST_DATA and skip without it (CI sets it).
.venv/bin/python -m pytest -q -p no:cacheprovider --durations=15 -rs "$@"
