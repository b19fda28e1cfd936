"""`empathykit predict` at corpus scale (empathykit/predict/corpus.py): streamed in chunks, one row
group each, resumable after kill -9, bad rows named or set aside, two processes under torchrun and
a Dask LocalCluster of two workers giving the local engine's output."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.errors import InputError
from empathykit.predict.corpus import CorpusSettings, predict_corpus
from empathykit.predict.models import open_model
from empathykit.predict.parts import VERSION_KEY, parts_dir
from empathykit.train.folder import model_version
from tests.loop_fixtures import seek_classifier

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
WORDS = [
    "so sad and hurt today",
    "great sunny party",
    "my friend is lost and sorry",
    "win",
    "the day was fun",
    "cry",
    "a very happy day and we feel great",
    "pain",
]


def texts(n: int) -> list[str]:
    return [f"{WORDS[i % len(WORDS)]} {'and ' * (i % 5)}{WORDS[(i * 3) % len(WORDS)]}" for i in range(n)]


def write_jsonl(path: Path, n: int) -> Path:
    path.write_text(
        "".join(json.dumps({"item_id": f"{i:05d}", "text": t, "n": i}) + "\n" for i, t in enumerate(texts(n)))
    )
    return path


def test_streamed_row_groups_equal_the_models_rows_in_every_format(seek_classifier, tmp_path):
    import pyarrow as pa
    import pyarrow.csv as pcsv

    rows = [{"item_id": f"{i:05d}", "text": t} for i, t in enumerate(texts(23))]
    expected = open_model(seek_classifier).run(rows, sort=False).rows
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "in.parquet", row_group_size=7)
    pcsv.write_csv(pa.Table.from_pylist(rows), tmp_path / "in.csv")
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    for suffix in ("parquet", "csv", "jsonl"):
        out = tmp_path / f"{suffix}.parquet"
        report = predict_corpus(
            seek_classifier, tmp_path / f"in.{suffix}", out, settings=CorpusSettings(chunk_rows=5, batch_size=2)
        )
        handle = pq.ParquetFile(out)
        assert handle.metadata.num_row_groups == 5 and report.chunks == 5 and report.items == 23
        assert handle.schema_arrow.metadata[VERSION_KEY].decode() == model_version(seek_classifier)
        written = handle.read().to_pylist()
        assert [r["item_id"] for r in written] == [r["item_id"] for r in rows]  # ids stay text, in order
        assert [r["prediction"] for r in written] == [e["prediction"] for e in expected]
        assert [r["prediction_score"] for r in written] == pytest.approx(
            [e["prediction_score"] for e in expected], abs=1e-5
        )
        assert not parts_dir(out).exists()


def test_killed_run_resumes_and_equals_an_uninterrupted_one(seek_classifier, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", 60)
    script = [sys.executable, str(ROOT / "tests" / "predict_run_toy.py"), str(seek_classifier), str(source)]
    whole = subprocess.run([*script, str(tmp_path / "whole.parquet"), "6"], capture_output=True, text=True, timeout=300)
    assert whole.returncode == 0, whole.stderr[-2000:]
    out = tmp_path / "resumed.parquet"
    slow = subprocess.Popen([*script, str(out), "6", "slow"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list(parts_dir(out).glob("part-*.parquet"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(slow.pid, signal.SIGKILL)
    slow.wait()
    finished = len(list(parts_dir(out).glob("part-*.parquet")))
    assert 3 <= finished < 10 and not out.exists()  # killed mid-run: no half-written output under the name
    again = subprocess.run([*script, str(out), "6"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    resumed, chunks = map(int, again.stdout.split())
    assert chunks == 10 and resumed == finished  # only the rest was predicted
    assert pq.read_table(out).equals(pq.read_table(tmp_path / "whole.parquet"))
    assert pq.ParquetFile(out).metadata.num_row_groups == 10


def test_a_resume_with_other_settings_refuses_and_bad_rows_are_named_or_set_aside(seek_classifier, tmp_path):
    source = tmp_path / "in.jsonl"
    lines = [json.dumps({"item_id": str(i), "text": t}) for i, t in enumerate(texts(8))]
    lines.insert(4, '{"item_id": "x", "text": ')  # line 5: cut short
    source.write_text("\n".join(lines) + "\n")
    out = tmp_path / "p.parquet"
    with pytest.raises(InputError, match=r"in\.jsonl: line 5: not valid JSON"):
        predict_corpus(seek_classifier, source, out, settings=CorpusSettings(chunk_rows=3))
    assert not out.exists()
    parts = parts_dir(out)
    assert parts.is_dir()  # the run record stays for a resume
    with pytest.raises(InputError, match=r"chunk_rows 3 \(now 4\)"):
        predict_corpus(seek_classifier, source, out, settings=CorpusSettings(chunk_rows=4, skip_bad=False))
    report = predict_corpus(
        seek_classifier, source, tmp_path / "q.parquet", settings=CorpusSettings(chunk_rows=3, skip_bad=True)
    )
    assert report.items == 8 and report.bad == 1
    bad = [json.loads(line) for line in report.bad_path.read_text().splitlines()]
    assert bad[0]["row"] == 5 and "not valid JSON" in bad[0]["error"]
    csv = tmp_path / "in.csv"
    csv.write_text("item_id,text\n1,so sad\n2,great,extra\n3,win\n")
    result = CliRunner().invoke(app, ["predict", str(seek_classifier), str(csv), "-o", str(tmp_path / "c.parquet")])
    assert result.exit_code == 1 and "in.csv: row 3: expected 2 fields, got 3" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


LAUNCHERS = {
    "torchrun": ["torchrun", "--nproc_per_node", "2", "--master_port"],
    # accelerate's multi-process launcher is torch.distributed.run (gloo on a CPU-only machine)
    "accelerate": [
        "accelerate",
        "launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
    ],
}


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_two_processes_under_a_launcher_write_the_local_output(seek_classifier, tmp_path, launcher):
    source = write_jsonl(tmp_path / "in.jsonl", 40)
    local = tmp_path / "local.parquet"
    predict_corpus(seek_classifier, source, local, settings=CorpusSettings(chunk_rows=6))
    out = tmp_path / "two.parquet"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    command = [str(VENV_BIN / LAUNCHERS[launcher][0]), *LAUNCHERS[launcher][1:], str(_free_port())]
    done = subprocess.run(
        [
            *command,
            str(VENV_BIN / "empathykit"),
            "predict",
            str(seek_classifier),
            str(source),
            "-o",
            str(out),
            "--chunk-rows",
            "6",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == model_version(seek_classifier)  # the first process reports, once
    assert pq.read_table(out).equals(pq.read_table(local))


def test_dask_local_cluster_of_two_workers_gives_the_local_predictions(seek_classifier, tmp_path):
    pytest.importorskip("dask.distributed")
    source = write_jsonl(tmp_path / "in.jsonl", 40)
    local = tmp_path / "local.parquet"
    predict_corpus(seek_classifier, source, local, settings=CorpusSettings(chunk_rows=4))
    out = tmp_path / "dask.parquet"
    report = predict_corpus(
        seek_classifier, source, out, settings=CorpusSettings(chunk_rows=4), engine="dask", workers=2
    )
    assert pq.read_table(out).equals(pq.read_table(local))
    assert report.chunks == 10 and report.worker_loads and set(report.worker_loads.values()) == {1}


def test_running_out_of_memory_is_one_line_and_a_smaller_batch_goes_on(seek_classifier, tmp_path, monkeypatch):
    from empathykit.errors import EmpathykitError
    from empathykit.predict.models import LoadedModel

    source = write_jsonl(tmp_path / "in.jsonl", 20)
    run, calls = LoadedModel.run, []

    def failing_third_chunk(self, records, **kwargs):
        calls.append(kwargs.get("batch_size"))
        if len(calls) == 3:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return run(self, records, **kwargs)

    monkeypatch.setattr(LoadedModel, "run", failing_third_chunk)
    out = tmp_path / "p.parquet"
    with pytest.raises(EmpathykitError, match="ran out of memory .* the 2 finished row groups stay") as caught:
        predict_corpus(seek_classifier, source, out, settings=CorpusSettings(chunk_rows=4, batch_size=8))
    assert "--batch-size" in caught.value.hint and not out.exists()
    report = predict_corpus(seek_classifier, source, out, settings=CorpusSettings(chunk_rows=4, batch_size=2))
    assert report.resumed == 2 and report.items == 20 and calls[-1] == 2
    monkeypatch.setattr(LoadedModel, "run", run)
    predict_corpus(seek_classifier, source, tmp_path / "whole.parquet", settings=CorpusSettings(chunk_rows=4))
    assert (
        pq.read_table(out).column("prediction").equals(pq.read_table(tmp_path / "whole.parquet").column("prediction"))
    )


def test_a_chunk_without_predictions_joins_the_others(seek_classifier, tmp_path):
    source = tmp_path / "in.jsonl"
    rows = [{"item_id": "a", "text": ""}, {"item_id": "b", "text": " "}, {"item_id": "c", "text": "so sad"}]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "p.parquet"
    report = predict_corpus(seek_classifier, source, out, settings=CorpusSettings(chunk_rows=2))
    table = pq.read_table(out)
    assert str(table.schema.field("prediction").type) == "string" and report.predicted == 1
    assert table.column("prediction").to_pylist()[:2] == [None, None]
