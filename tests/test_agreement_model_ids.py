"""``agreement compute --model-predictions FILE`` reads ``predict``'s own output: items keyed as push keyed
them (``--id-column id``, ``id``, or the hash of the inputs), the model version from the file's metadata."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from empathykit.agreement.model_rater import model_agreement
from empathykit.cli.main import app
from empathykit.errors import AgreementError
from empathykit.records import content_id
from empathykit.schemas import get_schema
from tests.test_agreement_model import MODEL, _table

SEEK = get_schema("seek-provide")
TEXTS = {item: f"text of {item}" for item in MODEL}


def predictions_file(path, columns: dict, version: str | None = "seek-ab12cd34"):
    """A predictions Parquet as ``predict`` writes it (the version in the file's metadata)."""
    table = pa.table({**columns, "prediction": list(MODEL.values())})
    if version is not None:
        table = table.replace_schema_metadata({b"empathykit.model_version": version.encode()})
    pq.write_table(table, path)
    return path


def test_predictions_keyed_by_the_id_column_push_used(tmp_path):
    path = predictions_file(tmp_path / "pre.parquet", {"id": list(MODEL), "text": list(TEXTS.values())})
    result = model_agreement(_table(), path, SEEK)
    assert result["items_predicted"] == 4 and result["rounds"]["all"]["majority"]["units"] == 2
    assert result["model_version"] == "seek-ab12cd34"  # from the metadata, not the file name
    renamed = predictions_file(tmp_path / "other.parquet", {"tweet": list(MODEL), "text": list(TEXTS.values())})
    assert model_agreement(_table(), renamed, SEEK, id_column="tweet")["items_predicted"] == 4


def test_predictions_of_items_push_identified_by_their_text(tmp_path):
    table = _table()
    table["item_id"] = [content_id({"text": TEXTS[i]}, ("text",)) for i in table["item_id"]]
    path = predictions_file(tmp_path / "pre.parquet", {"text": list(TEXTS.values())}, version=None)
    result = model_agreement(table, path, SEEK)
    assert result["rounds"]["all"]["majority"]["units"] == 2 and result["model_version"] == "pre"


def test_predictions_with_no_way_to_identify_items_say_so(tmp_path):
    path = predictions_file(tmp_path / "pre.parquet", {"body": list(TEXTS.values())})
    with pytest.raises(AgreementError, match="no item_id or id column"):
        model_agreement(_table(), path, SEEK)


def test_cli_takes_the_id_column(tmp_path):
    _table().to_parquet(tmp_path / "ann.parquet")
    path = predictions_file(tmp_path / "pre.parquet", {"tweet": list(MODEL), "text": list(TEXTS.values())})
    result = CliRunner().invoke(
        app,
        [
            "agreement",
            "compute",
            str(tmp_path / "ann.parquet"),
            "-s",
            "seek-provide",
            "-b",
            "0",
            "-o",
            str(tmp_path / "agr.json"),
            "--model-predictions",
            str(path),
            "--id-column",
            "tweet",
        ],
    )
    assert result.exit_code == 0, result.output
    model = json.loads((tmp_path / "agr.json").read_text())["model"]
    assert model["model_version"] == "seek-ab12cd34" and model["items_predicted"] == 4
