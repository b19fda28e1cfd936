"""XClient against recorded X API v2 exchanges: pagination, rate limits, retries, access errors, token secrecy."""

from __future__ import annotations

import logging

import pytest
import responses
from test_xapi_support import START, TOKEN, client, clock, load, replay

from empathykit.errors import XApiError
from empathykit.xapi.client import HOST, SEARCH_RECENT, RetryPolicy, XClient

QUERY = "(healing OR grief) cancer lang:en -is:retweet"


def test_search_follows_next_token_over_three_pages(client, clock):
    with responses.RequestsMock() as rsps:
        calls = replay(rsps, "search_recent_pages.json")
        pages = list(client.search(QUERY))
    assert [c.call_count for c in calls] == [1, 1, 1]
    assert [len(p["data"]) for p in pages] == [3, 3, 2]
    assert pages[0]["includes"]["users"][0]["username"] == "maya_heals"
    assert "next_token" not in pages[-1]["meta"]
    assert clock.sleeps == []  # nothing to wait for


def test_429_waits_until_the_reset_time_then_succeeds(client, clock):
    with responses.RequestsMock() as rsps:
        replay(rsps, "search_429.json")
        pages = list(client.search(QUERY))
    reset = int(load("search_429.json")["exchanges"][0]["headers"]["x-rate-limit-reset"])
    assert clock.sleeps == [reset + 1 - START]  # one wait, to one second past the reset
    assert len(pages) == 1 and len(pages[0]["data"]) == 3


def test_429_without_reset_header_backs_off(client, clock):
    body = load("search_429.json")["exchanges"][1]["body"]
    with responses.RequestsMock() as rsps:
        rsps.add("GET", HOST + SEARCH_RECENT, status=429, json={"title": "Too Many Requests"})
        rsps.add("GET", HOST + SEARCH_RECENT, json=body)
        assert list(client.search(QUERY))[0]["data"] == body["data"]
    assert clock.sleeps == [RetryPolicy().backoff(6)]


def test_remaining_zero_waits_before_the_next_request_instead_of_a_429(client, clock):
    with responses.RequestsMock() as rsps:
        replay(
            rsps,
            "search_recent_pages.json",
            only=[0, 1],
            headers={0: {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(START) + 300)}},
        )
        pages = client.search(QUERY)
        next(pages), next(pages)
    assert clock.sleeps == [301]


def test_rate_limit_reset_beyond_max_wait_is_an_error(client, clock):
    with responses.RequestsMock() as rsps:
        rsps.add(
            "GET",
            HOST + SEARCH_RECENT,
            status=429,
            json={"title": "UsageCapExceeded"},
            headers={"x-rate-limit-reset": str(int(START) + 86_400)},
        )
        with pytest.raises(XApiError, match="rate-limited until .* more than 16 minutes away") as error:
            list(client.search(QUERY))
    assert "usage cap" in error.value.hint
    assert clock.sleeps == []


def test_503_retries_with_exponential_backoff_then_succeeds(client, clock):
    with responses.RequestsMock() as rsps:
        calls = replay(rsps, "search_503.json")
        pages = list(client.search(QUERY))
    assert [c.call_count for c in calls] == [1, 1, 1]
    assert clock.sleeps == [1.0, 2.0]
    assert len(pages[0]["data"]) == 3


def test_5xx_past_max_retries_is_one_line_error(monkeypatch, clock):
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    client = XClient(clock=clock.time, sleep=clock.sleep, policy=RetryPolicy(max_retries=2))
    with responses.RequestsMock() as rsps:
        rsps.add("GET", HOST + SEARCH_RECENT, status=503, json={"title": "Service Unavailable"})
        with pytest.raises(XApiError) as error:
            list(client.search(QUERY))
        assert len(rsps.calls) == 3
    message = str(error.value)
    assert "\n" not in message and "recent search (/2/tweets/search/recent)" in message and "503" in message
    assert clock.sleeps == [1.0, 2.0]


