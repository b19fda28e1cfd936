"""What choosing and training in the loop need installed, checked before any other work.

``annotate next-round`` and ``loop`` score a pool with a trained model (torch, transformers) and
pick with scikit-activeml (the ``loop`` extra); without them they used to fail in a long
traceback after minutes of pulling, exporting and training. ``find_spec`` looks without
importing, so the check costs nothing and ``--help`` stays instant.
"""

from __future__ import annotations

import importlib.util

from empathykit.errors import MissingDependencyError

#: module -> the extra that installs it
NEEDED = {"torch": "train", "transformers": "train", "accelerate": "train", "sklearn": "train", "skactiveml": "loop"}
TORCH_FIRST = "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu (CPU; for CUDA the build from pytorch.org), then "


def require_libraries(command: str) -> None:
    """One line naming what to install when a library the loop needs is missing."""
    missing = [name for name in NEEDED if _absent(name)]
    if not missing:
        return
    extras = sorted({NEEDED[name] for name in missing} | {"loop"})
    install = f'.venv/bin/pip install -e ".[{",".join(["train", *[e for e in extras if e != "train"]])}]"'
    raise MissingDependencyError(
        f"{command} needs the trainer's and the loop's libraries; not installed: {', '.join(missing)}",
        hint=(TORCH_FIRST if "torch" in missing else "") + install + " in the checkout",
    )


def _absent(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is None
    except (ImportError, ValueError):  # a module hidden or broken counts as absent
        return True
