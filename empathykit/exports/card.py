"""The dataset card's facts and body for annotation exports.

What the card states beyond the writer's config table: counts per split and
label, the aggregation, agreement per field with its intervals (the JSON
``empathykit agreement compute`` writes, given with ``--agreement`` or found as
``agreement.json`` beside the annotations), the schema and its options, the
collection (filter's ``*.counts.json``: topics, lexicon, stage counts) when
given or found beside the annotations, license and citation. Everything is
read before any output is written, so a bad file stops the export in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from empathykit import __version__
from empathykit.errors import ExportError
from empathykit.io import read_json_document
from empathykit.table.agreement import AgreementResult, read_agreement

#: Papers that defined each annotation scheme (cited on the card of exports made with it).
SCHEME_CITATIONS = {
    "seek-provide": "@inproceedings{hosseini2021takes,\n  title={It Takes Two to Empathize: One to Seek and One to Provide},\n"
    "  author={Hosseini, Mahshid and Caragea, Cornelia},\n  booktitle={AAAI},\n  year={2021}\n}",
    "epitome": "@inproceedings{sharma2020empathy,\n  title={A Computational Approach to Understanding Empathy Expressed "
    "in Text-Based Mental Health Support},\n  author={Sharma, Ashish and Miner, Adam S and Atkins, David C "
    "and Althoff, Tim},\n  booktitle={EMNLP},\n  year={2020}\n}",
}


#: task data column naming the model whose predictions annotators saw (written by ``annotate next-round``)
PRELABEL_COLUMN = "prelabel_model_version"


@dataclass
class CardFacts:
    """What the card states about an annotation export, gathered up front."""

    license: str = "other"
    agreement: AgreementResult | None = None
    agreement_file: str = ""
    collection: dict[str, Any] | None = None
    collection_file: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _read_json(path: Path, what: str, required_key: str, hint: str) -> dict[str, Any]:
    return read_json_document(path, what, required_key, hint, ExportError)


def _beside(annotations: Path, pattern: str) -> Path | None:
    found = sorted(annotations.parent.glob(pattern))
    return found[0] if len(found) == 1 else None


def gather_facts(
    annotations: str | Path,
    *,
    agreement: str | Path | None = None,
    collection: str | Path | None = None,
    license: str | None = None,
) -> CardFacts:
    """Read the agreement and collection files (given, or the one found beside ``annotations``)."""
    annotations = Path(annotations)
    facts = CardFacts(license=license or "other")
    agreement_path = Path(agreement) if agreement else _beside(annotations, "agreement.json")
    if agreement_path is not None:
        facts.agreement = read_agreement(agreement_path, error=ExportError)
        facts.agreement_file = agreement_path.name
    collection_path = Path(collection) if collection else _beside(annotations, "*.counts.json")
    if collection_path is not None:
        facts.collection = _read_json(
            collection_path,
            "filter counts",
            "stages",
            "pass the counts JSON `empathykit filter` wrote (<output>.counts.json)",
        )
        facts.collection_file = collection_path.name
    facts.extra["prelabelled_by"] = prelabel_counts(annotations)
    return facts


def prelabel_counts(annotations: Path) -> dict[str, int]:
    """Items per model version that pre-labelled them (pre-labels bias annotators, so the card says so)."""
    import pyarrow.parquet as pq

    items = annotations.with_name(annotations.stem + ".items.parquet")
    if not items.is_file() or PRELABEL_COLUMN not in pq.read_schema(items).names:
        return {}
    counts: dict[str, int] = {}
    for value in pq.read_table(items, columns=[PRELABEL_COLUMN]).column(0).to_pylist():
        if value:
            counts[value] = counts.get(value, 0) + 1
    return counts


def _fmt(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def agreement_lines(result: AgreementResult) -> list[str]:
    settings = result.settings
    level = int(round(100 * settings.confidence))
    lines = [
        "## Agreement",
        "",
        f"From `empathykit agreement compute` ({settings.n_boot} bootstrap resamples over units, "
        f"seed {settings.seed}).",
        "",
        f"| field | coefficient | value | {level}% interval | units |",
        "| --- | --- | ---: | --- | ---: |",
    ]
    for name, report in result.fields.items():
        if report.not_applicable:
            lines.append(f"| `{name}` | — | — | — | {report.not_applicable} |")
            continue
        units = report.agreement.pairable_units if report.agreement else None
        for coefficient, est in report.coefficients.items():
            interval = f"[{_fmt(est.ci[0])}, {_fmt(est.ci[1])}]" if est.ci else est.undefined or "—"
            lines.append(f"| `{name}` | {coefficient} | {_fmt(est.value)} | {interval} | {_fmt(units)} |")
    return lines + [""]


def collection_lines(counts: dict[str, Any]) -> list[str]:
    config = counts.get("config", {})
    lines = ["## Collection", ""]
    if counts.get("query"):
        lines.append(f"- query: `{counts['query']}`")
    if config.get("topics"):
        lines.append(f"- topics: {', '.join(f'`{t}`' for t in config['topics'])}")
    lexicon = config.get("lexicon")
    if isinstance(lexicon, dict):
        lines.append(f"- lexicon: {lexicon.get('name')} ({lexicon.get('words')} words)")
    lines.append(f"- filter: {counts.get('input')} posts in, {counts.get('kept')} kept")
    lines += ["", "| stage | dropped | remaining |", "| --- | ---: | ---: |"]
    lines += [f"| {s.get('stage')} | {s.get('dropped')} | {s.get('remaining')} |" for s in counts.get("stages", [])]
    return lines + [""]


def label_count_lines(label_counts: dict[str, dict[str, int]]) -> list[str]:
    labels = sorted({label for counts in label_counts.values() for label in counts})
    if not labels:
        return []
    splits = list(label_counts)
    lines = ["## Labels per split", "", "| label | " + " | ".join(splits) + " |", "| --- |" + " ---: |" * len(splits)]
    lines += [
        f"| {label} | " + " | ".join(str(label_counts[s].get(label, 0)) for s in splits) + " |" for label in labels
    ]
    return lines + [""]


def _grouping(report) -> str:
    columns = report.group_by
    return f", whole groups by {', '.join(f'`{c}`' for c in columns)}" if columns else ""


def _left_out(report) -> str:
    n = report.left_out
    return (
        (
            f"; {n} labelled items left out (pairs whose two stories fell in different splits, so that no "
            "test story is seen in training)"
        )
        if n
        else ""
    )


def card_body(report, schema, facts: CardFacts, aggregation: str) -> str:
    """Markdown after the writer's config table (``report``: ``hf.ExportReport``)."""
    options = ", ".join(f"`{k}={v}`" for k, v in sorted(report.schema_options.items())) or "none"

    lines = [
        f"Exported by empathykit {__version__} from Label Studio annotations.",
        "",
        "## Schema",
        "",
        f"`{schema.name}` ({schema.title}); options: {options}.",
        "",
        *[
            f"- `{'label' if f.name == schema.target else f.name}` ({f.kind}, {f.level}): {f.description or f.name}"
            for f in schema.fields
        ],
        "",
        "## Splits",
        "",
        f"Stratified by `label`{_grouping(report)}, seed {report.seed}, fractions {list(report.fractions)} "
        f"asked, {report.fractions_achieved} achieved{_left_out(report)}. "
        f"{report.items_annotated} items annotated, {report.ties} tied (in `ties.parquet`, in no split), "
        f"{report.unlabelled} unlabelled, {report.adjudicated} adjudicated; {report.not_annotated} pushed "
        "items were never annotated (in no split).",
        "",
        *label_count_lines(report.label_counts),
        "## Aggregation",
        "",
        f"{aggregation}. Adjudicated values are final.",
        "",
    ]
    if facts.agreement:
        lines += agreement_lines(facts.agreement)
    if facts.collection:
        lines += collection_lines(facts.collection)
    if facts.extra.get("prelabelled_by"):
        shown = ", ".join(f"`{v}` ({n} items)" for v, n in facts.extra["prelabelled_by"].items())
        lines += [
            "## Pre-labelling",
            "",
            f"Annotators saw model predictions on some items before answering "
            f"(pre-labels can bias annotators toward the model): {shown}.",
            "",
        ]
    lines += ["## License", "", f"`{facts.license}` (set with `--license`).", ""]
    return "\n".join(lines)


def card_dict(schema, facts: CardFacts, aggregation: str) -> dict[str, Any]:
    """The card facts the writer puts in the YAML header and export.json."""
    card: dict[str, Any] = {
        "pretty_name": schema.title,
        "license": facts.license,
        "source": f"Label Studio annotations, schema {schema.name}",
        "aggregation": aggregation,
    }
    if schema.name in SCHEME_CITATIONS:
        card["citation"] = SCHEME_CITATIONS[schema.name]
    if facts.agreement_file:
        card["agreement"] = facts.agreement_file
    if facts.collection_file:
        card["collection"] = facts.collection_file
    if facts.extra.get("prelabelled_by"):
        card["prelabelled_by"] = dict(facts.extra["prelabelled_by"])
    return card
