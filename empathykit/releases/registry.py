"""What each published data set becomes as an export: its configs (label
columns, kinds, inputs), the release splits it has, and the facts its card
states (source, license, citation).

``RELEASES[name].configs(path, on_problem)`` reads the release with its reader
(``releases/``) and returns :class:`ImportedConfig`s, one per task
variant, each a plain table with an ``item_id``, the inputs, ``label`` (the
release's label: a class id for choices, the number for ratings) and what
else the release says about the item. Nothing here writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from empathykit.errors import InputError
from empathykit.releases import labelled
from empathykit.releases.common import OnProblem, ReadProblem, problem_reporter
from empathykit.releases.epitome import read_release, records_from_epitome
from empathykit.releases.readers import (
    records_from_emolit,
    records_from_empathic_stories,
    records_from_empathic_story_pairs,
)
from empathykit.schemas import emotion, epitome, get_schema, seek_provide, story_features, story_pair
from empathykit.schemas.variants import variants_for


@dataclass
class ImportedConfig:
    name: str
    rows: list[dict[str, Any]]
    kind: str  # "choice" | "rating"
    inputs: list[str]
    label_names: list[str] | None = None
    scale: tuple[float, float] | None = None
    schema: str | None = None
    schema_options: dict[str, Any] = field(default_factory=dict)
    group_by: str | tuple[str, ...] | None = None  # rows sharing a value stay in one split
    text_columns: tuple[str, ...] = ()  # free text beside the inputs (dropped by --dehydrate)
    description: str = ""


@dataclass(frozen=True)
class Release:
    name: str
    pretty_name: str
    read: Callable[[Path, OnProblem], list[ImportedConfig]]
    source: str
    license: str  # the Hub's license id
    license_note: str
    citation: str
    language: str = "en"
    task_categories: tuple[str, ...] = ("text-classification",)
    #: release splits kept as they are; "carve" = train/test given, validation carved from train
    splits: str = "none"  # "none" | "all" | "carve" | "if-complete"
    #: ``annotate push -i NAME:PATH``: the records reader and the schema (with options) they feed;
    #: None where the release has no annotation schema (it is exported and trained on only)
    records: Callable[..., list[dict[str, Any]]] | None = None
    schema: str | None = None
    schema_options: dict[str, Any] = field(default_factory=dict)


def _choice_rows(
    records: list[dict[str, Any]], names: list[str], label_of: Callable[[dict], Any], keep: tuple[str, ...]
) -> list[dict[str, Any]]:
    rows = []
    for record in records:
        label = label_of(record)
        if label is None:
            continue
        row = {"item_id": record["item_id"], **{k: record[k] for k in keep if k in record}}
        row["label"] = names.index(label) if isinstance(label, str) else int(label)
        if "split" in record:
            row["release_split"] = record["split"]
        rows.append(row)
    return rows


def _epitome(path: Path, on_problem: OnProblem) -> list[ImportedConfig]:

    configs = []
    for mechanism, rows in read_release(path, on_problem=on_problem).items():
        for row in rows:
            row["label"] = row.pop("level")
        configs.append(
            ImportedConfig(
                mechanism,
                rows,
                "choice",
                list(epitome.INPUTS),
                label_names=list(epitome.LEVELS),
                schema="epitome",
                schema_options={"mechanisms": [mechanism]},
                group_by="sp_id",
                text_columns=("rationale_texts", "release_cells"),
                description=f"{epitome.MECHANISMS[mechanism]['title']}: level 0 no / 1 weak / 2 strong, "
                "with rationale spans in the response",
            )
        )
    return configs


def _newsemp(path: Path, on_problem: OnProblem) -> list[ImportedConfig]:
    records = labelled.records_from_newsemp(path, on_problem=on_problem)
    keep = ("text", "message_id", "response_id", "article_id")
    configs = []
    for target in ("empathy", "distress"):
        configs.append(
            ImportedConfig(
                f"{target}_bin",
                _choice_rows(records, ["low", "high"], lambda r: r[f"{target}_bin"], keep),  # noqa: B023 (called here)
                "choice",
                ["text"],
                label_names=["low", "high"],
                description=f"{target} bin as released: high when the writer's {target} rating is 4 or more",
            )
        )
        configs.append(
            ImportedConfig(
                target,
                [{**{k: r[k] for k in ("item_id", *keep)}, "label": r[target]} for r in records],
                "rating",
                ["text"],
                scale=(1.0, 7.0),
                description=f"{target}: the writer's own rating (mean of the questionnaire items), 1-7",
            )
        )
    return configs


def _twittemp(path: Path, on_problem: OnProblem) -> list[ImportedConfig]:
    records = labelled.records_from_twittemp(path, on_problem=on_problem)
    names = list(seek_provide.LABELS)
    rows = _choice_rows(records, names, lambda r: r["reference"]["empathy"], ("text", "release_id", "permalink"))
    return with_variants(
        ImportedConfig(
            "seek-provide",
            rows,
            "choice",
            ["text"],
            label_names=names,
            schema="seek-provide",
            text_columns=("permalink",),
            description="empathy direction: seeking / providing / none",
        )
    )


def with_variants(base: ImportedConfig) -> list[ImportedConfig]:
    """``base`` and the other task variants of its schema's target, from the one list annotation
    exports use (:func:`empathykit.schemas.variants.variants_for`), so both give the same configs:
    same names, label names and mapping."""
    configs = []
    for variant in variants_for(get_schema(base.schema, **base.schema_options)):
        if variant.source != "label" or variant.name == base.name:
            configs += [base] if variant.name == base.name else []
            continue
        names = list(variant.label_names)
        rows = [{**row, "label": names.index(variant.map_label(base.label_names[row["label"]]))} for row in base.rows]
        configs.append(replace(base, name=variant.name, rows=rows, label_names=names, description=variant.description))
    return configs


def _emolit(path: Path, on_problem: OnProblem) -> list[ImportedConfig]:
    names = list(emotion.PRESETS["emolit"])
    records = records_from_emolit(path, on_problem=on_problem)
    rows = _choice_rows(records, names, lambda r: (r.get("reference") or {}).get("emotions", [None])[0], ("text",))
    return [
        ImportedConfig(
            "emotion",
            rows,
            "choice",
            ["text"],
            label_names=names,
            schema="emotion",
            schema_options={"labels": "emolit"},
            description="one of the twelve Emolit emotions (circumplex order, 30° apart)",
        )
    ]


def _empathic_stories(path: Path, on_problem: OnProblem) -> list[ImportedConfig]:
    records = records_from_empathic_stories(path, on_problem=on_problem)
    rows = []
    for record in records:
        reference = record.get("reference") or {}
        if "empathizable" not in reference:
            problem_reporter(on_problem)(
                ReadProblem(str(path), None, record["item_id"], "no Empathizable rating; left out")
            )
            continue
        row = {
            "item_id": record["item_id"],
            "story": record["story"],
            "story_summary": record.get("story_summary", ""),
            **{f: reference.get(f, "") for f in ("main_event", "emotion_description", "moral", "empathy_reasons")},
            "label": float(reference["empathizable"]),
        }
        if "split" in record:
            row["release_split"] = record["split"]
        rows.append(row)
    low, high = story_features.SCALE
    return [
        ImportedConfig(
            "empathizable",
            rows,
            "rating",
            ["story"],
            scale=(float(low), float(high)),
            schema="story-features",
            text_columns=("story_summary", "main_event", "emotion_description", "moral", "empathy_reasons"),
            description="how empathizable the story is, 1-5",
        )
    ]


def _empathic_story_pairs(path: Path, on_problem: OnProblem) -> list[ImportedConfig]:
    records = records_from_empathic_story_pairs(path, on_problem=on_problem)
    configs = []
    for target in ("similarity_empathy", "similarity_event", "similarity_emotion", "similarity_moral"):
        rows = []
        for record in records:
            score = (record.get("release") or {}).get(f"{target}_human_AGG")
            if score is None or "story_a" not in record or "story_b" not in record:
                continue
            row = {
                "item_id": record["item_id"],
                "story_a": record["story_a"],
                "story_b": record["story_b"],
                "story_a_summary": record.get("story_a_summary", ""),
                "story_b_summary": record.get("story_b_summary", ""),
                "story_a_id": record.get("story_a_id", ""),
                "story_b_id": record.get("story_b_id", ""),
                "binned": record["release"].get("binned", ""),
                "label": float(score),
            }
            if "split" in record:
                row["release_split"] = record["split"]
            rows.append(row)
        low, high = story_pair.SCALE
        configs.append(
            ImportedConfig(
                target,
                rows,
                "rating",
                ["story_a", "story_b"],
                scale=(float(low), float(high)),
                schema="story-pair",
                group_by=("story_a_id", "story_b_id"),
                text_columns=("story_a_summary", "story_b_summary"),
                description=f"{target.replace('_', ' ')}: mean of the annotators' 1-4 ratings",
            )
        )
    return configs


def _sst2(path: Path, on_problem: OnProblem) -> list[ImportedConfig]:
    records = labelled.records_from_sst2(path, on_problem=on_problem)
    names = ["negative", "positive"]
    return [
        ImportedConfig(
            "sentiment",
            _choice_rows(records, names, lambda r: r["label"], ("text",)),
            "choice",
            ["text"],
            label_names=names,
            description="sentence sentiment: negative / positive",
        )
    ]


def _goemotions(path: Path, on_problem: OnProblem) -> list[ImportedConfig]:
    folder = Path(path) if Path(path).is_dir() else Path(path).parent
    names = labelled.goemotions_names(folder)
    records = labelled.records_from_goemotions(path, on_problem=on_problem)
    return [
        ImportedConfig(
            "emotion",
            _choice_rows(records, names, lambda r: r["label"], ("text",)),
            "choice",
            ["text"],
            label_names=names,
            description="one of the 27 GoEmotions emotions or neutral",
        )
    ]


_SHARMA = (
    "@inproceedings{sharma2020empathy,\n  title={A Computational Approach to Understanding Empathy Expressed "
    "in Text-Based Mental Health Support},\n  author={Sharma, Ashish and Miner, Adam S and Atkins, David C and "
    "Althoff, Tim},\n  year={2020},\n  booktitle={EMNLP}\n}"
)

#: source, license id, license note and citation of both EmpathicStories releases
_SHEN = (
    "EmpathicStories, Shen et al. 2023 (github.com/mitmedialab/empathic-stories)",
    "apache-2.0",
    "Apache-2.0 (copy published by yuxiaw/Empathic-Similarity)",
    "Jocelyn Shen et al. (2023). Modeling Empathic Similarity in Personal Narratives. EMNLP.",
)

RELEASES: dict[str, Release] = {
    r.name: r
    for r in (
        Release(
            "epitome",
            "EPITOME (Reddit)",
            _epitome,
            "EPITOME Reddit release, Sharma et al. 2020 (github.com/behavioral-data/Empathy-Mental-Health)",
            "other",
            "University of Washington attribution license (the release's LICENSE.txt): keep the "
            "copyright notice, acknowledge UW and cite the paper",
            _SHARMA,
            records=records_from_epitome,
            schema="epitome",
        ),
        Release(
            "newsemp",
            "NewsEmp (empathic reactions to news)",
            _newsemp,
            "Empathic reactions to news stories, Buechel et al. 2018 (messages.csv)",
            "cc-by-4.0",
            "CC BY 4.0",
            "Sven Buechel, Anneke Buffone, Barry Slaff, Lyle Ungar and João Sedoc (2018). Modeling Empathy and "
            "Distress in Reaction to News Stories. EMNLP.",
            task_categories=("text-classification",),
        ),
        Release(
            "twittemp",
            "TwittEmp (seeking / providing empathy)",
            _twittemp,
            "TwittEmp release CSV, Hosseini & Caragea 2021 (github.com/Mahhos/KDempathy)",
            "other",
            "released by the authors for research purposes; tweets are shared under X's terms (share ids: --dehydrate)",
            "Mahshid Hosseini and Cornelia Caragea (2021). Distilling Knowledge for Empathy Detection. "
            "Findings of EMNLP.",
            records=labelled.records_from_twittemp,
            schema="seek-provide",
        ),
        Release(
            "emolit",
            "Emolit (emotions in literature)",
            _emolit,
            "Emolit, Rei and Mladenić (Zenodo record 7883954), a derived copy",
            "cc-by-sa-4.0",
            "CC BY-SA 4.0",
            "Luis Rei and Dunja Mladenić. Emolit (Zenodo record 7883954).",
            splits="carve",
            records=records_from_emolit,
            schema="emotion",
            schema_options={"labels": "emolit"},
        ),
        Release(
            "empathic-stories",
            "EmpathicStories (stories)",
            _empathic_stories,
            *_SHEN,
            task_categories=("text-classification",),
            splits="if-complete",
            records=records_from_empathic_stories,
            schema="story-features",
        ),
        Release(
            "empathic-story-pairs",
            "EmpathicStories (story pairs)",
            _empathic_story_pairs,
            *_SHEN,
            task_categories=("sentence-similarity",),
            splits="if-complete",
            records=records_from_empathic_story_pairs,
            schema="story-pair",
        ),
        Release(
            "sst2",
            "SST-2 (sentence sentiment)",
            _sst2,
            "Stanford Sentiment Treebank, binary sentence version (Socher et al. 2013)",
            "mit",
            "copy published under MIT",
            "Richard Socher et al. (2013). Recursive Deep Models for Semantic "
            "Compositionality Over a Sentiment Treebank. EMNLP.",
            splits="all",
        ),
        Release(
            "goemotions",
            "GoEmotions (single label)",
            _goemotions,
            "GoEmotions (Demszky et al. 2020), single-label derived copy",
            "apache-2.0",
            "Apache-2.0",
            "Dorottya Demszky et al. (2020). GoEmotions: A Dataset of Fine-Grained Emotions. ACL.",
            splits="all",
        ),
    )
}


def release(name: str) -> Release:
    if name not in RELEASES:
        raise InputError(
            f"unknown data set {name!r}; expected one of {', '.join(RELEASES)}",
            hint="write DATASET:PATH, e.g. epitome:path/to/dataset/",
        )
    return RELEASES[name]


#: ``NAME:PATH`` with a name of two or more characters (``C:\\data`` is a path).
_SPEC = re.compile(r"^([a-z0-9][a-z0-9_-]+):(.+)$")


def is_import_spec(spec: str | Path) -> bool:
    """Whether ``spec`` reads ``NAME:PATH`` (known name or not) rather than an existing file."""
    return bool(_SPEC.match(str(spec))) and not Path(str(spec)).exists()


def parse_spec(spec: str | Path) -> tuple[str, Path] | None:
    """``(dataset, path)`` for ``DATASET:PATH``; None for a plain path. The one parser of
    ``DATASET:PATH`` (push, export and train read data sets through it); an unknown
    dataset name is an ``InputError`` listing the known ones."""
    if not is_import_spec(spec):
        return None
    name, path = _SPEC.match(str(spec)).groups()
    return release(name).name, Path(path)


def pushable() -> list[str]:
    """Data sets ``annotate push -i NAME:PATH`` takes (those with an annotation schema)."""
    return [name for name, r in RELEASES.items() if r.records is not None]


def read_dataset(name: str, path: str | Path, *, on_problem: OnProblem | None = None) -> list[dict[str, Any]]:
    """Records of the released data set ``name`` at ``path``, ready for ``annotate push``."""
    rel = release(name)
    if rel.records is None:
        raise InputError(
            f"{name}: no annotation schema reads this data set, so it cannot be pushed; "
            f"push one of {', '.join(pushable())}",
            hint=f"export or train on it instead: empathykit export {name}:PATH -o OUT",
        )
    return rel.records(path, on_problem=on_problem)
