"""What choosing and training in the loop need installed, checked before any other work.

``annotate next-round`` and ``loop`` score a pool with a trained model (torch, transformers) and
pick with scikit-activeml (the ``loop`` extra); without them they used to fail in a long
traceback after minutes of pulling, exporting and training. ``find_spec`` looks without
importing, so the check costs nothing and ``--help`` stays instant.
"""

from __future__ import annotations

from empathykit.errors import TORCH_FIRST, MissingDependencyError, absent_modules

#: module -> the extra that installs it
NEEDED = {"torch": "train", "transformers": "train", "accelerate": "train", "sklearn": "train", "skactiveml": "loop"}


def require_libraries(command: str) -> None:
    """One line naming what to install when a library the loop needs is missing."""
    missing = absent_modules(NEEDED)
    if not missing:
        return
    extras = sorted({NEEDED[name] for name in missing} | {"loop"})
    install = f'.venv/bin/pip install -e ".[{",".join(["train", *[e for e in extras if e != "train"]])}]"'
    raise MissingDependencyError(
        f"{command} needs the trainer's and the loop's libraries; not installed: {', '.join(missing)}",
        hint=(TORCH_FIRST if "torch" in missing else "") + install + " in the checkout",
    )
