"""The export card: Hub YAML read by huggingface_hub's DatasetCard; body with counts, agreement, collection."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.errors import ExportError
from empathykit.exports.hf import export_dataset


def _run(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output


@pytest.fixture
def provenance(annotated, tmp_path):
    """The real `agreement compute` JSON and `filter` counts JSON beside the annotations."""
    annotations, votes = annotated
    _run(
        "agreement",
        "compute",
        str(annotations),
        "-s",
        "seek-provide",
        "-b",
        "30",
        "-o",
        str(tmp_path / "agreement.json"),
    )
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        "\n".join(
            json.dumps({"id": str(i), "text": t, "lang": "en"})
            for i, t in enumerate(
                [
                    "my mum has cancer and I feel so scared and alone tonight",
                    "nice weather today",
                    "cancer treatment starts tomorrow, pain and worry everywhere",
                ]
            )
        )
        + "\n"
    )
    _run("filter", str(posts), "-o", str(tmp_path / "posts.filtered.parquet"))
    return annotations, votes


def test_card_yaml_is_what_the_hub_reads_and_body_states_the_facts(provenance, tmp_path):
    from huggingface_hub import DatasetCard

    annotations, _ = provenance
    report = export_dataset(annotations, "seek-provide", tmp_path / "out", license="cc-by-4.0", method="majority")
    card = DatasetCard.load(tmp_path / "out" / "README.md")
    data = card.data.to_dict()
    assert data["license"] == "cc-by-4.0" and data["language"] == ["en"]
    assert data["pretty_name"] and data["task_categories"] == ["text-classification"]
    names = [c["config_name"] for c in data["configs"]]
    assert names == ["seek-provide", "empathy-vs-none", "seek-vs-rest", "provide-vs-rest"]
    info = {i["config_name"]: i for i in data["dataset_info"]}
    assert {s["name"]: s["num_examples"] for s in info["seek-provide"]["splits"]} == report.split_sizes

    body = card.text
    agreement = json.loads((tmp_path / "agreement.json").read_text())
    alpha = agreement["fields"]["empathy"]["coefficients"]["krippendorff_alpha"]
    assert (
        f"| `empathy` | krippendorff_alpha | {alpha['value']:.3f} | [{alpha['ci'][0]:.3f}, {alpha['ci'][1]:.3f}] |"
        in body
    )
    assert "30 bootstrap resamples" in body
    # counts per split and label, as the report computed them
    for label in ("seeking", "providing", "none"):
        row = f"| {label} | " + " | ".join(str(report.label_counts[s].get(label, 0)) for s in report.split_sizes) + " |"
        assert row in body
    assert "majority vote, ties flagged" in body and "`seek-provide`" in body
    assert "- topics: `cancer`" in body and "3 posts in, 2 kept" in body and "| topic | 1 | 2 |" in body
    assert "`cc-by-4.0`" in body and "hosseini2021takes" in body
    facts = json.loads((tmp_path / "out" / "export.json").read_text())["card"]
    assert facts["agreement"] == "agreement.json" and facts["collection"] == "posts.filtered.counts.json"


def test_card_without_agreement_beside_says_nothing_of_it(annotated, tmp_path):
    annotations, _ = annotated
    export_dataset(annotations, "seek-provide", tmp_path / "out")
    body = (tmp_path / "out" / "README.md").read_text()
    assert "## Agreement" not in body and "## Collection" not in body and "`other`" in body


def test_a_bad_agreement_file_stops_before_anything_is_written(annotated, tmp_path):
    annotations, _ = annotated
    bad = tmp_path / "elsewhere.json"
    bad.write_text('{"schema": "seek-provide"}')
    with pytest.raises(ExportError, match="not agreement JSON \\(no .fields. key\\)"):
        export_dataset(annotations, "seek-provide", tmp_path / "out", agreement=bad)
    with pytest.raises(ExportError, match="no such agreement file"):
        export_dataset(annotations, "seek-provide", tmp_path / "out", agreement=tmp_path / "missing.json")
    assert not (tmp_path / "out").exists()
    result = CliRunner().invoke(app, ["export", str(annotations), "-o", str(tmp_path / "out"), "--agreement", str(bad)])
    assert result.exit_code == 1 and "Traceback" not in result.output and not (tmp_path / "out").exists()
