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

import hashlib
import re
from pathlib import Path
from typing import Any, Mapping

from empathykit.releases.common import OnProblem, ReadProblem, csv_files, csv_rows, problem_reporter
from empathykit.schemas import emotion, story_features


def _text_id(prefix: str, text: str) -> str:
    return f"{prefix}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:16]}"


def records_from_emolit(path: str | Path, *, on_problem: OnProblem | None = None) -> list[dict[str, Any]]:
    """Records for ``emotion`` with ``labels="emolit"`` from Emolit CSVs
    (``text,sentiment``; despite its name the column holds one of the twelve
    emotions, which becomes ``reference["emotions"]``). ``path`` is a CSV or a
    folder of them (``train.csv``, ``test.csv``: the stem becomes ``split``).
    Item ids hash the text, so the same sentence keeps its id across files."""
    report = problem_reporter(on_problem)
    labels = emotion.PRESETS["emolit"]
    records: dict[str, dict[str, Any]] = {}
    for file in csv_files(Path(path), "*.csv", "Emolit CSV"):
        for line, row in csv_rows(file, ("text", "sentiment")):
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
_PAIR_TEXT = {
    "story_A": "story_a",
    "story_B": "story_b",
    "story_A_summary": "story_a_summary",
    "story_B_summary": "story_b_summary",
}
#: the release's ``pairs`` column: "(story index, story index)" within the file's split
_STORY_PAIR = re.compile(r"^\(\s*(\d+)\s*,\s*(\d+)\s*\)$")
_PAIR_SCORES = (
    "binned",
    "similarity_empathy_human_AGG",
    "similarity_event_human_AGG",
    "similarity_emotion_human_AGG",
    "similarity_moral_human_AGG",
)
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
    report = problem_reporter(on_problem)
    low, high = story_features.SCALE
    records = []
    for file in csv_files(Path(path), "STORIES*.csv", "EmpathicStories STORIES"):
        split = _split_of(file)
        for position, (line, row) in enumerate(csv_rows(file, ("story",))):
            item_id = "-".join(p for p in ("story", split, _row_index(row, position)) if p)
            if not _present(row, "story"):
                report(ReadProblem(str(file), line, item_id, "empty story; left out"))
                continue
            record: dict[str, Any] = {"item_id": item_id, "story": row["story"]}
            if split:
                record["split"] = split
            for column, key in (
                ("story_summary", "story_summary"),
                ("post_id", "post_id"),
                ("Data Source", "data_source"),
                ("url", "url"),
            ):
                if _present(row, column):
                    record[key] = row[column]
            reference: dict[str, Any] = {
                field: row[column].strip() for column, field in _STORY_TEXT.items() if _present(row, column)
            }
            if _present(row, "Empathizable"):
                try:
                    rating = float(row["Empathizable"])
                except ValueError:
                    rating = float("nan")
                if rating.is_integer() and low <= rating <= high:
                    reference["empathizable"] = int(rating)
                else:
                    report(
                        ReadProblem(
                            str(file),
                            line,
                            item_id,
                            f"Empathizable {row['Empathizable']!r} is not a whole number in {low}..{high}",
                        )
                    )
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
    report = problem_reporter(on_problem)
    records = []
    for file in csv_files(Path(path), "PAIRS*.csv", "EmpathicStories PAIRS"):
        split = _split_of(file)

        def columns(header: list[str]) -> str | None:
            if {"story_A", "story_B"} <= set(header) or {"story_A_summary", "story_B_summary"} <= set(header):
                return None
            return "story_A and story_B (or story_A_summary and story_B_summary)"

        for position, (line, row) in enumerate(csv_rows(file, columns)):
            pair = row.get("pairs", "").strip() or _row_index(row, position)
            item_id = "-".join(p for p in ("pair", split, pair) if p)
            record: dict[str, Any] = {"item_id": item_id}
            if split:
                record["split"] = split
            stories = _STORY_PAIR.match(row.get("pairs", "").strip())
            if stories:  # the two stories' ids travel with the pair, so every export keeps a story in one split
                record["story_a_id"], record["story_b_id"] = (f"{split}:{n}" for n in stories.groups())
            for column, key in _PAIR_TEXT.items():
                if _present(row, column):
                    record[key] = row[column]
            if not any(k in record for k in ("story_a", "story_a_summary")) or not any(
                k in record for k in ("story_b", "story_b_summary")
            ):
                report(ReadProblem(str(file), line, item_id, "a story of the pair is empty; left out"))
                continue
            release = {c: row[c] for c in _PAIR_SCORES if _present(row, c)}
            if release:
                record["release"] = release
            records.append(record)
    return records
