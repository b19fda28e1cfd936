"""Collection runs over recorded exchanges: page JSONL + checkpoint, resume, since_id, stream, hydrate, rules."""

from __future__ import annotations

import json

import pytest
import responses
from responses import matchers
from test_xapi_support import FakeClock, client, clock, jsonl, load, replay, tweet_ids

from empathykit import __version__
from empathykit.errors import InputError, OutputError, XApiError
from empathykit.xapi import store as xstore
from empathykit.xapi.client import HOST, SEARCH_RECENT, STREAM, STREAM_RULES, TWEETS_LOOKUP
from empathykit.xapi.collection import collect_search, hydrate, parse_time, read_ids
from empathykit.xapi.store import PageLog, checkpoint_path
from empathykit.xapi.stream import add_rules, collect_stream, delete_rules, list_rules

QUERY = "(healing OR grief) cancer lang:en -is:retweet"
PAGES = load("search_recent_pages.json")["exchanges"]
ALL_IDS = [t["id"] for e in PAGES for t in e["body"]["data"]]
T1 = PAGES[0]["body"]["meta"]["next_token"]


def _checkpoint(out):
    return json.loads(checkpoint_path(out).read_text())


# -- search --------------------------------------------------------------------


def test_search_writes_raw_pages_with_provenance_and_a_checkpoint(client, tmp_path):
    out = tmp_path / "search.jsonl"
    with responses.RequestsMock() as rsps:
        replay(rsps, "search_recent_pages.json")
        report = collect_search([QUERY], out, client=client)
    assert (report.tweets, report.pages) == (8, 3)
    assert report.queries[0].mode == "new" and report.queries[0].finished
    pages = jsonl(out)
    for page, exchange in zip(pages, PAGES):
        provenance = page.pop("__empathykit")
        assert page == exchange["body"]  # the v2 page as sent
        assert provenance == {
            "query": QUERY,
            "endpoint": SEARCH_RECENT,
            "retrieved_at": "2023-11-14T22:13:20Z",
            "version": __version__,
        }
    state = _checkpoint(out)
    assert state["offset"] == out.stat().st_size and (state["pages"], state["tweets"]) == (3, 8)
    run = state["runs"][f"{SEARCH_RECENT} {QUERY}"]
    assert run["done"] and run["next_token"] is None and run["count"] == 8
    assert (run["newest_id"], run["oldest_id"]) == (ALL_IDS[0], ALL_IDS[-1])


def test_since_and_until_become_start_and_end_time(client, tmp_path):
    with responses.RequestsMock() as rsps:
        calls = replay(
            rsps,
            "search_recent_pages.json",
            only=[2],
            params={2: {"start_time": "2024-05-01T00:00:00Z", "end_time": "2024-05-07T10:30:00Z", "next_token": None}},
        )
        collect_search(
            [QUERY], tmp_path / "o.jsonl", since="2024-05-01", until="2024-05-07T12:30:00+02:00", client=client
        )
    assert calls[0].call_count == 1


def test_interrupted_search_resumes_from_next_token_with_each_tweet_once(client, tmp_path):
    out = tmp_path / "search.jsonl"
    with responses.RequestsMock() as rsps:
        replay(rsps, "search_recent_pages.json", only=[0])
        rsps.add(
            "GET",
            HOST + SEARCH_RECENT,
            status=503,
            match=[matchers.query_param_matcher({"next_token": T1}, strict_match=False)],
        )
        with pytest.raises(XApiError, match="kept failing"):
            collect_search([QUERY], out, client=client)
    assert tweet_ids(out) == ALL_IDS[:3]
    with responses.RequestsMock() as rsps:
        calls = replay(rsps, "search_recent_pages.json", only=[1, 2])  # page 1 is never asked again
        report = collect_search([QUERY], out, client=client)
    assert [c.call_count for c in calls] == [1, 1]
    assert report.queries[0].mode == "resumed" and report.tweets == 5
    assert tweet_ids(out) == ALL_IDS


