"""One loaded model (empathykit/predict/models.py): opened once from a folder, a loop folder or EPITOME
folders; rows, probabilities and embeddings of one pass agree with each other and with an
independent forward pass of the same weights."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from empathykit.errors import InputError
from empathykit.predict.models import CURRENT_MODEL, open_model, resolve_dirs
from empathykit.train.folder import model_version
from tests.loop_fixtures import seek_classifier

TEXTS = ["so sad and hurt today", "great sunny party", "", "my friend is lost and sorry", "win", "the day was fun"]


def independent_probabilities(folder, texts):
    """Softmax of the saved head over the first-token state, one text at a time (no padding, no sorting)."""
    from safetensors.torch import load_file
    from transformers import AutoModel, AutoTokenizer

    encoder = AutoModel.from_pretrained(str(folder / "encoder"), local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    heads = load_file(str(folder / "heads.safetensors"))
    out = []
    with torch.no_grad():
        for text in texts:
            state = encoder(**tokenizer(text, return_tensors="pt")).last_hidden_state[:, 0]
            logits = state @ heads["main.weight"].T + heads["main.bias"]
            out.append(torch.softmax(logits, dim=1)[0].tolist())
    return np.array(out)


def test_one_pass_gives_rows_probabilities_and_embeddings(seek_classifier):
    model = open_model(seek_classifier)
    assert (model.family, model.kind, model.label_names) == ("classifier", "choice", ["none", "seeking"])
    assert model.version == model_version(seek_classifier) and model.inputs == ["text"]
    out = model.run([{"text": t} for t in TEXTS], embeddings=True)
    expected = independent_probabilities(seek_classifier, [t for t in TEXTS if t])
    probs = np.delete(out.probabilities, 2, axis=0)
    assert probs == pytest.approx(expected, abs=1e-5)
    assert out.embeddings.shape == (len(TEXTS), 32)
    assert out.rows[2] == {"prediction": None, "prediction_score": None}  # no text: no prediction
    for row, p in zip(np.delete(np.array(out.rows, dtype=object), 2), probs):
        assert row["prediction"] == model.label_names[int(p.argmax())] and row["prediction_score"] == pytest.approx(
            p.max()
        )
    # sorted-by-length batches of two answer what one unsorted batch answers, in input order
    small = model.run([{"text": t} for t in TEXTS], batch_size=2, sort=True)
    assert small.labels == out.labels
    assert small.probabilities == pytest.approx(out.probabilities, abs=1e-5)


def test_a_loop_folder_opens_its_newest_model_and_several_folders_are_epitome_only(seek_classifier, tmp_path):
    (tmp_path / CURRENT_MODEL).write_text(f"{seek_classifier}\n")
    assert resolve_dirs(tmp_path) == [seek_classifier]
    assert open_model(tmp_path).version == model_version(seek_classifier)
    other = tmp_path / "copy"
    shutil.copytree(seek_classifier, other)
    with pytest.raises(InputError, match="several model folders go together only for EPITOME"):
        open_model([seek_classifier, other])
    with pytest.raises(InputError, match="several model folders go together only for EPITOME"):
        open_model(f"{seek_classifier},{other}")
    with pytest.raises(InputError, match="no such (model )?folder|not a model folder"):
        open_model(tmp_path / "missing")


def test_bad_settings_and_inputs_are_one_line(seek_classifier):
    model = open_model(seek_classifier)
    with pytest.raises(InputError, match="batch size must be at least 1"):
        model.run([{"text": "x"}], batch_size=0)
    with pytest.raises(InputError, match=r"no column\(s\) \['text'\]"):
        model.predict([{"body": "x"}])
