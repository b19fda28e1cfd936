"""The test process leaves nothing under the temporary folder: the two session folders conftest makes
(commands' state, the per-user server list) are removed when the process ends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_test_run_removes_its_session_folders(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("EMPATHYKIT_DIR", "EMPATHYKIT_STATE")}
    env["TMPDIR"] = str(tmp_path)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_ids.py", "-k", "not studio"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "passed" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("empathykit-tests-")) == []
