"""Aggregation of annotations, splits, and Hugging Face dataset export.

``exports.load(path, task)`` reads a config of an export folder (see
:mod:`empathykit.exports.loading`)."""

from empathykit.exports.loading import load

__all__ = ["load"]
