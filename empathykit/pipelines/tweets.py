"""Turn X API JSON (v2 tweets and response pages, twarc2 output, v1.1
tweets) into rows of the posts schema (:mod:`empathykit.pipelines.posts`)."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import parse_qs, urlparse

#: Keys of stream control messages and other non-post records (skipped, counted).
CONTROL_KEYS = ("delete", "limit", "status_withheld", "user_withheld", "scrub_geo", "disconnect", "warning", "errors")
V1_DATE = "%a %b %d %H:%M:%S %z %Y"


def unescape(text: str | None) -> str | None:
    """The X API escapes exactly these three characters in post text."""
    if text is None:
        return None
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def parse_time(value) -> datetime | None:
    """ISO 8601 (v2, twarc) or the v1.1 ``Wed Oct 10 20:19:24 +0000 2018`` form; None if unreadable."""
    if not value or not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.strptime(value, V1_DATE)
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def kind(obj) -> str | None:
    """``page``, ``v2``, ``v1`` or ``control`` for a decoded JSON line; None if it is none of these."""
    if not isinstance(obj, dict):
        return None
    if "data" in obj:
        return "page"
    if "id_str" in obj or "full_text" in obj or isinstance(obj.get("user"), dict):
        return "v1"
    if "id" in obj and "text" in obj:
        return "v2"
    if any(key in obj for key in CONTROL_KEYS) or "meta" in obj:
        return "control"
    return None


def provenance(obj: dict) -> tuple[str, str | None, datetime | None]:
    """(source format, query, retrieved_at) from a page's or tweet's provenance keys."""
    ours = obj.get("__empathykit")
    if isinstance(ours, dict):
        query = ours.get("query") or ours.get("rule")
        return "x-v2-page", None if query is None else str(query), parse_time(ours.get("retrieved_at"))
    twarc = obj.get("__twarc")
    if isinstance(twarc, dict):
        query = parse_qs(urlparse(str(twarc.get("url", ""))).query).get("query", [None])[0]
        return "twarc2", query, parse_time(twarc.get("retrieved_at"))
    rules = obj.get("matching_rules")
    if isinstance(rules, list) and rules:
        tags = [str(r.get("tag") or r.get("value") or r.get("id")) for r in rules if isinstance(r, dict)]
        return "x-v2-page", " | ".join(tags) or None, None
    return "x-v2-page", None, None


def page_rows(page: dict) -> list[dict]:
    """Rows of the tweets in an X API v2 response page (``data`` + ``includes``), e.g. from search,
    the filtered stream, a lookup, or twarc2."""
    data = page.get("data")
    tweets = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    includes = page.get("includes") or {}
    users = {u.get("id"): u.get("username") for u in includes.get("users", []) if isinstance(u, dict)}
    referenced = {t.get("id"): t for t in includes.get("tweets", []) if isinstance(t, dict)}
    source, query, retrieved = provenance(page)
    rows = []
    for tweet in tweets:
        row = v2_row(tweet, users, referenced)
        row.update(source_format=source, query=query, retrieved_at=retrieved)
        rows.append(row)
    return rows


def v2_row(tweet: dict, users: dict | None = None, referenced: dict | None = None) -> dict:
    """Row of one v2 tweet object; ``users`` maps author ids to usernames (from ``includes``)."""
    refs = {}
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("type") in ("retweeted", "quoted", "replied_to"):
            refs[ref["type"]] = str(ref.get("id"))
    note = tweet.get("note_tweet")
    text = note.get("text") if isinstance(note, dict) and note.get("text") else tweet.get("text")
    author = tweet.get("author")
    username = author.get("username") if isinstance(author, dict) else (users or {}).get(tweet.get("author_id"))
    original = (referenced or {}).get(refs.get("retweeted"))
    if original is not None:
        # a v2 retweet's text is truncated; rebuild it from the original, as for v1.1
        original_note = original.get("note_tweet")
        full = original_note.get("text") if isinstance(original_note, dict) else original.get("text")
        handle = (users or {}).get(original.get("author_id"))
        if full and handle:
            text = f"RT @{handle}: {full}"
    row = {
        "id": str(tweet["id"]),
        "text": unescape(text),
        "created_at": parse_time(tweet.get("created_at")),
        "author_id": _str(tweet.get("author_id")),
        "author_username": username,
        "lang": tweet.get("lang"),
        "conversation_id": _str(tweet.get("conversation_id")),
        "in_reply_to_user_id": _str(tweet.get("in_reply_to_user_id")),
        "is_retweet": "retweeted" in refs,
        "is_quote": "quoted" in refs,
        "retweeted_id": refs.get("retweeted"),
        "quoted_id": refs.get("quoted"),
        "replied_to_id": refs.get("replied_to"),
        "source_format": "x-v2",
    }
    if isinstance(tweet.get("__twarc"), dict) or isinstance(tweet.get("__empathykit"), dict):
        row["source_format"], row["query"], row["retrieved_at"] = provenance(tweet)
        if row["source_format"] == "x-v2-page":
            row["source_format"] = "x-v2"
    return row


def v1_row(tweet: dict) -> dict:
    """Row of one v1.1 tweet (REST or streaming, compat or extended mode)."""
    user = tweet.get("user") or {}
    original = tweet.get("retweeted_status")
    if isinstance(original, dict):
        handle = (original.get("user") or {}).get("screen_name")
        text = f"RT @{handle}: {_v1_text(original)}" if handle else _v1_text(tweet)
    else:
        text = _v1_text(tweet)
    quoted = tweet.get("quoted_status_id_str") or (tweet.get("quoted_status") or {}).get("id_str")
    return {
        "id": str(tweet.get("id_str") or tweet["id"]),
        "text": unescape(text),
        "created_at": parse_time(tweet.get("created_at")),
        "author_id": _str(user.get("id_str") or user.get("id")),
        "author_username": user.get("screen_name"),
        "lang": tweet.get("lang"),
        "in_reply_to_user_id": _str(tweet.get("in_reply_to_user_id_str") or tweet.get("in_reply_to_user_id")),
        "is_retweet": isinstance(original, dict),
        "is_quote": bool(tweet.get("is_quote_status")) or quoted is not None,
        "retweeted_id": _str(original.get("id_str") or original.get("id")) if isinstance(original, dict) else None,
        "quoted_id": _str(quoted),
        "replied_to_id": _str(tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id")),
        "source_format": "v1.1",
    }


def _v1_text(tweet: dict) -> str | None:
    extended = tweet.get("extended_tweet")
    if isinstance(extended, dict) and extended.get("full_text"):
        return extended["full_text"]
    return tweet.get("full_text") or tweet.get("text")


def _str(value) -> str | None:
    return None if value is None else str(value)
