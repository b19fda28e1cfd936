"""The EPITOME release (Sharma et al. 2020): its mechanism files, read as
records for the ``epitome`` schema (pairs joined, rationales located as spans)
and row for row (:func:`read_release`, what ``--format epitome-csv`` writes
back byte for byte)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator, Mapping

from empathykit.errors import InputError
from empathykit.releases.common import OnProblem, ReadProblem, csv_files, csv_rows, decode_text, problem_reporter
from empathykit.schemas import epitome

# -- EPITOME ------------------------------------------------------------------
_FILE_MECHANISM = {
    "emotional-reactions": "emotional_reactions",
    "interpretations": "interpretations",
    "explorations": "explorations",
    "_ER": "emotional_reactions",
    "_IP": "interpretations",
    "_EX": "explorations",
}


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
        spans.append({"start": found[0], "end": found[1], "text": text[found[0] : found[1]], "label": label})
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
    report = problem_reporter(on_problem)
    root = Path(path)
    files = [f for f in csv_files(root, "*-reddit.csv", "EPITOME") if not root.is_dir() or _mechanism_of(f)]

    def columns(header: list[str]) -> str | None:
        need = ["seeker_post", "response_post"]
        need += ["id"] if "id" in header and "sp_id" not in header else ["sp_id", "rp_id"]
        missing = [c for c in need if c not in header]
        return ", ".join(missing) if missing else None

    records: dict[str, dict[str, Any]] = {}
    labels: dict[tuple[str, str], tuple[str, str, int, Path]] = {}  # (item, mechanism) -> first row
    for file in files:
        mechanism = _mechanism_of(file)
        for line, row in csv_rows(file, columns):
            item_id = row["id"] if "sp_id" not in row else f"{row['sp_id']}_{row['rp_id']}"
            seeker, response = decode_text(row["seeker_post"]), decode_text(row["response_post"])
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
                raise InputError(
                    f"{file}: cannot tell which EPITOME mechanism its 'level' column rates",
                    hint="name the file like the release (emotional-reactions-reddit.csv, "
                    "interpretations-reddit.csv, explorations-reddit.csv)",
                )
            key = (item_id, mechanism)
            if key in labels:
                first = labels[key]
                if first[:2] != (row["level"], row["rationales"]):
                    what = (
                        f"level {row['level']} vs {first[0]}"
                        if row["level"] != first[0]
                        else "same level, other rationales"
                    )
                    report(
                        ReadProblem(
                            str(file),
                            line,
                            item_id,
                            f"{mechanism}: duplicate row disagrees with line {first[2]} ({what}); kept line {first[2]}",
                        )
                    )
                continue
            labels[key] = (row["level"], row["rationales"], line, file)

    _add_references(records, labels, report)
    return list(records.values())


def _add_references(
    records: dict[str, dict[str, Any]], labels: dict[tuple[str, str], tuple[str, str, int, Path]], report: OnProblem
) -> None:
    """Each record's ``reference``: every mechanism's level and its rationales as spans."""
    for (item_id, mechanism), (level, rationales, line, file) in labels.items():
        record = records[item_id]
        if level not in ("0", "1", "2"):
            report(ReadProblem(str(file), line, item_id, f"{mechanism}: level {level!r} is not 0, 1 or 2; left out"))
            continue
        reference = record.setdefault("reference", {})
        reference[mechanism] = epitome.LEVELS[int(level)]
        parts = [p for p in (decode_text(p).strip() for p in rationales.split("|")) if p]
        spans, missing = locate_spans(record["response_post"], parts, epitome.MECHANISMS[mechanism]["span"])
        if spans:  # no key rather than [], as parsing Label Studio results gives
            reference[epitome.rationale_field(mechanism)] = spans
        for part in missing:
            report(
                ReadProblem(
                    str(file), line, item_id, f"{mechanism}: rationale not found in the response: {part[:80]!r}"
                )
            )


# -- Emolit -------------------------------------------------------------------


COLUMNS = ("sp_id", "rp_id", "seeker_post", "response_post", "level", "rationales")
#: mechanism -> the release's file name.
FILE_NAMES = {
    "emotional_reactions": "emotional-reactions-reddit.csv",
    "interpretations": "interpretations-reddit.csv",
    "explorations": "explorations-reddit.csv",
}


def read_release(path: str | Path, *, on_problem: OnProblem | None = None) -> dict[str, list[dict[str, Any]]]:
    """Rows of each EPITOME mechanism file under ``path`` (the release's
    ``dataset`` folder, or one mechanism file), in file order.

    Each row: ``item_id`` (``<sp_id>_<rp_id>``, ``#2``… for a pair the file
    repeats), ``sp_id``, ``rp_id``, ``seeker_post``, ``response_post`` (HTML
    entities decoded, as :func:`records_from_epitome` gives them to annotators),
    ``level`` (0/1/2), ``rationale_texts`` (the ``|``-separated parts, verbatim
    and in order), ``rationales`` (those parts, decoded, located as character
    spans in the response; parts not found are only in ``rationale_texts`` and
    are reported), ``release_row`` (0-based) and ``release_cells`` (the posts as
    the file spells them, JSON, where decoding changed them; else None)."""
    report = problem_reporter(on_problem)
    root = Path(path)
    files = [f for f in csv_files(root, "*-reddit.csv", "EPITOME") if _mechanism_of(f)]
    if not files:
        raise InputError(
            f"{root}: no EPITOME mechanism file (emotional-reactions-reddit.csv, "
            "interpretations-reddit.csv, explorations-reddit.csv)"
        )
    found: dict[str, list[dict[str, Any]]] = {}
    for file in files:
        mechanism = _mechanism_of(file)
        if mechanism in found:
            raise InputError(f"{root}: two files for {mechanism} ({file.name} and another)")
        found[mechanism] = _read_file(file, mechanism, report)
    return {m: found[m] for m in epitome.MECHANISMS if m in found}


def _read_file(file: Path, mechanism: str, report: OnProblem) -> list[dict[str, Any]]:
    rows, seen = [], {}
    label = epitome.MECHANISMS[mechanism]["span"]
    for line, row in csv_rows(file, COLUMNS):
        level = row["level"].strip()
        key = f"{row['sp_id']}_{row['rp_id']}"
        if level not in ("0", "1", "2"):
            report(ReadProblem(str(file), line, key, f"level {level!r} is not 0, 1 or 2; left out"))
            continue
        seen[key] = seen.get(key, 0) + 1
        texts = row["rationales"].split("|")
        if texts[-1] == "":  # the release ends every part with "|"
            texts.pop()
        # the texts as everyone reads them (push, export, train): entities decoded
        seeker, response = decode_text(row["seeker_post"]), decode_text(row["response_post"])
        spans, missing = locate_spans(response, [decode_text(t) for t in texts if t.strip()], label)
        for part in missing:
            report(
                ReadProblem(str(file), line, key, f"rationale not found in the response (kept verbatim): {part[:60]!r}")
            )
        rows.append(
            {
                "item_id": key if seen[key] == 1 else f"{key}#{seen[key]}",
                "sp_id": row["sp_id"],
                "rp_id": row["rp_id"],
                "seeker_post": seeker,
                "response_post": response,
                "level": int(level),
                "rationale_texts": texts,
                "rationales": spans,
                "release_row": len(rows),
                "release_cells": _release_cells(row, seeker, response),
            }
        )
    return rows


def _release_cells(row: Mapping[str, str], seeker: str, response: str) -> str | None:
    """The posts as the file spells them (JSON), where decoding changed them: what
    ``--format epitome-csv`` writes back, so the release is reproduced byte for byte."""
    cells = {k: row[k] for k, text in (("seeker_post", seeker), ("response_post", response)) if row[k] != text}
    return json.dumps(cells, ensure_ascii=False, sort_keys=True) if cells else None
