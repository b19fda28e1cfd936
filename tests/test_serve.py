"""``empathykit serve`` and ``annotate connect``: the ML backend contract, against the real Label Studio."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from empathykit.annotate.push import push
from empathykit.cli.main import app
from empathykit.errors import InputError, SchemaError, StudioError
from empathykit.predict.predictions import predict_records
from empathykit.schemas import get_schema
from empathykit.serve.backend import Backend, match_schema
from empathykit.serve.connect import connect_backend
from tests.loop_fixtures import running_backend, seek_classifier
from tests.train_fixtures import tiny_model

SEEK = get_schema("seek-provide")
TEXTS = ["sad hurt my day", "happy party fun", "the friend was so sorry", "win a sunny day"]


@pytest.fixture(scope="module")
def backend(seek_classifier) -> Backend:
    return Backend([seek_classifier])


def test_predict_answers_the_schema_results_of_predict_records(backend, seek_classifier):
    rows = predict_records(seek_classifier, [{"text": t} for t in TEXTS])
    tasks = [{"id": i, "data": {"text": t}} for i, t in enumerate(TEXTS)]
    with running_backend(backend) as url:
        assert httpx.get(f"{url}/health").json()["status"] == "UP"
        setup = httpx.post(f"{url}/setup", json={"schema": SEEK.label_config(), "project": "1.1"})
        assert setup.status_code == 200 and setup.json()["model_version"] == backend.model.version
        answer = httpx.post(
            f"{url}/predict", json={"tasks": tasks, "label_config": SEEK.label_config(), "project": "1.1", "params": {}}
        ).json()
    assert [r["result"] for r in answer["results"]] == [SEEK.to_results({"empathy": r["prediction"]}) for r in rows]
    assert [r["score"] for r in answer["results"]] == pytest.approx([r["prediction_score"] for r in rows])
    assert {r["prediction"] for r in rows} == {"seeking", "none"}
    assert all(r["model_version"] == backend.model.version for r in answer["results"])


def test_a_bad_task_gets_an_error_and_the_server_keeps_serving(backend):
    tasks = [
        {"id": 1, "data": {"text": "so sad"}},
        {"id": 2, "data": {"body": "no text field"}},
        {"id": 3, "data": {"text": "   "}},
        {"id": 4, "data": {"text": "happy day"}},
    ]
    with running_backend(backend) as url:
        answer = httpx.post(f"{url}/predict", json={"tasks": tasks, "label_config": SEEK.label_config()}).json()
        assert "task 2: no text in 'text' (missing)" in answer["results"][1]["error"]
        assert "result" not in answer["results"][1]
        assert "error" in answer["results"][2]
        assert answer["results"][0]["result"] and answer["results"][3]["result"]
        assert httpx.post(f"{url}/predict", json={"no": "tasks"}).status_code == 400
        assert httpx.get(f"{url}/health").json()["status"] == "UP"


def test_concurrent_single_task_requests_share_model_calls(seek_classifier):
    """Sixteen annotators opening a task at once: their requests are answered in a few model calls, each with
    exactly what it would get alone, over HTTP through FastAPI's thread pool."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [
        f"{a} {b}" for a in ("sad hurt", "happy party", "so sorry", "sunny win") for b in ("day", "fun", "my", "the")
    ]
    alone = predict_records(seek_classifier, [{"text": t} for t in texts])
    served = Backend([seek_classifier])
    with running_backend(served) as url, httpx.Client(timeout=60) as client:

        def ask(i: int) -> dict:
            return client.post(
                f"{url}/predict",
                json={"tasks": [{"id": i, "data": {"text": texts[i]}}], "label_config": SEEK.label_config()},
            ).json()["results"][0]

        with ThreadPoolExecutor(len(texts)) as pool:
            answers = list(pool.map(ask, range(len(texts))))
    assert [a["result"] for a in answers] == [SEEK.to_results({"empathy": r["prediction"]}) for r in alone]
    assert [a["score"] for a in answers] == pytest.approx([r["prediction_score"] for r in alone], abs=1e-5)
    assert served.batcher.batches < len(texts)  # batched across requests, not one model call each


def test_setup_refuses_a_schema_the_model_cannot_fill(backend):
    pair = get_schema("story-pair")
    with running_backend(backend) as url:
        answer = httpx.post(f"{url}/setup", json={"schema": pair.label_config()})
    assert answer.status_code == 400 and "predicts choice labels" in answer.json()["error"]
    with pytest.raises(SchemaError, match="not one of empathykit's schemas"):
        match_schema('<View><Text name="x" value="$x"/></View>')


