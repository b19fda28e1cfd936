"""Published data sets: one reader per release and the registry
(:mod:`~empathykit.releases.registry`) that push, export and train read
``DATASET:PATH`` through.

Modules:

- ``common``: What every release reader shares
- ``epitome``: The EPITOME release (Sharma et al
- ``labelled``: Readers of released single-text data sets with one label per text
- ``readers``: Readers that turn released data sets into records ready for ``annotate push``
"""
