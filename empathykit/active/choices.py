"""The closed sets of active learning, in a module light enough for the CLI to build its
choices from at start (the strategies themselves import numpy)."""

#: How ``annotate next-round`` and ``loop`` choose the next items (``active.strategies.select``).
STRATEGIES = ("uncertainty", "margin", "entropy", "diversity", "random")
