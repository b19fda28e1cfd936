"""X API v2 client: tweepy makes the requests, this module decides when to wait and retry.

``XClient`` yields raw API pages (the JSON the API sent, twarc style). All
rate-limit and failure handling lives in ``XClient._retrying``:

- 429: wait until ``x-rate-limit-reset`` (or back off when the header is
  missing); a success with ``x-rate-limit-remaining: 0`` waits before the next
  request instead of provoking the 429;
- 5xx and network errors: exponential backoff, up to ``RetryPolicy.max_retries``;
- 401/403: one-line ``XApiError`` naming the endpoint and what access it needs;
- full-archive search is paced to its one request a second.

The filtered stream reconnects through the same method after a drop, with
backoff growing while connections keep closing before any tweet arrives.

The bearer token is read from ``X_BEARER_TOKEN`` only, never stored outside
the tweepy objects, never logged (tweepy's debug log is redacted) and never
put in error text.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Sequence

import requests
import tweepy

from empathykit.errors import XApiError

TOKEN_ENV = "X_BEARER_TOKEN"
HOST = "https://api.twitter.com"  # the host tweepy's Client and StreamingClient use

SEARCH_RECENT = "/2/tweets/search/recent"
SEARCH_ALL = "/2/tweets/search/all"
TWEETS_LOOKUP = "/2/tweets"
STREAM = "/2/tweets/search/stream"
STREAM_RULES = "/2/tweets/search/stream/rules"

ENDPOINT_NAMES = {
    SEARCH_RECENT: "recent search",
    SEARCH_ALL: "full-archive search",
    TWEETS_LOOKUP: "tweet lookup",
    STREAM: "filtered stream",
    STREAM_RULES: "filtered stream rules",
}
ACCESS_NEEDED = {
    SEARCH_ALL: "full-archive search needs Pro or Academic Research access",
    STREAM: "the filtered stream needs Pro access",
    STREAM_RULES: "the filtered stream needs Pro access",
}
PAGE_MAX = {SEARCH_RECENT: 100, SEARCH_ALL: 500}
PAGE_MIN = 10
LOOKUP_BATCH = 100
MIN_INTERVAL = {SEARCH_ALL: 1.0}  # documented limit: one full-archive request a second
STREAM_TIMEOUT = (10, 21)  # X sends a keep-alive every 20 s; silence past that is a dead connection

# What downstream stages read: author (username via the expansion), time,
# language, conversation and reply ids, referenced tweets, counts, entities.
EXPANSIONS = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id", "in_reply_to_user_id"]
TWEET_FIELDS = [
    "author_id",
    "conversation_id",
    "created_at",
    "entities",
    "in_reply_to_user_id",
    "lang",
    "note_tweet",
    "possibly_sensitive",
    "public_metrics",
    "referenced_tweets",
]
USER_FIELDS = ["created_at", "description", "location", "name", "public_metrics", "username", "verified"]

_NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


@dataclass
class RetryPolicy:
    """When to give up. Waits grow as ``base * 2**n`` up to ``cap`` seconds."""

    max_retries: int = 6
    base: float = 1.0
    cap: float = 320.0
    max_rate_wait: float = 16 * 60  # longer than one 15-minute window means a usage cap, not a rate limit

    def backoff(self, attempt: int) -> float:
        return min(self.cap, self.base * 2**attempt)


class _RedactToken(logging.Filter):
    """tweepy logs request headers (with the token) at debug level; blank them."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, ()
        return True


_REDACT = _RedactToken()


class _TimeoutSession(requests.Session):
    """tweepy sends REST requests without a timeout; a stuck socket must not hang a run."""

    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


