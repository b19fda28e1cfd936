"""What every post reader shares: what reading found besides posts (``ReadReport``),
the signal that sends a file from Arrow's fast JSON path back to the Python path, and
opening compressed files."""

from __future__ import annotations

import bz2
import gzip
import lzma
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from empathykit.errors import InputError
from empathykit.pipelines.ids import IdReport


class FastPathUnavailable(Exception):
    """The Arrow JSON reader cannot read this file; the caller restarts on the Python path."""


@dataclass
class ReadReport:
    """What reading the inputs found besides posts."""

    files: list[str] = field(default_factory=list)
    posts: int = 0
    bad_lines: int = 0
    bad_examples: list[str] = field(default_factory=list)
    control_records: int = 0
    corrupt_members: list[str] = field(default_factory=list)
    ids: IdReport = field(default_factory=IdReport)
    empty_files: list[str] = field(default_factory=list)

    def bad(self, where: str, problem: str, skip: bool) -> None:
        if not skip:
            raise InputError(
                f"{where}: {problem}", hint="fix or remove that line, or pass --skip-bad to skip and count bad lines"
            )
        self.bad_lines += 1
        if len(self.bad_examples) < 5:
            self.bad_examples.append(f"{where}: {problem}")

    def as_dict(self) -> dict:
        return {
            "files": self.files,
            "posts": self.posts,
            "bad_lines": self.bad_lines,
            "bad_examples": self.bad_examples,
            "control_records": self.control_records,
            "corrupt_members": self.corrupt_members,
            "ids": self.ids.as_dict(),
            "empty_files": self.empty_files,
        }


_COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def open_source(path: Path, mode: str = "rb"):
    opener = _COMPRESSED.get(path.suffix.lower())
    return opener(path, mode) if opener else open(path, mode)


def repeat_string(value: str, n: int) -> pa.Array:
    return pc.fill_null(pa.nulls(n, pa.string()), value)
