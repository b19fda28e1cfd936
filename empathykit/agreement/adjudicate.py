"""Disagreements and their adjudication in Label Studio.

- ``find_disagreements``: the units where annotators differ, one row per
  (item, field) (``DISAGREEMENT_COLUMNS``).
- ``push_adjudication``: those items as tasks of an adjudication project, made
  with the schema's own labeling config plus a panel listing every
  annotator's answer (task data ``adjudication_answers``); every answer is
  also a prediction whose ``model_version`` is the annotator's email, so the
  adjudicator can start from any of them. Re-running adds nothing twice
  (``annotate push`` skips items already there; predictions already there are
  kept).
- ``pull_adjudications``: the adjudicators' annotations back, as
  ``adjudications.parquet`` (``ADJUDICATION_COLUMNS``), which
  ``export --adjudicated`` makes final. When an item was adjudicated twice,
  the latest annotation counts (``updated_at``, then ``annotation_id``).
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from empathykit.agreement.table import as_schema, field_data, take_inventory
from empathykit.annotate.connection import connect
from empathykit.annotate.projects import iter_tasks
from empathykit.annotate.pull import pull
from empathykit.annotate.push import push
from empathykit.errors import AgreementError, InputError
from empathykit.io import atomic_open, write_parquet
from empathykit.progress import Progress
from empathykit.schemas.base import Field, Schema
from empathykit.table.annotations import latest_first, load_annotations, normalise_items, read_annotations, read_items
from empathykit.table.columns import decode_value, encode_value

ANSWERS_KEY = "adjudication_answers"

#: Columns of ``agreement disagreements``' output.
DISAGREEMENT_COLUMNS = {
    "item_id": "string",
    "field": "string",
    "kind": "string",
    "round": "Int64",
    "n_annotators": "int64",
    "n_distinct": "int64",
    "answers": "string",  # JSON list of {"annotator_id", "email", "value"}
}
#: Columns of ``adjudications.parquet``.
ADJUDICATION_COLUMNS = {
    "item_id": "string",
    "field": "string",
    "value": "string",  # JSON-encoded typed value, as in the tidy table
    "adjudicator": "string",  # the adjudicator's email (or #id)
    "annotation_id": "int64",
    "updated_at": "datetime64[ns, UTC]",
}


def _canonical(f: Field, value: Any) -> Any:
    """A hashable form under which equal answers compare equal."""
    if f.kind == "multichoice":
        return frozenset(value)
    if f.kind == "spans":
        return tuple(sorted((int(s["start"]), int(s["end"]), s["label"]) for s in value))
    return value


def find_disagreements(
    annotations: str | Path | pd.DataFrame, schema: Schema | str, *, fields: list[str] | None = None
) -> pd.DataFrame:
    """One row per (item, field) on which two or more annotators gave different
    answers (free-text fields are never compared)."""
    schema = as_schema(schema, annotations)
    frame = load_annotations(annotations)
    emails = take_inventory(frame, schema).emails
    chosen = [schema.field(n) for n in fields] if fields else [f for f in schema.fields if f.kind != "text"]
    rounds = latest_first(frame.dropna(subset=["round"])).drop_duplicates("item_id", keep="last")
    round_of = dict(zip(rounds["item_id"], rounds["round"].astype(int)))
    rows = []
    for f in chosen:
        if f.kind == "text":
            raise AgreementError(f"field {f.name!r} is free text: disagreements are not defined for it")
        data = field_data(frame[(frame["field"] == f.name).to_numpy()] if f.kind != "spans" else frame, f)
        values, _ = data.matrix(data.decoder())
        for u, row in enumerate(values):
            given = [(data.annotators[j], v) for j, v in enumerate(row) if v is not None]
            distinct = {_canonical(f, v) for _, v in given}
            if len(given) >= 2 and len(distinct) > 1:
                answers = [{"annotator_id": a, "email": emails.get(a), "value": v} for a, v in given]
                rows.append(
                    {
                        "item_id": data.units[u],
                        "field": f.name,
                        "kind": f.kind,
                        "round": round_of.get(data.units[u]),
                        "n_annotators": len(given),
                        "n_distinct": len(distinct),
                        "answers": encode_value(answers),
                    }
                )
    out = pd.DataFrame(rows, columns=list(DISAGREEMENT_COLUMNS))
    return out.astype({k: v for k, v in DISAGREEMENT_COLUMNS.items()}).sort_values(
        ["item_id", "field"], ignore_index=True
    )


def write_table(frame: pd.DataFrame, out: str | Path, output: str = "disagreements") -> Path:
    """Parquet or CSV by the file's suffix, written atomically as an ``output`` (its kind)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        return write_parquet(out, frame, output=output)
    if suffix == ".csv":
        with atomic_open(out, newline="", output=output) as handle:
            frame.to_csv(handle, index=False)
        return out
    raise InputError(f"{out}: unsupported output type {suffix!r}; expected .parquet or .csv")


