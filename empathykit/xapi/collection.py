"""Collection runs over the X API: search and hydration (the filtered stream and its
rules: :mod:`empathykit.xapi.stream`).

Every run appends raw pages to a JSONL file through ``PageLog`` and keeps its
place in the checkpoint beside it, keyed by endpoint and query:

- search: an unfinished run goes on from its saved ``next_token`` with the
  parameters it started with; a finished one goes on with ``since_id`` =
  its newest id, so re-running a command only adds what is new;
- hydrate: goes on from the first id batch not yet written;
- stream: counts and newest id (a stream cannot replay what it missed, beyond
  the optional backfill).

Provenance on every page: ``__empathykit = {query, endpoint, retrieved_at, version}``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from empathykit import __version__
from empathykit.errors import InputError, path_problem
from empathykit.progress import Counter, Progress
from empathykit.xapi.client import LOOKUP_BATCH, SEARCH_ALL, SEARCH_RECENT, TWEETS_LOOKUP, XClient, utc_iso
from empathykit.xapi.shared_ids import ids_from_export
from empathykit.xapi.store import PageLog

PROVENANCE_KEY = "__empathykit"


def parse_time(value: str | None, option: str) -> str | None:
    """An ISO date or date-time (UTC when no offset is given) as the API's ``YYYY-MM-DDTHH:MM:SSZ``."""
    if value is None:
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise InputError(
            f"{option} {value!r} is not an ISO date or date-time (e.g. 2024-05-01 or 2024-05-01T12:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def provenance(client: XClient, endpoint: str, query: str | None) -> dict[str, Any]:
    return {"query": query, "endpoint": endpoint, "retrieved_at": utc_iso(client.clock()), "version": __version__}


def newest_id(a: str | None, b: str | None) -> str | None:
    return max((x for x in (a, b) if x), key=int, default=None)


def _older(a: str | None, b: str | None) -> str | None:
    return min((x for x in (a, b) if x), key=int, default=None)


# -- search ------------------------------------------------------------------


@dataclass
class QueryRun:
    query: str
    mode: str  # "new", "resumed" (from next_token) or "since_id" (after a finished run)
    tweets: int = 0
    pages: int = 0
    finished: bool = False


@dataclass
class SearchReport:
    output: Path
    endpoint: str
    tweets: int = 0
    pages: int = 0
    queries: list[QueryRun] = field(default_factory=list)
    discarded_bytes: int = 0  # cut from the output: lines written after the last checkpoint
    reached_max: bool = False


def collect_search(
    queries: Sequence[str],
    output: str | Path,
    *,
    archive: bool = False,
    since: str | None = None,
    until: str | None = None,
    max_tweets: int | None = None,
    client: XClient | None = None,
    on_progress: Progress | None = None,
) -> SearchReport:
    """Run each query through recent (or full-archive) search and append its pages to ``output``.

    ``max_tweets`` caps the tweets this call writes (over all queries; the
    last page may carry a few more); a later call goes on where it stopped.
    """
    if not queries:
        raise InputError("no search queries given")
    if max_tweets is not None and max_tweets < 1:
        raise InputError(f"--max-tweets must be at least 1, got {max_tweets}")
    start_time, end_time = parse_time(since, "--since"), parse_time(until, "--until")
    client = client or XClient()
    endpoint = SEARCH_ALL if archive else SEARCH_RECENT
    report = SearchReport(output=Path(output), endpoint=endpoint)
    count = Counter(on_progress, f"searching ({len(queries)} queries)", total=max_tweets)
    with PageLog(output) as log:
        report.discarded_bytes = log.discarded_bytes
        for query in queries:
            remaining = None if max_tweets is None else max_tweets - report.tweets
            if remaining is not None and remaining <= 0:
                report.reached_max = True
                break
            key = f"{endpoint} {query}"
            state, mode, next_token = _query_state(log.run(key), endpoint, query, start_time, end_time)
            run = QueryRun(query=query, mode=mode)
            report.queries.append(run)
            pages = client.search(
                query, archive=archive, next_token=next_token, max_tweets=remaining, **state["params"]
            )
            for page in pages:
                tweets = _log_page(page, state, log, key, client, endpoint, query)
                run.tweets += tweets
                run.pages += bool(tweets)
                report.tweets += tweets
                report.pages += bool(tweets)
                count(tweets)
            if not state["done"] and max_tweets is not None and report.tweets >= max_tweets:
                report.reached_max = True
            run.finished = state["done"]
    return report


def _query_state(state: dict | None, endpoint: str, query: str, start_time, end_time) -> tuple[dict, str, str | None]:
    """A query's checkpoint and how this run goes on: ``resumed`` where a run stopped,
    ``since_id`` after a finished run (only newer tweets), else ``new``."""
    if state and not state["done"]:
        return state, "resumed", state["next_token"]
    if state and state.get("newest_id"):
        state.update(params={"start_time": None, "end_time": end_time, "since_id": state["newest_id"]}, done=False)
        return state, "since_id", None
    return (
        {
            "endpoint": endpoint,
            "query": query,
            "count": 0,
            "pages": 0,
            "newest_id": None,
            "oldest_id": None,
            "next_token": None,
            "done": False,
            "params": {"start_time": start_time, "end_time": end_time, "since_id": None},
        },
        "new",
        None,
    )


def _log_page(page: dict, state: dict, log: PageLog, key: str, client: XClient, endpoint: str, query: str) -> int:
    """Append one page with its provenance and checkpoint (an empty page moves the checkpoint only);
    the tweets it held."""
    meta = page.get("meta") or {}
    tweets = len(page.get("data") or [])
    state["next_token"] = meta.get("next_token")
    state["done"] = not state["next_token"]
    state["newest_id"] = newest_id(state["newest_id"], meta.get("newest_id"))
    state["oldest_id"] = _older(state["oldest_id"], meta.get("oldest_id"))
    if tweets:
        state["count"] += tweets
        state["pages"] += 1
        page[PROVENANCE_KEY] = provenance(client, endpoint, query)
        log.append(page, key=key, run=state, tweets=tweets)
    else:
        log.save_run(key, state)
    return tweets


# -- hydrate -----------------------------------------------------------------


@dataclass
class HydrateReport:
    output: Path
    ids: int
    already_done: int = 0  # ids handled by an earlier, interrupted call
    found: int = 0
    missing: int = 0  # deleted, protected or suspended: listed under the pages' ``errors``
    pages: int = 0
    discarded_bytes: int = 0
    not_tweet_ids: int = 0  # items of a dehydrated export whose id is a text hash, not a tweet id


def read_ids(path: str | Path) -> list[str]:
    """Tweet ids, one a line (an ``id``/``tweet_id`` header and ``#`` comments allowed), deduplicated in order."""
    path = Path(path)
    if problem := path_problem(path, "an ids file (one tweet id a line)"):
        raise InputError(problem)
    ids: dict[str, None] = {}
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            value = line.strip().split(",")[0].strip().strip('"')
            if not value or value.startswith("#") or (line_no == 1 and value.lower() in ("id", "tweet_id")):
                continue
            if not value.isdigit():
                raise InputError(f"{path}: line {line_no}: expected a tweet id (digits), got {value[:40]!r}")
            ids[value] = None
    if not ids:
        raise InputError(f"{path} holds no tweet ids", hint="one numeric tweet id a line")
    return list(ids)


def hydrate(
    ids_path: str | Path, output: str | Path, *, client: XClient | None = None, on_progress: Progress | None = None
) -> HydrateReport:
    """Look the ids up, 100 a request, and append the pages that hold tweets to ``output``.
    ``ids_path``: an ids file, or a dehydrated export (its folder or a Parquet file of it)."""

    exported = Path(ids_path).is_dir() or Path(ids_path).suffix == ".parquet"
    ids, not_tweet_ids = ids_from_export(ids_path) if exported else (read_ids(ids_path), 0)
    client = client or XClient()
    key = f"{TWEETS_LOOKUP} {hashlib.sha256(' '.join(ids).encode()).hexdigest()[:16]}"
    report = HydrateReport(output=Path(output), ids=len(ids), not_tweet_ids=not_tweet_ids)
    with PageLog(output) as log:
        report.discarded_bytes = log.discarded_bytes
        state = log.run(key) or {
            "endpoint": TWEETS_LOOKUP,
            "ids_file": Path(ids_path).name,
            "ids": len(ids),
            "done_ids": 0,
            "found": 0,
            "missing": 0,
            "pages": 0,
            "done": False,
        }
        report.already_done = state["done_ids"]
        count = Counter(on_progress, "hydrating ids", total=len(ids), done=state["done_ids"])
        for start in range(state["done_ids"], len(ids), LOOKUP_BATCH):
            batch = ids[start : start + LOOKUP_BATCH]
            page = client.lookup(batch)
            found = len(page.get("data") or [])
            state.update(
                done_ids=start + len(batch),
                found=state["found"] + found,
                missing=state["missing"] + len(batch) - found,
                done=start + len(batch) == len(ids),
            )
            if found:
                state["pages"] += 1
                page[PROVENANCE_KEY] = provenance(client, TWEETS_LOOKUP, None)
                log.append(page, key=key, run=state, tweets=found)
            else:
                log.save_run(key, state)
            report.found += found
            report.missing += len(batch) - found
            report.pages += bool(found)
            count(len(batch))
    return report
