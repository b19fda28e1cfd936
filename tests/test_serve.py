"""``empathykit serve`` and ``annotate connect``: the ML backend contract, against the real Label Studio."""

from __future__ import annotations

import shutil
import socket

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
from tests.loop_fixtures import running_backend, seek_classifier  # noqa: F401  (fixture)
from tests.train_fixtures import tiny_model  # noqa: F401  (fixture)

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
        answer = httpx.post(f"{url}/predict", json={"tasks": tasks, "label_config": SEEK.label_config(),
                                                    "project": "1.1", "params": {}}).json()
    assert [r["result"] for r in answer["results"]] == [SEEK.to_results({"empathy": r["prediction"]}) for r in rows]
    assert [r["score"] for r in answer["results"]] == pytest.approx([r["prediction_score"] for r in rows])
    assert {r["prediction"] for r in rows} == {"seeking", "none"}
    assert all(r["model_version"] == backend.model.version for r in answer["results"])


def test_a_bad_task_gets_an_error_and_the_server_keeps_serving(backend):
    tasks = [{"id": 1, "data": {"text": "so sad"}}, {"id": 2, "data": {"body": "no text field"}},
             {"id": 3, "data": {"text": "   "}}, {"id": 4, "data": {"text": "happy day"}}]
    with running_backend(backend) as url:
        answer = httpx.post(f"{url}/predict", json={"tasks": tasks, "label_config": SEEK.label_config()}).json()
        assert "no text in ['text']" in answer["results"][1]["error"] and "result" not in answer["results"][1]
        assert "error" in answer["results"][2]
        assert answer["results"][0]["result"] and answer["results"][3]["result"]
        assert httpx.post(f"{url}/predict", json={"no": "tasks"}).status_code == 400
        assert httpx.get(f"{url}/health").json()["status"] == "UP"


def test_concurrent_single_task_requests_share_model_calls(seek_classifier):
    """Sixteen annotators opening a task at once: their requests are answered in a few model calls, each with
    exactly what it would get alone, over HTTP through FastAPI's thread pool."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"{a} {b}" for a in ("sad hurt", "happy party", "so sorry", "sunny win") for b in ("day", "fun", "my", "the")]
    alone = predict_records(seek_classifier, [{"text": t} for t in texts])
    served = Backend([seek_classifier])
    with running_backend(served) as url, httpx.Client(timeout=60) as client:
        def ask(i: int) -> dict:
            return client.post(f"{url}/predict", json={"tasks": [{"id": i, "data": {"text": texts[i]}}],
                                                       "label_config": SEEK.label_config()}).json()["results"][0]

        with ThreadPoolExecutor(len(texts)) as pool:
            answers = list(pool.map(ask, range(len(texts))))
    assert [a["result"] for a in answers] == [SEEK.to_results({"empathy": r["prediction"]}) for r in alone]
    assert [a["score"] for a in answers] == pytest.approx([r["prediction_score"] for r in alone], abs=1e-5)
    assert served.batcher.batches < len(texts)  # batched across requests, not one model call each


def test_a_batch_that_fails_fails_each_of_its_requests_and_the_next_batch_runs(backend):
    from empathykit.serve.batching import Batcher

    batcher = Batcher()
    with pytest.raises(InputError, match="no column"):  # raised in the caller, not lost in the worker
        batcher.predict(backend.model, [{"body": "no text"}])
    assert batcher.predict(backend.model, [{"text": "so sad"}])[0]["prediction"] in {"seeking", "none"}


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


def test_loop_folder_serves_the_newest_model(seek_classifier, tmp_path):
    from empathykit.serve.backend import CURRENT_MODEL
    from empathykit.train.folder import model_version

    (tmp_path / CURRENT_MODEL).write_text(f"{seek_classifier}\n")
    served = Backend([tmp_path], check_every=0.0)
    assert served.model.version == model_version(seek_classifier)
    # the loop writes a newer model: the next request answers with it, none fails meanwhile
    newer = tmp_path / "round-2-model"
    shutil.copytree(seek_classifier, newer)
    (newer / "metrics.json").write_text('{"retrained": true}\n')
    tasks = [{"id": 1, "data": {"text": "so sad"}}]
    with running_backend(served) as url:
        before = httpx.post(f"{url}/predict", json={"tasks": tasks, "label_config": SEEK.label_config()}).json()
        (tmp_path / CURRENT_MODEL).write_text(f"{newer}\n")
        after = httpx.post(f"{url}/predict", json={"tasks": tasks, "label_config": SEEK.label_config()}).json()
        assert httpx.post(f"{url}/webhook", json={"action": "ANNOTATION_CREATED"}).json()["seen"] == 1
    assert before["model_version"] == model_version(seek_classifier)
    assert after["model_version"] == model_version(newer) != before["model_version"]
    assert after["results"][0]["result"] == before["results"][0]["result"]  # same weights, other version
    with pytest.raises(InputError, match="no model folder to serve"):
        Backend([])


@pytest.mark.studio
def test_connect_then_retrieve_predictions_stores_them_with_the_model_version(studio, backend, tmp_path):
    title = studio.project_title("serve")
    items = [{"item_id": f"s{i}", "text": t} for i, t in enumerate(TEXTS)]
    report = push(items, schema="seek-provide", project=title, connection=studio.connection)
    with running_backend(backend) as url:
        connected = connect_backend(title, url, connection=studio.connection)
        again = connect_backend(report.project_id, url, connection=studio.connection)  # nothing added twice
        assert connected.created and not again.created and again.backend_id == connected.backend_id
        client = studio.client()
        # a task with a blank text (imported around push's checks): answered with an error
        client.projects.import_tasks(report.project_id, request=[{"data": {"item_id": "bad", "text": "   "}}])
        project = client.projects.get(report.project_id)
        assert project.show_collab_predictions and project.model_version == f"empathykit {backend.model.version}"
        client.actions.create(id="retrieve_tasks_predictions", project=report.project_id,
                              selected_items={"all": True, "excluded": []})
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
    push([{"item_id": "p1", "story_a": "a story", "story_b": "another"}], schema="story-pair", project=title,
         connection=studio.connection)
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
    import json

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
