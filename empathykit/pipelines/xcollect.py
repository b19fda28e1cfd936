"""Collection runs over the X API: search, filtered stream, hydration, and the stream rules.

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

import contextlib
import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from empathykit import __version__
from empathykit.errors import InputError, XApiError
from empathykit.pipelines.shared_ids import ids_from_export
from empathykit.pipelines.xapi import LOOKUP_BATCH, SEARCH_ALL, SEARCH_RECENT, STREAM, TWEETS_LOOKUP, XClient, utc_iso
from empathykit.pipelines.xstore import PageLog

RULE_TAG_PREFIX = "empathykit:"
PROVENANCE_KEY = "__empathykit"
_RULE_NAME = re.compile(r"[A-Za-z0-9_.-]+")

Progress = Callable[..., None]


def _noop(n: float = 1, total: float | None = None) -> None:
    pass


def parse_time(value: str | None, option: str) -> str | None:
    """An ISO date or date-time (UTC when no offset is given) as the API's ``YYYY-MM-DDTHH:MM:SSZ``."""
    if value is None:
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise InputError(f"{option} {value!r} is not an ISO date or date-time (e.g. 2024-05-01 or "
                         "2024-05-01T12:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _provenance(client: XClient, endpoint: str, query: str | None) -> dict[str, Any]:
    return {"query": query, "endpoint": endpoint, "retrieved_at": utc_iso(client.clock()), "version": __version__}


def _newer(a: str | None, b: str | None) -> str | None:
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
    on_progress: Progress = _noop,
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
    with PageLog(output) as log:
        report.discarded_bytes = log.discarded_bytes
        for query in queries:
            remaining = None if max_tweets is None else max_tweets - report.tweets
            if remaining is not None and remaining <= 0:
                report.reached_max = True
                break
            key = f"{endpoint} {query}"
            state = log.run(key)
            if state and not state["done"]:
                mode, next_token = "resumed", state["next_token"]
            elif state and state.get("newest_id"):
                mode, next_token = "since_id", None
                state.update(params={"start_time": None, "end_time": end_time, "since_id": state["newest_id"]},
                             done=False)
            else:
                mode, next_token = "new", None
                state = {"endpoint": endpoint, "query": query, "count": 0, "pages": 0, "newest_id": None,
                         "oldest_id": None, "next_token": None, "done": False,
                         "params": {"start_time": start_time, "end_time": end_time, "since_id": None}}
            run = QueryRun(query=query, mode=mode)
            report.queries.append(run)
            pages = client.search(query, archive=archive, next_token=next_token, max_tweets=remaining,
                                  **state["params"])
            for page in pages:
                meta = page.get("meta") or {}
                tweets = len(page.get("data") or [])
                state["next_token"] = meta.get("next_token")
                state["done"] = not state["next_token"]
                state["newest_id"] = _newer(state["newest_id"], meta.get("newest_id"))
                state["oldest_id"] = _older(state["oldest_id"], meta.get("oldest_id"))
                if tweets:
                    state["count"] += tweets
                    state["pages"] += 1
                    page[PROVENANCE_KEY] = _provenance(client, endpoint, query)
                    log.append(page, key=key, run=state, tweets=tweets)
                else:
                    log.save_run(key, state)
                run.tweets += tweets
                run.pages += bool(tweets)
                report.tweets += tweets
                report.pages += bool(tweets)
                on_progress(tweets)
            if not state["done"] and max_tweets is not None and report.tweets >= max_tweets:
                report.reached_max = True
            run.finished = state["done"]
    return report


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
    if not path.is_file():
        raise InputError(f"ids file {path} does not exist")
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


def hydrate(ids_path: str | Path, output: str | Path, *, client: XClient | None = None,
            on_progress: Progress = _noop) -> HydrateReport:
    """Look the ids up, 100 a request, and append the pages that hold tweets to ``output``.
    ``ids_path``: an ids file, or a dehydrated export (its folder or a Parquet file of it)."""

    exported = Path(ids_path).is_dir() or Path(ids_path).suffix == ".parquet"
    ids, not_tweet_ids = ids_from_export(ids_path) if exported else (read_ids(ids_path), 0)
    client = client or XClient()
    key = f"{TWEETS_LOOKUP} {hashlib.sha256(' '.join(ids).encode()).hexdigest()[:16]}"
    report = HydrateReport(output=Path(output), ids=len(ids), not_tweet_ids=not_tweet_ids)
    with PageLog(output) as log:
        report.discarded_bytes = log.discarded_bytes
        state = log.run(key) or {"endpoint": TWEETS_LOOKUP, "ids_file": Path(ids_path).name, "ids": len(ids),
                                 "done_ids": 0, "found": 0, "missing": 0, "pages": 0, "done": False}
        report.already_done = state["done_ids"]
        on_progress(state["done_ids"], total=len(ids))
        for start in range(state["done_ids"], len(ids), LOOKUP_BATCH):
            batch = ids[start:start + LOOKUP_BATCH]
            page = client.lookup(batch)
            found = len(page.get("data") or [])
            state.update(done_ids=start + len(batch), found=state["found"] + found,
                         missing=state["missing"] + len(batch) - found, done=start + len(batch) == len(ids))
            if found:
                state["pages"] += 1
                page[PROVENANCE_KEY] = _provenance(client, TWEETS_LOOKUP, None)
                log.append(page, key=key, run=state, tweets=found)
            else:
                log.save_run(key, state)
            report.found += found
            report.missing += len(batch) - found
            report.pages += bool(found)
            on_progress(len(batch))
    return report


# -- stream rules --------------------------------------------------------------


def rule_tag(name: str) -> str:
    """The tag that marks a rule as created by empathykit under ``name``."""
    if not _RULE_NAME.fullmatch(name or ""):
        raise InputError(f"rule set name {name!r} must be letters, digits, '_', '.' or '-'")
    return RULE_TAG_PREFIX + name


def _ours(rule: dict[str, Any], name: str | None) -> bool:
    tag = rule.get("tag") or ""
    return tag == rule_tag(name) if name else tag.startswith(RULE_TAG_PREFIX)


@dataclass
class RulesReport:
    tag: str
    added: list[dict[str, Any]] = field(default_factory=list)
    kept: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False


def list_rules(*, name: str | None = None, include_foreign: bool = False,
               client: XClient | None = None) -> list[dict[str, Any]]:
    """The stream's rules tagged ``empathykit:<name>`` (any empathykit rule without a name; all with ``include_foreign``)."""
    client = client or XClient()
    rules = client.get_rules()
    return rules if include_foreign and not name else [r for r in rules if _ours(r, name)]


def add_rules(name: str, values: Sequence[str], *, replace: bool = False, dry_run: bool = False,
              client: XClient | None = None) -> RulesReport:
    """Add the rule values under tag ``empathykit:<name>``; values already there are kept.

    ``replace`` also deletes this name's rules that are not among ``values``
    (after a lexicon change). Rules of other tags are never touched.
    """
    tag = rule_tag(name)
    if not values:
        raise InputError("no rule values to add")
    client = client or XClient()
    report = RulesReport(tag=tag, dry_run=dry_run)
    existing = {rule["value"]: rule for rule in client.get_rules()}
    to_add = []
    for value in dict.fromkeys(values):
        rule = existing.get(value)
        if rule is None:
            to_add.append(value)
        elif rule.get("tag") == tag:
            report.kept.append(rule)
        else:
            raise InputError(f"rule {value[:60]!r}… already exists under tag {rule.get('tag')!r} (id {rule['id']}); "
                             "the stream holds each rule value once",
                             hint="delete that rule first, or build different rules")
    stale = [rule for rule in existing.values() if rule.get("tag") == tag and rule["value"] not in values]
    if to_add:
        response = client.add_rules([(value, tag) for value in to_add], dry_run=dry_run)
        errors = response.get("errors") or []
        if errors:
            first = errors[0]
            detail = " ".join(str(first.get(k, "")) for k in ("title", "value", "details", "detail") if first.get(k))
            created = ((response.get("meta") or {}).get("summary") or {}).get("created", 0)
            raise XApiError(f"X API created {created} of {len(to_add)} rules and refused {len(errors)}: {detail[:300]}")
        report.added = response.get("data") or [{"value": value, "tag": tag} for value in to_add]
    if replace and stale:
        if not dry_run:
            client.delete_rules([rule["id"] for rule in stale])
        report.deleted = stale
    return report


def delete_rules(*, name: str | None = None, client: XClient | None = None) -> list[dict[str, Any]]:
    """Delete the rules tagged ``empathykit:<name>`` (every empathykit rule without a name); others stay."""
    client = client or XClient()
    ours = [rule for rule in client.get_rules() if _ours(rule, name)]
    if ours:
        client.delete_rules([rule["id"] for rule in ours])
    return ours


# -- stream ------------------------------------------------------------------


@dataclass
class StreamReport:
    output: Path
    tweets: int = 0
    duplicates: int = 0  # re-sent by backfill after a reconnect
    other_rules: int = 0  # matched only rules outside the chosen name
    system_messages: int = 0  # stream notices without a tweet (e.g. operational disconnects)
    stopped: str = ""  # "max-tweets", "duration" or "interrupted"
    discarded_bytes: int = 0


class _RecentIds:
    """The last ``size`` ids seen, to drop repeats without unbounded memory."""

    def __init__(self, size: int):
        self.size, self._ids = size, OrderedDict()

    def seen(self, tweet_id: str) -> bool:
        if tweet_id in self._ids:
            return True
        self._ids[tweet_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return False


def collect_stream(
    output: str | Path,
    *,
    name: str | None = None,
    max_tweets: int | None = None,
    duration: float | None = None,
    backfill_minutes: int | None = None,
    client: XClient | None = None,
    on_progress: Progress = _noop,
) -> StreamReport:
    """Append filtered-stream tweets to ``output`` until ``max_tweets``, ``duration`` seconds, or Ctrl-C.

    With ``name``, only tweets matched by rules tagged ``empathykit:<name>`` are kept.
    """
    if max_tweets is None and duration is None:
        raise InputError("a stream runs until stopped: give --max-tweets or --duration (Ctrl-C also stops it)")
    if backfill_minutes is not None and not 1 <= backfill_minutes <= 5:
        raise InputError(f"--backfill-minutes must be 1 to 5, got {backfill_minutes}")
    client = client or XClient()
    rules = list_rules(name=name, include_foreign=True, client=client)
    if not rules:
        target = f"tagged {rule_tag(name)}" if name else "at all"
        raise InputError(f"the filtered stream has no rules {target}",
                         hint="add them with `empathykit collect rules add NAME`")
    tag = rule_tag(name) if name else None
    key = f"{STREAM} {tag or '*'}"
    values = {rule["id"]: rule["value"] for rule in rules}
    deadline = client.clock() + duration if duration is not None else None
    report = StreamReport(output=Path(output))
    recent = _RecentIds(100_000)
    with PageLog(output) as log, contextlib.closing(client.stream(backfill_minutes=backfill_minutes)) as messages:
        report.discarded_bytes = log.discarded_bytes
        state = log.run(key) or {"endpoint": STREAM, "query": tag or "*", "count": 0, "newest_id": None}
        try:
            for message in messages:
                if deadline is not None and client.clock() >= deadline:
                    report.stopped = "duration"
                    break
                if message is None:
                    continue
                tweet = message.get("data")
                if not tweet:
                    report.system_messages += 1
                    continue
                if tag and not any(r.get("tag") == tag for r in message.get("matching_rules") or []):
                    report.other_rules += 1
                    continue
                if recent.seen(tweet["id"]):
                    report.duplicates += 1
                    continue
                state["count"] += 1
                state["newest_id"] = _newer(state["newest_id"], tweet["id"])
                matched = [values.get(r.get("id"), "") for r in message.get("matching_rules") or []]
                message[PROVENANCE_KEY] = _provenance(client, STREAM, " OR ".join(filter(None, matched)) or None)
                log.append(message, key=key, run=state, tweets=1)
                report.tweets += 1
                on_progress(1)
                if max_tweets is not None and report.tweets >= max_tweets:
                    report.stopped = "max-tweets"
                    break
        except KeyboardInterrupt:
            report.stopped = "interrupted"
    return report