def utc_iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class XClient:
    """Requests to the X API v2 with the bearer token from ``X_BEARER_TOKEN``.

    ``clock`` (epoch seconds) and ``sleep`` are injectable so tests never wait.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        policy: RetryPolicy | None = None,
        timeout: float = 60.0,
    ):
        token = os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            raise XApiError(
                f"{TOKEN_ENV} is not set; the X API needs an app bearer token",
                hint=f"export {TOKEN_ENV}=<the Bearer Token of your app in the X developer portal>",
            )
        _REDACT.secrets.add(token)
        for name in ("tweepy.client", "tweepy.streaming"):
            logging.getLogger(name).addFilter(_REDACT)
        self._token = token
        self.clock, self.sleep = clock, sleep
        self.policy = policy or RetryPolicy()
        self._client = tweepy.Client(bearer_token=token, return_type=requests.Response)
        self._streaming = tweepy.StreamingClient(token, return_type=requests.Response)
        self._client.session = _TimeoutSession(timeout)
        self._streaming.session = _TimeoutSession(timeout)
        self._not_before: dict[str, float] = {}

    def __repr__(self) -> str:
        return "XClient()"

    # -- the one place for waiting and retrying -------------------------------

    def _retrying(self, endpoint: str, call: Callable[[], requests.Response]) -> requests.Response:
        failures = rate_waits = 0
        while True:
            self._wait_turn(endpoint)
            try:
                response = call()
            except tweepy.HTTPException as exc:
                status = exc.response.status_code
                if status in (401, 403):
                    raise self._access_error(endpoint, status, exc) from None
                if status == 429:
                    rate_waits += 1
                    if rate_waits > self.policy.max_retries:
                        raise XApiError(
                            f"X API {self._name(endpoint)} stayed rate-limited after {rate_waits - 1} waits",
                            hint="a usage cap may be exhausted",
                        ) from None
                    reset = exc.response.headers.get("x-rate-limit-reset")
                    if reset is not None and reset.strip().isdigit():
                        self._not_before[endpoint] = float(reset) + 1
                    else:
                        self._not_before[endpoint] = self.clock() + self.policy.backoff(rate_waits + 5)
                    continue
                if status < 500:
                    raise XApiError(
                        f"X API rejected the {self._name(endpoint)} request ({status}): {self._api_message(exc)}"
                    ) from None
                reason = f"{status} {exc.response.reason or ''}".strip()
            except _NETWORK_ERRORS as exc:
                reason = type(exc).__name__
            else:
                self._note_limit(endpoint, response.headers)
                return response
            failures += 1
            if failures > self.policy.max_retries:
                raise XApiError(
                    f"X API {self._name(endpoint)} kept failing ({reason}) after {failures} attempts",
                    hint="try again later; the run resumes from its checkpoint",
                )
            self.sleep(self.policy.backoff(failures - 1))

    def _wait_turn(self, endpoint: str) -> None:
        wait = self._not_before.get(endpoint, 0.0) - self.clock()
        if wait > self.policy.max_rate_wait:
            raise XApiError(
                f"X API {self._name(endpoint)} is rate-limited until "
                f"{utc_iso(self._not_before[endpoint])}, more than "
                f"{self.policy.max_rate_wait / 60:.0f} minutes away",
                hint="a usage cap may be exhausted; re-run later to resume from the checkpoint",
            )
        if wait > 0:
            self.sleep(wait)
        self._not_before[endpoint] = self.clock() + MIN_INTERVAL.get(endpoint, 0.0)

    def _note_limit(self, endpoint: str, headers) -> None:
        reset = headers.get("x-rate-limit-reset")
        if headers.get("x-rate-limit-remaining") == "0" and reset is not None and reset.strip().isdigit():
            self._not_before[endpoint] = max(self._not_before.get(endpoint, 0.0), float(reset) + 1)

    @staticmethod
    def _name(endpoint: str) -> str:
        return f"{ENDPOINT_NAMES.get(endpoint, 'endpoint')} ({endpoint})"

    def _api_message(self, exc) -> str:
        try:
            body = exc.response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        parts = [str(body.get(k)) for k in ("title", "detail", "reason") if body.get(k)]
        parts += [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in body.get("errors", [])]
        text = " ".join(" ".join(parts).split()).replace(self._token, "***")
        return (text[:300] + "…" if len(text) > 300 else text) or (exc.response.reason or "no detail")

    def _access_error(self, endpoint: str, status: int, exc) -> XApiError:
        if status == 401:
            return XApiError(
                f"X API refused the bearer token for {self._name(endpoint)} (401 Unauthorized): "
                f"the token in {TOKEN_ENV} is missing or wrong",
                hint=f"copy the Bearer Token of your app from the X developer portal into {TOKEN_ENV}",
            )
        need = ACCESS_NEEDED.get(endpoint)
        return XApiError(
            f"X API denied {self._name(endpoint)} (403 Forbidden): the token in {TOKEN_ENV} lacks "
            f"access to this endpoint{'; ' + need if need else ''} (API: {self._api_message(exc)})",
            hint="check the access level of the project your app belongs to",
        )

    # -- endpoints: each yields or returns the raw JSON the API sent ----------

    def search(
        self,
        query: str,
        *,
        archive: bool = False,
        start_time: str | None = None,
        end_time: str | None = None,
        since_id: str | None = None,
        next_token: str | None = None,
        max_tweets: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Pages of recent (or full-archive) search, newest first, until the last page or ``max_tweets``."""
        endpoint = SEARCH_ALL if archive else SEARCH_RECENT
        method = self._client.search_all_tweets if archive else self._client.search_recent_tweets
        remaining = max_tweets
        while remaining is None or remaining > 0:
            size = PAGE_MAX[endpoint] if remaining is None else max(PAGE_MIN, min(PAGE_MAX[endpoint], remaining))
            params = dict(
                start_time=start_time,
                end_time=end_time,
                since_id=since_id,
                next_token=next_token,
                max_results=size,
                expansions=EXPANSIONS,
                tweet_fields=TWEET_FIELDS,
                user_fields=USER_FIELDS,
            )
            page = self._retrying(endpoint, lambda: method(query, **params)).json()  # noqa: B023 (called here)
            yield page
            if remaining is not None:
                remaining -= len(page.get("data") or [])
            next_token = (page.get("meta") or {}).get("next_token")
            if not next_token:
                return

    def lookup(self, ids: Sequence[str]) -> dict[str, Any]:
        """One tweet lookup page for at most 100 ids (missing tweets come back under ``errors``)."""
        if not 0 < len(ids) <= LOOKUP_BATCH:
            raise ValueError(f"tweet lookup takes 1 to {LOOKUP_BATCH} ids, got {len(ids)}")
        return self._retrying(
            TWEETS_LOOKUP,
            lambda: self._client.get_tweets(
                list(ids), expansions=EXPANSIONS, tweet_fields=TWEET_FIELDS, user_fields=USER_FIELDS
            ),
        ).json()

    def get_rules(self) -> list[dict[str, Any]]:
        return self._retrying(STREAM_RULES, lambda: self._streaming.get_rules()).json().get("data") or []

    def add_rules(self, rules: Sequence[tuple[str, str]], *, dry_run: bool = False) -> dict[str, Any]:
        """Add ``(value, tag)`` rules; the response's ``errors`` name rules the API refused."""
        add = [tweepy.StreamRule(value=value, tag=tag) for value, tag in rules]
        extra = {"dry_run": "true"} if dry_run else {}
        return self._retrying(STREAM_RULES, lambda: self._streaming.add_rules(add, **extra)).json()

    def delete_rules(self, ids: Sequence[str]) -> dict[str, Any]:
        return self._retrying(STREAM_RULES, lambda: self._streaming.delete_rules(list(ids))).json()

    def _open_stream(self, params: dict[str, str]) -> requests.Response:
        response = self._streaming.session.get(
            HOST + STREAM,
            params=params,
            stream=True,
            timeout=STREAM_TIMEOUT,
            headers={"Authorization": f"Bearer {self._token}", "User-Agent": self._streaming.user_agent},
        )
        if response.status_code != 200:
            try:
                raise tweepy.HTTPException(response)
            finally:
                response.close()
        return response

    def stream(self, *, backfill_minutes: int | None = None) -> Iterator[dict[str, Any] | None]:
        """Messages of the filtered stream, reconnecting for ever; ``None`` marks a keep-alive.

        tweepy's ``StreamingClient.filter`` runs callbacks with its own sleeps
        and retries; reading the lines here keeps the connection a generator
        and its retries in ``_retrying``. Backfill (Pro) re-sends up to five
        minutes missed while reconnecting, so callers drop repeated ids.
        """
        params = {
            "expansions": ",".join(EXPANSIONS),
            "tweet.fields": ",".join(TWEET_FIELDS),
            "user.fields": ",".join(USER_FIELDS),
        }
        empty_drops = 0
        while True:
            response = self._retrying(STREAM, lambda: self._open_stream(params))
            if backfill_minutes:
                params["backfill_minutes"] = str(backfill_minutes)
            received = False
            try:
                with response:
                    for line in response.iter_lines():
                        if not line.strip():
                            received = True  # a keep-alive: the connection itself works
                            yield None
                            continue
                        try:
                            message = json.loads(line)
                        except ValueError:
                            break  # a line cut by a dropped connection
                        # a notice alone (e.g. connection limit reached) is no sign of a working stream
                        received = received or "data" in message
                        yield message
            except _NETWORK_ERRORS:
                pass
            empty_drops = 0 if received else empty_drops + 1
            if empty_drops > self.policy.max_retries:
                raise XApiError(
                    f"X API {self._name(STREAM)} closed {empty_drops} connections in a row before sending anything",
                    hint="check the X API status page and your rules",
                )
            self.sleep(self.policy.backoff(empty_drops))
