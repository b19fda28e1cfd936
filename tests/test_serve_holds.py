"""``empathykit serve`` holds: bad requests, poisoned tasks, big requests, credentials, restarts, missing libraries."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from empathykit.errors import InputError
from empathykit.predict.predictions import predict_records
from empathykit.schemas import get_schema
from empathykit.serve.auth import PASSWORD_ENV, Credentials, credentials_from_env, exposure_warning
from empathykit.serve.backend import Backend
from empathykit.serve.batching import Batcher
from empathykit.serve.tasks import Limits
from empathykit.studio.ports import free_port, port_is_free
from tests.loop_fixtures import running_backend, seek_classifier

SEEK = get_schema("seek-provide")
CONFIG = SEEK.label_config()
POISON = [
    1,
    None,
    "text",
    [],
    {"data": "hello"},
    {"data": None},
    {"id": 9, "data": {"text": 5}},
    {"data": {"text": None}},
    {"data": {}},
    {"data": {"body": "other field"}},
    {"data": {"text": "\ud800"}},
    {"data": {"text": "x" * 2_000}},
    {"id": {"odd": "id"}, "data": {"text": "\udfff sad"}},
]


def raw(body) -> bytes:
    """JSON as Label Studio (Python's json) writes it: a lone surrogate travels as a \\ud800 escape."""
    return json.dumps(body).encode("ascii")


@pytest.fixture(scope="module")
def client(seek_classifier):
    from fastapi.testclient import TestClient

    from empathykit.serve.app import create_app

    backend = Backend([seek_classifier], limits=Limits(max_tasks=50, max_text_bytes=1_000, max_body_bytes=200_000))
    with TestClient(create_app(backend), raise_server_exceptions=False) as test_client:
        yield test_client


def test_every_malformed_task_gets_its_own_error_and_the_valid_one_its_answer(client):
    answer = client.post(
        "/predict", content=raw({"tasks": [*POISON, {"id": 7, "data": {"text": "so sad"}}], "label_config": CONFIG})
    )
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert len(results) == len(POISON) + 1
    assert all("error" in r and "result" not in r for r in results[:-1]), results
    assert results[-1]["result"] and "error" not in results[-1]
    errors = [r["error"] for r in results[:-1]]
    assert "task #1 is a number" in errors[0] and "task #2 is null" in errors[1]
    assert "task #5: 'data' is a string" in errors[4]  # {"data": "hello"}: once an AttributeError and HTTP 500
    assert "task 9: no text in 'text' (a number)" in errors[6]
    assert "unpaired surrogate" in errors[10] and "2,000 bytes" in errors[11] and "--max-text-bytes" in errors[11]
    assert errors[12].startswith("task #13:")


@pytest.mark.parametrize(
    ("route", "body", "status", "says"),
    [
        ("/predict", b"{not json", 400, "not JSON"),
        ("/predict", b"\xff\xfe garbage", 400, "not JSON"),
        ("/predict", b"[" * 100_000, 400, "not JSON"),
        ("/predict", b"", 400, "no list of 'tasks'"),
        ("/predict", b"[]", 400, "JSON list, not an object"),
        ("/predict", b'"tasks"', 400, "JSON str, not an object"),
        ("/predict", b'{"data": "hello"}', 400, "no list of 'tasks'"),
        ("/predict", b'{"tasks": "all"}', 400, "no list of 'tasks'"),
        ("/predict", b'{"tasks": null}', 400, "no list of 'tasks'"),
        ("/predict", raw({"tasks": [{"data": {"text": "a"}}], "label_config": 5}), 400, "no labeling config"),
        (
            "/predict",
            raw({"tasks": [{"data": {"text": "a"}}], "label_config": "<View/>"}),
            400,
            "not one of empathykit",
        ),
        ("/predict", raw({"tasks": [{"data": {"text": "a"}}] * 51, "label_config": CONFIG}), 413, "at most 50"),
        ("/predict", raw({"tasks": [{"data": {"text": "a", "note": "b" * 5_000}}] * 49}), 413, "200,000"),
        ("/setup", b"[1, 2]", 400, "not an object"),
        ("/setup", raw({"schema": 5}), 400, "no labeling config"),
        ("/setup", raw({"schema": get_schema("story-pair").label_config()}), 400, "predicts choice labels"),
        ("/webhook", b"nope", 400, "not JSON"),
        ("/webhook", raw({"action": ["a", "list"]}), 200, "ok"),
    ],
)
def test_bad_requests_get_a_4xx_with_a_message_never_a_500(client, route, body, status, says):
    answer = client.post(route, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == status, answer.text
    assert says in json.dumps(answer.json())
    assert client.get("/health").json()["status"] == "UP"


def test_a_body_over_the_limit_is_refused_from_its_declared_length(client):
    answer = client.post("/predict", content=b"{}", headers={"content-length": "999999999"})
    assert answer.status_code == 413 and "999,999,999 bytes" in answer.json()["error"]


def test_a_poisoned_request_amid_15_valid_concurrent_ones_fails_none_of_them(seek_classifier):
    """The 16 requests share one model call (a 300 ms window): a task the tokenizer cannot encode used
    to fail every request batched with it."""
    texts = [
        f"{a} {b}" for a in ("sad hurt", "happy party", "so sorry", "sunny win") for b in ("day", "fun", "my", "the")
    ]
    alone = predict_records(seek_classifier, [{"text": t} for t in texts[:15]])
    served = Backend([seek_classifier], batcher=Batcher(window=0.3), limits=Limits(max_text_bytes=1_000))
    start = threading.Barrier(16)
    with running_backend(served) as url, httpx.Client(timeout=60) as http:

        def ask(i: int) -> httpx.Response:
            tasks = [{"id": i, "data": {"text": texts[i]}}] if i < 15 else [*POISON, {"data": {"text": texts[15]}}]
            start.wait()
            return http.post(
                f"{url}/predict",
                content=raw({"tasks": tasks, "label_config": CONFIG}),
                headers={"content-type": "application/json"},
            )

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(ask, range(16)))
    assert [a.status_code for a in answers] == [200] * 16
    valid = [a.json()["results"][0] for a in answers[:15]]
    assert sum("result" in v for v in valid) == 15
    assert [v["result"] for v in valid] == [SEEK.to_results({"empathy": r["prediction"]}) for r in alone]
    poisoned = answers[15].json()["results"]
    assert all("error" in r for r in poisoned[:-1]) and poisoned[-1]["result"]
    assert served.batcher.batches <= 3  # they did share model calls


def test_a_chunk_that_fails_in_the_model_is_retried_row_by_row(seek_classifier):
    """A row the tokenizer cannot encode, straight into the batcher (past the checks on each task):
    its chunk's model call fails, and only that row's outcome is the error."""
    from empathykit.predict.models import open_model

    model = open_model(seek_classifier)
    batcher = Batcher()
    records = [{"text": "so sad"}, {"text": "\ud800"}, {"text": "happy day"}]
    with pytest.raises(TypeError):
        model.predict(records)
    outcomes = batcher.predict(model, records)
    assert isinstance(outcomes[1], TypeError)  # handed to the caller, not lost in the worker
    assert [o["prediction"] for o in (outcomes[0], outcomes[2])] == [
        r["prediction"] for r in model.predict([records[0], records[2]])
    ]
    assert batcher.retried == 1
    assert batcher.predict(model, [{"text": "next request"}])[0]["prediction"] in {"seeking", "none"}


def test_a_one_task_request_answers_while_a_2000_task_request_runs(seek_classifier):
    served = Backend([seek_classifier])
    words = "sad hurt happy party sorry sunny win day fun my the friend".split()
    big = [{"id": i, "data": {"text": " ".join(words[(i + j) % len(words)] for j in range(100))}} for i in range(2000)]
    timings: dict[str, float] = {}
    with running_backend(served) as url, httpx.Client(timeout=300) as http:

        def ask_big() -> None:
            answer = http.post(f"{url}/predict", json={"tasks": big, "label_config": CONFIG})
            timings["big_done"] = time.monotonic()
            timings["big_answers"] = sum("result" in r for r in answer.json()["results"])

        runner = threading.Thread(target=ask_big)
        runner.start()
        deadline = time.monotonic() + 60
        while served.batcher.batches < 2 and time.monotonic() < deadline:  # the big request is under way
            time.sleep(0.01)
        sent = time.monotonic()
        small = http.post(
            f"{url}/predict", json={"tasks": [{"id": -1, "data": {"text": "so sad"}}], "label_config": CONFIG}
        )
        timings["small_done"] = time.monotonic()
        runner.join()
    assert small.json()["results"][0]["result"]
    assert timings["small_done"] - sent < 2.0
    assert timings["small_done"] < timings["big_done"]  # it did not wait for the big request
    assert timings["big_answers"] == 2000


def test_every_route_but_health_needs_the_credentials(seek_classifier):
    from fastapi.testclient import TestClient

    from empathykit.serve.app import create_app

    secret = Credentials("annotators", "s3cret-pass")
    test_client = TestClient(create_app(Backend([seek_classifier]), secret), raise_server_exceptions=False)
    body = {"tasks": [{"data": {"text": "so sad"}}], "label_config": CONFIG}
    health = test_client.get("/health")
    assert health.status_code == 200 and health.json()["model_version"] and "model_dirs" not in health.json()
    for auth in (None, ("annotators", "wrong"), ("someone", "s3cret-pass"), ("annotators", "")):
        for method, route in (("get", "/"), ("post", "/setup"), ("post", "/predict"), ("post", "/webhook")):
            answer = test_client.request(method.upper(), route, json=body, auth=auth)
            assert answer.status_code == 401, (route, auth)
            assert answer.headers["www-authenticate"].startswith("Basic") and "s3cret" not in answer.text
    garbled = test_client.post("/predict", json=body, headers={"authorization": "Basic !!notbase64"})
    assert garbled.status_code == 401
    ok = test_client.post("/predict", json=body, auth=("annotators", "s3cret-pass"))
    assert ok.status_code == 200 and ok.json()["results"][0]["result"]
    assert test_client.post("/setup", json={"schema": CONFIG}, auth=("annotators", "s3cret-pass")).status_code == 200
    assert "s3cret" not in repr(secret)


def test_credentials_come_from_the_environment_only():
    assert credentials_from_env(None, {}) is None
    assert credentials_from_env("lead", {PASSWORD_ENV: "pw"}) == Credentials("lead", "pw")
    with pytest.raises(InputError, match=f"password in the environment variable {PASSWORD_ENV}"):
        credentials_from_env("lead", {})
    with pytest.raises(InputError, match="cannot be an HTTP basic auth user name"):
        credentials_from_env("a:b", {PASSWORD_ENV: "pw"})
    assert exposure_warning("0.0.0.0", None).startswith("warning: serving on 0.0.0.0 without authentication")
    assert exposure_warning("0.0.0.0", Credentials("a", "b")) is None
    assert exposure_warning("127.0.0.1", None) is None and exposure_warning("localhost", None) is None


def test_connect_auth_user_without_the_password_is_one_line(monkeypatch):
    from typer.testing import CliRunner

    from empathykit.cli.main import app

    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    result = CliRunner().invoke(
        app, ["annotate", "connect", "-p", "any", "--url", "http://127.0.0.1:9", "--auth-user", "label-studio"]
    )
    assert result.exit_code == 1 and f"the environment variable {PASSWORD_ENV}, which is not set" in result.output
    assert "Traceback" not in result.output


def _cli(*args: str, env: dict[str, str] | None = None, hide: str | None = None, **popen) -> subprocess.Popen:
    """``empathykit ARGS`` in a subprocess; ``hide``: a module made unimportable first."""
    code = (
        f"import sys; sys.modules[{hide!r}] = None; " if hide else "import sys; "
    ) + "sys.argv = ['empathykit', *sys.argv[1:]]; from empathykit.cli.main import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def _wait_up(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited {process.returncode}: {process.stderr.read()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    pytest.fail("serve did not answer /health in time")


@pytest.mark.slow
def test_serve_with_credentials_restarts_right_after_kill_9(seek_classifier, tmp_path):
    """A killed server leaves its connections' sockets on the port (FIN-WAIT, TIME-WAIT); the restart binds."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {PASSWORD_ENV: "kill-9-secret"}
    args = ("serve", str(seek_classifier), "--port", str(port), "--auth-user", "lead")
    first = _cli(*args, env=env)
    with httpx.Client(timeout=30, auth=("lead", "kill-9-secret")) as http:  # keeps its connection open
        _wait_up(url, first)
        assert http.post(
            f"{url}/predict", json={"tasks": [{"data": {"text": "so sad"}}], "label_config": CONFIG}
        ).json()["results"][0]["result"]
        assert httpx.post(f"{url}/predict", json={"tasks": []}).status_code == 401
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert port_is_free(port)  # nothing listens, though the old connection's socket holds the port
        second = _cli(*args, env=env)
        try:
            _wait_up(url, second)
        finally:
            second.terminate()
            _, err = second.communicate(timeout=30)
    first_err = first.stderr.read()
    assert "in use" not in err and "kill-9-secret" not in first_err + err
    assert "serving at" in err and "--auth-user lead" in err


@pytest.mark.parametrize("hide", ["fastapi", "uvicorn", "torch"])
def test_serve_without_its_libraries_is_one_line_before_any_work(seek_classifier, hide):
    process = _cli("serve", str(seek_classifier), hide=hide)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 1
    lines = err.strip().splitlines()
    assert lines[0] == f"error: serve needs libraries that are not installed: {hide}", err
    assert len(lines) == 2 and lines[1].startswith("hint:") and ".venv/bin/pip install -e" in lines[1]
    assert "loading" not in err and "Traceback" not in err


def test_serve_checks_its_model_before_the_port(tmp_path):
    (tmp_path / "notamodel").mkdir()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for folder, says in ((tmp_path / "notamodel", "not a model folder"), (tmp_path / "absent", "no such")):
            process = _cli("serve", str(folder), "--port", str(port))
            _, err = process.communicate(timeout=120)
            assert process.returncode == 1 and says in err.splitlines()[0] and "in use" not in err, err


@pytest.mark.slow
def test_serving_beyond_loopback_without_credentials_warns(seek_classifier):
    port = free_port()
    process = _cli("serve", str(seek_classifier), "--host", "0.0.0.0", "--port", str(port))
    try:
        _wait_up(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert "warning: serving on 0.0.0.0 without authentication" in err and "--auth-user" in err
