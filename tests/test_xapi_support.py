"""Replay of recorded X API v2 exchanges (tests/data/xapi/*.json) with `responses`, and a fake clock.

Each exchange names method, path, the query parameters the request must
carry (``null``: must be absent) and the answer: status, headers and a JSON
``body``, newline-delimited stream ``lines``, or a network ``error``.
Exchanges matching the same request are answered in file order; anything not
registered fails (``responses`` blocks every unknown URL), so no test can
reach the live API. This module holds no tests; the test modules import its helpers and fixtures.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from empathykit.xapi.client import HOST, RetryPolicy, XClient

DATA = Path(__file__).parent / "data" / "xapi"
TOKEN = "AAAAAAAAAAAAAAAAAAAAAtestbearer%2Fsecret0123456789"
START = 1_700_000_000.0


class FakeClock:
    """Epoch seconds that only move when the code under test sleeps."""

    def __init__(self, now: float = START):
        self.now = now
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(monkeypatch, clock) -> XClient:
    """A client with the test token that sleeps on the fake clock and retries twice."""
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    return XClient(clock=clock.time, sleep=clock.sleep, policy=RetryPolicy(max_retries=2))


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _params_matcher(expected: dict):
    def match(request):
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query, keep_blank_values=True).items()}
        for key, value in expected.items():
            if value is None and key in query:
                return False, f"{key} present"
            if value is not None and query.get(key) != value:
                return False, f"{key}={query.get(key)!r}, expected {value!r}"
        return True, ""

    return match


def _auth_matcher(request):
    ok = request.headers.get("Authorization") == f"Bearer {TOKEN}"
    return ok, "" if ok else "no bearer token"


def replay(
    rsps: responses.RequestsMock,
    name: str,
    only: list[int] | None = None,
    params: dict[int, dict] | None = None,
    headers: dict[int, dict] | None = None,
) -> list:
    """Register the exchanges of one file (``only`` these indexes; ``params``/``headers``
    merged into an exchange's by index); returns the registered responses (see ``.call_count``)."""
    registered = []
    for index, exchange in enumerate(load(name)["exchanges"]):
        if only is not None and index not in only:
            continue
        exchange = {
            **exchange,
            "params": {**exchange.get("params", {}), **(params or {}).get(index, {})},
            "headers": {**exchange.get("headers", {}), **(headers or {}).get(index, {})},
        }
        kwargs = {"match": [_params_matcher(exchange["params"]), _auth_matcher]}
        if "error" in exchange:
            kwargs["body"] = getattr(requests, exchange["error"])("connection reset by peer (recorded)")
        elif "lines" in exchange:
            kwargs["body"] = "".join((json.dumps(line) if line else "") + "\r\n" for line in exchange["lines"])
            kwargs["status"] = exchange["status"]
            kwargs["headers"] = exchange.get("headers", {})
        else:
            kwargs["json"] = exchange["body"]
            kwargs["status"] = exchange["status"]
            kwargs["headers"] = {k: v for k, v in exchange.get("headers", {}).items() if k != "content-type"}
        registered.append(rsps.add(exchange["method"], HOST + exchange["path"], **kwargs))
    return registered


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def tweet_ids(path: Path) -> list[str]:
    out = []
    for page in jsonl(path):
        data = page.get("data")
        out += [data["id"]] if isinstance(data, dict) else [t["id"] for t in data or []]
    return out
