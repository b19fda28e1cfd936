"""Published data sets: one reader per release and the registry
(:mod:`~empathykit.releases.registry`) that push, export and train read
``DATASET:PATH`` through."""
