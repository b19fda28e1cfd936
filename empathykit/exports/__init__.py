"""Aggregation of annotations, splits, and Hugging Face dataset export."""


def load(path, task=None):
    """Config ``task`` of an export folder as an ``ExportedDataset`` (see :mod:`empathykit.exports.loading`)."""
    from empathykit.exports.loading import load as _load

    return _load(path, task)
