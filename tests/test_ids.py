"""Ids in, ids out (issue 8, point 7)."""

from __future__ import annotations

import hashlib

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.errors import InputError
from empathykit.pipelines.readers import collect_files
from empathykit.records import assign_item_ids

ROWS = [
    ("101", "first post about cancer pain"),
    ("", "a post whose id cell is empty"),
    ("1.28E+18", "a tweet id a spreadsheet turned into a float"),
    ("1280000000000000000.0", "another float-formatted tweet id"),
    ("102", "the real post 102"),
    ("102", "a different text reusing id 102"),
    ("101", "first post about cancer pain"),  # the same post twice: kept as is (the filter dedups)
    ("0042", "leading zeros survive"),
]


def _hash(text: str) -> str:
    return "sha1:" + hashlib.sha1(text.encode()).hexdigest()[:16]


def _csv(tmp_path, rows=ROWS, name="posts.csv"):
    path = tmp_path / name
    path.write_text("id,text\n" + "".join(f"{i},{t}\n" for i, t in rows), encoding="utf-8")
    return path


def test_every_post_gets_an_id(tmp_path):
    out = tmp_path / "posts.parquet"
    report = collect_files([_csv(tmp_path)], out)
    ids = pq.read_table(out)["id"].to_pylist()
    assert ids == [
        "101",
        _hash(ROWS[1][1]),
        _hash(ROWS[2][1]),
        _hash(ROWS[3][1]),
        "102",
        _hash(ROWS[5][1]),
        "101",
        "0042",
    ]
    assert (report.ids.empty, report.ids.mangled, report.ids.conflicting) == (1, 2, 1)
    assert report.ids.examples["mangled"] == ["1.28E+18", "1280000000000000000.0"]
    assert report.as_dict()["ids"]["replaced_by_text_hash"] == 4


def test_conflicts_across_batches_and_files(tmp_path):
    first = _csv(tmp_path, [(str(i), f"text {i}") for i in range(10)], "a.csv")
    second = _csv(tmp_path, [("3", "text 3"), ("4", "not text 4"), ("11", "text 11")], "b.csv")
    out = tmp_path / "posts.parquet"
    report = collect_files([first, second], out, batch_size=4)
    ids = pq.read_table(out)["id"].to_pylist()
    assert ids[10:] == ["3", _hash("not text 4"), "11"] and report.ids.conflicting == 1
    assert report.ids.examples["conflicting"] == ["4"]


def test_cli_says_what_it_replaced(tmp_path):
    result = CliRunner().invoke(app, ["collect", "file", str(_csv(tmp_path)), "-o", str(tmp_path / "p.parquet")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "2 ids look mangled by a spreadsheet" in text and "'1.28E+18'" in text
    assert "1 posts had an empty id" in text and "1 ids repeat with a different text" in text
    assert "replaced by a hash of the text" in text


def test_empty_id_in_push_says_empty_id():
    records = [{"id": "1", "text": "a"}, {"id": "  ", "text": "b"}]
    with pytest.raises(InputError, match=r"record 1: empty id in column 'id'"):
        assign_item_ids(records, ["text"])
    with pytest.raises(InputError, match="missing id column 'uid'"):
        assign_item_ids([{"id": "1", "text": "a"}], ["text"], id_column="uid")
