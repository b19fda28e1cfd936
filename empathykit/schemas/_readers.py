"""Readers that turn released data sets into records ready for ``annotate push``.

Each ``records_from_<dataset>(path, on_problem=...)`` returns one dict per
item: ``item_id`` (stable, so re-pushing imports nothing twice), the inputs of
the schema it feeds (``READERS`` says which), the release's own identifiers,
and, where the release carries single-annotator labels, ``reference``: typed
values per field of that schema, in the form ``Schema.parse_results`` gives
(``push(..., gold_column="reference")`` makes them ground-truth annotations,
``predictions_column="reference"`` pre-annotations; either way push takes the
column out of the task data annotators see).

Problems that lose nothing but deserve a look (a rationale not found in its
response, conflicting duplicate rows, a label outside the schema) go to
``on_problem`` as ``ReadProblem``s, or to the ``empathykit`` logger when no
callback is given. Files that cannot be read at all raise ``InputError``.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import html
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from empathykit.errors import InputError
from empathykit.textfiles import not_utf8, text_encoding
from empathykit.schemas import emotion, epitome, story_features

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


def _reporter(on_problem: OnProblem | None) -> OnProblem:
    return on_problem or (lambda problem: log.warning("%s", problem))


# -- CSV ----------------------------------------------------------------------
def _rows(path: Path, required: tuple[str, ...] | Callable[[list[str]], str | None]) -> Iterator[tuple[int, dict[str, str]]]:
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
        missing = required(header) if callable(required) else (
            ", ".join(c for c in required if c not in header) or None)
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


def _csv_files(path: Path, pattern: str, what: str) -> list[Path]:
    if path.is_dir():
        files = sorted(path.glob(pattern))
        if not files:
            raise InputError(f"{path}: no {what} files ({pattern}) in this folder")
        return files
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    return [path]


def _unescape(text: str) -> str:
    """Reddit text arrives HTML-escaped, sometimes twice (``&amp;#x200B;``)."""
    for _ in range(3):
        plain = html.unescape(text)
        if plain == text:
            break
        text = plain
    return text


# -- EPITOME ------------------------------------------------------------------
_FILE_MECHANISM = {"emotional-reactions": "emotional_reactions", "interpretations": "interpretations",
                   "explorations": "explorations", "_ER": "emotional_reactions", "_IP": "interpretations",
                   "_EX": "explorations"}


def _mechanism_of(path: Path) -> str | None:
    return next((m for key, m in _FILE_MECHANISM.items() if key in path.stem), None)


_GAP = re.compile(r"[\s\u200b]+")


def _occurrences(text: str, part: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each occurrence of ``part`` in ``text``, where any
    run of whitespace (or zero-width spaces) matches any other: the release's
    files differ in spacing. Exact matches first; the pattern is the slow path."""
    start = text.find(part)
    while start != -1:
        yield start, start + len(part)
        start = text.find(part, start + 1)
    gapped = _GAP.pattern.join(map(re.escape, _GAP.split(part.strip())))
    for found in re.finditer(gapped, text):
        yield found.start(), found.end()


def locate_spans(text: str, parts: list[str], label: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Character spans of ``parts`` in ``text``: ``(spans, not_found)``.

    A part that occurs several times takes its first occurrence not already
    taken by an identical part; the span's ``text`` is the text as it stands
    in ``text`` (what Label Studio would record)."""
    spans: list[dict[str, Any]] = []
    missing: list[str] = []
    taken: set[tuple[int, int]] = set()
    for part in parts:
        found = next((span for span in _occurrences(text, part) if span not in taken), None)
        if found is None:
            missing.append(part)
            continue
        taken.add(found)
        spans.append({"start": found[0], "end": found[1], "text": text[found[0]:found[1]], "label": label})
    spans.sort(key=lambda s: (s["start"], s["end"]))
    return spans, missing


def records_from_epitome(path: str | Path, *, on_problem: OnProblem | None = None) -> list[dict[str, Any]]:
    """Records for the ``epitome`` schema from the EPITOME release.

    ``path`` is the release's ``dataset`` folder (its
    ``{emotional-reactions,interpretations,explorations}-reddit.csv`` files,
    joined on ``(sp_id, rp_id)`` into one record per pair) or one CSV: a
    mechanism file (``sp_id,rp_id,seeker_post,response_post,level,rationales``;
    the mechanism is read from its name) or unlabelled pairs
    (``id,seeker_post,response_post`` as in ``sample_test_input.csv``).
    ``reference`` holds each mechanism's level and its ``|``-separated
    rationales located as character spans in the response."""
    report = _reporter(on_problem)
    root = Path(path)
    files = [f for f in _csv_files(root, "*-reddit.csv", "EPITOME") if not root.is_dir() or _mechanism_of(f)]

    def columns(header: list[str]) -> str | None:
        need = ["seeker_post", "response_post"]
        need += ["id"] if "id" in header and "sp_id" not in header else ["sp_id", "rp_id"]
        missing = [c for c in need if c not in header]
        return ", ".join(missing) if missing else None

    records: dict[str, dict[str, Any]] = {}
    labels: dict[tuple[str, str], tuple[str, str, int, Path]] = {}  # (item, mechanism) -> first row
    for file in files:
        mechanism = _mechanism_of(file)
        for line, row in _rows(file, columns):
            item_id = row["id"] if "sp_id" not in row else f"{row['sp_id']}_{row['rp_id']}"
            seeker, response = _unescape(row["seeker_post"]), _unescape(row["response_post"])
            record = records.setdefault(item_id, {"item_id": item_id})
            for key in ("sp_id", "rp_id"):
                if key in row:
                    record[key] = row[key]
            # The three files spell some posts differently (spacing, a word
            # dropped); keep the fullest version, locate rationales in it.
            for key, text in (("seeker_post", seeker), ("response_post", response)):
                if len(text) > len(record.get(key, "")):
                    record[key] = text
            if "level" not in row:
                continue
            if mechanism is None:
                raise InputError(f"{file}: cannot tell which EPITOME mechanism its 'level' column rates",
                                 hint="name the file like the release (emotional-reactions-reddit.csv, "
                                      "interpretations-reddit.csv, explorations-reddit.csv)")
            key = (item_id, mechanism)
            if key in labels:
                first = labels[key]
                if first[:2] != (row["level"], row["rationales"]):
                    what = (f"level {row['level']} vs {first[0]}" if row["level"] != first[0]
                            else "same level, other rationales")
                    report(ReadProblem(str(file), line, item_id, f"{mechanism}: duplicate row disagrees "
                                       f"with line {first[2]} ({what}); kept line {first[2]}"))
                continue
            labels[key] = (row["level"], row["rationales"], line, file)

    for (item_id, mechanism), (level, rationales, line, file) in labels.items():
        record = records[item_id]
        if level not in ("0", "1", "2"):
            report(ReadProblem(str(file), line, item_id, f"{mechanism}: level {level!r} is not 0, 1 or 2; left out"))
            continue
        reference = record.setdefault("reference", {})
        reference[mechanism] = epitome.LEVELS[int(level)]
        parts = [p for p in (_unescape(p).strip() for p in rationales.split("|")) if p]
        spans, missing = locate_spans(record["response_post"], parts, epitome.MECHANISMS[mechanism]["span"])
        if spans:  # no key rather than [], as parsing Label Studio results gives
            reference[epitome.rationale_field(mechanism)] = spans
        for part in missing:
            report(ReadProblem(str(file), line, item_id,
                               f"{mechanism}: rationale not found in the response: {part[:80]!r}"))
    return list(records.values())


# -- Emolit -------------------------------------------------------------------
def _text_id(prefix: str, text: str) -> str:
    return f"{prefix}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:16]}"


def records_from_emolit(path: str | Path, *, on_problem: OnProblem | None = None) -> list[dict[str, Any]]:
    """Records for ``emotion`` with ``labels="emolit"`` from Emolit CSVs
    (``text,sentiment``; despite its name the column holds one of the twelve
    emotions, which becomes ``reference["emotions"]``). ``path`` is a CSV or a
    folder of them (``train.csv``, ``test.csv``: the stem becomes ``split``).
    Item ids hash the text, so the same sentence keeps its id across files."""
    report = _reporter(on_problem)
    labels = emotion.PRESETS["emolit"]
    records: dict[str, dict[str, Any]] = {}
    for file in _csv_files(Path(path), "*.csv", "Emolit CSV"):
        for line, row in _rows(file, ("text", "sentiment")):
            text, label = row["text"], row["sentiment"].strip()
            if not text.strip():
                report(ReadProblem(str(file), line, None, "empty text; left out"))
                continue
            item_id = _text_id("emolit", text)
            if item_id in records:
                report(ReadProblem(str(file), line, item_id, "same text as an earlier row; kept the first"))
                continue
            record = {"item_id": item_id, "text": text, "split": file.stem}
            if label in labels:
                record["reference"] = {"emotions": [label]}
            else:
                report(ReadProblem(str(file), line, item_id, f"emotion {label!r} is not one of {list(labels)}"))
            records[item_id] = record
    return list(records.values())


# -- EmpathicStories ----------------------------------------------------------
# Column names as documented in the release's README (mitmedialab/empathic-stories,
# "Dataset Overview"); files "STORIES (train).csv", "PAIRS (dev).csv", … .
_STORY_TEXT = {
    "Main Event": "main_event",
    "Emotion Description": "emotion_description",
    "Moral": "moral",
    "Empathy Reasons": "empathy_reasons",
}
_PAIR_TEXT = {"story_A": "story_a", "story_B": "story_b",
              "story_A_summary": "story_a_summary", "story_B_summary": "story_b_summary"}
_PAIR_SCORES = ("binned", "similarity_empathy_human_AGG", "similarity_event_human_AGG",
                "similarity_emotion_human_AGG", "similarity_moral_human_AGG")
# pandas writes its index as an unnamed first column; the pair ids refer to it.
_INDEX_COLUMNS = ("", "Unnamed: 0", "index")


def _split_of(file: Path) -> str | None:
    found = re.search(r"\(([^)]+)\)", file.stem)
    return found.group(1).strip().lower() if found else None


def _row_index(row: Mapping[str, str], position: int) -> str:
    return next((row[c] for c in _INDEX_COLUMNS if row.get(c, "").strip()), str(position))


def _present(row: Mapping[str, str], key: str) -> bool:
    return bool(row.get(key, "").strip())


def records_from_empathic_stories(path: str | Path, *, on_problem: OnProblem | None = None) -> list[dict[str, Any]]:
    """Records for ``story-features`` from EmpathicStories ``STORIES (<split>).csv``
    files (a folder of them or one file). ``story`` is shown; ``story_summary``,
    ``post_id``, ``Data Source`` and ``url`` are carried; the release's human
    ``Main Event``, ``Emotion Description``, ``Moral``, ``Empathy Reasons`` and
    ``Empathizable`` (1-5) become ``reference``. Item ids are
    ``story-<split>-<index>`` with the file's index column (row number when it
    has none)."""
    report = _reporter(on_problem)
    low, high = story_features.SCALE
    records = []
    for file in _csv_files(Path(path), "STORIES*.csv", "EmpathicStories STORIES"):
        split = _split_of(file)
        for position, (line, row) in enumerate(_rows(file, ("story",))):
            item_id = "-".join(p for p in ("story", split, _row_index(row, position)) if p)
            if not _present(row, "story"):
                report(ReadProblem(str(file), line, item_id, "empty story; left out"))
                continue
            record: dict[str, Any] = {"item_id": item_id, "story": row["story"]}
            if split:
                record["split"] = split
            for column, key in (("story_summary", "story_summary"), ("post_id", "post_id"),
                                ("Data Source", "data_source"), ("url", "url")):
                if _present(row, column):
                    record[key] = row[column]
            reference: dict[str, Any] = {field: row[column].strip()
                                         for column, field in _STORY_TEXT.items() if _present(row, column)}
            if _present(row, "Empathizable"):
                try:
                    rating = float(row["Empathizable"])
                except ValueError:
                    rating = float("nan")
                if rating.is_integer() and low <= rating <= high:
                    reference["empathizable"] = int(rating)
                else:
                    report(ReadProblem(str(file), line, item_id,
                                       f"Empathizable {row['Empathizable']!r} is not a whole number in {low}..{high}"))
            if reference:
                record["reference"] = reference
            records.append(record)
    return records


def records_from_empathic_story_pairs(path: str | Path, *, on_problem: OnProblem | None = None) -> list[dict[str, Any]]:
    """Records for ``story-pair`` from EmpathicStories ``PAIRS (<split>).csv``
    files: ``story_a``, ``story_b`` and, where present, their summaries
    (``story-pair`` with ``show="summary"`` needs those). The release's scores
    are averages over annotators, not one annotator's rating, so they are
    carried under ``release`` (``binned``, ``similarity_*_human_AGG``) rather
    than as ``reference``. Item ids are ``pair-<split>-<pairs>``."""
    report = _reporter(on_problem)
    records = []
    for file in _csv_files(Path(path), "PAIRS*.csv", "EmpathicStories PAIRS"):
        split = _split_of(file)

        def columns(header: list[str]) -> str | None:
            if {"story_A", "story_B"} <= set(header) or {"story_A_summary", "story_B_summary"} <= set(header):
                return None
            return "story_A and story_B (or story_A_summary and story_B_summary)"

        for position, (line, row) in enumerate(_rows(file, columns)):
            pair = row.get("pairs", "").strip() or _row_index(row, position)
            item_id = "-".join(p for p in ("pair", split, pair) if p)
            record: dict[str, Any] = {"item_id": item_id}
            if split:
                record["split"] = split
            for column, key in _PAIR_TEXT.items():
                if _present(row, column):
                    record[key] = row[column]
            if not any(k in record for k in ("story_a", "story_a_summary")) or \
                    not any(k in record for k in ("story_b", "story_b_summary")):
                report(ReadProblem(str(file), line, item_id, "a story of the pair is empty; left out"))
                continue
            release = {c: row[c] for c in _PAIR_SCORES if _present(row, c)}
            if release:
                record["release"] = release
            records.append(record)
    return records


def _records_from_twittemp(path: str | Path, *, on_problem: OnProblem | None = None) -> list[dict[str, Any]]:
    from empathykit.schemas._readers_labelled import records_from_twittemp  # it builds on this module

    return records_from_twittemp(path, on_problem=on_problem)


#: dataset name -> (reader, schema name, schema options): what
#: ``annotate push --input <dataset>:<path>`` offers.
READERS: dict[str, tuple[Callable[..., list[dict[str, Any]]], str, dict[str, Any]]] = {
    "epitome": (records_from_epitome, "epitome", {}),
    "emolit": (records_from_emolit, "emotion", {"labels": "emolit"}),
    "empathic-stories": (records_from_empathic_stories, "story-features", {}),
    "empathic-story-pairs": (records_from_empathic_story_pairs, "story-pair", {}),
    "twittemp": (_records_from_twittemp, "seek-provide", {}),
}


def read_dataset(name: str, path: str | Path, *, on_problem: OnProblem | None = None) -> list[dict[str, Any]]:
    """Records of the released data set ``name`` (one of ``READERS``) at ``path``."""
    if name not in READERS:
        raise InputError(f"unknown data set {name!r}; expected one of {', '.join(READERS)}")
    reader, _, _ = READERS[name]
    return reader(path, on_problem=on_problem)
