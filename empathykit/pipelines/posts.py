"""The Arrow schema of collected posts: the one definition every reader
writes and every later stage reads.

One row per post. Ids are strings (X ids exceed 2**53 and v2 sends them as
strings). Reference columns are null when the post does not reference
another; provenance columns say where the row came from.

| column | type | meaning |
| --- | --- | --- |
| ``id`` | string | post id; where there is none, or it is empty, spreadsheet-mangled (``1.28E+18``) or reused for another text: ``sha1:`` + 16 hex of the text, stable across runs (``empathykit.pipelines.ids``) |
| ``text`` | string | full text (v2 ``note_tweet`` and v1.1 ``extended_tweet``/``full_text`` when present; a v1.1 retweet is ``RT @user: `` + the full original) |
| ``created_at`` | timestamp[ms, UTC] | when it was posted |
| ``author_id`` | string | author's user id |
| ``author_username`` | string | author's handle, without ``@`` (from v2 ``includes.users``) |
| ``lang`` | string | language code the platform detected (``und`` = undetermined) |
| ``conversation_id`` | string | id of the conversation's first post (v2 only) |
| ``in_reply_to_user_id`` | string | user replied to |
| ``is_retweet`` | bool | a retweet (repost) of ``retweeted_id`` |
| ``is_quote`` | bool | quotes ``quoted_id`` |
| ``retweeted_id`` / ``quoted_id`` / ``replied_to_id`` | string | referenced post ids |
| ``source_format`` | string | ``x-v2``, ``x-v2-page``, ``twarc2``, ``v1.1``, ``stream-grab`` or ``csv`` |
| ``source_file`` | string | input path; ``archive.tar:member`` for archive members |
| ``source_line`` | int64 | 1-based line (JSON) or data row (CSV) in ``source_file``; null on the fast path |
| ``query`` | string | search query or stream rule that found it, when known |
| ``retrieved_at`` | timestamp[ms, UTC] | when it was fetched from the API, when known |

The filter adds :data:`SCORE_FIELDS`.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

TIMESTAMP = pa.timestamp("ms", tz="UTC")

POST_FIELDS = [
    pa.field("id", pa.string()),
    pa.field("text", pa.string()),
    pa.field("created_at", TIMESTAMP),
    pa.field("author_id", pa.string()),
    pa.field("author_username", pa.string()),
    pa.field("lang", pa.string()),
    pa.field("conversation_id", pa.string()),
    pa.field("in_reply_to_user_id", pa.string()),
    pa.field("is_retweet", pa.bool_()),
    pa.field("is_quote", pa.bool_()),
    pa.field("retweeted_id", pa.string()),
    pa.field("quoted_id", pa.string()),
    pa.field("replied_to_id", pa.string()),
    pa.field("source_format", pa.string()),
    pa.field("source_file", pa.string()),
    pa.field("source_line", pa.int64()),
    pa.field("query", pa.string()),
    pa.field("retrieved_at", TIMESTAMP),
]
POSTS_SCHEMA = pa.schema(POST_FIELDS)

#: Lexicon scores the filter adds (see ``empathykit.lexicons.scoring``).
SCORE_FIELDS = [
    pa.field("lexicon_matches", pa.int32()),
    pa.field("lexicon_coverage", pa.float64()),
    pa.field("empathy_score", pa.float64()),
    pa.field("distress_score", pa.float64()),
]
FILTERED_SCHEMA = pa.schema(POST_FIELDS + SCORE_FIELDS)


def rows_to_batch(rows: list[dict]) -> pa.RecordBatch:
    """Build a posts batch from row dicts (missing keys become null)."""
    columns = {f.name: [row.get(f.name) for row in rows] for f in POST_FIELDS}
    return pa.RecordBatch.from_pydict(columns, schema=POSTS_SCHEMA)


def conform(table: pa.Table | pa.RecordBatch, schema: pa.Schema = POSTS_SCHEMA) -> pa.Table:
    """Cast to ``schema``: missing columns become null, extra columns are dropped."""
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    columns = []
    for field in schema:
        if field.name in table.column_names:
            column = table[field.name]
            columns.append(column if column.type == field.type else column.cast(field.type))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def conform_batch(data: pa.Table | pa.RecordBatch, schema: pa.Schema = POSTS_SCHEMA) -> pa.RecordBatch:
    """:func:`conform` as one record batch."""
    table = conform(data, schema).combine_chunks()
    return pa.RecordBatch.from_arrays(
        [c.chunk(0) if c.num_chunks else pa.array([], c.type) for c in table.columns], schema=schema
    )


def hash64(text: pa.Array) -> np.ndarray:
    """(n,) uint64 SipHash-2-4 of each string (pandas' fixed key: stable across runs and machines)."""
    import pandas as pd

    return pd.util.hash_array(text.to_numpy(zero_copy_only=False), categorize=False)
