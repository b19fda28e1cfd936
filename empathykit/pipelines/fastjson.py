"""The fast path for JSON-lines files of plain X API v2 tweet objects: Arrow's
JSON reader on line-aligned blocks, parsed on every core, and the vectorised
conversion of its batches to the posts schema. A file it cannot read raises
:class:`~empathykit.pipelines.sources.FastPathUnavailable` (``readers.py``
then reads it row by row).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from empathykit.pipelines import tweets
from empathykit.pipelines.parallel import ordered_map
from empathykit.pipelines.posts import POSTS_SCHEMA, TIMESTAMP
from empathykit.pipelines.sources import FastPathUnavailable, open_source, repeat_string

_JSON_BLOCK = 4 << 20

_V2_JSON_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("text", pa.string()),
        ("created_at", TIMESTAMP),
        ("author_id", pa.string()),
        ("lang", pa.string()),
        ("conversation_id", pa.string()),
        ("in_reply_to_user_id", pa.string()),
        ("referenced_tweets", pa.list_(pa.struct([("type", pa.string()), ("id", pa.string())]))),
        ("note_tweet", pa.struct([("text", pa.string())])),
        ("author", pa.struct([("username", pa.string())])),
    ]
)


def _first_object(path: Path):
    with open_source(path) as handle:
        for line in handle:
            if line.strip():
                try:
                    return json.loads(line)
                except ValueError:
                    return None
    return None


def is_plain_v2(path: Path) -> bool:
    """A JSON-lines file whose first record is a bare v2 tweet object (no pages, no provenance)."""
    first = _first_object(path)
    return tweets.kind(first) == "v2" and "__twarc" not in first and "__empathykit" not in first


def line_blocks(path: Path, size: int = _JSON_BLOCK) -> Iterator[pa.Buffer]:
    """The file in blocks of about ``size`` bytes, each ending at a line end, read straight into
    Arrow buffers: big ``bytes`` blocks churned through malloc, whose self-raising mmap threshold
    then kept freed blocks resident, so peak memory grew with the input size."""
    with open_source(path) as handle:
        rest = b""
        while True:
            buffer = pa.allocate_buffer(len(rest) + size)
            view = memoryview(buffer).cast("B")
            view[: len(rest)] = rest
            filled = len(rest)
            while filled < len(view):
                got = handle.readinto(view[filled:])
                if not got:
                    break
                filled += got
            if filled < len(view):  # end of file
                if bytes(view[:filled]).strip():
                    yield buffer.slice(0, filled)
                return
            data = np.frombuffer(buffer, np.uint8)
            newlines = np.flatnonzero(data[-65536:] == 10)
            if len(newlines):
                cut = len(data) - min(len(data), 65536) + int(newlines[-1]) + 1
            else:
                newlines = np.flatnonzero(data == 10)
                cut = int(newlines[-1]) + 1 if len(newlines) else 0
            rest = bytes(view[cut:])
            if cut:
                yield buffer.slice(0, cut)


def v2_fast_batches(path: Path, batch_size: int) -> Iterator[pa.RecordBatch]:
    """Arrow's JSON parser on one block at a time: its own streaming reader reads ahead without
    bound when parsing outpaces the consumer, so blocks are cut here to keep memory flat."""
    import pyarrow.json as pj

    parse_options = pj.ParseOptions(explicit_schema=_V2_JSON_SCHEMA, unexpected_field_behavior="ignore")

    def parse(block: pa.Buffer) -> list[pa.RecordBatch]:
        try:
            table = pj.read_json(pa.BufferReader(block), parse_options=parse_options)
        except pa.ArrowInvalid as error:
            raise FastPathUnavailable(str(path)) from error
        if table.num_rows and table.column("id").null_count:
            raise FastPathUnavailable(str(path))
        return [v2_arrow_to_posts(batch, str(path)) for batch in table.combine_chunks().to_batches(batch_size)]

    # blocks parse and convert on every core, in order, a few blocks ahead of the consumer
    for batches in ordered_map(parse, line_blocks(path, _JSON_BLOCK)):
        yield from batches


def v2_arrow_to_posts(batch: pa.RecordBatch, source: str) -> pa.RecordBatch:
    """Vectorised :func:`tweets.v2_row` for a batch read with the v2 JSON schema."""
    n = batch.num_rows
    refs = batch.column("referenced_tweets")
    flat = pc.list_flatten(refs)
    parents = pc.list_parent_indices(refs).to_numpy()
    types, ids = pc.struct_field(flat, "type"), pc.struct_field(flat, "id")
    referenced = {}
    for ref_type in ("retweeted", "quoted", "replied_to"):
        hits = np.flatnonzero(pc.fill_null(pc.equal(types, ref_type), False).to_numpy(zero_copy_only=False))
        position = np.full(n, -1, dtype=np.int64)
        position[parents[hits]] = hits  # like the row path, the last reference of a type wins
        referenced[ref_type] = pc.take(ids, pa.array(position, mask=position < 0))
    text = pc.coalesce(pc.struct_field(batch.column("note_tweet"), "text"), batch.column("text"))
    escaped = pc.fill_null(pc.match_substring(text, "&"), False)
    if pc.any(escaped).as_py():  # unescape only the texts with an "&": one scan instead of three copies
        plain = text.filter(escaped)
        for entity, character in (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")):
            plain = pc.replace_substring(plain, entity, character)
        text = pc.replace_with_mask(text, escaped, plain)
    columns = {
        "id": batch.column("id"),
        "text": text,
        "created_at": batch.column("created_at"),
        "author_id": batch.column("author_id"),
        "author_username": pc.struct_field(batch.column("author"), "username"),
        "lang": batch.column("lang"),
        "conversation_id": batch.column("conversation_id"),
        "in_reply_to_user_id": batch.column("in_reply_to_user_id"),
        "is_retweet": referenced["retweeted"].is_valid(),
        "is_quote": referenced["quoted"].is_valid(),
        "retweeted_id": referenced["retweeted"],
        "quoted_id": referenced["quoted"],
        "replied_to_id": referenced["replied_to"],
        "source_format": repeat_string("x-v2", n),
        "source_file": repeat_string(source, n),
    }
    return pa.RecordBatch.from_pydict(
        columns | {f.name: pa.nulls(n, f.type) for f in POSTS_SCHEMA if f.name not in columns}, schema=POSTS_SCHEMA
    )