def test_network_errors_are_retried(client, clock):
    import requests

    body = load("search_429.json")["exchanges"][1]["body"]
    with responses.RequestsMock() as rsps:
        rsps.add("GET", HOST + SEARCH_RECENT, body=requests.ConnectionError("reset"))
        rsps.add("GET", HOST + SEARCH_RECENT, json=body)
        assert len(list(client.search(QUERY))) == 1
    assert clock.sleeps == [1.0]


def test_401_says_the_token_is_missing_or_wrong(client):
    with responses.RequestsMock() as rsps:
        replay(rsps, "search_401.json")
        with pytest.raises(XApiError) as error:
            list(client.search(QUERY))
    message = str(error.value)
    assert message == (
        "X API refused the bearer token for recent search (/2/tweets/search/recent) "
        "(401 Unauthorized): the token in X_BEARER_TOKEN is missing or wrong"
    )
    assert TOKEN not in message + error.value.hint


def test_403_names_the_endpoint_and_the_access_it_needs(client):
    with responses.RequestsMock() as rsps:
        replay(rsps, "search_all_403.json")
        with pytest.raises(XApiError) as error:
            list(client.search(QUERY, archive=True))
    message = str(error.value)
    assert "\n" not in message
    assert "full-archive search (/2/tweets/search/all) (403 Forbidden)" in message
    assert "lacks access to this endpoint" in message and "Pro or Academic Research" in message
    assert "client-not-enrolled" in message
    assert TOKEN not in message + error.value.hint


def test_400_reports_the_api_message(client):
    with responses.RequestsMock() as rsps:
        rsps.add(
            "GET",
            HOST + SEARCH_RECENT,
            status=400,
            json={
                "errors": [
                    {
                        "parameters": {"start_time": ["2020-01-01T00:00Z"]},
                        "message": "Invalid 'start_time':'2020-01-01T00:00Z'. 'start_time' must be on or after 2024-04-30T10:00Z",
                    }
                ],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            },
        )
        with pytest.raises(
            XApiError, match=r"rejected the recent search .*\(400\): Invalid Request .*must be on or after"
        ):
            list(client.search(QUERY, start_time="2020-01-01T00:00:00Z"))


def test_missing_token_fails_before_any_request(monkeypatch):
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    with responses.RequestsMock():
        with pytest.raises(XApiError, match="X_BEARER_TOKEN is not set"):
            XClient()


def test_archive_search_is_paced_to_one_request_a_second(client, clock):
    with responses.RequestsMock() as rsps:
        replay(rsps, "search_all_pages.json")
        pages = list(client.search(QUERY, archive=True))
    assert [len(p["data"]) for p in pages] == [4, 4]
    assert clock.sleeps == [1.0]


def test_max_tweets_sizes_pages_and_stops(client):
    with responses.RequestsMock() as rsps:
        replay(
            rsps, "search_recent_pages.json", only=[0, 1], params={0: {"max_results": "10"}, 1: {"max_results": "10"}}
        )
        pages = list(client.search(QUERY, max_tweets=5))
    assert sum(len(p["data"]) for p in pages) == 6  # whole pages: the last one may pass the cap


def test_lookup_takes_at_most_100_ids(client):
    with pytest.raises(ValueError, match="1 to 100 ids"):
        client.lookup([str(i) for i in range(101)])


def test_token_never_reaches_logs_or_reprs(client, caplog):
    caplog.set_level(logging.DEBUG)
    with responses.RequestsMock() as rsps:
        replay(rsps, "search_recent_pages.json")
        list(client.search(QUERY))
        replay(rsps, "search_401.json")
        with pytest.raises(XApiError) as error:
            list(client.search(QUERY))
    assert "Bearer ***" in caplog.text  # tweepy did log its request headers, redacted
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(client) + str(error.value) + repr(error.value)
