"""Aggregation of annotations, splits, and Hugging Face dataset export.

``exports.load(path, task)`` reads a config of an export folder (see
:mod:`empathykit.exports.loading`).

Modules:

- ``aggregate``: From tidy annotations (one row per annotation × field) to one row per item
- ``annotation_configs``: Annotation exports
- ``card``: The dataset card's facts and body for annotation exports
- ``choices``: The closed sets of export options, in a module light enough for the CLI to build its ...
- ``epitome_csv``: The EPITOME release's CSV format, read row for row and written back
- ``flows``: Which export runs for a source and a format, and which options it takes
- ``hf``: Export aggregated annotations as a Hugging Face ``DatasetDict``
- ``hub``: ``--push-to-hub REPO``
- ``importers``: ``empathykit export DATASET:PATH``
- ``vectorised``: The per-item aggregation of ``aggregate.aggregate`` as pandas group-bys, for tables ...
- ``writer``: The one writer of export folders (annotation exports and ``DATASET:PATH`` imports)
"""

from empathykit.exports.loading import load

__all__ = ["load"]
