"""`empathykit lexicon` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from empathykit.cli._common import choice
from empathykit.lexicons.choices import METHODS

Method = choice("Method", METHODS)

app = typer.Typer(
    help="Empathy and distress lexicons: inspect, select filter words, score texts, induce.", no_args_is_help=True
)

LexiconPath = Annotated[
    Path | None, typer.Option("--lexicon", help="Lexicon CSV/TSV (default: the bundled 200 health words).")
]
DistressPath = Annotated[Path | None, typer.Option("--distress-lexicon", help="Distress lexicon, merged in by word.")]
WordColumn = Annotated[str | None, typer.Option(help="Name of the word column (default: auto-detect).")]
RatingColumn = Annotated[str | None, typer.Option(help="Name of the rating column (default: auto-detect).")]
OnDuplicate = Annotated[str, typer.Option(help="Duplicate words: mean, first, last, max or error.")]


def _load(lexicon, distress, word_column, rating_column, on_duplicate):
    from empathykit.cli._common import err_console
    from empathykit.lexicons import resolve_lexicon

    words = resolve_lexicon(
        lexicon, distress=distress, word_column=word_column, rating_column=rating_column, on_duplicate=on_duplicate
    )
    for dup in words.duplicates:
        ratings = "; ".join(
            f"{d} {', '.join(f'{v:.6g}' for v in vs)} -> {dup.resolved[d]:.6g}" for d, vs in dup.ratings.items()
        )
        err_console.print(
            f"[yellow]duplicate:[/] {dup.word!r} on lines {', '.join(map(str, dup.lines))}: {ratings} ({on_duplicate})",
            highlight=False,
            markup=True,
        )
    return words


@app.command("show")
def show(
    lexicon: LexiconPath = None,
    distress_lexicon: DistressPath = None,
    word_column: WordColumn = None,
    rating_column: RatingColumn = None,
    on_duplicate: OnDuplicate = "mean",
    dimension: Annotated[str, typer.Option(help="Sort by empathy or distress.")] = "empathy",
    top: Annotated[int, typer.Option(help="How many words (0: all).")] = 20,
    csv: Annotated[bool, typer.Option("--csv", help="Write CSV to stdout instead of a table.")] = False,
) -> None:
    """Show the highest-rated words of a lexicon."""
    import sys

    from empathykit.cli._common import print_table

    words = _load(lexicon, distress_lexicon, word_column, rating_column, on_duplicate).top(top or None, dimension)
    if csv:
        _csv_out(words, sys.stdout)
        return
    print_table(
        f"{words.name}: top {len(words)} by {dimension}",
        ["word", *words.dimensions],
        [[r["word"], *(r[d] for d in words.dimensions)] for r in words.to_rows()],
    )


def _csv_out(words, stream) -> None:
    import csv as csvlib

    writer = csvlib.writer(stream)
    writer.writerow(["word", *words.dimensions])
    for row in words.to_rows():
        writer.writerow([row["word"], *("" if row[d] is None else row[d] for d in words.dimensions)])


@app.command("stats")
def stats(
    lexicon: LexiconPath = None,
    distress_lexicon: DistressPath = None,
    word_column: WordColumn = None,
    rating_column: RatingColumn = None,
    on_duplicate: OnDuplicate = "mean",
    json_out: Annotated[bool, typer.Option("--json", help="Write the statistics as JSON to stdout.")] = False,
) -> None:
    """Size, rating range and duplicates of a lexicon."""
    import json

    from empathykit.cli._common import print_table
    from empathykit.lexicons import lexicon_stats

    summary = lexicon_stats(_load(lexicon, distress_lexicon, word_column, rating_column, on_duplicate))
    if json_out:
        typer.echo(json.dumps(summary, indent=2))
        return
    rows = [
        [dim, s["rated"], s.get("min"), s.get("mean"), s.get("median"), s.get("max")]
        for dim, s in summary["dimensions"].items()
    ]
    print_table(
        f"{summary['name']}: {summary['words']} words, {len(summary['duplicates'])} duplicates",
        ["dimension", "rated", "min", "mean", "median", "max"],
        rows,
    )


@app.command("select")
def select(
    output: Annotated[Path, typer.Option("--out", "-o", help="CSV to write (word,<dimensions>).")],
    lexicon: LexiconPath = None,
    distress_lexicon: DistressPath = None,
    word_column: WordColumn = None,
    rating_column: RatingColumn = None,
    on_duplicate: OnDuplicate = "mean",
    top: Annotated[int, typer.Option(help="How many words to keep.")] = 200,
    dimension: Annotated[str, typer.Option(help="Rank by empathy or distress.")] = "empathy",
    exclude: Annotated[list[str], typer.Option(help="Word to leave out (repeatable).")] = [],
    exclude_file: Annotated[Path | None, typer.Option(help="File of words to leave out, one a line.")] = None,
    topic_words: Annotated[Path | None, typer.Option(help="Keep only words listed in this file (one a line).")] = None,
    topic_corpus: Annotated[
        list[Path],
        typer.Option(
            help="On-topic posts (any `collect file` input or .txt, one text a line); keep only words found there."
        ),
    ] = [],
    min_topic_documents: Annotated[int, typer.Option(help="Documents of the topic corpus a word must occur in.")] = 1,
) -> None:
    """Pick the top-N words by rating, minus exclusions, restricted to a topic."""
    from empathykit.cli._common import err_console
    from empathykit.io import check_output
    from empathykit.lexicons import write_lexicon
    from empathykit.lexicons.select import read_word_list, select_words
    from empathykit.pipelines.corpus import topic_corpus_frequency

    check_output(output, "file", output="lexicon")
    words = _load(lexicon, distress_lexicon, word_column, rating_column, on_duplicate)
    excluded = list(exclude) + (read_word_list(exclude_file) if exclude_file else [])
    allowed = read_word_list(topic_words) if topic_words else None
    frequency = topic_corpus_frequency(topic_corpus) if topic_corpus else None
    selection = select_words(
        words,
        top,
        dimension=dimension,
        exclude=excluded,
        topic_words=allowed,
        topic_frequency=frequency,
        min_topic_documents=min_topic_documents,
    )
    write_lexicon(selection.lexicon, output)
    err_console.print(
        f"{len(selection.lexicon)} words -> {output} ({len(selection.excluded)} excluded, "
        f"{selection.off_topic} off topic skipped)",
        highlight=False,
    )


@app.command("score")
def score(
    input: Annotated[Path, typer.Argument(help="Parquet or CSV file with a text column.")],
    output: Annotated[Path, typer.Option("--out", "-o", help="Parquet file to write.")],
    text_column: Annotated[str, typer.Option(help="Column holding the text.")] = "text",
    lexicon: LexiconPath = None,
    distress_lexicon: DistressPath = None,
    word_column: WordColumn = None,
    rating_column: RatingColumn = None,
    on_duplicate: OnDuplicate = "mean",
) -> None:
    """Add lexicon scores (matches, coverage, mean empathy and distress) as columns."""
    from empathykit.cli._common import err_console, progress
    from empathykit.lexicons.scoring import score_file

    words = _load(lexicon, distress_lexicon, word_column, rating_column, on_duplicate)
    with progress("scoring") as on_progress:
        rows = score_file(input, output, words, text_column=text_column, on_progress=on_progress)
    err_console.print(f"{rows} rows scored -> {output}", highlight=False)


@app.command("induce")
def induce(
    input: Annotated[
        Path, typer.Argument(help="CSV/TSV/Parquet of documents with ratings (e.g. NewsEmp messages.csv).")
    ],
    output: Annotated[Path, typer.Option("--out", "-o", help="Lexicon CSV to write.")],
    text_column: Annotated[str, typer.Option(help="Column holding the document text.")] = "essay",
    rating_column: Annotated[list[str], typer.Option(help="Document rating column (repeatable).")] = [
        "empathy",
        "distress",
    ],
    group_column: Annotated[
        str | None, typer.Option(help="Keep each group (e.g. response_id) on one side of the split.")
    ] = None,
    method: Annotated[Method, typer.Option(help="mean (shrunk mean of document ratings) or ridge.")] = "mean",
    test_fraction: Annotated[float, typer.Option(help="Share of documents held out for the reported r.")] = 0.1,
    min_df: Annotated[int, typer.Option(help="Documents a word must occur in.")] = 2,
    seed: Annotated[int, typer.Option(help="Seed of the held-out split.")] = 0,
    report: Annotated[Path | None, typer.Option(help="Report JSON (default: <output stem>.report.json).")] = None,
) -> None:
    """Learn word ratings from document ratings; report held-out Pearson r."""
    from empathykit.cli._common import print_table, progress
    from empathykit.lexicons.induce import induce_from_file

    with progress("inducing") as on_progress:
        result = induce_from_file(
            input,
            output,
            text_column=text_column,
            rating_columns=rating_column,
            group_column=group_column,
            report_path=report,
            method=method.value,
            test_fraction=test_fraction,
            min_df=min_df,
            seed=seed,
            on_progress=on_progress,
        )
    rows = [[name, d["test_pearson_r"], d["train_cv_r"]] for name, d in result.report["dimensions"].items()]
    print_table(
        f"{result.report['vocabulary']} words -> {output} (held out: {result.report['test_documents']} documents)",
        ["dimension", "held-out r", "train CV r"],
        rows,
    )
