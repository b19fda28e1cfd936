"""CLI of `empathykit agreement`: compute, report, disagreements, errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import SAMPLES
from tables import Table, seek_table  # tests/ is on sys.path (rootdir conftest)
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.schemas import get_schema


@pytest.fixture
def annotations(tmp_path):
    path = tmp_path / "annotations.parquet"
    frame = seek_table().frame()
    frame.loc[0, "annotator_email"] = "changed@example.org"  # an identity problem to report
    frame.to_parquet(path)
    return path


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def flat(text: str) -> str:
    """Output with the console's line wrapping undone."""
    return " ".join(text.split())


def test_compute_writes_json_and_prints_a_table(annotations, tmp_path):
    out = tmp_path / "agreement.json"
    result = run("agreement", "compute", annotations, "--out", out, "--bootstrap", 100)
    assert result.exit_code == 0, result.output
    assert "alpha" in result.output and "Gwet AC1" in result.output and "several emails" in result.output
    assert "annotator pairs" in result.output and "a2@" in result.output
    data = json.loads(out.read_text())
    assert data["settings"]["n_boot"] == 100
    assert data["fields"]["empathy"]["coefficients"]["krippendorff_alpha"]["ci"]


def test_compute_json_on_stdout_only_when_asked(annotations, tmp_path):
    result = CliRunner().invoke(
        app, ["agreement", "compute", str(annotations), "--out", str(tmp_path / "a.json"), "-b", "50", "--json"]
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["schema"] == "seek-provide"
    quiet = CliRunner().invoke(
        app, ["agreement", "compute", str(annotations), "--out", str(tmp_path / "b.json"), "-b", "0"]
    )
    assert quiet.stdout == ""


def test_report_writes_markdown_html_json_and_plots(annotations, tmp_path):
    out = tmp_path / "report"
    result = run("agreement", "report", annotations, "--out", out, "-b", 100)
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {
        "report.md",
        "report.html",
        "agreement.json",
        "coefficients.png",
        "rounds_empathy.png",
        "confusion_empathy.png",
        "annotators_empathy.png",
    } <= names
    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (out / "report.md").read_text()
    assert "## Summary" in markdown and "![" in markdown and "By round" in markdown
    page = (out / "report.html").read_text()
    assert "<img src='coefficients.png'" in page and "</html>" in page


def epitome_annotations(tmp_path, n_items=60):
    """Three simulated annotators on real EPITOME (emotional reactions) posts: the
    first gives the released level and rationales, the others deviate on a
    fixed share of items (a level off by one, a rationale cut short)."""
    schema = get_schema("epitome", mechanisms="ER")
    level_field, span_field = schema.fields
    data = pd.read_csv(SAMPLES / "epitome" / "emotional-reactions-reddit.csv").head(n_items)
    table = Table()
    for position, row in enumerate(data.itertuples()):
        item = f"{row.sp_id}_{row.rp_id}"
        text = row.response_post
        spans = []
        for piece in str(row.rationales).split("|") if isinstance(row.rationales, str) else []:
            piece = piece.strip()
            start = text.find(piece)
            if piece and start >= 0:
                spans.append({"start": start, "end": start + len(piece), "text": piece, "label": span_field.labels[0]})
        for annotator in (1, 2, 3):
            level, marked = int(row.level), spans
            if annotator > 1 and (position + annotator) % 5 == 0:
                level = min(2, level + 1)
            if annotator == 3 and position % 3 == 0 and spans:
                cut = spans[0]["start"] + max(1, (spans[0]["end"] - spans[0]["start"]) // 2)
                marked = [{**spans[0], "end": cut, "text": text[spans[0]["start"] : cut]}] + spans[1:]
            table.add(item, annotator, {level_field.name: schema.fields[0].labels[level], span_field.name: marked})
    path = tmp_path / "epitome.parquet"
    table.frame().to_parquet(path)
    items = pd.DataFrame(
        {
            "item_id": [f"{r.sp_id}_{r.rp_id}" for r in data.itertuples()],
            "seeker_post": data["seeker_post"],
            "response_post": data["response_post"],
        }
    )
    items.to_parquet(tmp_path / "epitome.items.parquet")
    return path, schema


def test_report_on_epitome_posts_with_rationale_spans(tmp_path):
    path, schema = epitome_annotations(tmp_path)
    out = tmp_path / "report"
    result = run("agreement", "report", path, "--schema", "epitome", "-O", "mechanisms=ER", "--out", out, "-b", 100)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "agreement.json").read_text())
    level_field, span_field = schema.field_names
    assert data["fields"][level_field]["level"] == "ordinal"
    assert data["fields"][level_field]["coefficients"]["gwet_ac2"]["value"] > 0.5
    spans = data["fields"][span_field]
    assert spans["tokens"] == "item text"  # the items table beside the annotations was found
    assert 0 < spans["coefficients"]["token_f1"]["value"] < 1
    assert spans["coefficients"]["u_alpha"]["value"] is not None
    assert (out / f"annotators_{span_field}.png").exists()


def test_disagreements_to_csv_and_push_needs_a_project(annotations, tmp_path):
    out = tmp_path / "d.csv"
    result = run("agreement", "disagreements", annotations, "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert set(table.columns) >= {"item_id", "field", "answers"} and len(table)
    result = run("agreement", "disagreements", annotations, "--out", out, "--push")
    assert result.exit_code == 1 and "--project" in flat(result.output)


def test_errors_are_one_red_line(annotations, tmp_path):
    result = run("agreement", "compute", tmp_path / "missing.parquet")
    assert result.exit_code == 1 and "no such file; expected the annotations" in flat(result.output)
    result = run("agreement", "compute", annotations, "--schema", "nope")
    assert result.exit_code == 1 and "unknown schema 'nope'" in flat(result.output)
    result = run("agreement", "compute", annotations, "--weights", "cubic", "--out", tmp_path / "x.json")
    assert result.exit_code == 2 and "'cubic' is not one of 'linear'" in flat(result.output)
    assert "Traceback" not in result.output