def test_crash_between_page_and_checkpoint_drops_the_uncounted_lines(client, tmp_path, monkeypatch):
    out = tmp_path / "search.jsonl"
    real_write_json, writes = xstore.write_json, []

    def crash_on_third_checkpoint(path, obj):
        writes.append(path)
        if len(writes) == 3:  # opening, page 1, page 2: page 2's line is on disk, its checkpoint is not
            raise KeyboardInterrupt
        return real_write_json(path, obj)

    monkeypatch.setattr(xstore, "write_json", crash_on_third_checkpoint)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        replay(rsps, "search_recent_pages.json")
        with pytest.raises(KeyboardInterrupt):
            collect_search([QUERY], out, client=client)
    monkeypatch.setattr(xstore, "write_json", real_write_json)
    with open(out, "ab") as handle:
        handle.write(b'{"data":[{"id":"17880')  # and a torn write after it
    assert len(out.read_bytes().splitlines()) == 3  # pages 1 and 2, and the torn line
    with responses.RequestsMock() as rsps:
        replay(rsps, "search_recent_pages.json", only=[1, 2])
        report = collect_search([QUERY], out, client=client)
    assert report.discarded_bytes > 0
    assert tweet_ids(out) == ALL_IDS  # page 2 once, no torn line


def test_finished_search_rerun_continues_with_since_id(client, tmp_path):
    out = tmp_path / "search.jsonl"
    with responses.RequestsMock() as rsps:
        replay(rsps, "search_recent_pages.json")
        collect_search([QUERY], out, client=client)
    newer = {**PAGES[2]["body"]["data"][0], "id": "1788000000000009999"}
    with responses.RequestsMock() as rsps:
        rsps.add(
            "GET",
            HOST + SEARCH_RECENT,
            match=[matchers.query_param_matcher({"since_id": ALL_IDS[0], "query": QUERY}, strict_match=False)],
            json={
                "data": [newer],
                "includes": {"users": []},
                "meta": {"newest_id": newer["id"], "oldest_id": newer["id"], "result_count": 1},
            },
        )
        report = collect_search([QUERY], out, client=client)
    assert report.queries[0].mode == "since_id" and report.tweets == 1
    with responses.RequestsMock() as rsps:  # nothing new: no page written
        rsps.add(
            "GET",
            HOST + SEARCH_RECENT,
            json={"meta": {"result_count": 0}},
            match=[matchers.query_param_matcher({"since_id": newer["id"]}, strict_match=False)],
        )
        report = collect_search([QUERY], out, client=client)
    assert report.tweets == 0
    assert tweet_ids(out) == ALL_IDS + [newer["id"]]
    assert _checkpoint(out)["runs"][f"{SEARCH_RECENT} {QUERY}"]["newest_id"] == newer["id"]


def test_max_tweets_stops_and_the_next_call_goes_on(client, tmp_path):
    out = tmp_path / "search.jsonl"
    with responses.RequestsMock() as rsps:
        replay(rsps, "search_recent_pages.json", only=[0], params={0: {"max_results": "10"}})
        report = collect_search([QUERY, "(hope) cancer lang:en -is:retweet"], out, max_tweets=3, client=client)
    assert report.reached_max and report.tweets == 3 and len(report.queries) == 1
    with responses.RequestsMock() as rsps:
        replay(rsps, "search_recent_pages.json", only=[1, 2])
        rsps.add(
            "GET",
            HOST + SEARCH_RECENT,
            json={"meta": {"result_count": 0}},
            match=[matchers.query_param_matcher({"query": "(hope) cancer lang:en -is:retweet"}, strict_match=False)],
        )
        report = collect_search([QUERY, "(hope) cancer lang:en -is:retweet"], out, client=client)
    assert [q.mode for q in report.queries] == ["resumed", "new"]
    assert tweet_ids(out) == ALL_IDS


def test_bad_times_and_caps_are_input_errors():
    assert parse_time("2024-05-01", "--since") == "2024-05-01T00:00:00Z"
    assert parse_time("2024-05-01T12:00:00Z", "--since") == "2024-05-01T12:00:00Z"
    with pytest.raises(InputError, match="--until 'last tuesday' is not an ISO date"):
        parse_time("last tuesday", "--until")
    with pytest.raises(InputError, match="--max-tweets must be at least 1"):
        collect_search([QUERY], "x.jsonl", max_tweets=0)


# -- the page log --------------------------------------------------------------


