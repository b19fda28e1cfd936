"""Reading posts from files and archives into the posts schema."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import tarfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from empathykit.errors import InputError
from empathykit.pipelines.fastjson import line_blocks
from empathykit.pipelines.posts import POSTS_SCHEMA
from empathykit.pipelines.readers import collect_files, iter_posts
from empathykit.pipelines.sources import ReadReport
from empathykit.pipelines.synthetic import write_tweets_jsonl

SAMPLE = Path(__file__).resolve().parents[1] / "empathykit" / "pipelines" / "sample_data" / "tweets.jsonl"

V2_TWEET = {
    "id": "1001",
    "text": "I feel lost &amp; scared about cancer",
    "author_id": "7",
    "created_at": "2021-05-01T10:00:00.000Z",
    "lang": "en",
    "conversation_id": "1001",
    "referenced_tweets": [{"type": "replied_to", "id": "999"}],
    "in_reply_to_user_id": "8",
}
V1_TWEET = {
    "id": 2002,
    "id_str": "2002",
    "created_at": "Wed Oct 10 20:19:24 +0000 2018",
    "lang": "en",
    "text": "truncated…",
    "truncated": True,
    "user": {"id_str": "77", "screen_name": "carer"},
    "extended_tweet": {"full_text": "Caring for mum through cancer is the hardest thing I have done"},
    "is_quote_status": False,
    "in_reply_to_status_id_str": None,
}
V1_RETWEET = {
    "id_str": "2003",
    "created_at": "Wed Oct 10 20:20:00 +0000 2018",
    "lang": "en",
    "text": "RT @carer: Caring for mum…",
    "user": {"id_str": "78", "screen_name": "friend"},
    "retweeted_status": V1_TWEET,
}


def _lines(path: Path, objects) -> Path:
    path.write_text("".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objects))
    return path


def _read(paths, **options) -> tuple[pa.Table, ReadReport]:
    report = ReadReport()
    batches = list(iter_posts(paths, report=report, **options))
    return pa.Table.from_batches(batches, schema=POSTS_SCHEMA), report


def test_v2_tweet_lines(tmp_path):
    table, report = _read([_lines(tmp_path / "t.jsonl", [V2_TWEET, {**V2_TWEET, "id": "1002"}])])
    row = table.to_pylist()[0]
    assert table.schema == POSTS_SCHEMA and report.posts == 2
    assert row["text"] == "I feel lost & scared about cancer"  # the API's HTML escapes undone
    assert row["replied_to_id"] == "999" and row["in_reply_to_user_id"] == "8"
    assert row["created_at"].isoformat() == "2021-05-01T10:00:00+00:00"
    assert row["is_retweet"] is False and row["source_format"] == "x-v2"


def test_v2_pages_with_includes_and_provenance(tmp_path):
    retweet = {
        "id": "1003",
        "text": "RT @alice: I feel lost…",
        "author_id": "9",
        "lang": "en",
        "referenced_tweets": [{"type": "retweeted", "id": "1001"}],
    }
    page = {
        "data": [V2_TWEET, retweet],
        "includes": {"users": [{"id": "7", "username": "alice"}, {"id": "9", "username": "bob"}], "tweets": [V2_TWEET]},
        "meta": {"result_count": 2},
        "__empathykit": {"query": "(feel) cancer", "retrieved_at": "2024-01-02T03:04:05+00:00"},
    }
    empty_page = {"meta": {"result_count": 0}}
    table, report = _read([_lines(tmp_path / "pages.jsonl", [page, empty_page])])
    rows = table.to_pylist()
    assert [r["author_username"] for r in rows] == ["alice", "bob"]
    assert rows[1]["is_retweet"] and rows[1]["retweeted_id"] == "1001"
    assert rows[1]["text"] == "RT @alice: I feel lost & scared about cancer"  # full text from includes
    assert rows[0]["query"] == "(feel) cancer" and rows[0]["retrieved_at"].year == 2024
    assert rows[0]["source_format"] == "x-v2-page" and rows[0]["source_line"] == 1
    assert report.control_records == 1


def test_twarc2_pages_and_flattened(tmp_path):
    url = "https://api.twitter.com/2/tweets/search/recent?query=cancer+grief&max_results=100"
    page = {
        "data": [V2_TWEET],
        "includes": {"users": [{"id": "7", "username": "alice"}]},
        "__twarc": {"url": url, "version": "2.14.0", "retrieved_at": "2022-02-02T00:00:00+00:00"},
    }
    flat = {**V2_TWEET, "id": "1005", "author": {"id": "7", "username": "alice"}, "__twarc": page["__twarc"]}
    table, _ = _read([_lines(tmp_path / "twarc.jsonl", [page, flat])])
    rows = table.to_pylist()
    assert [r["source_format"] for r in rows] == ["twarc2", "twarc2"]
    assert [r["author_username"] for r in rows] == ["alice", "alice"]
    assert rows[0]["query"] == "cancer grief"


def test_v1_tweets_extended_and_retweets(tmp_path):
    table, _ = _read([_lines(tmp_path / "v1.json", [V1_TWEET, V1_RETWEET, {"delete": {"status": {"id": 1}}}])])
    original, retweet = table.to_pylist()
    assert original["text"] == V1_TWEET["extended_tweet"]["full_text"]
    assert original["author_username"] == "carer" and original["created_at"].year == 2018
    assert retweet["is_retweet"] and retweet["retweeted_id"] == "2002"
    assert retweet["text"] == "RT @carer: " + V1_TWEET["extended_tweet"]["full_text"]


def test_pretty_printed_json_document(tmp_path):
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"data": [V2_TWEET]}, indent=2))
    table, _ = _read([path])
    assert table["id"].to_pylist() == ["1001"]


def test_malformed_line_names_file_and_line(tmp_path):
    path = _lines(tmp_path / "bad.jsonl", [V2_TWEET, '{"id": "x", "text": ', {**V2_TWEET, "id": "1009"}])
    with pytest.raises(InputError, match=r"bad\.jsonl, line 2: not valid JSON"):
        _read([path])
    table, report = _read([path], skip_bad=True)
    assert table["id"].to_pylist() == ["1001", "1009"] and report.bad_lines == 1


def test_not_a_tweet_is_a_bad_line(tmp_path):
    path = _lines(tmp_path / "odd.jsonl", [{"hello": "world"}])
    with pytest.raises(InputError, match=r"odd\.jsonl, line 1: .*not a tweet"):
        _read([path])


def test_empty_input_and_missing_file(tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(InputError, match="is empty; expected X API v2 JSONL"):
        _read([tmp_path / "empty.jsonl"])
    (tmp_path / "blank.jsonl").write_text("\n\n")
    with pytest.raises(InputError, match="holds no posts"):
        _read([tmp_path / "blank.jsonl"])
    with pytest.raises(InputError, match="nope.jsonl: no such file; expected X API v2 JSONL"):
        _read([tmp_path / "nope.jsonl"])
    with pytest.raises(InputError, match=f"{tmp_path} is a folder; expected X API v2 JSONL"):
        _read([tmp_path])


def test_csv_text_column_detection_and_option(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text(
        'tweet_id,full_text,date,lang\n5,"Cancer, again.\nI feel so tired",2020-07-01T12:00:00Z,en\n'
        "6,second post about grief,2020-07-02 08:00:00,en\n"
    )
    table, _ = _read([path])
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == ["5", "6"]
    assert rows[0]["text"] == "Cancer, again.\nI feel so tired"
    assert rows[1]["created_at"].hour == 8 and rows[0]["source_line"] == 1 and rows[1]["source_line"] == 2
    other = tmp_path / "other.csv"
    other.write_text("body_text,score\nhello cancer,1\n")
    with pytest.raises(InputError, match=r"has no text column \(text, full_text.*columns are: body_text, score"):
        _read([other])
    table, _ = _read([other], text_column="body_text")
    assert table["text"].to_pylist() == ["hello cancer"]
    assert table["id"][0].as_py().startswith("sha1:")  # stable id from the text


def test_csv_bad_row(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("id,text\n1,fine\n2,too,many,fields\n3,also fine\n")
    with pytest.raises(InputError, match="expected 2 fields, found 4"):
        _read([path])
    table, report = _read([path], skip_bad=True)
    assert table["id"].to_pylist() == ["1", "3"] and report.bad_lines == 1


def _member(archive: tarfile.TarFile, name: str, payload: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    archive.addfile(info, io.BytesIO(payload))


def test_stream_grab_tar_streams_members_and_reports_corrupt_one(tmp_path):
    lines = lambda *objs: "".join(json.dumps(o) + "\n" for o in objs).encode()
    first = bz2.compress(lines(V1_TWEET, {"delete": {"status": {"id_str": "1"}}}))
    second = gzip.compress(lines({**V1_TWEET, "id_str": "2004"}))
    corrupt = bz2.compress(lines({**V1_TWEET, "id_str": "2005"}))[:-20] + b"garbage-bytes"
    path = tmp_path / "archiveteam-twitter-stream-2018-10.tar"
    with tarfile.open(path, "w") as archive:
        _member(archive, "2018/10/01/00/00.json.bz2", first)
        _member(archive, "2018/10/01/00/01.json.bz2", corrupt)
        _member(archive, "2018/10/01/00/02.json.gz", second)
        _member(archive, "README.txt", b"not tweets")
    table, report = _read([path])
    assert table["id"].to_pylist() == ["2002", "2004"]
    assert table["source_format"].unique().to_pylist() == ["stream-grab"]
    assert table["source_file"][1].as_py().endswith(":2018/10/01/00/02.json.gz")
    assert len(report.corrupt_members) == 1 and "00/01.json.bz2" in report.corrupt_members[0]
    assert report.control_records == 1


def test_fast_path_matches_row_path(tmp_path):
    path = write_tweets_jsonl(tmp_path / "synthetic.jsonl", 3000, seed=3)
    fast, _ = _read([path], batch_size=1000)
    slow, _ = _read([path], fast=False)
    assert fast.num_rows == slow.num_rows == 3000
    assert fast.drop_columns(["source_line"]).equals(slow.drop_columns(["source_line"]))


def test_fast_path_falls_back_on_a_bad_line(tmp_path):
    path = _lines(tmp_path / "mixed.jsonl", [V2_TWEET, "{broken", {**V2_TWEET, "id": "1010"}])
    with pytest.raises(InputError, match=r"mixed\.jsonl, line 2"):
        collect_files([path], tmp_path / "out.parquet")
    report = collect_files([path], tmp_path / "out.parquet", skip_bad=True)
    assert report.posts == 2 and pq.read_table(tmp_path / "out.parquet")["id"].to_pylist() == ["1001", "1010"]


def test_collect_files_writes_posts_parquet_atomically(tmp_path):
    out = tmp_path / "posts.parquet"
    report = collect_files([SAMPLE], out)
    table = pq.read_table(out)
    assert table.schema == POSTS_SCHEMA and table.num_rows == report.posts == 151
    assert table["author_username"].null_count == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    with pytest.raises(InputError):
        collect_files([tmp_path / "missing.jsonl"], out)
    assert pq.read_table(out).num_rows == 151  # a failed run leaves the previous output alone


@pytest.mark.parametrize("size", [1, 7, 64, 10_000])
def test_line_blocks_cut_at_line_ends(tmp_path, size):
    content = b"".join(b"x" * (n * 13 % 97) + b"\n" for n in range(200)) + b"last line, no newline"
    path = tmp_path / "lines.jsonl"
    path.write_bytes(content)
    blocks = [block.to_pybytes() for block in line_blocks(path, size)]
    assert b"".join(blocks) == content
    assert all(block.endswith(b"\n") for block in blocks[:-1])
    path.write_bytes(content + b"\n\n  \n")
    assert b"".join(block.to_pybytes() for block in line_blocks(path, size)).rstrip() == content
