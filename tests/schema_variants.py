"""The schema variants that the schema tests, with and without a server, run over."""

from __future__ import annotations

#: Every schema with each shape of options it offers.
VARIANTS = [
    ("seek-provide", {}),
    ("epitome", {}),
    ("epitome", {"mechanisms": ["interpretations"]}),
    ("story-pair", {}),
    ("story-pair", {"show": "summary"}),
    ("story-features", {}),
    ("emotion", {}),
    ("emotion", {"labels": "emolit"}),
    ("emotion", {"labels": ["awe", 'say "wow" & <smile>']}),
]


def ids(variant):
    name, options = variant
    return name + "".join(f"-{k}={v}" for k, v in options.items())
