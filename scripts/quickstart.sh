#!/usr/bin/env bash
# Install the toolkit into ./.venv, then run the main job on the embedded
# defaults: the bundled sample tweets are filtered with the empathy lexicon and
# pushed as a seek/provide project to a local Label Studio (installed in its own
# venv and started on 127.0.0.1). Prints the URL where the tasks are waiting.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
.venv/bin/empathykit quickstart "$@"
