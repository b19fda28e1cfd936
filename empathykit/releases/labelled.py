"""Readers of released single-text data sets with one label per text:
TwittEmp, NewsEmp, SST-2 and GoEmotions (``../shared/data/README.md`` says
where each comes from).

Like ``_readers``, each ``records_from_<dataset>(path, on_problem=...)``
returns one dict per item with a stable ``item_id`` and ``text``; the
release's labels are kept as they are (``label`` for TwittEmp, SST-2 and
GoEmotions, the ratings and bins for NewsEmp) and ``split`` names the release
split a row came from when the release has splits. Rows that cannot be used
are left out and reported through ``on_problem``; files that cannot be read
raise ``InputError``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from empathykit.errors import InputError
from empathykit.pipelines.ids import MANGLED_PATTERN, IdChecker
from empathykit.releases.common import OnProblem, ReadProblem, csv_files, csv_rows, problem_reporter
from empathykit.schemas import seek_provide

#: TwittEmp's release codes (0 none, 1 seeking, 2 providing) -> seek-provide labels.
TWITTEMP_LABELS = {"0": "none", "1": "seeking", "2": "providing"}
#: release split file stem -> export split name.
SPLIT_FILES = {"train": "train", "dev": "validation", "validation": "validation", "test": "test"}


def records_from_twittemp(path: str | Path, *, on_problem: OnProblem | None = None) -> list[dict[str, Any]]:
    """Records for ``seek-provide`` from the TwittEmp release CSV
    (``label,content,id,permalink``; ``<USER>``/``<URL>`` already masked).

    Ids the release lost (empty, or float-formatted by a spreadsheet such as
    ``1.28E+18``) or reused for another text are replaced by a hash of the text
    (``sha1:…``, as ``collect file`` does) and reported; ``release_id`` keeps
    what the file said. ``reference["empathy"]`` is the release label."""
    import pyarrow as pa

    report = problem_reporter(on_problem)
    rows = []
    for file in csv_files(Path(path), "*.csv", "TwittEmp CSV"):
        for line, row in csv_rows(file, ("label", "content", "id")):
            code = row["label"].strip()
            if code not in TWITTEMP_LABELS:
                report(
                    ReadProblem(
                        str(file),
                        line,
                        row["id"] or None,
                        f"label {code!r} is not 0 (none), 1 (seeking) or 2 (providing); left out",
                    )
                )
                continue
            if not row["content"].strip():
                report(ReadProblem(str(file), line, row["id"] or None, "empty content; left out"))
                continue
            rows.append((file, line, row, TWITTEMP_LABELS[code]))
    if not rows:
        raise InputError(f"{path}: no TwittEmp rows with a label and a text")
    recovered = _ids_from_permalinks(rows)
    if recovered:
        report(
            ReadProblem(
                str(path),
                None,
                None,
                f"{len(recovered)} empty or spreadsheet-mangled ids recovered "
                f"from the permalink (e.g. {', '.join(map(repr, recovered[:3]))})",
            )
        )
    checker = IdChecker()
    fixed = checker(pa.record_batch({"id": [r[2]["id"] for r in rows], "text": [r[2]["content"] for r in rows]}))
    for message in checker.report.messages():
        report(ReadProblem(str(path), None, None, message))
    records: dict[str, dict[str, Any]] = {}
    for item_id, (file, line, row, label) in zip(fixed.column("id").to_pylist(), rows):
        if item_id in records:  # same id, same text: a tweet listed twice
            report(ReadProblem(str(file), line, item_id, "same tweet as an earlier row; kept the first"))
            continue
        records[item_id] = {
            "item_id": item_id,
            "text": row["content"],
            "release_id": row["release_id"],
            "permalink": row.get("permalink", "").strip(),
            "reference": {seek_provide.SCHEMA.target: label},
        }
    return list(records.values())


_STATUS = re.compile(r"/status(?:es)?/(\d{6,})")


def _ids_from_permalinks(rows: list) -> list[str]:
    """Put the id a permalink holds in place of an empty or mangled one;
    ``release_id`` keeps what the file said. Returns the ids it replaced."""

    replaced = []
    for _, _, row, _ in rows:
        row["release_id"] = row["id"] = row["id"].strip()
        found = _STATUS.search(row.get("permalink", ""))
        if found and (not row["id"] or re.match(MANGLED_PATTERN, row["id"])):
            replaced.append(row["id"])
            row["id"] = found.group(1)
    return replaced


def _number(text: str, low: float, high: float) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if low <= value <= high else None


def records_from_newsemp(path: str | Path, *, on_problem: OnProblem | None = None) -> list[dict[str, Any]]:
    """Records from NewsEmp's ``messages.csv`` (Buechel et al. 2018): ``text``
    is the essay; ``empathy`` and ``distress`` (1-7) and their bins
    ``empathy_bin``, ``distress_bin`` (0/1) as released; ``message_id`` is
    the item id, ``response_id`` (the writer) and ``article_id`` are kept."""
    report = problem_reporter(on_problem)
    columns = ("message_id", "response_id", "article_id", "empathy", "distress", "empathy_bin", "distress_bin", "essay")
    records, seen = [], set()
    for file in csv_files(Path(path), "messages*.csv", "NewsEmp messages"):
        for line, row in csv_rows(file, columns):
            item_id = row["message_id"].strip()
            values = {
                "empathy": _number(row["empathy"], 1, 7),
                "distress": _number(row["distress"], 1, 7),
                "empathy_bin": _number(row["empathy_bin"], 0, 1),
                "distress_bin": _number(row["distress_bin"], 0, 1),
            }
            bad = [k for k, v in values.items() if v is None or (k.endswith("_bin") and not v.is_integer())]
            problem = (
                "empty message_id"
                if not item_id
                else "same message_id as an earlier row"
                if item_id in seen
                else "empty essay"
                if not row["essay"].strip()
                else f"{', '.join(bad)} not a number in range"
                if bad
                else None
            )
            if problem:
                report(ReadProblem(str(file), line, item_id or None, f"{problem}; left out"))
                continue
            seen.add(item_id)
            records.append(
                {
                    "item_id": item_id,
                    "text": row["essay"],
                    "message_id": item_id,
                    "response_id": row["response_id"],
                    "article_id": row["article_id"],
                    **{k: (int(v) if k.endswith("_bin") else v) for k, v in values.items()},
                }
            )
    return records


def _tsv_lines(file: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        handle = file.open(encoding="utf-8", newline="")
    except OSError as err:
        raise InputError(f"cannot read {file}: {err.strerror}") from None
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                line = line.rstrip("\r\n")
                if line.strip():
                    yield number, line.split("\t")
        except UnicodeDecodeError:
            raise InputError(f"{file}: not UTF-8 text", hint="save the file as UTF-8") from None


def _split_files(path: Path, what: str) -> list[tuple[Path, str]]:
    files = csv_files(path, "*.tsv", what)
    found = [(f, SPLIT_FILES.get(f.stem.lower(), "")) for f in files]
    if path.is_dir():
        found = [(f, s) for f, s in found if s]
        if not found:
            raise InputError(f"{path}: no train.tsv, dev.tsv or test.tsv", hint=f"point at the {what} folder")
    return found


def records_from_sst2(path: str | Path, *, on_problem: OnProblem | None = None) -> list[dict[str, Any]]:
    """Records from SST-2 ``{train,dev,test}.tsv`` (``label<TAB>sentence``, no
    header; 0 negative, 1 positive): ``label`` is the release's 0/1, ``split``
    the file's split (dev becomes validation)."""
    report = problem_reporter(on_problem)
    records = []
    for file, split in _split_files(Path(path), "SST-2"):
        for number, cells in _tsv_lines(file):
            if len(cells) != 2 or cells[0].strip() not in ("0", "1") or not cells[1].strip():
                if number == 1 and cells[0].strip().lower() == "label":
                    continue  # a header some copies have
                report(ReadProblem(str(file), number, None, "expected `0|1<TAB>sentence`; left out"))
                continue
            records.append(
                {"item_id": f"sst2-{file.stem}-{number}", "text": cells[1], "label": int(cells[0]), "split": split}
            )
    return records


