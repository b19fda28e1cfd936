#!/usr/bin/env bash
# The tests must pass on a clone with nothing beside it. Clone the committed tree into an
# empty folder and run the tests that read data sets there, without EMPATHYKIT_TEST_DATA
# (the whole-release tests skip) and without Label Studio; fail on an absolute path of a
# machine in tests, benchmarks or docs. Uses this checkout's .venv (run scripts/test.sh first).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$PWD/.venv/bin/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q . "$work/empathykit"
cd "$work/empathykit"
if git grep -nE '(^|[ "'\''(=:])/(work|home|Users|root|mnt)/' -- tests benchmarks docs README.md; then
    echo "clone check: absolute paths of a machine above" >&2
    exit 1
fi
# the clone's package, not the editable install of the checkout
"$PY" -c 'import empathykit, os, sys; f = empathykit.__file__; sys.exit(0 if f.startswith(os.getcwd()) else "imported " + f)'
env -u EMPATHYKIT_TEST_DATA "$PY" -m pytest -q -p no:cacheprovider -m "not studio and not slow" -rs \
    tests/test_importers.py tests/test_epitome_csv.py tests/test_schemas_readers.py tests/test_lexicon.py \
    tests/test_lexicon_cli.py tests/test_agreement_cli.py tests/test_train_similarity.py
