"""Every third-party module the package imports is declared in pyproject.toml (a dependency or an
extra), so a fresh machine that installs what the README says has it: a module that is only
present here because something else pulled it in fails this test, not CI on a clean machine."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
#: imported only inside ``try: ... except ImportError``, used when the user installed it
OPTIONAL = {"distributed": "a Dask cluster's client (pipelines/dask_runner.py), else Dask's local scheduler"}


def _imported_modules() -> dict[str, str]:
    """Top-level module -> the first file importing it, over every import in the package (lazy ones too)."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "empathykit").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [
        *project["dependencies"],
        *(r for extra in project["optional-dependencies"].values() for r in extra),
    ]
    return {_normal(re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0]) for r in requirements}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_third_party_import_is_declared():
    distributions = packages_distributions()
    declared = _declared()
    missing = []
    for module, where in sorted(_imported_modules().items()):
        if module in sys.stdlib_module_names or module == "empathykit" or module in OPTIONAL:
            continue
        names = {_normal(d) for d in distributions.get(module, [])}
        if not names:
            missing.append(f"{module} (imported in {where}) is not installed")
        elif not names & declared:
            missing.append(f"{module} (imported in {where}) comes from {sorted(names)}, not declared in pyproject.toml")
    assert missing == []
