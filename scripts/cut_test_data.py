"""Cut the small samples of the public releases that the tests carry in tests/data/.

    python scripts/cut_test_data.py [RELEASES]   # RELEASES: default $EMPATHYKIT_TEST_DATA

RELEASES is the folder holding the whole releases (the layout of the data README:
epitome/, newsemp/, emolit/, empathic-stories/, aux/sst2/, aux/goemotions/). Records are
copied byte for byte in release order (a quoted field may span lines), so the cuts read
like the release and the EPITOME files still round-trip to identical bytes; re-running
gives the same files.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import shutil
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "data"
EPITOME_FILES = ("emotional-reactions-reddit.csv", "interpretations-reddit.csv", "explorations-reddit.csv")
# The first 60 pairs, plus rows the reader tests need: rationales not found in the response
# (554, 1317), a pair repeated with other rationales (246/2297) and with another level (5/2283),
# Reddit markup in responses with a rationale (132, 1428).
EPITOME_ROWS = sorted(set(range(60)) | {132, 246, 554, 1317, 1428, 2283, 2297})


def records(path: Path) -> tuple[str, list[str], bool]:
    """The header and each record of a CSV file as its raw text, and whether the file
    ends with a line break."""
    with open(path, encoding="utf-8", newline="") as handle:
        text = handle.read()
    lines = list(io.StringIO(text, newline=""))  # split at line breaks only, each kept
    reader, raw, start = csv.reader(lines), [], 0
    for _ in reader:
        raw.append("".join(lines[start : reader.line_num]))
        start = reader.line_num
    return raw[0], raw[1:], text.endswith(("\n", "\r"))


def write(path: Path, header: str, chosen: list[str], trailing_break: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = header + "".join(chosen)
    if not trailing_break:
        text = text.rstrip("\r\n")
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def cut_rows(source: Path, target: Path, keep) -> None:
    """Keep the records for which ``keep(index, record_text)`` is true."""
    header, rows, trailing = records(source)
    write(target, header, [row for n, row in enumerate(rows) if keep(n, row)], trailing)


def first_per_label(source: Path, target: Path, column: str, n: int) -> None:
    header, rows, trailing = records(source)
    seen: dict[str, int] = {}
    chosen = []
    for row in rows:
        label = next(csv.DictReader([header, row]))[column]
        if seen.get(label, 0) < n:
            seen[label] = seen.get(label, 0) + 1
            chosen.append(row)
    write(target, header, chosen, trailing)


def head_lines(source: Path, target: Path, n: int) -> None:
    """Line-based files (TSV without quoting): the first ``n`` lines."""
    with open(source, encoding="utf-8", newline="") as handle:
        lines = list(itertools.islice(handle, n))
    write(target, "", lines, True)


def main(root: Path) -> None:
    for name in EPITOME_FILES:
        cut_rows(root / "epitome" / name, OUT / "epitome" / name, lambda n, row: n in EPITOME_ROWS)
    for name in ("sample_input_ER.csv", "sample_test_input.csv", "LICENSE.txt"):
        shutil.copyfile(root / "epitome" / name, OUT / "epitome" / name)
    cut_rows(root / "newsemp" / "messages.csv", OUT / "newsemp" / "messages.csv", lambda n, row: n < 40)
    first_per_label(root / "emolit" / "train.csv", OUT / "emolit" / "train.csv", "sentiment", 8)
    first_per_label(root / "emolit" / "test.csv", OUT / "emolit" / "test.csv", "sentiment", 3)
    shutil.copyfile(root / "emolit" / "LICENSE.txt", OUT / "emolit" / "LICENSE.txt")
    stories = root / "empathic-stories"
    cut_rows(stories / "PAIRS (dev).csv", OUT / "empathic-stories" / "PAIRS (dev).csv", lambda n, row: n < 16)
    cut_rows(stories / "STORIES (dev).csv", OUT / "empathic-stories" / "STORIES (dev).csv", lambda n, row: n < 12)
    for split in ("train", "dev", "test"):
        head_lines(root / "aux" / "sst2" / f"{split}.tsv", OUT / "sst2" / f"{split}.tsv", 30)
        head_lines(root / "aux" / "goemotions" / f"{split}.tsv", OUT / "goemotions" / f"{split}.tsv", 31)
    shutil.copyfile(root / "aux" / "goemotions" / "emotions.txt", OUT / "goemotions" / "emotions.txt")


if __name__ == "__main__":
    given = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("EMPATHYKIT_TEST_DATA")
    if not given:
        sys.exit("usage: cut_test_data.py RELEASES (or set EMPATHYKIT_TEST_DATA)")
    main(Path(given))