def test_pagelog_refuses_a_foreign_file_and_cuts_only_its_own(tmp_path):
    out = tmp_path / "pages.jsonl"
    foreign = b'{"data":[{"id":"1"}]}\n{"data":[{"id":"2"}]}\n{"data":[{"id"'
    out.write_bytes(foreign)
    with pytest.raises(OutputError, match="a file empathykit did not write"):
        PageLog(out)
    assert out.read_bytes() == foreign and not checkpoint_path(out).exists()
    out.unlink()
    with PageLog(out) as log:
        log.append({"data": [{"id": "1"}]}, key="k", run={}, tweets=1)
    with open(out, "ab") as handle:  # a page written after the last checkpoint, cut short by a kill
        handle.write(b'{"data":[{"id"')
    with PageLog(out) as log:
        assert log.discarded_bytes == len(b'{"data":[{"id"')
        log.append({"data": [{"id": "3"}]}, key="k", run={"done": True}, tweets=1)
    assert tweet_ids(out) == ["1", "3"]


def test_pagelog_refuses_a_file_shorter_than_its_checkpoint(tmp_path):
    out = tmp_path / "pages.jsonl"
    with PageLog(out) as log:
        log.append({"data": [{"id": "1"}]}, key="k", run={}, tweets=1)
    out.write_bytes(b"")
    with pytest.raises(InputError, match="has 0 bytes but its checkpoint counts"):
        PageLog(out)
    checkpoint_path(out).write_text("{not json")
    with pytest.raises(InputError, match="is not readable JSON"):
        PageLog(out)


# -- hydrate -------------------------------------------------------------------


def _lookup_server(missing_every: int = 10):
    """Answer GET /2/tweets from the ids asked, in the documented format (every Nth id missing)."""
    templates = load("lookup_templates.json")
    batches = []

    def answer(request):
        from urllib.parse import parse_qs, urlsplit

        ids = parse_qs(urlsplit(request.url).query)["ids"][0].split(",")
        batches.append(ids)
        found = [i for i in ids if int(i) % missing_every]
        body = {
            "data": [{**templates["tweet"], "id": i, "edit_history_tweet_ids": [i]} for i in found],
            "includes": {"users": [templates["user"]]},
        }
        gone = [
            {**templates["missing"], "value": i, "resource_id": i, "detail": f"Could not find tweet with ids: [{i}]."}
            for i in ids
            if i not in found
        ]
        if gone:
            body["errors"] = gone
        return 200, {}, json.dumps(body)

    return answer, batches


def test_hydrate_asks_100_ids_a_request_and_counts_missing(client, tmp_path):
    ids = [str(1788000000000000000 + i) for i in range(1, 251)]
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("tweet_id\n# shared by the authors\n" + "\n".join(ids + ids[:5]) + "\n")
    answer, batches = _lookup_server()
    out = tmp_path / "hydrated.jsonl"
    with responses.RequestsMock() as rsps:
        rsps.add_callback("GET", HOST + TWEETS_LOOKUP, callback=answer)
        report = hydrate(ids_file, out, client=client)
    assert [len(b) for b in batches] == [100, 100, 50]
    assert sum(batches, []) == ids  # in order, duplicates dropped
    assert (report.found, report.missing, report.pages) == (225, 25, 3)
    assert tweet_ids(out) == [i for i in ids if int(i) % 10]
    assert all(page["__empathykit"]["endpoint"] == TWEETS_LOOKUP for page in jsonl(out))


def test_hydrate_resumes_at_the_first_batch_not_written(client, tmp_path):
    ids = [str(1788000000000000000 + i) for i in range(1, 251)]
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(ids))
    out = tmp_path / "hydrated.jsonl"
    answer, batches = _lookup_server()
    failing = {"n": 0}

    def flaky(request):
        failing["n"] += 1
        return (503, {}, "{}") if failing["n"] > 1 else answer(request)

    with responses.RequestsMock() as rsps:
        rsps.add_callback("GET", HOST + TWEETS_LOOKUP, callback=flaky)
        with pytest.raises(XApiError):
            hydrate(ids_file, out, client=client)
    with responses.RequestsMock() as rsps:
        rsps.add_callback("GET", HOST + TWEETS_LOOKUP, callback=answer)
        report = hydrate(ids_file, out, client=client)
    assert report.already_done == 100 and [len(b) for b in batches] == [100, 100, 50]
    assert tweet_ids(out) == [i for i in ids if int(i) % 10]


def test_ids_file_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "ids.txt"
    bad.write_text("1788000000000000001\nhttps://x.com/a/status/1\n")
    with pytest.raises(InputError, match=r"ids.txt: line 2: expected a tweet id"):
        read_ids(bad)
    empty = tmp_path / "empty.txt"
    empty.write_text("id\n\n")
    with pytest.raises(InputError, match="holds no tweet ids"):
        read_ids(empty)


# -- rules -----------------------------------------------------------------------


