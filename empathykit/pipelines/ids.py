"""Every collected post gets a usable id: the one it came with, else a stable
hash of its text.

An id is replaced by the hash (``sha1:`` + 16 hex digits of the text, as for
CSV rows without an id column) when it is empty, when it looks mangled by a
spreadsheet (``1.28E+18`` or ``1280000000000000000.0``: a float-formatted
tweet id, whose digits are gone), or when it repeats with a different text
(the first post keeps it; the same id with the same text is a post collected
twice, left for the filter's dedup). :class:`IdChecker` counts each case and
keeps the first examples; memory is 16 bytes per distinct id.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from empathykit.pipelines.posts import hash64

MANGLED_PATTERN = r"^\s*[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+\s*$|^\s*\d+\.0+\s*$"
EXAMPLES = 3


def text_ids(texts: pa.Array) -> pa.Array:
    return pa.array(
        ["sha1:" + hashlib.sha1((t or "").encode()).hexdigest()[:16] for t in texts.to_pylist()], pa.string()
    )


@dataclass
class IdReport:
    empty: int = 0
    mangled: int = 0
    conflicting: int = 0
    examples: dict[str, list[str]] = field(default_factory=lambda: {"empty": [], "mangled": [], "conflicting": []})

    @property
    def replaced(self) -> int:
        return self.empty + self.mangled + self.conflicting

    def note(self, kind: str, values: list[str]) -> None:
        setattr(self, kind, getattr(self, kind) + len(values))
        room = EXAMPLES - len(self.examples[kind])
        self.examples[kind] += values[: max(room, 0)]

    def messages(self) -> list[str]:
        what = {
            "empty": "posts had an empty id",
            "mangled": "ids look mangled by a spreadsheet (float-formatted)",
            "conflicting": "ids repeat with a different text",
        }
        return [
            f"{getattr(self, kind)} {what[kind]} (e.g. {', '.join(map(repr, self.examples[kind]))}); "
            "replaced by a hash of the text"
            for kind in what
            if getattr(self, kind)
        ]

    def as_dict(self) -> dict:
        return {
            "empty": self.empty,
            "mangled": self.mangled,
            "conflicting": self.conflicting,
            "replaced_by_text_hash": self.replaced,
            "examples": self.examples,
        }


class IdChecker:
    """Fix the ids of posts batches in order (see the module doc); ``report`` counts the fixes."""

    def __init__(self) -> None:
        self.report = IdReport()
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []  # sorted id hashes, their text hashes

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:

        ids, texts = batch.column("id"), batch.column("text")
        empty = ~pc.fill_null(pc.match_substring_regex(ids, r"\S"), False).to_numpy(zero_copy_only=False)
        mangled = pc.fill_null(pc.match_substring_regex(ids, MANGLED_PATTERN), False).to_numpy(zero_copy_only=False)
        id_keys = hash64(pc.fill_null(ids, ""))
        text_keys = hash64(pc.fill_null(texts, ""))
        conflicting = self._conflicts(id_keys, text_keys, ~(empty | mangled))
        bad = empty | mangled | conflicting
        if not bad.any():
            return batch
        values = ids.to_pylist()
        for kind, mask in (("empty", empty), ("mangled", mangled & ~empty), ("conflicting", conflicting)):
            self.report.note(kind, [values[i] if values[i] is not None else "" for i in np.flatnonzero(mask)])
        where = pa.array(bad)
        fixed = pc.if_else(where, text_ids(texts), ids)
        return batch.set_column(batch.schema.get_field_index("id"), "id", fixed)

    def _conflicts(self, id_keys: np.ndarray, text_keys: np.ndarray, usable: np.ndarray) -> np.ndarray:
        """Rows whose id was seen (earlier, or earlier in this batch) with another text; records the rest."""
        conflicting = np.zeros(len(id_keys), bool)
        for keys, texts in self.runs:
            at = np.minimum(np.searchsorted(keys, id_keys), len(keys) - 1)
            conflicting |= (keys[at] == id_keys) & (texts[at] != text_keys)
        conflicting &= usable
        rows = np.flatnonzero(usable & ~conflicting)
        order = rows[np.argsort(id_keys[rows], kind="stable")]
        keys, texts = id_keys[order], text_keys[order]
        first = np.ones(len(keys), bool)
        first[1:] = keys[1:] != keys[:-1]
        # within the batch: a later row with the first row's id but another text conflicts
        starts = np.maximum.accumulate(np.where(first, np.arange(len(keys)), 0))
        inner = texts != texts[starts]
        conflicting[order[inner]] = True
        seen = np.ones(len(keys), bool)
        if self.runs:
            for run_keys, _ in self.runs:
                at = np.minimum(np.searchsorted(run_keys, keys), len(run_keys) - 1)
                seen &= run_keys[at] != keys
        new = first & seen
        if new.any():
            self._add(keys[new], texts[new])
        return conflicting

    def _add(self, keys: np.ndarray, texts: np.ndarray) -> None:
        self.runs.append((keys, texts))
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            (k2, t2), (k1, t1) = self.runs.pop(), self.runs.pop()
            keys, texts = np.concatenate([k1, k2]), np.concatenate([t1, t2])
            order = np.argsort(keys, kind="stable")
            self.runs.append((keys[order], texts[order]))
