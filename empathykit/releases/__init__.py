"""Published data sets: one reader per release and the registry
(:mod:`~empathykit.releases.registry`) that push, export and train read
``DATASET:PATH`` through.

Modules:

- ``common``: What every release reader shares
- ``configs``: What each published data set becomes as an export (one config per task variant)
- ``epitome``: The EPITOME release (Sharma et al
- ``labelled``: Readers of released single-text data sets with one label per text
- ``readers``: Readers that turn released data sets into records ready for ``annotate push``
"""
