"""EPITOME release format: read row for row, written back byte for byte."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest
from conftest import SAMPLES, whole_release

from empathykit.errors import ExportError, InputError
from empathykit.exports.epitome_csv import epitome_csv_text, rationale_string, write_epitome_csv
from empathykit.releases.epitome import FILE_NAMES, read_release

DATA = SAMPLES / "epitome"  # a cut of the release, byte for byte
LEVELS = {
    "emotional_reactions": (2037, 895, 152),
    "interpretations": (1626, 114, 1344),
    "explorations": (2604, 104, 376),
}


@pytest.fixture(scope="module")
def release():
    problems = []
    return read_release(DATA, on_problem=problems.append), problems


def test_release_rows_and_level_counts_match_the_data_readme():
    tables = read_release(whole_release("epitome"), on_problem=lambda problem: None)
    assert list(tables) == list(LEVELS)
    for mechanism, rows in tables.items():
        counts = collections.Counter(r["level"] for r in rows)
        assert (counts[0], counts[1], counts[2]) == LEVELS[mechanism]
        assert len(rows) == 3084 and [r["release_row"] for r in rows] == list(range(3084))
        assert len({r["item_id"] for r in rows}) == 3084  # repeated pairs get #2, #3


def test_rationales_located_in_the_response_unlocated_ones_kept_and_reported(release):
    tables, problems = release
    located = [s for rows in tables.values() for r in rows for s in r["rationales"]]
    assert located and all(
        r["response_post"][s["start"] : s["end"]] == s["text"]
        for rows in tables.values()
        for r in rows
        for s in r["rationales"]
    )
    assert problems and all("kept verbatim" in p.message for p in problems)
    # every reported part is still among the row's verbatim rationale texts
    by_id = {(Path(p.path).name, p.item_id) for p in problems}
    rows = {(FILE_NAMES[m], r["item_id"].split("#")[0]): r for m, rs in tables.items() for r in rs}
    for key in by_id:
        row = rows[key]
        assert len([t for t in row["rationale_texts"] if t.strip()]) > len(row["rationales"])


@pytest.mark.parametrize("mechanism", list(LEVELS))
def test_release_files_reproduced_byte_for_byte(release, tmp_path, mechanism):
    tables, _ = release
    files = write_epitome_csv({mechanism: tables[mechanism]}, tmp_path / "out")
    assert [f.name for f in files] == [FILE_NAMES[mechanism]]
    assert files[0].read_bytes() == (DATA / FILE_NAMES[mechanism]).read_bytes()


def test_annotation_rows_write_span_texts_in_response_order():
    row = {
        "item_id": "x1",
        "seeker_post": 'I feel "lost", alone',
        "response_post": "So sorry. Are you ok?",
        "level": 2,
        "rationales": [
            {"start": 10, "end": 21, "text": "Are you ok?", "label": "exploration"},
            {"start": 0, "end": 9, "text": "So sorry.", "label": "exploration"},
        ],
    }
    assert rationale_string(row) == "So sorry.|Are you ok?|"
    text = epitome_csv_text([row, {**row, "item_id": "x2", "level": 0, "rationales": []}])
    lines = text.split("\r\n")
    assert lines[0] == "sp_id,rp_id,seeker_post,response_post,level,rationales"
    assert lines[1].endswith(',x1,"I feel ""lost"", alone",So sorry. Are you ok?,2,So sorry.|Are you ok?|')
    assert lines[2].endswith(",0,") and not text.endswith("\r\n")
    assert lines[1].split(",")[0] == lines[2].split(",")[0]  # the same seeker post, the same sp_id


def test_bad_level_and_unknown_mechanism_fail_before_writing(tmp_path):
    row = {"item_id": "x", "seeker_post": "a", "response_post": "b", "level": 3, "rationales": []}
    with pytest.raises(ExportError, match="level 3"):
        write_epitome_csv({"emotional_reactions": [row]}, tmp_path / "out")
    with pytest.raises(ExportError, match="unknown mechanism"):
        write_epitome_csv({"empathy": [{**row, "level": 0}]}, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_missing_columns_and_files_are_one_line(tmp_path):
    bad = tmp_path / "emotional-reactions-reddit.csv"
    bad.write_text("sp_id,rp_id,seeker_post,response_post,level\n1,2,a,b,0\n")
    with pytest.raises(InputError, match="missing column.*rationales"):
        read_release(bad)
    with pytest.raises(InputError, match="no such file or folder"):
        read_release(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no EPITOME files"):
        read_release(tmp_path / "empty")
    other = tmp_path / "other-reddit.csv"
    other.write_text("a\n")
    with pytest.raises(InputError, match="no EPITOME mechanism file"):
        read_release(other)


def test_cli_reproduces_the_release_and_rejects_unknown_data_sets(tmp_path):
    from typer.testing import CliRunner

    from empathykit.cli.main import app

    runner = CliRunner()
    result = runner.invoke(app, ["export", f"epitome:{DATA}", "--format", "epitome-csv", "-o", str(tmp_path / "csv")])
    assert result.exit_code == 0, result.output
    for name in FILE_NAMES.values():
        assert (tmp_path / "csv" / name).read_bytes() == (DATA / name).read_bytes()
    result = runner.invoke(app, ["export", "epitom:x", "-o", str(tmp_path / "bad")])
    assert result.exit_code == 1 and "unknown data set 'epitom'; expected one of epitome, newsemp" in result.output
    result = runner.invoke(
        app, ["export", "sst2:/no/such/folder", "--format", "epitome-csv", "-o", str(tmp_path / "bad")]
    )
    assert result.exit_code == 1 and "epitome-csv writes EPITOME data" in result.output
    assert not (tmp_path / "bad").exists()


def test_release_to_dataset_to_csv_is_byte_identical(tmp_path):
    """The dataset keeps all the format holds: splits merged back in release order give the files."""
    from empathykit.exports.epitome_csv import rows_of_export
    from empathykit.exports.importers import export_import

    export_import(f"epitome:{DATA}", tmp_path / "export", seed=5, on_problem=lambda problem: None)
    tables = rows_of_export(tmp_path / "export")
    assert list(tables) == list(LEVELS)
    write_epitome_csv(tables, tmp_path / "csv")
    for name in FILE_NAMES.values():
        assert (tmp_path / "csv" / name).read_bytes() == (DATA / name).read_bytes()
    with pytest.raises(ExportError, match="no EPITOME mechanism config"):
        rows_of_export(tmp_path / "csv")


def _tidy(values):
    """Tidy annotation rows from ``[(item, annotator, field, value)]``."""
    import pandas as pd

    from empathykit.table.columns import TIDY_COLUMNS, encode_value

    at = pd.Timestamp("2026-01-01", tz="UTC")
    rows = [
        {
            "project_id": 1,
            "task_id": hash(item) % 1000,
            "item_id": item,
            "round": 1,
            "annotation_id": n,
            "annotator_id": annotator,
            "annotator_email": f"a{annotator}@example.org",
            "field": field,
            "value": encode_value(value),
            "was_cancelled": False,
            "ground_truth": False,
            "lead_time": 2.0,
            "created_at": at + pd.Timedelta(seconds=n),
            "updated_at": at + pd.Timedelta(seconds=n),
        }
        for n, (item, annotator, field, value) in enumerate(values)
    ]
    return pd.DataFrame(rows, columns=list(TIDY_COLUMNS))


def test_annotations_to_epitome_csv(tmp_path):
    import pandas as pd

    from empathykit.exports.epitome_csv import rows_from_annotations

    response = "I'm so sorry. What happened?"
    sorry = {"start": 0, "end": 13, "text": "I'm so sorry.", "label": "emotional reaction"}
    values = []
    for annotator in (1, 2, 3):
        values += [
            ("p1", annotator, "emotional_reactions", "strong" if annotator < 3 else "weak"),
            ("p1", annotator, "emotional_reactions_rationales", [sorry] if annotator != 2 else []),
            ("p2", annotator, "emotional_reactions", ["no", "weak", "strong"][annotator - 1]),
        ]
    annotations = tmp_path / "ann.parquet"
    _tidy(values).to_parquet(annotations)
    pd.DataFrame(
        [
            {"item_id": "p1", "sp_id": "s1", "rp_id": "r1", "seeker_post": "I lost my job", "response_post": response},
            {"item_id": "p2", "seeker_post": "hi", "response_post": "ok"},
        ]
    ).to_parquet(tmp_path / "ann.items.parquet")
    tables, left_out = rows_from_annotations(annotations, schema_options={"mechanisms": ["emotional_reactions"]})
    assert left_out == {"emotional_reactions": 1}  # p2's level tied
    files = write_epitome_csv(tables, tmp_path / "csv")
    assert files[0].read_bytes() == (
        b"sp_id,rp_id,seeker_post,response_post,level,rationales\r\n"
        b"s1,r1,I lost my job,I'm so sorry. What happened?,2,I'm so sorry.|"
    )
    from typer.testing import CliRunner

    from empathykit.cli.main import app

    result = CliRunner().invoke(
        app, ["export", str(annotations), "-s", "epitome", "--format", "epitome-csv", "-o", str(tmp_path / "cli")]
    )
    assert result.exit_code == 0, result.output
    written = (tmp_path / "cli" / FILE_NAMES["emotional_reactions"]).read_bytes()
    assert written.startswith(files[0].read_bytes())  # all three mechanisms: same ER rows
    result = CliRunner().invoke(
        app, ["export", str(annotations), "-s", "seek-provide", "--format", "epitome-csv", "-o", str(tmp_path / "bad")]
    )
    assert result.exit_code == 1 and "writes EPITOME annotations" in result.output