def goemotions_names(folder: Path) -> list[str]:
    names_file = folder / "emotions.txt"
    if not names_file.is_file():
        raise InputError(
            f"{folder}: no emotions.txt (the label names, one a line)",
            hint="point at the GoEmotions folder that holds emotions.txt beside the TSVs",
        )
    names = [n.strip() for n in names_file.read_text(encoding="utf-8").splitlines() if n.strip()]
    if len(set(names)) != len(names):
        raise InputError(f"{names_file}: a label name occurs twice")
    return names


def records_from_goemotions(path: str | Path, *, on_problem: OnProblem | None = None) -> list[dict[str, Any]]:
    """Records from single-label GoEmotions ``{train,dev,test}.tsv``
    (``text<TAB>label`` with a header); the label names are ``emotions.txt``'s."""
    report = problem_reporter(on_problem)
    path = Path(path)
    names = set(goemotions_names(path if path.is_dir() else path.parent))
    records = []
    for file, split in _split_files(path, "GoEmotions"):
        for number, cells in _tsv_lines(file):
            if number == 1 and [c.strip() for c in cells] == ["text", "label"]:
                continue
            text, label = "\t".join(cells[:-1]), cells[-1].strip()
            if len(cells) < 2 or not text.strip() or label not in names:
                report(
                    ReadProblem(
                        str(file),
                        number,
                        None,
                        f"expected `text<TAB>label` with a label from emotions.txt, got {label[:40]!r}; left out",
                    )
                )
                continue
            records.append(
                {"item_id": f"goemotions-{file.stem}-{number}", "text": text, "label": label, "split": split}
            )
    return records
