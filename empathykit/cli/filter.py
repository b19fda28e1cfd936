"""`empathykit filter`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from empathykit.cli._common import choice
from empathykit.pipelines.choices import ENGINES, INPUT_FORMATS, TOPIC_MATCHES

Engine = choice("Engine", ENGINES)
TopicMatch = choice("TopicMatch", TOPIC_MATCHES)
InputFormat = choice("InputFormat", INPUT_FORMATS)


def filter_command(
    inputs: Annotated[list[Path], typer.Argument(help="Posts: Parquet from `collect file`, or anything it reads.")],
    output: Annotated[Path, typer.Option("--out", "-o", help="Parquet file to write.")] = Path("filtered.parquet"),
    counts: Annotated[Path, typer.Option(help="Per-stage counts JSON (default: <output stem>.counts.json).")] = None,
    lexicon: Annotated[Path, typer.Option(help="Lexicon CSV/TSV (default: the bundled 200 health words).")] = None,
    distress_lexicon: Annotated[Path, typer.Option(help="Distress lexicon merged in for scoring.")] = None,
    word_column: Annotated[str, typer.Option(help="Lexicon word column (default: auto-detect).")] = None,
    rating_column: Annotated[str, typer.Option(help="Lexicon rating column (default: auto-detect).")] = None,
    on_duplicate: Annotated[
        str, typer.Option(help="Duplicate lexicon words: mean, first, last, max or error.")
    ] = "mean",
    topic: Annotated[list[str], typer.Option(help="Required topic term (repeat for any of several).")] = ["cancer"],
    topic_match: Annotated[
        TopicMatch,
        typer.Option(
            help="How topic terms match: word (whole words, #cancer counts; like X's "
            "stream keyword tracking), prefix (cancers too) or substring."
        ),
    ] = "word",
    lang: Annotated[list[str], typer.Option(help="Languages to keep (repeatable); 'any' keeps all.")] = ["en"],
    keep_retweets: Annotated[bool, typer.Option("--keep-retweets", help="Keep retweets.")] = False,
    keep_quote_copies: Annotated[bool, typer.Option("--keep-quote-copies", help="Keep quote copies.")] = False,
    drop_quotes: Annotated[bool, typer.Option("--drop-quotes", help="Drop every quote post.")] = False,
    mask_emails: Annotated[bool, typer.Option("--mask-emails", help="Replace e-mail addresses by <EMAIL>.")] = False,
    mask_phones: Annotated[bool, typer.Option("--mask-phones", help="Replace phone numbers by <PHONE>.")] = False,
    min_tokens: Annotated[int, typer.Option(help="Drop posts with fewer tokens (placeholders do not count).")] = 3,
    no_dedup: Annotated[bool, typer.Option("--no-dedup", help="Keep exact duplicates.")] = False,
    no_near_dedup: Annotated[bool, typer.Option("--no-near-dedup", help="Keep near duplicates.")] = False,
    fmt: Annotated[InputFormat, typer.Option("--format", help="Input format (auto: by file name).")] = "auto",
    text_column: Annotated[str, typer.Option(help="Column holding the text, for CSV/Parquet inputs.")] = None,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Skip and count malformed input lines.")] = False,
    engine: Annotated[
        Engine,
        typer.Option(
            help="local (streaming, one machine) or dask (a cluster; needs the dask extra); both write the same file."
        ),
    ] = "local",
) -> None:
    """Keep posts with an empathy-lexicon word and a topic term; mask links and users; drop duplicates."""
    from empathykit.cli._common import err_console, print_table, progress
    from empathykit.lexicons import resolve_lexicon
    from empathykit.pipelines.engines import filter_posts
    from empathykit.pipelines.filtering import FilterConfig

    words = resolve_lexicon(
        lexicon,
        distress=distress_lexicon,
        word_column=word_column,
        rating_column=rating_column,
        on_duplicate=on_duplicate,
    )
    _note_duplicates_once(words, on_duplicate)
    config = FilterConfig(
        lexicon=words,
        topics=tuple(topic),
        topic_match=topic_match.value,
        languages=() if "any" in lang else tuple(lang),
        drop_retweets=not keep_retweets,
        drop_quote_copies=not keep_quote_copies,
        drop_quotes=drop_quotes,
        mask_emails=mask_emails,
        mask_phones=mask_phones,
        min_tokens=min_tokens,
        exact_dedup=not no_dedup,
        near_dedup=not no_near_dedup,
    )
    with progress("filtering posts") as on_progress:
        result = filter_posts(
            inputs,
            output,
            engine=engine.value,
            config=config,
            counts_path=counts,
            fmt=fmt.value,
            text_column=text_column,
            skip_bad=skip_bad,
            on_progress=on_progress,
        )
    rows = [[s["stage"], s["dropped"], s["remaining"]] for s in result.counts["stages"]]
    print_table(
        f"filter: {result.counts['input']} in, {result.counts['kept']} kept -> {output}",
        ["stage", "dropped", "remaining"],
        rows,
    )
    err_console.print(f"counts: {result.counts_path}", highlight=False)


def _note_duplicates_once(words, on_duplicate: str) -> None:
    """The lexicon's duplicate words, said once per lexicon and rule (remembered in the user's cache):
    a note that comes with every run is one nobody reads; `lexicon show` lists them any time."""
    import hashlib

    from empathykit.cli._common import err_console
    from empathykit.config import cache_dir

    notes = [
        f"{dup.word!r} occurs {len(dup.lines)} times; using "
        f"{', '.join(f'{d} {v:.6g}' for d, v in dup.resolved.items())} ({on_duplicate})"
        for dup in words.duplicates
    ]
    if not notes:
        return
    said = cache_dir() / "lexicon-notes" / hashlib.sha256("\n".join(notes).encode()).hexdigest()[:16]
    if said.exists():
        return
    for note in notes:
        err_console.print(f"[yellow]lexicon:[/] {note}", highlight=False, markup=True)
    err_console.print("(said once for this lexicon; `empathykit lexicon show` lists its duplicates)", highlight=False)
    try:
        said.parent.mkdir(parents=True, exist_ok=True)
        said.touch()
    except OSError:  # a cache that cannot be written only means the note comes again
        pass