RULES = load("rules_list.json")["exchanges"][0]["body"]["data"]


def test_list_and_delete_touch_only_empathykit_rules(client):
    with responses.RequestsMock() as rsps:
        replay(rsps, "rules_list.json")
        assert [r["id"] for r in list_rules(client=client)] == [RULES[0]["id"], RULES[1]["id"]]
        assert len(list_rules(include_foreign=True, client=client)) == 3
        assert list_rules(name="other", client=client) == []
        delete = rsps.add(
            "POST",
            HOST + STREAM_RULES,
            json={"meta": {"sent": "2024-05-07T10:00:01.000Z", "summary": {"deleted": 2, "not_deleted": 0}}},
            match=[matchers.json_params_matcher({"delete": {"ids": [RULES[0]["id"], RULES[1]["id"]]}})],
        )
        deleted = delete_rules(name="cancer", client=client)
    assert delete.call_count == 1 and [r["tag"] for r in deleted] == ["empathykit:cancer"] * 2


def test_add_keeps_existing_adds_new_and_replaces_stale(client):
    new_value = "(tears OR prayers) cancer lang:en -is:retweet"
    with responses.RequestsMock() as rsps:
        replay(rsps, "rules_list.json")
        add = rsps.add(
            "POST",
            HOST + STREAM_RULES,
            match=[matchers.json_params_matcher({"add": [{"value": new_value, "tag": "empathykit:cancer"}]})],
            json={
                "data": [{"value": new_value, "tag": "empathykit:cancer", "id": "1787123400000000004"}],
                "meta": {
                    "sent": "2024-05-07T10:00:02.000Z",
                    "summary": {"created": 1, "not_created": 0, "valid": 1, "invalid": 0},
                },
            },
        )
        delete = rsps.add(
            "POST",
            HOST + STREAM_RULES,
            json={"meta": {"summary": {"deleted": 1}}},
            match=[matchers.json_params_matcher({"delete": {"ids": [RULES[1]["id"]]}})],
        )
        report = add_rules("cancer", [RULES[0]["value"], new_value], replace=True, client=client)
    assert add.call_count == delete.call_count == 1
    assert [r["id"] for r in report.added] == ["1787123400000000004"]
    assert [r["id"] for r in report.kept] == [RULES[0]["id"]] and [r["id"] for r in report.deleted] == [RULES[1]["id"]]


def test_add_dry_run_and_refusals(client):
    with responses.RequestsMock() as rsps:
        replay(rsps, "rules_list.json")
        rsps.add(
            "POST",
            HOST + STREAM_RULES,
            match=[matchers.query_param_matcher({"dry_run": "true"})],
            json={"meta": {"summary": {"created": 0, "not_created": 0, "valid": 1, "invalid": 0}}},
        )
        report = add_rules("cancer", ["(hope) cancer"], dry_run=True, client=client)
        assert report.dry_run and report.added == [{"value": "(hope) cancer", "tag": "empathykit:cancer"}]
        with pytest.raises(InputError, match="already exists under tag 'dashboard'"):
            add_rules("cancer", [RULES[2]["value"]], client=client)
        rsps.add(
            "POST",
            HOST + STREAM_RULES,
            json={
                "meta": {"summary": {"created": 0, "not_created": 1, "valid": 0, "invalid": 1}},
                "errors": [
                    {
                        "value": "(hope cancer",
                        "details": ["Rules must contain balanced parentheses"],
                        "title": "UnprocessableEntity",
                        "type": "https://api.twitter.com/2/problems/invalid-rules",
                    }
                ],
            },
        )
        with pytest.raises(XApiError, match="created 0 of 1 rules and refused 1: UnprocessableEntity .*balanced"):
            add_rules("cancer", ["(hope cancer"], client=client)
    with pytest.raises(InputError, match="rule set name"):
        add_rules("no spaces please", ["x"], client=client)


# -- stream ----------------------------------------------------------------------


