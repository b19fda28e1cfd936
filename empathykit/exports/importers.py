"""``empathykit export DATASET:PATH``: the published data sets as exports,
with no Label Studio round trip.

:func:`export_import` reads a release (``releases.RELEASES`` lists them and
what each becomes), keeps the release's own splits where it has them (SST-2,
GoEmotions; Emolit's train/test with validation carved from train, seeded;
EmpathicStories when train, dev and test are all given), else assigns seeded
stratified splits grouped so that no seeker post (EPITOME) or story
(story pairs) falls in two splits. An item is in the same split in every
config of one data set, so multi-task training never tests on a training item.
It writes the folder every export has, so ``exports.load`` reads it; or, with
``format="epitome-csv"``, the EPITOME release's own CSV files::

    OUT/<config>/{train,validation,test}.parquet   features typed (ClassLabel / float64 / spans)
    OUT/README.md     card: the Hub's YAML (configs with data_files, license, ...), source, citation
    OUT/export.json   relative paths only: "configs" (rows per split), "tasks" (per config: kind,
                      label_names, scale, inputs, schema, schema_options), "card" (source, license,
                      citation, aggregation, counts), "problems" (what the reader reported)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence

from empathykit.errors import ExportError, InputError
from empathykit.exports.choices import FORMATS
from empathykit.exports.epitome_csv import write_epitome_csv
from empathykit.exports.splits import SPLITS, achieved_fractions, carved_split, grouped_split
from empathykit.exports.writer import ExportConfig, write_export
from empathykit.io import check_output
from empathykit.progress import Progress
from empathykit.progress import report as report_progress
from empathykit.releases.common import ReadProblem
from empathykit.releases.configs import ImportedConfig
from empathykit.releases.registry import Release, parse_spec, release
from empathykit.schemas.variants import select


@dataclass
class ImportReport:
    out_dir: str
    dataset: str
    source: str  # DATASET:PATH as the caller gave it
    format: str
    configs: dict[str, dict[str, int]]  # config -> split -> rows
    seed: int
    fractions: tuple[float, float, float]
    splits_from: str  # "release" | "seeded" | "release+carved"
    fractions_achieved: list[float] = field(default_factory=list)  # train/validation/test shares written
    left_out: int = 0  # items in no split (pairs whose two stories fell in different splits)
    dehydrated: bool = False
    problems: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def assign_splits(
    rel: Release, configs: list[ImportedConfig], *, seed: int, fractions, group_by: str | None
) -> tuple[dict[str, str], str]:
    """One split per item across all configs, and where the splits came from."""
    given = {r.get("release_split") for c in configs for r in c.rows}
    complete = {"train", "test"} <= given and given & {"dev", "validation"}
    mode = rel.splits if rel.splits != "if-complete" else ("all" if complete else "none")
    if mode == "carve" and "test" not in given:  # one file of the release (e.g. train.csv alone): nothing held out
        mode = "none"
    if mode in ("all", "carve") and None in given:
        raise InputError(
            f"{rel.name}: some rows come from no release split file",
            hint="point at the release folder with its train/dev/test files",
        )
    split: dict[str, str] = {}
    for config in configs:  # the first config decides; later ones only place items it lacks
        rest = ImportedConfig(**{**config.__dict__, "rows": [r for r in config.rows if r["item_id"] not in split]})
        if not rest.rows:
            continue
        if mode == "all":
            split.update(
                {r["item_id"]: {"dev": "validation"}.get(r["release_split"], r["release_split"]) for r in rest.rows}
            )
        elif mode == "carve" and "validation" not in given:
            split.update(carved_split(rest, fractions, seed))
        else:
            split.update(grouped_split(rest, group_by, fractions, seed, strict=True))
    return split, {"all": "release", "carve": "release+carved"}.get(mode, "seeded")


def _dehydrate(config: ImportedConfig) -> ImportedConfig:
    """Ids, labels and metadata only: inputs and every free-text column go,
    span texts too (offsets stay)."""
    drop = set(config.inputs) | set(config.text_columns)
    rows = []
    for row in config.rows:
        kept = {k: v for k, v in row.items() if k not in drop}
        if "rationales" in kept:
            kept["rationales"] = [{k: v for k, v in s.items() if k != "text"} for s in kept["rationales"]]
        rows.append(kept)
    return ImportedConfig(**{**config.__dict__, "rows": rows, "inputs": []})


def export_import(
    spec: str,
    out_dir: str | Path,
    *,
    task: Sequence[str] | str | None = None,
    seed: int = 0,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    group_by: str | None = None,
    format: str = "hf",
    dehydrate: bool = False,
    on_problem: Callable[[ReadProblem], None] | None = None,
    on_progress: Progress | None = None,
) -> ImportReport:
    """Export the release ``spec`` (``DATASET:PATH``) to ``out_dir``: one
    config per task variant (``task`` limits them), see the module doc."""

    parsed = parse_spec(spec)
    if parsed is None:
        raise InputError(f"{spec!r}: expected DATASET:PATH", hint="e.g. epitome:path/to/dataset/")
    name, path = parsed
    rel = release(name)
    if format not in FORMATS:
        raise ExportError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    if format == "epitome-csv" and name != "epitome":
        raise ExportError(f"--format epitome-csv writes EPITOME data; {name} is not", hint="use epitome:DIR")
    if not path.exists():
        raise InputError(f"{path}: no such file or folder", hint=f"point {name}: at the release's files")
    check_output(out_dir, "dir", output="export", label="export folder")
    notify = partial(report_progress, on_progress)
    problems: list[str] = []

    def note(problem: ReadProblem) -> None:
        problems.append(str(replace(problem, path=Path(problem.path).name)))  # export.json: no absolute paths
        if on_problem:
            on_problem(problem)

    notify(f"reading {name}")
    configs = select(rel.read(path, note), [task] if isinstance(task, str) else task, source=name)
    empty = [c.name for c in configs if not c.rows]
    if empty:
        raise InputError(f"{path}: no usable rows for {', '.join(empty)}", hint="see the problems reported above")
    report = ImportReport(
        out_dir=str(out_dir),
        dataset=name,
        source=str(spec),
        format=format,
        configs={},
        seed=seed,
        fractions=tuple(fractions),
        splits_from="release",
        dehydrated=dehydrate,
        problems=problems,
    )
    if format == "epitome-csv":
        files = write_epitome_csv({c.name: c.rows for c in configs}, out_dir)
        report.configs = {c.name: {"all": len(c.rows)} for c in configs}
        report.files = [f.name for f in files]
        return report
    split, report.splits_from = assign_splits(rel, configs, seed=seed, fractions=fractions, group_by=group_by)
    report.fractions_achieved = [round(share, 4) for share in achieved_fractions(split)]
    report.left_out = sum(1 for where in split.values() if where is None)
    if dehydrate:
        configs = [_dehydrate(c) for c in configs]
        # problem messages may quote the text; a shared export keeps only their number
        report.problems = [f"{len(problems)} problem(s) while reading; export without --dehydrate to see them"]
    notify("writing")
    report.configs, report.files = _write_folder(rel, configs, split, out_dir, report)
    return report


def _features(config: ImportedConfig, dehydrated: bool):
    from datasets import ClassLabel, Features, List, Value

    span = {"start": Value("int32"), "end": Value("int32"), "text": Value("string"), "label": Value("string")}
    if dehydrated:
        del span["text"]
    types = {
        "label": ClassLabel(names=config.label_names) if config.kind == "choice" else Value("float64"),
        "rationales": List(span),
        "rationale_texts": List(Value("string")),
        "release_row": Value("int32"),
    }
    return Features({c: types.get(c, Value("string")) for c in config.rows[0]})


def _write_folder(
    rel: Release, configs: list[ImportedConfig], split: dict[str, str], out_dir, report: ImportReport
) -> tuple[dict[str, dict[str, int]], list[str]]:
    """The release's configs through the one export writer (``exports/writer.py``)."""
    from datasets import Dataset

    written = []
    for config in configs:
        features = _features(config, report.dehydrated)
        parts = {}
        for name in SPLITS:
            rows = [r for r in config.rows if split.get(r["item_id"]) == name]
            parts[name] = Dataset.from_dict({c: [r.get(c) for r in rows] for c in features}, features=features)
        written.append(
            ExportConfig(
                name=config.name,
                kind=config.kind,
                inputs=list(config.inputs),
                splits=parts,
                label_names=config.label_names,
                scale=config.scale,
                schema=config.schema,
                schema_options=config.schema_options,
                description=config.description,
            )
        )
    counts = {c.name: {s: len(c.splits[s]) for s in SPLITS} for c in written}
    card = {
        "pretty_name": rel.pretty_name,
        "license": rel.license,
        "language": [rel.language],
        "task_categories": list(rel.task_categories),
        "source": rel.source,
        "license_note": rel.license_note,
        "citation": rel.citation,
        "aggregation": "none: the release's own labels",
        "counts": counts,
    }
    meta = {key: value for key, value in report.to_dict().items() if key not in ("configs", "files", "out_dir")}
    files = write_export(out_dir, written, card=card, meta=meta, body=_card_body(rel, report))
    return counts, files


def _card_body(rel: Release, report: ImportReport) -> str:
    splits = {
        "release": "the release's own splits",
        "release+carved": f"the release's train/test, validation carved from train (stratified, seed {report.seed})",
        "seeded": f"stratified, seed {report.seed}, fractions {list(report.fractions)}, groups kept whole",
    }[report.splits_from]
    achieved = "/".join(f"{share:.1%}" for share in report.fractions_achieved)
    left_out = (
        f" {report.left_out} pair(s) left out: their two stories fell in different splits, and a pair "
        "in either split would let the model see a test story in training."
        if report.left_out
        else ""
    )
    lines = [
        "Imported by empathykit from the published release; labels are the release's own."
        + (" Dehydrated: ids, labels and metadata only, no text." if report.dehydrated else ""),
        "",
        f"Splits: {splits}; achieved train/validation/test {achieved}.{left_out} "
        f"{len(report.problems)} problem(s) reported while reading (in export.json).",
        "",
        "## License",
        "",
        rel.license_note + ".",
    ]
    return "\n".join(lines)
