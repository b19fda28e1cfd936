"""Agreement of a pulled project, field by field, at each field's level of measurement.

``compute_agreement`` is the library entry point: a tidy annotation table and a
schema in, an :class:`~empathykit.table.agreement.AgreementResult` out (its
``to_json`` is ``agreement.json``). The coefficients per level are in
``categorical`` (choice, rating, multichoice) and ``span_report`` (spans); free
text is reported as not applicable.

Per field there are also the pairs (Cohen's kappa, percent agreement and the
confusion matrix, or the span F1s), the annotators (alpha without them,
agreement with the others, agreement with the reference, label distribution)
and the same coefficients round by round. Every coefficient carries a seeded
percentile bootstrap interval over units (``bootstrap``); an undefined one
carries its reason.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from empathykit.agreement.bootstrap import Resampler
from empathykit.agreement.categorical import binary_views, categorical, categorical_report
from empathykit.agreement.span_report import spans_report
from empathykit.agreement.table import FieldData, Inventory, as_schema, field_data, take_inventory
from empathykit.errors import AgreementError
from empathykit.progress import Progress, report
from empathykit.schemas.base import Field, Schema
from empathykit.table.agreement import Agreement, AgreementResult, FieldAgreement, RoundAgreement, Settings
from empathykit.table.agreement_input import AnnotatorSummary
from empathykit.table.annotations import check_values, load_annotations, read_adjudications, read_items

NOT_APPLICABLE = "free-text field: no agreement coefficient applies"
NO_VALUES = "no submitted annotation has a value for this field"


def _units_report(
    data: FieldData,
    texts: dict[str, str] | None,
    settings: Settings,
    resampler: Resampler,
    scope: str,
    *,
    detail: bool,
    token_cache: dict,
) -> Agreement:
    """The coefficients of one field on the units of ``data`` (the whole field or one round)."""
    f = data.field
    resamples = resampler.chunks(scope, data.units)
    if f.kind == "spans":
        return spans_report(data, texts, settings, resamples, detail=detail, token_cache=token_cache)
    decoded = data.decoder()
    cat = categorical(data, settings, decoded)
    report = categorical_report(cat, data.annotators, settings, resamples, detail=detail, kappas=cat.level != "masi")
    if f.kind != "multichoice":
        report.weights, report.labels = cat.weights_name, cat.labels
        return report
    report.distance = "masi"
    if detail:
        # each use gets its own iterable: large draws are regenerated, not kept
        report.labels_binary = {
            label: categorical_report(
                view, data.annotators, settings, resampler.chunks(scope, data.units), detail=False
            )
            for label, view in binary_views(data, decoded).items()
        }
    return report


def _texts(items: pd.DataFrame | None, schema: Schema) -> dict[str, dict[str, str]]:
    """``{input name: {item_id: text}}`` for the inputs spans point at."""
    if items is None:
        return {}
    out = {}
    for f in schema.fields:
        if f.kind == "spans" and f.to_name in items.columns:
            column = items[f.to_name]
            out[f.to_name] = dict(zip(items["item_id"].astype(str), column.fillna("").astype(str)))
    return out


def _field_report(
    f: Field,
    frame: pd.DataFrame,
    rounds: list[int],
    adjudications: pd.DataFrame | None,
    texts: dict[str, str] | None,
    settings: Settings,
    resampler: Resampler,
    token_cache: dict,
    notify: Callable[[str], None],
) -> FieldAgreement:
    """One field over all units, then round by round."""
    if f.level == "text" or f.kind == "text":
        return FieldAgreement(f.kind, f.level, not_applicable=NOT_APPLICABLE)
    mine = frame[(frame["field"] == f.name).to_numpy()] if f.kind != "spans" else frame
    data = field_data(mine, f, adjudications)
    if not data.units:
        return FieldAgreement(f.kind, f.level, undefined=NO_VALUES)
    whole = _units_report(data, texts, settings, resampler, "all", detail=True, token_cache=token_cache)
    per_round = []
    for r in rounds:
        notify(f"agreement of field {f.name}, round {r}")
        round_data = field_data(mine[(mine["round"] == r).fillna(False).to_numpy()], f, adjudications)
        if round_data.units:
            per_round.append(
                RoundAgreement(
                    r,
                    round_data.annotators,
                    _units_report(
                        round_data, texts, settings, resampler, f"round {r}", detail=False, token_cache=token_cache
                    ),
                )
            )
    return FieldAgreement(f.kind, f.level, whole, data.reference_source, per_round)


def _checked_table(annotations: str | Path | pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """The annotations, refused in one line when empty or holding none of the schema's fields."""
    frame = load_annotations(annotations)
    if frame.empty:
        raise AgreementError("the annotation table is empty", hint="pull a project with annotations first")
    check_values(frame, schema, error=AgreementError)
    if not set(schema.field_names) & set(frame["field"].dropna().astype(str)):
        raise AgreementError(
            f"the annotations hold none of schema {schema.name!r}'s fields {list(schema.field_names)} "
            f"(found {sorted(frame['field'].dropna().astype(str).unique())[:10]})",
            hint="pass the schema the project was pushed with (--schema)",
        )
    return frame


def compute_agreement(
    annotations: str | Path | pd.DataFrame,
    schema: Schema | str | None = None,
    *,
    items: str | Path | pd.DataFrame | None = None,
    adjudications: str | Path | pd.DataFrame | None = None,
    fields: list[str] | None = None,
    settings: Settings = Settings(),
    on_progress: Progress | None = None,
) -> AgreementResult:
    """Agreement of every field of ``schema`` in a tidy annotation table.

    ``items`` (the pushed items: ``item_id`` plus inputs) gives span fields
    their texts; ``adjudications`` (``item_id, field, value``) overrides gold
    as the reference. ``schema`` None (or a name): the one pull recorded in
    the table, with its options."""
    notify = partial(report, on_progress)
    schema = as_schema(schema, annotations)
    frame = _checked_table(annotations, schema)
    chosen = list(schema.fields) if not fields else [schema.field(name) for name in fields]
    if isinstance(items, (str, Path)):
        items = read_items(items)
    if isinstance(adjudications, (str, Path)):
        adjudications = read_adjudications(adjudications)
    texts = _texts(items, schema)
    inventory = take_inventory(frame, schema)
    rounds = sorted(int(r) for r in frame["round"].dropna().unique())
    resampler = Resampler(settings)
    token_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    reports = {}
    for f in chosen:
        notify(f"agreement of field {f.name}")
        reports[f.name] = _field_report(
            f, frame, rounds, adjudications, texts.get(f.to_name), settings, resampler, token_cache, notify
        )
    return AgreementResult(schema.name, settings, inventory.summary(), _annotator_summary(inventory), rounds, reports)


def _annotator_summary(inventory: Inventory) -> dict[str, AnnotatorSummary]:
    ids = sorted(set(inventory.emails) | set(inventory.annotations_by_annotator) | set(inventory.cancelled))
    return {
        str(a): AnnotatorSummary(
            inventory.emails.get(a),
            inventory.annotations_by_annotator.get(a, 0),
            inventory.ground_truth_by_annotator.get(a, 0),
            inventory.cancelled.get(a, 0),
            inventory.median_lead_time.get(a),
        )
        for a in ids
    }
