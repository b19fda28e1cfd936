"""`empathykit export`."""

from __future__ import annotations


def export_command() -> None:
    """Aggregate pulled annotations into a Hugging Face dataset."""
    raise NotImplementedError
