"""The schema, with its options, travels with the data (issue 8, point 3).

An ``emotion`` project pushed with ``-O labels=emolit`` and annotated ``love``
(an emolit label, not a Plutchik one) against the real Label Studio: pull
records the schema and options in the Parquet metadata; export and agreement
use them with no ``-s``/``-O``; a value outside the labels, or a ``-s`` that
contradicts the record, is one line, never a silent drop."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from empathykit.agreement.compute import compute_agreement
from empathykit.annotate.pull import pull
from empathykit.cli.main import app
from empathykit.errors import AgreementError, ExportError, SchemaError
from empathykit.exports.hf import export_dataset
from empathykit.schemas import get_schema
from empathykit.schemas.emotion import PRESETS
from empathykit.table.agreement import Settings
from empathykit.table.annotations import recorded_schema

pytestmark = pytest.mark.studio

EMOLIT = get_schema("emotion", labels="emolit")
TEXTS = [
    "I love you all so much",
    "So happy my scan came back clear",
    "Thank you for being here",
    "Lost my dad to cancer today",
    "Can't stop smiling after chemo ended",
    "Hugs to everyone in the ward",
    "Finally some rest after the surgery",
    "Waiting for results is so boring",
    "Scared of tomorrow's biopsy",
    "Love this support group",
]
# two annotators, the same emolit labels (love is not a Plutchik emotion)
VOTES = [
    ["love"],
    ["joy"],
    ["love", "relief"],
    ["sadness"],
    ["joy"],
    ["love"],
    ["relief", "calmness"],
    ["boredom"],
    ["fear"],
    ["love", "trust"],
]


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def emolit_pull(studio, tmp_path_factory):
    """Pushed from the command line with -O labels=emolit, annotated, pulled (once per module)."""
    tmp_path = tmp_path_factory.mktemp("emolit")
    items = tmp_path / "items.jsonl"
    items.write_text("".join(json.dumps({"item_id": f"e{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    title = studio.project_title("emolit travel")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in studio.env().items():
            patch.setenv(key, value)
        result = CliRunner().invoke(
            app, ["annotate", "push", "-i", str(items), "-s", "emotion", "-O", "labels=emolit", "-p", title]
        )
    assert result.exit_code == 0, result.output
    studio_env = studio
    annotators = studio_env.make_annotators(2)
    project = studio_env.client().projects.list(title=title)
    project_id = next(p.id for p in project if p.title == title)
    for task in studio_env.tasks(project_id):
        votes = VOTES[int(task["data"]["item_id"][1:])]
        for account in annotators:
            studio_env.submit(task["id"], EMOLIT.to_results({"emotions": votes, "sentiment": "positive"}), account)
    out = tmp_path / "annotations.parquet"
    pull(project_id, out=out, connection=studio_env.connection)
    return out


def test_emolit_round_trip_exports_the_annotated_labels(emolit_pull, tmp_path):
    assert recorded_schema(emolit_pull) == ("emotion", {"labels": "emolit"})
    result = CliRunner().invoke(app, ["export", str(emolit_pull), "-o", str(tmp_path / "export")])
    assert result.exit_code == 0, result.output

    from empathykit import exports

    dataset = exports.load(tmp_path / "export").dataset
    names = dataset["train"].features["label"].feature.names
    assert tuple(names) == PRESETS["emolit"] and "love" in names
    got = {row["item_id"]: sorted(names[i] for i in row["label"]) for split in dataset.values() for row in split}
    assert got == {f"e{i}": sorted(v) for i, v in enumerate(VOTES)}
    report = json.loads((tmp_path / "export" / "export.json").read_text())
    assert report["schema"] == "emotion" and report["schema_options"] == {"labels": "emolit"}


def test_agreement_reads_the_recorded_options(emolit_pull, tmp_path):
    result = compute_agreement(emolit_pull, settings=Settings(n_boot=0))
    assert result.schema == "emotion"
    # both annotators gave the same sets: perfect agreement on every item
    alpha = result.fields["emotions"].coefficients["krippendorff_alpha"].value
    assert alpha == pytest.approx(1.0)
    cli = CliRunner().invoke(app, ["agreement", "compute", str(emolit_pull), "-o", str(tmp_path / "a.json"), "-b", "0"])
    assert cli.exit_code == 0, cli.output
    assert json.loads((tmp_path / "a.json").read_text())["schema"] == "emotion"


def test_values_outside_the_labels_are_refused_in_one_line(emolit_pull, tmp_path):
    runner = CliRunner()
    for args in (
        ["export", str(emolit_pull), "-O", "labels=plutchik", "-o", str(tmp_path / "x")],
        ["agreement", "compute", str(emolit_pull), "-O", "labels=plutchik", "-o", str(tmp_path / "x.json")],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, result.output
        message = flat(result.output)
        assert "value 'love' does not fit schema 'emotion'" in message
        assert f"allowed labels: {list(PRESETS['plutchik'])}" in message
        assert "Traceback" not in result.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.json").exists()
    with pytest.raises(ExportError, match="value 'love' does not fit"):
        export_dataset(emolit_pull, None, tmp_path / "y", schema_options={"labels": "plutchik"})
    with pytest.raises(AgreementError, match="value 'love' does not fit"):
        compute_agreement(emolit_pull, get_schema("emotion"), settings=Settings(n_boot=0))


def test_a_contradicting_schema_is_refused(emolit_pull, tmp_path):
    result = CliRunner().invoke(app, ["export", str(emolit_pull), "-s", "seek-provide", "-o", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert (
        "pulled with schema 'emotion' with options {\"labels\": \"emolit\"}; --schema 'seek-provide' contradicts it"
        in flat(result.output)
    )
    with pytest.raises(SchemaError, match="contradicts"):
        compute_agreement(emolit_pull, "seek-provide")
    # naming the recorded schema is fine; its recorded options still apply
    assert pq.read_schema(emolit_pull).metadata
    assert compute_agreement(emolit_pull, "emotion", settings=Settings(n_boot=0)).schema == "emotion"