# -- adjudication project -----------------------------------------------------------------------


def _describe(f: Field, value: Any) -> str:
    if f.kind == "multichoice":
        return ", ".join(value) or "(none)"
    if f.kind == "spans":
        return "; ".join(f'"{s.get("text", "")}" [{s["start"]}-{s["end"]}] {s["label"]}' for s in value) or "(no spans)"
    return str(value)


def answers_text(schema: Schema, disagreements: pd.DataFrame, item: str, answers: dict[str, list[dict]]) -> str:
    """The panel an adjudicator reads: per field, every annotator's answer."""
    lines = []
    differing = set(disagreements.loc[disagreements["item_id"] == item, "field"])
    for f in schema.fields:
        if f.name not in answers:
            continue
        mark = "DISAGREE" if f.name in differing else "agree"
        given = " | ".join(
            f"{a['email'] or '#' + str(a['annotator_id'])}: {_describe(f, a['value'])}" for a in answers[f.name]
        )
        lines.append(f"{f.name} ({mark}): {given}")
    return "\n".join(lines)


_OPEN_VIEW = re.compile(r"<View\b[^>]*>")


def adjudication_schema(schema: Schema) -> Schema:
    """The schema with a panel showing every annotator's answer above the task."""
    panel = (
        f'\n  <View style="background:#fff8e1;padding:8px;margin-bottom:8px">'
        f'\n    <Header value="Annotators\' answers: choose the final labels below" size="5"/>'
        f'\n    <Text name="{ANSWERS_KEY}" value="${ANSWERS_KEY}"/>'
        f"\n  </View>"
    )
    found = _OPEN_VIEW.search(schema.config_template)
    if found is None:
        raise AgreementError(f"schema {schema.name!r}: labeling config has no <View> to add the answers panel to")
    config = schema.config_template[: found.end()] + panel + schema.config_template[found.end() :]
    return dataclasses.replace(schema, config_template=config, optional_inputs=(*schema.optional_inputs, ANSWERS_KEY))


@dataclass
class AdjudicationPush:
    project_id: int
    project_title: str
    project_url: str
    items: int
    created: int
    skipped: int
    predictions: int


def _latest_answers(
    frame: pd.DataFrame, schema: Schema, items: set[str], emails: dict[int, str]
) -> dict[str, dict[str, list[dict]]]:
    """``{item: {field: [{"annotator_id", "email", "value"}]}}`` of the latest submitted answers."""
    live = frame[
        ~frame["was_cancelled"] & ~frame["ground_truth"] & frame["value"].notna() & frame["item_id"].isin(items)
    ]
    live = live[live["field"].isin(schema.field_names)]
    latest = latest_first(live).drop_duplicates(["item_id", "field", "annotator_id"], keep="last")
    out: dict[str, dict[str, list[dict]]] = {}
    for item, name, annotator, raw in latest.sort_values(["item_id", "annotator_id"])[
        ["item_id", "field", "annotator_id", "value"]
    ].itertuples(index=False):
        out.setdefault(item, {}).setdefault(name, []).append(
            {"annotator_id": int(annotator), "email": emails.get(int(annotator)), "value": decode_value(raw)}
        )
    return out


