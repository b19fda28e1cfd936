"""Active learning: which pool items the next annotation round should hold (``annotate next-round``).
Above ``predict`` (the chosen items get its predictions) and ``annotate`` (they are pushed)."""
