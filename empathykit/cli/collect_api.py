"""Commands of `empathykit collect` for the live X API (registered by `empathykit.cli.collect`).

The bearer token comes from X_BEARER_TOKEN only; no command takes it as an option.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

Words = Annotated[
    list[str] | None, typer.Option("--word", "-w", help="Lexicon word (repeatable); replaces the lexicon.")
]
Lexicon = Annotated[
    Path | None,
    typer.Option(help="Lexicon CSV/TSV (Sedoc et al. files, `lexicon select` output); default: the bundled 200 words."),
]
Top = Annotated[int | None, typer.Option(help="Use only the N highest-rated (empathy) lexicon words.")]
Topics = Annotated[
    list[str] | None,
    typer.Option("--topic", "-t", help="Required topic term (repeatable; several are OR-ed). Default: cancer."),
]
NoTopic = Annotated[bool, typer.Option("--no-topic", help="Require no topic term.")]
Lang = Annotated[str, typer.Option(help="lang: operator; 'any' leaves it out.")]
KeepRetweets = Annotated[bool, typer.Option("--keep-retweets", help="Leave out -is:retweet.")]
MaxLength = Annotated[
    int, typer.Option("--max-query-length", help="Longest query or rule the access level allows (512; 1024 on Pro).")
]


def _console():
    """stderr without markup or emoji codes: queries hold brackets and tags like empathykit:cancer; a
    query or rule stays one line in a log, as every line for people does (``PeopleConsole``)."""
    from empathykit.cli._common import PeopleConsole

    return PeopleConsole(stderr=True, markup=False, emoji=False, highlight=False)


def _queries(words, lexicon, top, topics, no_topic, lang, keep_retweets, max_length) -> list[str]:
    from empathykit.xapi.query import DEFAULT_TOPICS, build_queries, lexicon_words

    return build_queries(
        list(words) if words else lexicon_words(lexicon, top),
        () if no_topic else (topics or DEFAULT_TOPICS),
        lang=None if lang == "any" else lang,
        exclude_retweets=not keep_retweets,
        max_length=max_length,
    )


def queries_command(
    word: Words = None,
    lexicon: Lexicon = None,
    top: Top = None,
    topic: Topics = None,
    no_topic: NoTopic = False,
    lang: Lang = "en",
    keep_retweets: KeepRetweets = False,
    max_query_length: MaxLength = 512,
) -> None:
    """Print the search queries (one a line, on stdout) that the lexicon and topic terms give."""

    built = _queries(word, lexicon, top, topic, no_topic, lang, keep_retweets, max_query_length)
    for query in built:
        typer.echo(query)
    _console().print(f"{len(built)} queries of at most {max_query_length} characters")


def search_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Page JSONL to append to (checkpoint beside it).")] = Path(
        "search.jsonl"
    ),
    query: Annotated[
        list[str] | None, typer.Option("--query", "-q", help="Raw query (repeatable); skips the builder.")
    ] = None,
    archive: Annotated[
        bool, typer.Option("--archive", help="Full-archive search (Pro or Academic Research access).")
    ] = False,
    since: Annotated[
        str | None, typer.Option(help="Oldest creation time, ISO date or date-time (UTC unless given).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Newest creation time (exclusive), ISO date or date-time.")] = None,
    max_tweets: Annotated[
        int | None, typer.Option(help="Stop after this many tweets in this call; a re-run goes on.")
    ] = None,
    word: Words = None,
    lexicon: Lexicon = None,
    top: Top = None,
    topic: Topics = None,
    no_topic: NoTopic = False,
    lang: Lang = "en",
    keep_retweets: KeepRetweets = False,
    max_query_length: MaxLength = 512,
) -> None:
    """Search recent (or, with --archive, all) posts for the lexicon queries; resumes from its checkpoint."""
    from empathykit.cli._common import print_table, progress
    from empathykit.xapi.client import XClient
    from empathykit.xapi.collection import collect_search

    queries = query or _queries(word, lexicon, top, topic, no_topic, lang, keep_retweets, max_query_length)
    client = XClient()  # fails on a missing token before the progress bar starts
    with progress(f"searching ({len(queries)} queries)") as on_progress:
        report = collect_search(
            queries,
            out,
            archive=archive,
            since=since,
            until=until,
            max_tweets=max_tweets,
            client=client,
            on_progress=on_progress,
        )
    print_table(
        f"{report.endpoint} → {report.output}",
        ["query", "mode", "tweets", "pages", "finished"],
        [
            [q.query[:60] + ("…" if len(q.query) > 60 else ""), q.mode, q.tweets, q.pages, q.finished]
            for q in report.queries
        ],
        console=_console(),
    )
    _console().print(
        f"{report.tweets} tweets in {report.pages} pages"
        + ("; stopped at --max-tweets (re-run to go on)" if report.reached_max else "")
    )


def stream_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Page JSONL to append to (checkpoint beside it).")] = Path(
        "stream.jsonl"
    ),
    name: Annotated[str | None, typer.Option(help="Keep only tweets matched by rules added under this name.")] = None,
    max_tweets: Annotated[int | None, typer.Option(help="Stop after this many tweets.")] = None,
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds.")] = None,
    backfill_minutes: Annotated[
        int | None, typer.Option(help="On reconnect, ask for up to 5 missed minutes (Pro).")
    ] = None,
) -> None:
    """Collect from the filtered stream until --max-tweets, --duration or Ctrl-C; reconnects after drops."""
    from empathykit.cli._common import progress
    from empathykit.xapi.client import XClient
    from empathykit.xapi.stream import collect_stream

    client = XClient()
    with progress("streaming") as on_progress:
        report = collect_stream(
            out,
            name=name,
            max_tweets=max_tweets,
            duration=duration,
            backfill_minutes=backfill_minutes,
            client=client,
            on_progress=on_progress,
        )
    _console().print(
        f"{report.tweets} tweets → {report.output} (stopped: {report.stopped}); "
        f"{report.duplicates} repeats, {report.other_rules} for other rules, "
        f"{report.system_messages} stream notices dropped"
    )


def hydrate_command(
    ids: Annotated[
        Path,
        typer.Argument(
            help="Text file of tweet ids, one a line, or a dehydrated export "
            "(`export --dehydrate` folder or one of its Parquet files)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Page JSONL to append to (checkpoint beside it).")] = Path(
        "hydrated.jsonl"
    ),
) -> None:
    """Turn shared tweet ids back into tweets, 100 ids a request; resumes from its checkpoint."""
    from empathykit.cli._common import progress
    from empathykit.xapi.client import XClient
    from empathykit.xapi.collection import hydrate

    client = XClient()
    with progress("hydrating") as on_progress:
        report = hydrate(ids, out, client=client, on_progress=on_progress)
    _console().print(
        f"{report.ids} ids: {report.found} found, {report.missing} missing (deleted or protected), "
        f"{report.already_done} done earlier → {report.output}"
        + (f"; {report.not_tweet_ids} items had no tweet id (text hash), not looked up" if report.not_tweet_ids else "")
    )


rules_app = typer.Typer(
    help="Filtered-stream rules created by empathykit (tagged empathykit:<name>).", no_args_is_help=True
)


@rules_app.command("add")
def rules_add_command(
    name: Annotated[str, typer.Argument(help="Rule set name; rules are tagged empathykit:<name>.")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Also delete this name's rules the words no longer give.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Let the API check the rules without adding them.")
    ] = False,
    word: Words = None,
    lexicon: Lexicon = None,
    top: Top = None,
    topic: Topics = None,
    no_topic: NoTopic = False,
    lang: Lang = "en",
    keep_retweets: KeepRetweets = False,
    max_query_length: MaxLength = 512,
) -> None:
    """Add stream rules built from the lexicon and topic terms (existing identical rules are kept)."""
    from empathykit.xapi.stream import add_rules

    values = _queries(word, lexicon, top, topic, no_topic, lang, keep_retweets, max_query_length)
    report = add_rules(name, values, replace=replace, dry_run=dry_run)
    _console().print(
        f"{report.tag}: {len(report.added)} added, {len(report.kept)} already there, "
        f"{len(report.deleted)} deleted" + (" (dry run)" if dry_run else "")
    )


@rules_app.command("list")
def rules_list_command(
    name: Annotated[str | None, typer.Option(help="Only rules added under this name.")] = None,
    all_rules: Annotated[bool, typer.Option("--all", help="Also rules not created by empathykit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rules as JSON on stdout.")] = False,
) -> None:
    """List the filtered stream's rules created by empathykit."""
    from empathykit.cli._common import print_table
    from empathykit.xapi.stream import list_rules

    rules = list_rules(name=name, include_foreign=all_rules)
    if as_json:
        typer.echo(json.dumps(rules, indent=2, ensure_ascii=False))
    else:
        print_table(
            f"{len(rules)} stream rules",
            ["id", "tag", "value"],
            [[r["id"], r.get("tag"), r["value"]] for r in rules],
            console=_console(),
        )


@rules_app.command("delete")
def rules_delete_command(
    name: Annotated[str | None, typer.Argument(help="Rule set name to delete.")] = None,
    all_ours: Annotated[bool, typer.Option("--all", help="Delete every rule empathykit created (any name).")] = False,
) -> None:
    """Delete rules empathykit created: one name's, or with --all every empathykit rule. Others are never touched."""
    from empathykit.errors import InputError
    from empathykit.xapi.stream import delete_rules

    if (name is None) == (not all_ours):
        raise InputError("give a rule set NAME or --all (not both)")
    deleted = delete_rules(name=name)
    _console().print(f"{len(deleted)} rules deleted")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `collect` group."""
    app.command("search")(search_command)
    app.command("stream")(stream_command)
    app.command("hydrate")(hydrate_command)
    app.command("queries")(queries_command)
    app.add_typer(rules_app, name="rules")
