"""Outputs never destroy what was there; temporaries never outlive a run (issue 8, point 1)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.errors import OutputError
from empathykit.io import FOLDER_MARKER, atomic_path, check_output, write_json
from empathykit.temporaries import TMP_TAG
from tests.train_fixtures import tiny_model

SAMPLE = Path(__file__).resolve().parents[1] / "empathykit" / "pipelines" / "sample_data" / "tweets.jsonl"
runner = CliRunner()


def _flat(output: str) -> str:
    return " ".join(output.split())


def _precious(folder: Path) -> Path:
    folder.mkdir()
    (folder / "notes.txt").write_text("a month of work\n")
    (folder / "sub").mkdir()
    (folder / "sub" / "data.csv").write_text("id,text\n1,hello\n")
    return folder


def _untouched(folder: Path) -> bool:
    return (folder / "notes.txt").read_text() == "a month of work\n" and (
        folder / "sub" / "data.csv"
    ).read_text() == "id,text\n1,hello\n"


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if TMP_TAG in p.name)


@pytest.mark.parametrize(
    "command", [["collect", "file", str(SAMPLE)], ["filter", str(SAMPLE)], ["annotate", "pull", "-p", "any project"]]
)
def test_folder_given_as_file_output_is_kept(tmp_path, monkeypatch, command):
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")  # the check comes before any request
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "unused")
    folder = _precious(tmp_path / "mydata")
    result = runner.invoke(app, [*command, "-o", str(folder)])
    assert result.exit_code == 1
    text = _flat(result.output)
    assert "is an existing folder; expected a file path" in text and str(folder) in text
    assert "Traceback" not in result.output
    assert _untouched(folder)
    assert not (tmp_path / "mydata.counts.json").exists()  # stopped before any work


def test_agreement_outputs_keep_a_folder_and_a_file(tmp_path):
    from tables import seek_table  # tests/ is on sys.path (rootdir conftest)

    annotations = tmp_path / "annotations.parquet"
    seek_table().frame().to_parquet(annotations)
    folder = _precious(tmp_path / "agreement.json")
    result = runner.invoke(app, ["agreement", "compute", str(annotations), "-o", str(folder), "--bootstrap", "10"])
    assert result.exit_code == 1 and "is an existing folder; expected a file path" in _flat(result.output)
    assert _untouched(folder)
    (tmp_path / "report").write_text("not a folder")
    result = runner.invoke(app, ["agreement", "report", str(annotations), "-o", str(tmp_path / "report")])
    assert result.exit_code == 1 and "is an existing file; expected a folder path" in _flat(result.output)
    assert "Traceback" not in result.output and (tmp_path / "report").read_text() == "not a folder"


def test_file_output_rerun_replaces(tmp_path):
    out = tmp_path / "posts.parquet"
    out.write_bytes(b"someone's own file")
    result = runner.invoke(app, ["collect", "file", str(SAMPLE), "-o", str(out)])
    assert result.exit_code == 1 and "a file empathykit did not write" in _flat(result.output)
    assert out.read_bytes() == b"someone's own file"
    out.unlink()
    assert runner.invoke(app, ["collect", "file", str(SAMPLE), "-o", str(out)]).exit_code == 0
    assert pq.read_table(out).num_rows == 151
    assert pq.read_schema(out).metadata[b"empathykit.output"] == b"posts"
    assert runner.invoke(app, ["collect", "file", str(SAMPLE), "-o", str(out)]).exit_code == 0
    assert pq.read_table(out).num_rows == 151
    assert _temporaries(tmp_path) == []


def test_folder_outputs(tmp_path):
    # a file where a folder output goes, and a foreign folder, are refused; an earlier output is replaced
    (tmp_path / "a-file").write_text("keep me")
    with pytest.raises(OutputError, match="is an existing file; expected a folder"):
        check_output(tmp_path / "a-file", "dir")
    foreign = _precious(tmp_path / "foreign")
    with pytest.raises(OutputError, match="not an earlier output"):
        with atomic_path(foreign) as tmp:
            tmp.mkdir()
            (tmp / "part.parquet").write_text("new")
    assert _untouched(foreign) and _temporaries(tmp_path) == []
    out = tmp_path / "export"
    for round_ in ("first", "second"):
        with atomic_path(out) as tmp:
            tmp.mkdir()
            (tmp / "data.txt").write_text(round_)
        assert (out / "data.txt").read_text() == round_ and (out / FOLDER_MARKER).is_file()
    legacy = _precious(tmp_path / "legacy")
    (legacy / "export.json").write_text("{}")
    check_output(legacy, "dir", marker="export.json")  # an earlier export without the marker file
    with pytest.raises(OutputError):
        with atomic_path(tmp_path / "a-file") as tmp:
            tmp.mkdir()
    assert (tmp_path / "a-file").read_text() == "keep me" and _temporaries(tmp_path) == []


def test_temporary_removed_after_exception(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert _temporaries(tmp_path) == [] and not target.exists()


_SLOW_WRITER = """
import sys, time
from empathykit.io import atomic_open
with atomic_open(sys.argv[1]) as handle:
    handle.write("partial")
    handle.flush()
    print("ready", flush=True)
    time.sleep(60)
