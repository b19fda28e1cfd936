"""What each published data set becomes as an export: :class:`ImportedConfig`,
one per task variant, and the readers that turn a release (read with its reader
in ``releases/``) into them. Each config is a plain table with an ``item_id``,
the inputs, ``label`` (the release's label: a class id for choices, the number
for ratings) and what else the release says about the item. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from empathykit.releases import labelled
from empathykit.releases.common import OnProblem, ReadProblem, problem_reporter
from empathykit.releases.epitome import read_release
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


def epitome_configs(path: Path, on_problem: OnProblem) -> list[ImportedConfig]:

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


def newsemp_configs(path: Path, on_problem: OnProblem) -> list[ImportedConfig]:
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


def twittemp_configs(path: Path, on_problem: OnProblem) -> list[ImportedConfig]:
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


def emolit_configs(path: Path, on_problem: OnProblem) -> list[ImportedConfig]:
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


def empathic_stories_configs(path: Path, on_problem: OnProblem) -> list[ImportedConfig]:
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


def empathic_story_pairs_configs(path: Path, on_problem: OnProblem) -> list[ImportedConfig]:
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


def sst2_configs(path: Path, on_problem: OnProblem) -> list[ImportedConfig]:
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


def goemotions_configs(path: Path, on_problem: OnProblem) -> list[ImportedConfig]:
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
