"""One line, never a traceback, for every bad file a command reads (issue 20, point 4).

Each case damages one input in a fresh folder, runs the command through the CLI and asserts:
exit 1, one error line plus a hint, no traceback, and the folder exactly as it was (nothing
written, nothing left behind: no model folder, no ``.NAME.train-run``, no lock, no cache entry).
"""

from __future__ import annotations

import codecs
import shutil
from pathlib import Path
from typing import Callable

import pytest
from typer.testing import CliRunner

from empathykit.cli.main import app
from tests.train_fixtures import make_export, tiny_model

runner = CliRunner()
STORIES = "id,story\n1,my friend was sad and hurt today\n2,we had a great party\n"
LATIN1 = "id,story\n1,café: my naïve friend's pain\n2,a résumé\n".encode("latin-1")
BINARY = b"\x00\x01\x02\x03" * 64
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


@pytest.fixture(scope="module")
def made(tiny_model, tmp_path_factory):
    """A toy export, a classifier and a similarity model trained on it (the inputs the cases damage)."""
    from datasets import Dataset, DatasetDict

    from empathykit.train.data import TrainingData
    from empathykit.train.families import get_family
    from empathykit.train.settings import build_settings

    root = tmp_path_factory.mktemp("bad")
    export = make_export(root / "export")
    result = runner.invoke(
        app,
        [
            "train",
            str(export),
            "--model",
            str(tiny_model),
            "-o",
            str(root / "clf"),
            "--set",
            "max_steps=2",
            "--set",
            "batch_size=8",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [
        {
            "item_id": str(i),
            "story_a": "sad hurt day",
            "story_b": "sorry pain cry" if i % 2 else "happy party",
            "label": 4.0 if i % 2 else 1.0,
        }
        for i in range(8)
    ]
    pairs = TrainingData(
        dataset=DatasetDict({s: Dataset.from_list(rows) for s in ("train", "validation", "test")}),
        task="similarity_empathy",
        kind="rating",
        label_names=None,
        inputs=["story_a", "story_b"],
        scale=(1.0, 4.0),
        source="toy-pairs",
    )
    family = get_family("similarity")
    family.train(
        pairs,
        build_settings(
            family.settings_class, {"model": str(tiny_model), "max_steps": 1, "batch_size": 4, "max_length": 16}
        ),
        root / "sim",
    )
    return {"export": export, "clf": root / "clf", "sim": root / "sim", "model": tiny_model}


def _copy(source: Path, target: Path) -> Path:
    (shutil.copytree if source.is_dir() else shutil.copy2)(source, target)
    return target


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _damaged_export(made, tmp: Path, split: str, how: Callable[[Path], None]) -> Path:
    export = _copy(made["export"], tmp / "export")
    how(export / "empathy" / f"{split}.parquet")
    return export


def _damaged_model(made, tmp: Path, name: str, file: str, how: Callable[[Path], None]) -> Path:
    model = _copy(made[name], tmp / name)
    how(model / file)
    return model


def _items(tmp: Path) -> Path:
    return _write(tmp / "items.csv", b"id,text\n1,sad hurt day\n")


def _model_without_weights(made, tmp: Path) -> Path:
    base = _copy(made["model"], tmp / "base")
    (base / "model.safetensors").unlink()
    return base


# name -> (made, tmp) -> CLI arguments; what to damage and which command reads it
CASES: dict[str, Callable[[dict, Path], list[str]]] = {
    "train, truncated Parquet in the export": lambda m, t: [
        "train",
        str(_damaged_export(m, t, "train", _truncate)),
        "--model",
        str(m["model"]),
        "-o",
        str(t / "out"),
    ],
    "train, zero-byte Parquet in the export": lambda m, t: [
        "train",
        str(_damaged_export(m, t, "validation", lambda p: p.write_bytes(b""))),
        "--model",
        str(m["model"]),
        "-o",
        str(t / "out"),
    ],
    "train, --model with config and tokenizer but no weights": lambda m, t: [
        "train",
        str(m["export"]),
        "--model",
        str(_model_without_weights(m, t)),
        "-o",
        str(t / "out"),
    ],
    "train, --model with truncated weights": lambda m, t: [
        "train",
        str(m["export"]),
        "--model",
        str(_damaged_model(m, t, "model", "model.safetensors", _truncate)),
        "-o",
        str(t / "out"),
    ],
    "train, latin-1 --config": lambda m, t: [
        "train",
        str(m["export"]),
        "--model",
        str(m["model"]),
        "-o",
        str(t / "out"),
        "--config",
        str(_write(t / "settings.yaml", "# réglages\nepochs: 1\n".encode("latin-1"))),
    ],
    "train, binary --config": lambda m, t: [
        "train",
        str(m["export"]),
        "--model",
        str(m["model"]),
        "-o",
        str(t / "out"),
        "--config",
        str(_write(t / "settings.yaml", BINARY)),
    ],
    "evaluate, truncated Parquet in the export": lambda m, t: [
        "evaluate",
        str(m["clf"]),
        str(_damaged_export(m, t, "test", _truncate)),
    ],
    "evaluate, zero-byte Parquet in the export": lambda m, t: [
        "evaluate",
        str(m["clf"]),
        str(_damaged_export(m, t, "test", lambda p: p.write_bytes(b""))),
    ],
    "evaluate, empty split": lambda m, t: [
        "evaluate",
        str(m["clf"]),
        str(make_export(t / "export", (("train", 8, 0), ("validation", 8, 1), ("test", 0, 2)))),
    ],
    "evaluate, missing encoder/model.safetensors": lambda m, t: [
        "evaluate",
        str(_damaged_model(m, t, "clf", "encoder/model.safetensors", Path.unlink)),
        str(m["export"]),
    ],
    "evaluate, truncated heads.safetensors": lambda m, t: [
        "evaluate",
        str(_damaged_model(m, t, "clf", "heads.safetensors", _truncate)),
        str(m["export"]),
    ],
    "predict, missing heads.safetensors": lambda m, t: [
        "predict",
        str(_damaged_model(m, t, "clf", "heads.safetensors", Path.unlink)),
        str(_items(t)),
        "-o",
        str(t / "p.parquet"),
    ],
    "predict, truncated encoder/model.safetensors": lambda m, t: [
        "predict",
        str(_damaged_model(m, t, "clf", "encoder/model.safetensors", _truncate)),
        str(_items(t)),
        "-o",
        str(t / "p.parquet"),
    ],
    "predict, binary items": lambda m, t: [
        "predict",
        str(m["clf"]),
        str(_write(t / "items.csv", BINARY)),
        "-o",
        str(t / "p.parquet"),
    ],
    "retrieve, latin-1 corpus": lambda m, t: [
        "retrieve",
        str(m["sim"]),
        "--corpus",
        str(_write(t / "stories.csv", LATIN1)),
        "--query",
        "sad",
    ],
    "retrieve, binary corpus": lambda m, t: [
        "retrieve",
        str(m["sim"]),
        "--corpus",
        str(_write(t / "stories.txt", BINARY)),
        "--query",
        "sad",
    ],
    "retrieve, PNG corpus": lambda m, t: [
        "retrieve",
        str(m["sim"]),
        "--corpus",
        str(_write(t / "stories.jsonl", PNG)),
        "--query",
        "sad",
    ],
    "retrieve, latin-1 queries": lambda m, t: [
        "retrieve",
        str(m["sim"]),
        "--corpus",
        str(_write(t / "stories.csv", STORIES.encode())),
        "--queries",
        str(_write(t / "queries.txt", "café triste\n".encode("latin-1"))),
    ],
    "retrieve, binary queries": lambda m, t: [
        "retrieve",
        str(m["sim"]),
        "--corpus",
        str(_write(t / "stories.csv", STORIES.encode())),
        "--queries",
        str(_write(t / "queries.txt", BINARY)),
    ],
    "retrieve, missing encoder weights": lambda m, t: [
        "retrieve",
        str(_damaged_model(m, t, "sim", "encoder/model.safetensors", Path.unlink)),
        "--corpus",
        str(_write(t / "stories.csv", STORIES.encode())),
        "--query",
        "sad",
    ],
    "export, truncated annotations Parquet": lambda m, t: [
        "export",
        str(_truncated_copy(m, t, "ann.parquet")),
        "-o",
        str(t / "out"),
    ],
    "export, zero-byte annotations Parquet": lambda m, t: [
        "export",
        str(_write(t / "ann.parquet", b"")),
        "-o",
        str(t / "out"),
    ],
    "export, latin-1 DATASET:PATH": lambda m, t: [
        "export",
        f"newsemp:{_write(t / 'messages.csv', LATIN1)}",
        "-o",
        str(t / "out"),
    ],
    "agreement, truncated annotations Parquet": lambda m, t: [
        "agreement",
        "compute",
        str(_truncated_copy(m, t, "ann.parquet")),
        "-s",
        "seek-provide",
    ],
    "agreement, zero-byte annotations Parquet": lambda m, t: [
        "agreement",
        "compute",
        str(_write(t / "ann.parquet", b"")),
        "-s",
        "seek-provide",
    ],
}


def _truncated_copy(made, tmp: Path, name: str) -> Path:
    """A real Parquet file (a split of the export) cut in half."""
    path = _copy(made["export"] / "empathy" / "train.parquet", tmp / name)
    _truncate(path)
    return path


def _state(root: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if not p.is_dir() or not any(p.iterdir())
    }


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_is_one_line(made, tmp_path, monkeypatch, case):
    monkeypatch.setenv("EMPATHYKIT_CACHE", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    args = CASES[case](made, tmp_path)
    before = _state(tmp_path)
    result = runner.invoke(app, args)
    output = result.output
    assert result.exit_code == 1, output
    assert "Traceback" not in output and isinstance(result.exception, SystemExit), output  # the CLI's error boundary
    assert output.count("error:") == 1 and output.count("hint:") == 1, output
    assert _state(tmp_path) == before, case  # nothing written, nothing left behind


def test_utf16_corpus_and_queries_are_read(made, tmp_path):
    """UTF-16 with a byte-order mark is text: retrieve reads it as predict does."""
    corpus = _write(tmp_path / "stories.csv", codecs.BOM_UTF16_LE + STORIES.encode("utf-16-le"))
    queries = _write(tmp_path / "queries.txt", codecs.BOM_UTF16_LE + "sad hurt\n".encode("utf-16-le"))
    result = runner.invoke(
        app,
        [
            "retrieve",
            str(made["sim"]),
            "--corpus",
            str(corpus),
            "--queries",
            str(queries),
            "-k",
            "2",
            "-o",
            str(tmp_path / "hits.jsonl"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "hits.jsonl").read_text(encoding="utf-8").splitlines()) == 2