"""


def _start_writer(target: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(target)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    assert _temporaries(target.parent)  # the temporary exists while it writes
    return process


def test_temporary_removed_after_sigterm(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("previous output")
    process = _start_writer(target)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 128 + signal.SIGTERM
    assert _temporaries(tmp_path) == [] and target.read_text() == "previous output"


def test_stale_temporary_of_killed_run_is_cleaned(tmp_path):
    target = tmp_path / "posts.parquet"
    process = _start_writer(target)
    process.kill()  # SIGKILL: nothing can clean up
    process.wait(timeout=30)
    stale = _temporaries(tmp_path)
    assert len(stale) == 1 and stale[0].startswith(f".posts.parquet{TMP_TAG}{process.pid}-")
    unrelated = tmp_path / f".other.parquet{TMP_TAG}{process.pid}-00000000"
    unrelated.write_text("another output's temporary")
    result = runner.invoke(app, ["collect", "file", str(SAMPLE), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert _temporaries(tmp_path) == [unrelated.name] and pq.read_table(target).num_rows == 151


def test_live_writer_temporary_is_left_alone(tmp_path):
    target = tmp_path / "out.txt"
    process = _start_writer(target)
    try:
        write_json(target, {"a": 1})
        assert len(_temporaries(tmp_path)) == 1  # the other run's temporary: its process is alive
    finally:
        process.kill()
        process.wait(timeout=30)


def test_half_finished_folder_swap_is_undone(tmp_path):
    # killed between parking the old folder and moving the new one in: the next run restores it
    dead = _dead_pid()
    parked = tmp_path / f".export{TMP_TAG}{dead}-deadbeef.old"
    parked.mkdir()
    (parked / FOLDER_MARKER).write_text("{}")
    (parked / "data.txt").write_text("previous export")
    check_output(tmp_path / "export", "dir")
    assert (tmp_path / "export" / "data.txt").read_text() == "previous export"
    assert _temporaries(tmp_path) == []


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    time.sleep(0.01)
    return process.pid if not _exists(process.pid) else 2**22 + 1


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# -- retrieve's embedding cache (issue 26 item 3) -------------------------------------------------------
@pytest.fixture(scope="module")
def similarity_model(tmp_path_factory, tiny_model):
    from empathykit.train.families import get_family
    from tests.train_fixtures import pair_data, similarity_settings

    out = tmp_path_factory.mktemp("sim") / "model"
    get_family("similarity").train(pair_data(32), similarity_settings(tiny_model, epochs=1), out)
    return out


def _stories(path: Path, *texts: str) -> Path:
    path.write_text("".join(f'{{"id": "s{i}", "story": "{t}"}}\n' for i, t in enumerate(texts)), encoding="utf-8")
    return path


def _entries(cache: Path) -> list[str]:
    return sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*.npy"))


def test_retrieve_cache_is_the_users_keyed_and_bounded(similarity_model, tmp_path, monkeypatch):
    from empathykit.train.retrieval import retrieve

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("EMPATHYKIT_CACHE", raising=False)
    cache = tmp_path / "xdg" / "empathykit" / "embeddings"
    folder = tmp_path / "corpus"
    folder.mkdir()
    corpus = _stories(folder / "stories.jsonl", "so sad today", "a fun party", "we win")
    first = retrieve(similarity_model, corpus, ["sad"], k=1)
    assert not first["cached"] and retrieve(similarity_model, corpus, ["sad"], k=1)["cached"]
    assert sorted(p.name for p in folder.iterdir()) == ["stories.jsonl"]  # nothing beside the corpus
    for n in range(3):  # three edits: each new version replaces the cache of the one before
        _stories(corpus, "so sad today", "a fun party", f"edit {n}")
        assert not retrieve(similarity_model, corpus, ["sad"], k=1)["cached"]
    assert len(_entries(cache)) == 1 and Path(first["cache"]).parent == (cache / _entries(cache)[0]).parent
    # over the size limit the least recently used corpus goes, never the one just written
    other = _stories(folder / "other.jsonl", "I cry", "sunny day")
    monkeypatch.setenv("EMPATHYKIT_EMBEDDINGS_CACHE_MB", "0.0001")
    written = retrieve(similarity_model, other, ["sad"], k=1)["cache"]
    assert [str(cache / e) for e in _entries(cache)] == [written]


def test_retrieve_works_on_a_read_only_corpus_folder(similarity_model, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    corpus = _stories(folder / "stories.jsonl", "so sad today", "a fun party", "we win")
    how = f'mount --bind -o ro "{folder}" "{folder}"'
    if subprocess.run(["unshare", "-rm", "sh", "-c", how], capture_output=True, check=False).returncode != 0:
        pytest.skip("no user namespaces here to mount the corpus folder read-only")
    env = {**os.environ, "EMPATHYKIT_CACHE": str(tmp_path / "cache"), "COLUMNS": "400"}
    empathykit = Path(sys.executable).with_name("empathykit")
    process = subprocess.run(
        [
            "unshare",
            "-rm",
            "sh",
            "-c",
            f'{how} && exec "$@"',
            "sh",
            str(empathykit),
            "retrieve",
            str(similarity_model),
            "--corpus",
            str(corpus),
            "--query",
            "sad",
            "-k",
            "1",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    found = json.loads(process.stdout.splitlines()[0])
    assert found["rank"] == 1 and found["id"] in {"s0", "s1", "s2"}
    assert len(_entries(tmp_path / "cache" / "embeddings")) == 1 and sorted(os.listdir(folder)) == ["stories.jsonl"]


def test_a_files_kind_travels_with_it_and_an_edit_makes_it_the_users(tmp_path):
    import pyarrow as pa

    from empathykit.io import write_parquet

    out = tmp_path / "agreement.json"
    write_json(out, {"n": 1}, output="agreement")
    write_json(out, {"n": 2}, output="agreement")  # an earlier output of its kind: replaced
    assert json.loads(out.read_text()) == {"n": 2}
    with pytest.raises(OutputError, match="there is empathykit's agreement output"):
        write_json(out, {}, output="evaluation")
    out.write_text('{"n": 2, "my note": "keep"}')
    with pytest.raises(OutputError, match="a file changed since empathykit wrote it as agreement"):
        check_output(out, output="agreement")
    assert out.read_text() == '{"n": 2, "my note": "keep"}'
    table = tmp_path / "p.parquet"
    write_parquet(table, pa.table({"x": [1]}), output="predictions")
    moved = table.rename(tmp_path / "moved.parquet")  # the kind is inside the file: no sidecar to lose
    assert check_output(moved, output="predictions") == moved
    with pytest.raises(OutputError, match="empathykit's predictions output"):
        check_output(moved, output="filtered")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".agreement.json.empathykit-output.json",
        "agreement.json",
        "moved.parquet",
    ]
