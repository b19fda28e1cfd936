"""``empathykit retrieve``: the k most empathically similar stories of a corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from empathykit.cli._common import choice
from empathykit.train.choices import INDEXES

Index = choice("Index", INDEXES)


def retrieve_command(
    model_dir: Annotated[Path, typer.Argument(help="A model folder trained with --family similarity.")],
    corpus: Annotated[
        Path, typer.Option("--corpus", help="Stories: CSV, JSONL, Parquet (a story/text column) or .txt.")
    ],
    k: Annotated[int, typer.Option("-k", help="Stories returned per query.")] = 5,
    query: Annotated[str | None, typer.Option("--query", help="One query story.")] = None,
    queries: Annotated[
        Path | None, typer.Option("--queries", help="Query stories (.txt one per line, or a corpus file).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write JSONL here (else JSONL on stdout when piped, a table on stderr)."),
    ] = None,
    index: Annotated[
        Index,
        typer.Option(
            "--index",
            help="auto (usearch above 1M stories), exact or usearch (an HNSW index, cached with the embeddings in the user's cache folder).",
        ),
    ] = "auto",
    text_column: Annotated[str | None, typer.Option("--text-column", help="The corpus' story column.")] = None,
) -> None:
    """Return the k corpus stories most similar to each query, with cosine scores."""
    import json
    import sys

    from empathykit.cli._common import print_table, progress
    from empathykit.cli._conventions import require_torch
    from empathykit.errors import InputError
    from empathykit.io import atomic_open, check_output
    from empathykit.train.retrieval import read_queries, retrieve

    require_torch("retrieve")
    if (query is None) == (queries is None):
        raise InputError("give exactly one of --query TEXT and --queries FILE")
    if output is not None:
        check_output(output, "file", output="retrieval")
    texts = [query] if query is not None else read_queries(queries)
    with progress("retrieving") as on_progress:
        result = retrieve(
            model_dir, corpus, texts, k, index=index.value, text_column=text_column, on_progress=on_progress
        )
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in result["results"])
    if output is not None:
        with atomic_open(output, output="retrieval") as handle:
            handle.write(lines)
    elif not sys.stdout.isatty():
        sys.stdout.write(lines)
    if output is not None or sys.stdout.isatty():
        print_table(
            "retrieved",
            ["query", "rank", "id", "score", "story"],
            [[r["query"][:40], r["rank"], r["id"], f"{r['score']:.3f}", r["text"][:60]] for r in result["results"]],
        )
