"""Layers point down, and nothing hides a cycle.

The layer contract itself lives in pyproject.toml (``[tool.importlinter]``);
these tests run it, and add the two rules import-linter does not state: no
circle between two files of one package, and function-level imports only for
libraries too heavy to load at start (so a lazy import never hides a cycle).
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "empathykit"

#: Third-party libraries a function may import lazily: slow to import, or only
#: in an extra, so ``empathykit --help`` stays instant and a missing extra is one line.
HEAVY = {
    "torch",
    "transformers",
    "datasets",
    "sentence_transformers",
    "usearch",
    "dask",
    "distributed",
    "matplotlib",
    "label_studio_sdk",
    "accelerate",
    "safetensors",
    "sklearn",
    "scipy",
    "crowdkit",
    "huggingface_hub",
    "optuna",
    "fastapi",
    "uvicorn",
    "starlette",
    "skactiveml",
    "tweepy",
    "krippendorff",
    "pandas",
    "pyarrow",
    "numpy",
    "yaml",
    "psycopg",
    "psycopg2",
}


def _lint_imports() -> str:
    found = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(found).exists():
        pytest.fail("lint-imports is missing: install import-linter (the [test] extra)")
    return found


def test_layer_contract_is_kept():
    result = subprocess.run(
        [_lint_imports(), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "KEPT" in result.stdout


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> list[tuple[str, bool, bool]]:
    """``(module, at_top_level, guarded_by_try)`` of every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        if isinstance(node, ast.ImportFrom) and node.module:
            names += [f"{node.module}.{a.name}" for a in node.names]
        chain, up = [], parents.get(node)
        while up is not None:
            chain.append(up)
            up = parents.get(up)
        in_function = any(isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)) for p in chain)
        guarded = any(isinstance(p, ast.Try) for p in chain)
        found += [(name, not in_function, guarded) for name in names if name]
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for target, _, _ in _imports(path):
            if target in modules and target != name:
                edges[name].add(target)
    return edges


def _circles(edges: dict[str, set[str]]) -> list[str]:
    circles = []
    for start in edges:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in edges[node]:
                if nxt == start:
                    circles.append(" -> ".join(path + [start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + [nxt]))
    return sorted(set(circles))


def test_no_circle_between_files():
    circles = _circles(_graph())
    assert not circles, "import circles:\n" + "\n".join(circles[:20])


def test_the_circle_check_finds_circles():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        "a -> b -> c -> a",
        "b -> c -> a -> b",
        "c -> a -> b -> c",
    ]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_function_level_imports_only_for_heavy_libraries():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "cli" in path.relative_to(PACKAGE).parts:
            continue  # commands import their library lazily so `--help` stays instant
        for name, top_level, guarded in _imports(path):
            root = name.split(".")[0]
            if top_level or guarded or root in HEAVY:
                continue
            if name.startswith("empathykit.xapi"):
                continue  # the X API client pulls in tweepy
            offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert not offenders, "function-level imports of light modules (move them to the top):\n" + "\n".join(
        sorted(set(offenders))
    )


def _private_names_imported(path: Path) -> list[str]:
    """``module.name`` for each private name (not a private module) ``path`` imports from empathykit."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("empathykit")):
            continue
        for alias in node.names:
            target = ROOT.joinpath(*f"{node.module}.{alias.name}".split("."))
            is_module = target.with_suffix(".py").exists() or target.is_dir()
            if alias.name.startswith("_") and not alias.name.startswith("__") and not is_module:
                found.append(f"{node.module}.{alias.name}")
    return found


def test_no_private_name_is_imported_across_modules():
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for name in _private_names_imported(path)
    ]
    assert not offenders, "private names imported from another module (make them public in their home):\n" + "\n".join(
        offenders
    )


def test_the_private_name_check_finds_one(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from empathykit.io import _describe, check_output\nfrom empathykit.cli import _common\n")
    assert _private_names_imported(module) == ["empathykit.io._describe"]


def test_every_layer_of_the_contract_is_required():
    import tomllib

    layers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]["layers"]
    optional = [layer for layer in layers if "(" in layer]
    assert not optional, f"optional layers (a missing package would pass silently): {optional}"
    listed = {name.strip() for layer in layers for name in layer.split("|")}
    packages = {f"empathykit.{p.name}" for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages <= listed, f"packages outside the layer contract: {sorted(packages - listed)}"


def test_every_package_docstring_names_its_modules():
    missing = []
    for init in sorted(PACKAGE.rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        for module in sorted(init.parent.glob("*.py")):
            if module.stem != "__init__" and not re.search(rf"\b{re.escape(module.stem)}\b", doc):
                missing.append(f"{init.parent.relative_to(ROOT)}: {module.stem}")
    assert not missing, "modules their package's docstring does not name:\n" + "\n".join(missing)
