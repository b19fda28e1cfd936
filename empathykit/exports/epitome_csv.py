"""The EPITOME release's CSV format, read row for row and written back.

One file per mechanism (``emotional-reactions-reddit.csv`` …), columns
``sp_id,rp_id,seeker_post,response_post,level,rationales``; ``rationales`` is
the parts of the response that support the level, each followed by ``|``
(``"I'm sorry|so sad|"``). The files are what Python's ``csv`` writer makes:
minimal quoting, ``\\r\\n`` between rows, none after the last.

:func:`read_release` keeps everything the format holds (row order, repeated
pairs, the texts as released, HTML entities included, and each rationale
part verbatim), so :func:`write_epitome_csv` reproduces the release byte for
byte from a dataset of it. Rows that come from annotations have spans only;
their rationales are the span texts in response order.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any, Iterable, Mapping

from empathykit.errors import ExportError
from empathykit.exports.aggregate import aggregate, attach_inputs
from empathykit.io import atomic_path, check_output
from empathykit.releases.epitome import COLUMNS, FILE_NAMES
from empathykit.schemas import epitome
from empathykit.table.annotations import check_values, read_adjudications, read_annotations, read_items, schema_of
from empathykit.table.columns import items_path


def rationale_string(row: Mapping[str, Any]) -> str:
    """The release's ``rationales`` cell: verbatim parts when the row has them
    (an import), else the span texts in response order (annotations)."""
    texts = row.get("rationale_texts")
    if texts is None:
        spans = sorted(row.get("rationales") or [], key=lambda s: (s["start"], s["end"]))
        texts = [s["text"] for s in spans]
    return "".join(f"{t}|" for t in texts)


def _ids(row: Mapping[str, Any]) -> tuple[str, str]:
    sp_id, rp_id = row.get("sp_id"), row.get("rp_id")
    if not sp_id:
        sp_id = "sp-" + hashlib.sha1(str(row["seeker_post"]).encode("utf-8")).hexdigest()[:12]
    return str(sp_id), str(rp_id or row.get("item_id") or "")


def epitome_csv_text(rows: Iterable[Mapping[str, Any]]) -> str:
    """One mechanism file's text; ``rows`` need ``seeker_post``,
    ``response_post``, ``level`` (0/1/2; or an export's ``label``) and ``rationales`` spans or
    ``rationale_texts``; ``sp_id``/``rp_id`` when known (else from the
    seeker post's hash and ``item_id``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # minimal quoting, "\r\n", as the release
    writer.writerow(COLUMNS)
    for row in rows:
        level = row["level"] if "level" in row else row["label"]  # an export's label is the level's class id
        if level not in (0, 1, 2):
            raise ExportError(f"EPITOME CSV: level {level!r} of {row.get('item_id')!r} is not 0, 1 or 2")
        cells = json.loads(row.get("release_cells") or "{}")  # the release's own spelling, where decoding changed it
        writer.writerow(
            [
                *_ids(row),
                cells.get("seeker_post", row["seeker_post"]),
                cells.get("response_post", row["response_post"]),
                level,
                rationale_string(row),
            ]
        )
    return buffer.getvalue()[:-2]  # no line end after the last row, as the release


def write_epitome_csv(tables: Mapping[str, Iterable[Mapping[str, Any]]], out_dir: str | Path) -> list[Path]:
    """Write one release-format file per mechanism in ``tables`` (mechanism ->
    rows) into ``out_dir``, atomically and as a whole; returns the files."""

    unknown = [m for m in tables if m not in FILE_NAMES]
    if unknown:
        raise ExportError(f"EPITOME CSV: unknown mechanism(s) {unknown}; expected some of {list(FILE_NAMES)}")
    texts = {m: epitome_csv_text(rows) for m, rows in tables.items()}  # every check before anything is written
    out = check_output(out_dir, "dir", output="export", label="export folder")
    with atomic_path(out, output="export", label="export folder") as tmp:
        tmp.mkdir()
        for mechanism, text in texts.items():
            (tmp / FILE_NAMES[mechanism]).write_bytes(text.encode("utf-8"))
    return [out / FILE_NAMES[m] for m in texts]


def rows_of_export(export_dir: str | Path) -> dict[str, list[dict[str, Any]]]:
    """mechanism -> rows of an export folder's EPITOME mechanism configs
    (``OUT/<mechanism>/<split>.parquet``, every split; release order when the
    rows carry ``release_row``, else split by split), ready for
    :func:`write_epitome_csv`."""
    import pyarrow.parquet as pq

    tables = {}
    for mechanism in FILE_NAMES:
        files = [Path(export_dir) / mechanism / f"{split}.parquet" for split in ("train", "validation", "test")]
        rows = [row for file in files if file.is_file() for row in pq.read_table(file).to_pylist()]
        if not rows:
            continue
        if "release_row" in rows[0]:
            rows.sort(key=lambda row: row["release_row"])
        tables[mechanism] = rows
    if not tables:
        raise ExportError(
            f"{export_dir}: no EPITOME mechanism config ({', '.join(FILE_NAMES)})",
            hint="export annotations made with the epitome schema, or epitome:DIR",
        )
    return tables


def rows_from_annotations(
    annotations: str | Path,
    *,
    items: str | Path | None = None,
    adjudicated: str | Path | None = None,
    schema_options: Mapping[str, Any] | None = None,
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
    """mechanism -> rows aggregated from pulled ``epitome`` annotations (the
    export's rules: majority level, character-majority rationale spans,
    adjudications final), and per mechanism the items left out because their
    level tied or was not annotated. ``sp_id``/``rp_id`` come from the items
    table when it has them (items pushed from ``epitome:DIR`` do)."""

    schema = schema_of(annotations, "epitome", dict(schema_options or {}))
    if not Path(annotations).is_file():
        raise ExportError(
            f"{annotations}: no such annotations file", hint="pass the Parquet file `empathykit annotate pull -o` wrote"
        )
    item_table = read_items(items or items_path(annotations), error=ExportError)
    tidy = read_annotations(annotations, error=ExportError)
    check_values(tidy, schema, error=ExportError)
    table = attach_inputs(
        aggregate(tidy, schema, read_adjudications(adjudicated) if adjudicated else None), item_table, schema
    )
    ids = item_table.drop_duplicates("item_id").set_index("item_id")
    tables, left_out = {}, {}
    for mechanism in schema.options["mechanisms"]:
        rows = []
        for record in table.to_dict("records"):
            level = record[mechanism]
            if not isinstance(level, str):  # tied or not annotated: no level to write
                continue
            known = {k: ids.at[record["item_id"], k] for k in ("sp_id", "rp_id") if k in ids.columns}
            rows.append(
                {
                    "item_id": record["item_id"],
                    **{k: v for k, v in known.items() if isinstance(v, str) and v},
                    "seeker_post": record["seeker_post"],
                    "response_post": record["response_post"],
                    "level": epitome.LEVELS.index(level),
                    "rationales": record.get(epitome.rationale_field(mechanism)) or [],
                }
            )
        tables[mechanism], left_out[mechanism] = rows, len(table) - len(rows)
    return tables, left_out
