"""What every release reader shares: problems reported without losing rows,
CSV rows read with the project's text decoding, and the text policy (Reddit's
HTML entities decoded)."""

from __future__ import annotations

import contextlib
import csv
import html
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from empathykit.errors import InputError
from empathykit.textfiles import not_utf8, text_encoding

log = logging.getLogger("empathykit")


@dataclass(frozen=True)
class ReadProblem:
    path: str
    line: int | None  # physical line of the CSV row (header is line 1)
    item_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        item = f" item {self.item_id!r}:" if self.item_id else ""
        return f"{where}:{item} {self.message}"


OnProblem = Callable[[ReadProblem], None]


def problem_reporter(on_problem: OnProblem | None) -> OnProblem:
    return on_problem or (lambda problem: log.warning("%s", problem))


# -- CSV ----------------------------------------------------------------------
def csv_rows(
    path: Path, required: tuple[str, ...] | Callable[[list[str]], str | None]
) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line, row)`` per CSV record with the header's names; ``required`` is
    the columns the file must have, or a check returning what is missing."""
    try:
        handle = path.open(newline="", encoding=text_encoding(path, expected="CSV text"))
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror}") from None
    with handle, _decoding(path):
        reader = csv.DictReader(handle)
        header = [name.strip() for name in (reader.fieldnames or [])]
        reader.fieldnames = header
        missing = (
            required(header) if callable(required) else (", ".join(c for c in required if c not in header) or None)
        )
        if missing:
            raise InputError(f"{path}: missing column(s) {missing}; found {header}")
        line = reader.line_num
        for row in reader:
            yield line + 1, {k: (v or "") for k, v in row.items() if k is not None}
            line = reader.line_num


@contextlib.contextmanager
def _decoding(path: Path) -> Iterator[None]:
    try:
        yield
    except UnicodeDecodeError:  # an odd byte past the sample text_encoding checked
        raise not_utf8(path, "past its first 64 KiB") from None


def csv_files(path: Path, pattern: str, what: str) -> list[Path]:
    if path.is_dir():
        files = sorted(path.glob(pattern))
        if not files:
            raise InputError(f"{path}: no {what} files ({pattern}) in this folder")
        return files
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    return [path]


def decode_text(text: str) -> str:
    """The one text policy for released text: HTML entities decoded. Reddit text
    arrives HTML-escaped, sometimes twice (``&amp;#x200B;``); annotators, exports
    and models all read the decoded text."""
    for _ in range(3):
        plain = html.unescape(text)
        if plain == text:
            break
        text = plain
    return text