def test_stream_reconnects_after_drops_and_writes_each_tweet_once(client, clock, tmp_path):
    out = tmp_path / "stream.jsonl"
    stream_exchanges = load("stream_drop.json")["exchanges"]
    with responses.RequestsMock() as rsps:
        replay(rsps, "rules_list.json")
        connections = replay(rsps, "stream_drop.json")
        report = collect_stream(out, name="cancer", max_tweets=4, backfill_minutes=2, client=client)
    assert [c.call_count for c in connections] == [1, 1, 1, 1]
    expected = [
        stream_exchanges[0]["lines"][0],
        stream_exchanges[0]["lines"][2],
        stream_exchanges[2]["lines"][3],
        stream_exchanges[3]["lines"][0],
    ]
    assert tweet_ids(out) == [m["data"]["id"] for m in expected]
    assert (report.tweets, report.duplicates, report.other_rules, report.system_messages) == (4, 1, 1, 1)
    assert report.stopped == "max-tweets"
    assert clock.sleeps == [1.0, 1.0, 1.0]  # drop, failed connect, operational disconnect
    pages = jsonl(out)
    assert pages[2]["__empathykit"]["query"] == RULES[1]["value"]  # the rule that matched
    assert {k: v for k, v in pages[0].items() if k != "__empathykit"} == expected[0]
    assert _checkpoint(out)["runs"][f"{STREAM} empathykit:cancer"]["count"] == 4


def test_stream_without_name_keeps_every_rule_and_stops_on_duration(client, clock, tmp_path):
    out = tmp_path / "stream.jsonl"
    with responses.RequestsMock() as rsps:
        replay(rsps, "rules_list.json")
        replay(rsps, "stream_drop.json", params={2: {"backfill_minutes": None}})
        report = collect_stream(out, duration=2.5, client=client)
    assert report.stopped == "duration" and report.other_rules == 0 and report.duplicates == 1
    assert report.tweets == 4  # the other tool's rule's tweet is kept too
    assert clock.now - FakeClock().now == 3.0  # stopped at the first message after 2.5 s


TOO_MANY_CONNECTIONS = (
    json.dumps(
        {
            "errors": [
                {
                    "title": "ConnectionException",
                    "connection_issue": "TooManyConnections",
                    "detail": "This stream is currently at the maximum allowed connection limit.",
                    "type": "https://api.twitter.com/2/problems/streaming-connection",
                }
            ]
        }
    )
    + "\r\n"
)


@pytest.mark.parametrize("body", ["", TOO_MANY_CONNECTIONS], ids=["empty", "notice-only"])
def test_stream_that_keeps_closing_gives_up(client, clock, tmp_path, body):
    with responses.RequestsMock() as rsps:
        replay(rsps, "rules_list.json")
        rsps.add("GET", HOST + STREAM, body=body)
        with pytest.raises(XApiError, match="closed 3 connections in a row"):
            collect_stream(tmp_path / "s.jsonl", max_tweets=1, client=client)
    assert clock.sleeps == [2.0, 4.0]


def test_stream_needs_rules_and_a_stop(client, tmp_path):
    with pytest.raises(InputError, match="--max-tweets or --duration"):
        collect_stream(tmp_path / "s.jsonl", client=client)
    with responses.RequestsMock() as rsps:
        replay(rsps, "rules_list.json")
        with pytest.raises(InputError, match="no rules tagged empathykit:flu"):
            collect_stream(tmp_path / "s.jsonl", name="flu", max_tweets=1, client=client)


# -- the pages feed `collect file` -------------------------------------------------


def test_search_and_stream_pages_read_back_as_posts(client, tmp_path):
    readers = pytest.importorskip("empathykit.pipelines.readers")
    search_out, stream_out = tmp_path / "search.jsonl", tmp_path / "stream.jsonl"
    with responses.RequestsMock() as rsps:
        replay(rsps, "search_recent_pages.json")
        collect_search([QUERY], search_out, client=client)
        replay(rsps, "rules_list.json")
        replay(rsps, "stream_drop.json", only=[0])
        collect_stream(stream_out, name="cancer", max_tweets=2, client=client)
    rows = [row for batch in readers.iter_posts([search_out, stream_out]) for row in batch.to_pylist()]
    assert [row["id"] for row in rows] == ALL_IDS + tweet_ids(stream_out)
    first = PAGES[0]["body"]["data"][0]
    assert rows[0]["author_username"] == "maya_heals" and rows[0]["text"] == first["text"]
    assert rows[0]["query"] == QUERY and rows[-1]["query"] == RULES[0]["value"]
    assert rows[1]["replied_to_id"] == PAGES[0]["body"]["data"][1]["referenced_tweets"][0]["id"]


def test_pagelog_refuses_a_second_writer(tmp_path):
    pytest.importorskip("fcntl")
    out = tmp_path / "pages.jsonl"
    with PageLog(out):
        with pytest.raises(OutputError, match="is being written by another run"):
            PageLog(out)
    PageLog(out).close()  # free again once the first closed