def test_a_port_in_use_is_one_line(seek_classifier):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", str(seek_classifier), "--port", str(port)])
    assert result.exit_code == 1 and f"port {port} on 127.0.0.1 is in use" in result.output
    assert "Traceback" not in result.output


def _round(model: Path, folder: Path, note: str) -> Path:
    """A copy of ``model`` as the loop would write a new round's model (same weights, another version)."""
    shutil.copytree(model, folder)
    (folder / "metrics.json").write_text(json.dumps({"round": note}) + "\n")
    return folder


def test_loop_folder_is_followed_on_the_servers_own_timer(seek_classifier, tmp_path):
    """The loop names a new round's model: /health shows it within a few ticks with no request asking,
    each swap is one log line, requests in flight during a swap all answer (with the old model or the
    new), and a round that cannot be loaded leaves the old one serving."""
    from empathykit.predict.models import CURRENT_MODEL
    from empathykit.train.folder import model_version

    pointer = tmp_path / CURRENT_MODEL
    pointer.write_text(f"{seek_classifier}\n")
    lines: list[str] = []
    served = Backend([tmp_path], check_every=0.2, log=lines.append)
    first = model_version(seek_classifier)
    second = model_version(_round(seek_classifier, tmp_path / "r2", "2"))
    third = model_version(_round(seek_classifier, tmp_path / "r3", "3"))
    body = {"tasks": [{"id": 1, "data": {"text": "so sad"}}], "label_config": SEEK.label_config()}
    answers: list[tuple[int, str, float]] = []
    stop = threading.Event()
    with running_backend(served) as url, httpx.Client(timeout=30) as http:
        assert http.get(f"{url}/health").json()["model_version"] == first
        pointer.write_text(f"{tmp_path / 'r2'}\n")
        assert _health_shows(http, url, second) < 5.0  # no /predict or /setup asked for it

        def ask() -> None:
            while not stop.is_set():
                began = time.monotonic()
                answer = http.post(f"{url}/predict", json=body)
                answers.append((answer.status_code, answer.json().get("model_version"), time.monotonic() - began))

        askers = [threading.Thread(target=ask) for _ in range(3)]
        for asker in askers:
            asker.start()
        time.sleep(0.5)
        pointer.write_text(f"{tmp_path / 'r3'}\n")  # a swap with requests in flight
        _health_shows(http, url, third)
        time.sleep(0.5)
        stop.set()
        for asker in askers:
            asker.join()
        broken = _round(seek_classifier, tmp_path / "r4", "4")
        for weights in broken.rglob("*.safetensors"):
            weights.write_bytes(b"not weights")
        pointer.write_text(f"{broken}\n")
        time.sleep(1.0)
        still = http.post(f"{url}/predict", json=body).json()
        assert http.get(f"{url}/health").json()["model_version"] == third
    served.close()
    assert still["model_version"] == third and still["results"][0]["result"]
    assert {status for status, _, _ in answers} == {200} and {v for _, v, _ in answers} == {second, third}
    assert max(seconds for _, _, seconds in answers) < 2.0
    assert [line for line in lines if "->" in line] == [
        f"serve: model {first} -> {second}",
        f"serve: model {second} -> {third}",
    ]
    assert sum(f"cannot load {model_version(broken)}" in line for line in lines) == 1  # said once, not every tick
    with pytest.raises(InputError, match="no model folder"):
        Backend([])


def _health_shows(http: httpx.Client, url: str, version: str) -> float:
    began = time.monotonic()
    while http.get(f"{url}/health").json()["model_version"] != version:
        if time.monotonic() - began > 20:
            pytest.fail(f"/health did not show {version} within 20 s")
        time.sleep(0.05)
    return time.monotonic() - began


