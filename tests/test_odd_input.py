"""Odd input is read correctly or gets one line, never a traceback (issue 8, point 6)."""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.errors import InputError
from empathykit.pipelines.readers import collect_files
from empathykit.records import read_records
from empathykit.releases.registry import read_dataset

SAMPLE = Path(__file__).resolve().parents[1] / "empathykit" / "pipelines" / "sample_data" / "tweets.jsonl"
TEXT = 'id,text,sentiment\n1,café: my naïve friend\'s cancer pain,love\n2,"a résumé, with a comma",joy\n'
ENCODINGS = {
    "utf-8-bom": codecs.BOM_UTF8 + TEXT.encode("utf-8"),
    "utf-16-le": codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
    "utf-16-be": codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
runner = CliRunner()


def _flat(output: str) -> str:
    return " ".join(output.split())


@pytest.fixture
def no_server(monkeypatch):
    """A Label Studio address nothing listens on: these errors must come before any request."""
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "not-a-real-key")


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_bom_csv_is_read_by_every_reader(tmp_path, encoding):
    path = tmp_path / "emolit.csv"
    path.write_bytes(ENCODINGS[encoding])
    expected = ["café: my naïve friend's cancer pain", "a résumé, with a comma"]
    collect_files([path], tmp_path / "posts.parquet")  # collect file
    posts = pq.read_table(tmp_path / "posts.parquet")
    assert posts["text"].to_pylist() == expected and posts["id"].to_pylist() == ["1", "2"]
    records = read_records(path, string_columns=["id"])  # push, predict, export --items
    assert [r["text"] for r in records] == expected and list(records[0]) == ["id", "text", "sentiment"]
    released = read_dataset("emolit", path, on_problem=lambda problem: pytest.fail(str(problem)))  # DATASET:PATH
    assert [r["text"] for r in released] == expected
    assert [r["reference"]["emotions"] for r in released] == [["love"], ["joy"]]


def test_latin1_csv_says_how_to_convert(tmp_path, no_server):
    path = tmp_path / "posts.csv"
    path.write_bytes(TEXT.encode("latin-1"))
    for command in (
        ["collect", "file", str(path), "-o", str(tmp_path / "p.parquet")],
        ["annotate", "push", "-i", str(path), "-p", "odd", "-s", "seek-provide"],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 1, result.output
        text = _flat(result.output)
        assert f"{path} is not UTF-8 text (line 2, column 6: b'\\xe9'); expected UTF-8" in text
        assert "iconv -f latin1 -t utf-8" in text and "Traceback" not in result.output
    with pytest.raises(InputError, match="is not UTF-8 text"):
        read_dataset("emolit", path)


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (PNG, "is a PNG image"),
        (gzip.compress(b'{"id": 1}\n'), "is gzip-compressed data"),
        (b"\x00\x01\x02\x03" * 64, "holds binary data (NUL bytes)"),
    ],
)
def test_binary_file_given_to_push_is_one_line(tmp_path, no_server, content, what):
    path = tmp_path / "items.jsonl"
    path.write_bytes(content)
    result = runner.invoke(app, ["annotate", "push", "-i", str(path), "-p", "odd", "-s", "seek-provide"])
    assert result.exit_code == 1
    assert f"error: {path} {what}, not JSONL text" in _flat(result.output)
    assert "Traceback" not in result.output and "127.0.0.1" not in result.output


def test_malformed_jsonl_line_names_file_line_and_parser_message(tmp_path, no_server):
    path = tmp_path / "items.jsonl"
    good = {"id": "a", "text": "hello"}
    path.write_text(
        json.dumps(good) + '\n{"id": "b", "text": "broken"\n[1, 2]\n' + json.dumps(good | {"id": "c"}) + "\n"
    )
    with pytest.raises(InputError) as caught:
        read_records(path)
    assert str(caught.value) == (
        f"{path}, line 2: not valid JSON (Expecting ',' delimiter: line 1 column 29 (char 28))"
    )
    assert "--skip-bad" in caught.value.hint
    skipped: list[str] = []
    records = read_records(path, skip_bad=True, on_bad=skipped.append)
    assert [r["id"] for r in records] == ["a", "c"]
    assert skipped == [
        f"{path}, line 2: not valid JSON (Expecting ',' delimiter: line 1 column 29 (char 28))",
        f"{path}, line 3: expected a JSON object, got list",
    ]
    result = runner.invoke(app, ["annotate", "push", "-i", str(path), "-p", "odd", "-s", "seek-provide"])
    assert result.exit_code == 1 and "line 2: not valid JSON (Expecting ',' delimiter: line 1 column 29" in _flat(
        result.output
    )
    # with --skip-bad the read passes and push goes on to the (absent) server
    result = runner.invoke(app, ["annotate", "push", "-i", str(path), "-p", "odd", "-s", "seek-provide", "--skip-bad"])
    assert result.exit_code == 1 and "not valid JSON" not in result.output and "Label Studio" in result.output


def test_collect_file_refuses_binary_and_utf16_json_lines(tmp_path):
    png, utf16 = tmp_path / "image.jsonl", tmp_path / "wide.jsonl"
    png.write_bytes(PNG)
    utf16.write_bytes(SAMPLE.read_text(encoding="utf-8").encode("utf-16"))
    result = runner.invoke(app, ["collect", "file", str(png), "-o", str(tmp_path / "a.parquet")])
    assert result.exit_code == 1 and f"error: {png} is a PNG image, not JSON text" in _flat(result.output)
    result = runner.invoke(app, ["collect", "file", str(utf16), "-o", str(tmp_path / "b.parquet")])
    text = _flat(result.output)
    assert result.exit_code == 1 and f"{utf16} is UTF-16 text; JSON lines are read as UTF-8" in text
    assert "iconv -f utf-16 -t utf-8" in text and "Traceback" not in result.output


def test_missing_annotations_file_is_named(tmp_path):
    items = tmp_path / "ann.items.parquet"
    result = runner.invoke(app, ["export", str(tmp_path / "ann.parquet"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    text = _flat(result.output)
    assert f"{tmp_path / 'ann.parquet'}: no such file; expected the annotations" in text and str(items) not in text
    result = runner.invoke(app, ["agreement", "compute", str(tmp_path / "ann.parquet"), "-s", "seek-provide"])
    assert result.exit_code == 1 and f"{tmp_path / 'ann.parquet'}: no such file; expected the annotations" in _flat(
        result.output
    )


def test_empty_file_among_inputs_is_skipped_and_reported(tmp_path):
    empty, header_only = tmp_path / "empty.jsonl", tmp_path / "header.csv"
    empty.write_text("")
    header_only.write_text("id,text\n")
    out = tmp_path / "posts.parquet"
    result = runner.invoke(app, ["collect", "file", str(empty), str(SAMPLE), str(header_only), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = _flat(result.output)
    assert f"skipped: {empty} is empty" in text and f"skipped: {header_only} holds no posts" in text
    assert pq.read_table(out).num_rows == 151
    out.unlink()
    result = runner.invoke(app, ["collect", "file", str(SAMPLE), str(empty), "-o", str(out), "--strict"])
    assert result.exit_code == 1 and f"input {empty} is empty" in _flat(result.output) and not out.exists()
    result = runner.invoke(app, ["collect", "file", str(empty), "-o", str(out)])
    assert result.exit_code == 1 and f"no posts in any input: {empty} is empty" in _flat(result.output)