def push_adjudication(
    annotations: str | Path | pd.DataFrame,
    schema: Schema | str,
    *,
    items: str | Path | pd.DataFrame,
    project: str,
    disagreements: pd.DataFrame | None = None,
    connection=None,
    on_progress: Progress | None = None,
) -> AdjudicationPush:
    """Push the items with disagreements into the adjudication project ``project``
    (created if missing) with every annotator's answer shown."""

    schema = as_schema(schema, annotations)
    frame = load_annotations(annotations)
    if disagreements is None:
        disagreements = find_disagreements(frame, schema)
    if disagreements.empty:
        raise AgreementError("no disagreements to adjudicate: every unit's annotators agree")
    table = read_items(items) if not isinstance(items, pd.DataFrame) else normalise_items(items)
    wanted = sorted(set(disagreements["item_id"]))
    known = table.drop_duplicates("item_id").set_index("item_id")
    missing = [i for i in wanted if i not in known.index]
    if missing:
        raise InputError(
            f"items table lacks {len(missing)} item(s) with disagreements, e.g. {missing[:3]}",
            hint="pass the items table `annotate pull` wrote beside the annotations (--items)",
        )
    emails = take_inventory(frame, schema).emails
    answers = _latest_answers(frame, schema, set(wanted), emails)
    inputs = [c for c in (*schema.inputs, *schema.optional_inputs) if c in known.columns]
    records = []
    for item in wanted:
        row = known.loc[item]
        record = {"item_id": item, **{c: row[c] for c in inputs if not _missing(row[c])}}
        record[ANSWERS_KEY] = answers_text(schema, disagreements, item, answers.get(item, {}))
        records.append(record)

    report = push(
        records, schema=adjudication_schema(schema), project=project, connection=connection, on_progress=on_progress
    )

    client = connect(connection)
    with client.call(f"listing predictions of project {report.project_id}"):
        existing = {(p.task, p.model_version) for p in client.sdk.predictions.list(project=report.project_id)}
    predictions = []
    for task in iter_tasks(client, report.project_id):
        item = str(task["data"].get("item_id"))
        by_annotator: dict[int, dict[str, Any]] = {}
        for name, given in answers.get(item, {}).items():
            for answer in given:
                by_annotator.setdefault(answer["annotator_id"], {"email": answer["email"], "values": {}})["values"][
                    name
                ] = answer["value"]
        for annotator, entry in sorted(by_annotator.items()):
            version = entry["email"] or f"annotator #{annotator}"
            if (task["id"], version) not in existing:
                predictions.append(
                    {"task": task["id"], "model_version": version, "result": schema.to_results(entry["values"])}
                )
    if predictions:
        with client.call(f"importing {len(predictions)} predictions into project {report.project_id}"):
            client.sdk.projects.import_predictions(report.project_id, request=predictions)
    return AdjudicationPush(
        report.project_id,
        report.project_title,
        report.project_url,
        report.items,
        report.created,
        report.skipped,
        len(predictions),
    )


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


@dataclass
class AdjudicationPull:
    out: Path
    items: int
    rows: int
    adjudicators: list[str]
    readjudicated: int  # (item, field) pairs with more than one adjudication; the latest counts
    project_title: str = ""
    tasks: int = 0  # tasks in the adjudication project, adjudicated or not
    skipped: int = 0  # skipped (cancelled) adjudications, which never count


def pull_adjudications(
    project: str | int, schema: Schema | str, *, out: str | Path, connection=None, on_progress: Progress | None = None
) -> AdjudicationPull:
    """Pull the adjudication project's annotations into ``adjudications.parquet``."""

    schema = as_schema(schema)
    with tempfile.TemporaryDirectory(prefix="empathykit-adjudications-") as tmp:
        pulled = pull(
            project,
            out=Path(tmp) / "adjudications.tidy.parquet",
            schema=schema,
            connection=connection,
            on_progress=on_progress,
        )
        frame = read_annotations(pulled.out)
        tasks = len(read_items(pulled.items_out))
    emails = take_inventory(frame, schema).emails if len(frame) else {}
    text_fields = {f.name for f in schema.fields if f.kind == "text"}
    live = frame[~frame["was_cancelled"] & frame["value"].notna() & ~frame["field"].isin(text_fields)]
    ordered = latest_first(live)
    counts = ordered.groupby(["item_id", "field"]).size()
    latest = ordered.drop_duplicates(["item_id", "field"], keep="last")
    result = pd.DataFrame(
        {
            "item_id": latest["item_id"].astype(str),
            "field": latest["field"].astype(str),
            "value": latest["value"].astype(str),
            "adjudicator": [emails.get(int(a)) or f"#{int(a)}" for a in latest["annotator_id"]],
            "annotation_id": latest["annotation_id"].astype("int64"),
            "updated_at": latest["updated_at"],
        },
        columns=list(ADJUDICATION_COLUMNS),
    ).sort_values(["item_id", "field"], ignore_index=True)
    result = result.astype({k: v for k, v in ADJUDICATION_COLUMNS.items() if k != "updated_at"})
    write_parquet(out, result, output="adjudications")
    return AdjudicationPull(
        Path(out),
        int(result["item_id"].nunique()),
        len(result),
        sorted(set(result["adjudicator"])),
        int((counts > 1).sum()),
        project_title=pulled.project_title,
        tasks=tasks,
        skipped=pulled.cancelled,
    )
