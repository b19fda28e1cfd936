"""Active learning: which pool items the next annotation round should hold (``annotate next-round``).
Above ``predict`` (the chosen items get its predictions) and ``annotate`` (they are pushed).

Modules:

- ``choices``: The closed sets of active learning, in a module light enough for the CLI to build its ...
- ``needs``: What choosing and training in the loop need installed, checked before any other work
- ``nextround``: ``annotate next-round``
- ``outputs``: What active learning reads from a trained model
- ``strategies``: Which pool items are most worth annotating next
"""