@pytest.mark.studio
def test_connect_then_retrieve_predictions_stores_them_with_the_model_version(studio, backend, tmp_path):
    """Through a server that needs credentials: Label Studio calls /setup and /predict with the ones
    `annotate connect --auth-user` registered (without them nothing would be stored)."""
    from empathykit.serve.auth import Credentials

    title = studio.project_title("serve")
    items = [{"item_id": f"s{i}", "text": t} for i, t in enumerate(TEXTS)]
    report = push(items, schema="seek-provide", project=title, connection=studio.connection)
    secret = Credentials("label-studio", "a-serve-secret")
    with running_backend(backend, secret) as url:
        with pytest.raises(StudioError, match="needs credentials"):
            connect_backend(title, url, connection=studio.connection)
        with pytest.raises(StudioError, match="needs credentials and refused these"):
            connect_backend(title, url, connection=studio.connection, credentials=Credentials("label-studio", "no"))
        connected = connect_backend(title, url, connection=studio.connection, credentials=secret)
        again = connect_backend(report.project_id, url, connection=studio.connection, credentials=secret)
        assert connected.created and not again.created and again.backend_id == connected.backend_id  # not twice
        client = studio.client()
        registered = client.ml.get(connected.backend_id)
        assert registered.auth_method == "BASIC_AUTH" and registered.basic_auth_user == "label-studio"
        assert "a-serve-secret" not in repr(registered)  # Label Studio never shows it back
        # a task with a blank text (imported around push's checks): answered with an error
        client.projects.import_tasks(report.project_id, request=[{"data": {"item_id": "bad", "text": "   "}}])
        project = client.projects.get(report.project_id)
        assert project.show_collab_predictions and project.model_version == f"empathykit {backend.model.version}"
        client.actions.create(
            id="retrieve_tasks_predictions", project=report.project_id, selected_items={"all": True, "excluded": []}
        )
        assert httpx.get(f"{url}/health").json()["status"] == "UP"  # the bad task did not stop it
    stored = list(client.predictions.list(project=report.project_id))
    assert len(stored) == len(TEXTS)
    assert {p.model_version for p in stored} == {backend.model.version}
    rows = predict_records(backend.model.dirs[0], [{"text": t} for t in TEXTS])
    by_task = {t["id"]: t["data"].get("text") for t in studio.tasks(report.project_id)}
    expected = {t: r["prediction"] for t, r in zip(TEXTS, rows)}
    assert {by_task[p.task]: p.result[0]["value"]["choices"][0] for p in stored} == expected


@pytest.mark.studio
def test_connect_refuses_a_project_the_model_cannot_fill(studio, backend):
    title = studio.project_title("serve-pair")
    push(
        [{"item_id": "p1", "story_a": "a story", "story_b": "another"}],
        schema="story-pair",
        project=title,
        connection=studio.connection,
    )
    with running_backend(backend) as url:
        with pytest.raises(StudioError, match="refuses this project: .*predicts choice labels"):
            connect_backend(title, url, connection=studio.connection)
    with pytest.raises(StudioError, match="no ML backend answers"):
        connect_backend(title, url, connection=studio.connection)


@pytest.fixture(scope="module")
def epitome_model(tiny_model, tmp_path_factory):
    from empathykit.train.epitome import EpitomeFamily
    from empathykit.train.settings import load_settings
    from tests.test_train_epitome import FAST, toy_epitome

    out = tmp_path_factory.mktemp("serve-epitome") / "er"
    family = EpitomeFamily()
    family.train(toy_epitome(), load_settings(family.settings_class, None, FAST, model=str(tiny_model)), out)
    return out


def test_epitome_model_answers_levels_and_spans_from_memory(epitome_model, tmp_path):
    from fastapi.testclient import TestClient

    from empathykit.serve.app import create_app
    from tests.test_train_epitome import toy_rows

    epitome = get_schema("epitome")
    served = tmp_path / "er"
    shutil.copytree(epitome_model, served)
    rows = [{k: r[k] for k in ("seeker_post", "response_post")} for r in toy_rows(6, 2)]
    expected = [json.loads(r["prediction"]) for r in predict_records(served, rows)]  # what `predict` writes
    client = TestClient(create_app(Backend([served])))
    body = {"tasks": [{"id": i, "data": r} for i, r in enumerate(rows)], "label_config": epitome.label_config()}
    first = client.post("/predict", json=body).json()
    for weights in ("seeker_encoder", "response_encoder"):  # the next request must not read these again
        shutil.rmtree(served / weights)
    (served / "heads.safetensors").unlink()
    second = client.post("/predict", json=body).json()
    assert first == second
    assert [r["result"] for r in first["results"]] == [epitome.to_results(e) for e in expected]
    results = [result for r in first["results"] for result in r["result"]]
    assert {"choices", "labels"} <= {result["type"] for result in results}  # levels and rationale spans
