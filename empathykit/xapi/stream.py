"""The X API's filtered stream: its rules (tagged ``empathykit:<name>``) and the
collection run that appends matching tweets to a JSONL file (provenance and
checkpoint as for search, :mod:`empathykit.xapi.collection`). A stream
cannot replay what it missed, beyond the optional backfill."""

from __future__ import annotations

import contextlib
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from empathykit.errors import InputError, XApiError
from empathykit.progress import Counter, Progress
from empathykit.xapi.client import STREAM, XClient
from empathykit.xapi.collection import PROVENANCE_KEY, newest_id, provenance
from empathykit.xapi.store import PageLog

RULE_TAG_PREFIX = "empathykit:"
_RULE_NAME = re.compile(r"[A-Za-z0-9_.-]+")


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


def list_rules(
    *, name: str | None = None, include_foreign: bool = False, client: XClient | None = None
) -> list[dict[str, Any]]:
    """The stream's rules tagged ``empathykit:<name>`` (any empathykit rule without a name; all with ``include_foreign``)."""
    client = client or XClient()
    rules = client.get_rules()
    return rules if include_foreign and not name else [r for r in rules if _ours(r, name)]


def add_rules(
    name: str, values: Sequence[str], *, replace: bool = False, dry_run: bool = False, client: XClient | None = None
) -> RulesReport:
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
            raise InputError(
                f"rule {value[:60]!r}… already exists under tag {rule.get('tag')!r} (id {rule['id']}); "
                "the stream holds each rule value once",
                hint="delete that rule first, or build different rules",
            )
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
    on_progress: Progress | None = None,
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
        raise InputError(
            f"the filtered stream has no rules {target}", hint="add them with `empathykit collect rules add NAME`"
        )
    tag = rule_tag(name) if name else None
    key = f"{STREAM} {tag or '*'}"
    values = {rule["id"]: rule["value"] for rule in rules}
    deadline = client.clock() + duration if duration is not None else None
    report = StreamReport(output=Path(output))
    recent = _RecentIds(100_000)
    count = Counter(on_progress, "streaming", total=max_tweets)
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
                skipped = _skipped(message, tag, recent)
                if skipped:
                    setattr(report, skipped, getattr(report, skipped) + 1)
                    continue
                tweet = message["data"]
                state["count"] += 1
                state["newest_id"] = newest_id(state["newest_id"], tweet["id"])
                matched = [values.get(r.get("id"), "") for r in message.get("matching_rules") or []]
                message[PROVENANCE_KEY] = provenance(client, STREAM, " OR ".join(filter(None, matched)) or None)
                log.append(message, key=key, run=state, tweets=1)
                report.tweets += 1
                count()
                if max_tweets is not None and report.tweets >= max_tweets:
                    report.stopped = "max-tweets"
                    break
        except KeyboardInterrupt:
            report.stopped = "interrupted"
    return report


def _skipped(message: dict, tag: str | None, recent: _RecentIds) -> str | None:
    """The report counter a stream message goes to instead of the file, or None to keep it."""
    if not message.get("data"):
        return "system_messages"
    if tag and not any(r.get("tag") == tag for r in message.get("matching_rules") or []):
        return "other_rules"
    if recent.seen(message["data"]["id"]):
        return "duplicates"
    return None
