"""`empathykit filter`."""

from __future__ import annotations


def filter_command() -> None:
    """Keep posts with an empathy-lexicon word and a topic term; mask links and users."""
    raise NotImplementedError
