"""`empathykit quickstart`."""

from __future__ import annotations


def quickstart_command() -> None:
    """Run the whole path on bundled sample tweets with a local Label Studio."""
    raise NotImplementedError
