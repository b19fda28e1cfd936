"""Pre-annotations from a tiny local model and from lexicon rules, pushed into a real Label Studio."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch  # installed explicitly before the toolkit (scripts/test.sh)
from typer.testing import CliRunner

from empathykit.cli.main import app
from empathykit.errors import EmpathykitError, InputError, SchemaError
from empathykit.lexicons import bundled_lexicon
from empathykit.predict.predictions import predict, predict_lexicon
from empathykit.schemas import get_schema
from tests.train_fixtures import make_data, tiny_model

WORDS = "i feel so alone today sending you love and hugs the news is out grief heal my heart".split()
TEXTS = [
    "i feel so alone today",
    "sending you love and hugs",
    "the news is out",
    "my heart",
    "grief heal",
    "i feel out of words today",
]  # the last has unknown words


def make_model(folder: Path, id2label: dict[int, str], *, multi_label: bool = False, seed: int = 0) -> Path:
    """A 1-layer BERT with a word-level tokenizer, built from configs (no downloads)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *WORDS])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]"
    )
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
        problem_type="multi_label_classification" if multi_label else None,
    )
    model = BertForSequenceClassification(config)
    with torch.no_grad():  # spread the logits so that texts get different labels
        model.classifier.weight.normal_(0, 3.0)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def direct_probabilities(folder: Path, texts: list[str], *, multi_label: bool) -> list[list[float]]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(folder, local_files_only=True).eval()
    rows = []
    with torch.no_grad():
        for text in texts:  # one at a time: no padding involved
            logits = model(**tokenizer(text, return_tensors="pt")).logits[0]
            rows.append((torch.sigmoid(logits) if multi_label else torch.softmax(logits, dim=0)).tolist())
    return rows


@pytest.fixture(scope="module")
def seek_model(tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp("seek") / "tiny-seek", {0: "seeking", 1: "providing", 2: "none"})


@pytest.fixture
def items(tmp_path) -> Path:
    path = tmp_path / "items.jsonl"
    rows = [{"id": f"t{i}", "text": text} for i, text in enumerate(TEXTS)] + [{"id": "empty", "text": ""}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_single_label_predictions_equal_an_independent_argmax(seek_model, items, tmp_path):
    seen = []
    report = predict(
        items,
        tmp_path / "out.parquet",
        schema="seek-provide",
        model=seek_model,
        batch_size=4,
        on_progress=lambda stage, done=None, total=None: seen.append((done, total)),
    )
    frame = pd.read_parquet(report.out)
    assert list(frame["id"]) == [f"t{i}" for i in range(len(TEXTS))] + ["empty"]
    labels = ("seeking", "providing", "none")
    expected = [
        (labels[max(range(3), key=p.__getitem__)], max(p))
        for p in direct_probabilities(seek_model, TEXTS, multi_label=False)
    ]
    got = list(zip(frame["prediction"][:-1], frame["prediction_score"][:-1], strict=True))
    assert [g[0] for g in got] == [e[0] for e in expected]
    assert [g[1] for g in got] == pytest.approx([e[1] for e in expected], abs=1e-5)
    assert all(0.0 <= s <= 1.0 for s in frame["prediction_score"][:-1])
    assert len({g[0] for g in got}) > 1  # the tiny model does not say one thing for everything
    assert pd.isna(frame["prediction"].iloc[-1]) and pd.isna(frame["prediction_score"].iloc[-1])
    assert (report.items, report.predicted, report.score_column) == (7, 6, "prediction_score")
    assert re.fullmatch(r"tiny-seek-[0-9a-f]{8}", report.model_version)
    assert seen[-1] == (7, 7) and {total for _, total in seen} == {7}  # the running count of the 7 items


def test_multi_label_model_thresholds_sigmoid_probabilities(tmp_path, items):
    folder = make_model(tmp_path / "tiny-emotions", {0: "JOY", 1: "Fear", 2: "anger"}, multi_label=True, seed=1)
    schema = get_schema("emotion", labels="joy,fear,anger")
    report = predict(items, tmp_path / "out.parquet", schema=schema, model=folder, threshold=0.5)
    frame = pd.read_parquet(report.out)
    for got, score, probs in zip(
        frame["prediction"][:-1],
        frame["prediction_score"][:-1],
        direct_probabilities(folder, TEXTS, multi_label=True),
        strict=True,
    ):
        want = [label for label, p in zip(("joy", "fear", "anger"), probs, strict=True) if p >= 0.5]
        assert (list(got) if got is not None else []) == want
        assert score == pytest.approx(sum(max(p, 1 - p) for p in probs) / 3, abs=1e-5)
    predicted = [None if got is None else tuple(got) for got in frame["prediction"][:-1]]
    assert None in predicted and any(p and len(p) > 1 for p in predicted)  # no label, several labels
    single = make_model(tmp_path / "single", {0: "joy", 1: "fear", 2: "anger"})
    with pytest.raises(SchemaError, match="single-label.*multichoice"):
        predict(items, tmp_path / "x.parquet", schema=schema, model=single)


def test_model_labels_must_map_onto_the_schema(tmp_path, items):
    folder = make_model(tmp_path / "generic", {0: "LABEL_0", 1: "LABEL_1", 2: "None"})
    out = tmp_path / "out.parquet"
    with pytest.raises(InputError, match=r"\['LABEL_0', 'LABEL_1'\].*\['seeking', 'providing', 'none'\]"):
        predict(items, out, schema="seek-provide", model=folder)
    with pytest.raises(InputError, match=r"'LABEL_9'.*does not have"):
        predict(items, out, schema="seek-provide", model=folder, label_map="LABEL_9=none")
    with pytest.raises(InputError, match=r"'sympathy'.*not labels"):
        predict(items, out, schema="seek-provide", model=folder, label_map="LABEL_0=sympathy,LABEL_1=none")
    with pytest.raises(InputError, match="--label-map .LABEL_0.: expected MODEL_CLASS=DATA_CLASS"):
        predict(items, out, schema="seek-provide", model=folder, label_map="LABEL_0")
    assert not out.exists()
    report = predict(items, out, schema="seek-provide", model=folder, label_map="LABEL_0=seeking,1=providing")
    assert set(pd.read_parquet(out)["prediction"].dropna()) <= {"seeking", "providing", "none"}
    assert report.predicted == len(TEXTS)


def test_unsupported_targets_and_inputs(seek_model, items, tmp_path):
    with pytest.raises(SchemaError, match="rating field; predictions support choice and multichoice"):
        predict(items, tmp_path / "o.parquet", schema="story-features", model=seek_model)
    with pytest.raises(InputError, match="not a Hugging Face model folder"):
        predict(items, tmp_path / "o.parquet", schema="seek-provide", model=tmp_path)
    with pytest.raises(InputError, match=r"expected a \.parquet"):
        predict(items, tmp_path / "o.csv", schema="seek-provide", model=seek_model)
    with pytest.raises(InputError, match="no column 'body'"):
        predict(items, tmp_path / "o.parquet", schema="seek-provide", model=seek_model, text_field="body")
    with pytest.raises(InputError, match="--text-field"):
        predict(items, tmp_path / "o.parquet", schema="epitome", model=seek_model)


def test_missing_torch_says_how_to_install_it(seek_model, items, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(EmpathykitError) as caught:
        predict(items, tmp_path / "o.parquet", schema="seek-provide", model=seek_model)
    assert "torch" in str(caught.value) and "torch==2.13.0 (CPU)" in caught.value.hint


def test_lexicon_rules_follow_the_mean_empathy_rating(items, tmp_path):
    lexicon = bundled_lexicon()
    texts = ["grieving and heartbroken about cancer", "the news is out", "healing", "sorrow but lunch"]
    path = tmp_path / "lex.csv"
    pd.DataFrame({"id": [f"x{i}" for i in range(len(texts))], "text": texts}).to_csv(path, index=False)
    rules = ["empathy_score>=6.3:seeking", "empathy_score<6.3:providing", "lexicon_matches<1:none"]
    report = predict_lexicon(path, tmp_path / "out.parquet", schema="seek-provide", rules=rules)
    frame = pd.read_parquet(report.out)
    for text, got in zip(texts, frame["prediction"], strict=True):
        ratings = [lexicon.rating(w) for w in re.findall(r"\w+", text.lower()) if w in lexicon]
        mean = sum(ratings) / len(ratings) if ratings else None
        want = "none" if mean is None else ("seeking" if mean >= 6.3 else "providing")
        assert got == want, (text, mean)
    assert "prediction_score" not in frame.columns and report.score_column is None
    assert re.fullmatch(r"lexicon:health-empathy-200:[0-9a-f]{8}", report.model_version)
    again = predict_lexicon(path, tmp_path / "out.parquet", schema="seek-provide", rules=rules)
    assert again.model_version == report.model_version
    with pytest.raises(InputError, match="expected COLUMN<OP>NUMBER:LABEL"):
        predict_lexicon(path, tmp_path / "o.parquet", schema="seek-provide", rules=["empathy_score:none"])
    with pytest.raises(InputError, match="'sympathy' is not a label"):
        predict_lexicon(path, tmp_path / "o.parquet", schema="seek-provide", rules=["empathy_score<4:sympathy"])
    with pytest.raises(InputError, match="unknown score column 'warmth'"):
        predict_lexicon(path, tmp_path / "o.parquet", schema="seek-provide", rules=["warmth<4:none"])


@pytest.mark.studio
def test_cli_predict_then_push_carries_model_version(studio_env, seek_model, items, tmp_path):
    runner = CliRunner()
    out = tmp_path / "pre.parquet"
    result = runner.invoke(
        app,
        [
            "annotate",
            "predict",
            "--input",
            str(items),
            "--out",
            str(out),
            "--schema",
            "seek-provide",
            "--model",
            str(seek_model),
            "--batch-size",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "--predictions-column prediction --prediction-score-column prediction_score" in result.output
    frame = pd.read_parquet(out).iloc[:-1]  # the empty text cannot be pushed
    frame.to_parquet(tmp_path / "push.parquet")
    title = studio_env.project_title("predict")
    result = runner.invoke(
        app,
        [
            "annotate",
            "push",
            "--input",
            str(tmp_path / "push.parquet"),
            "--project",
            title,
            "--schema",
            "seek-provide",
            "--predictions-column",
            "prediction",
            "--prediction-score-column",
            "prediction_score",
            "--model-version",
            "tiny-v1",
        ],
    )
    assert result.exit_code == 0, result.output
    client = studio_env.client()
    project = next(p for p in client.projects.list() if p.title == title)
    schema = get_schema("seek-provide")
    found = {}
    for task in studio_env.tasks(project.id):
        for prediction in client.predictions.list(task=task["id"]):
            found[task["data"]["item_id"]] = (
                prediction.model_version,
                schema.parse_results(prediction.result)[0],
                prediction.score,
            )
    expected = {
        row.id: ("tiny-v1", {"empathy": row.prediction}, pytest.approx(row.prediction_score, abs=1e-6))
        for row in frame.itertuples()
    }
    assert found == expected


def test_cli_needs_a_model_or_rules(tmp_path, items):
    result = CliRunner().invoke(
        app,
        [
            "annotate",
            "predict",
            "--input",
            str(items),
            "--out",
            str(tmp_path / "o.parquet"),
            "--schema",
            "seek-provide",
        ],
    )
    assert result.exit_code == 1 and "--model PATH or one or more --lexicon-rule" in result.output


def test_cli_lexicon_rules(tmp_path, items):
    out = tmp_path / "lex.parquet"
    result = CliRunner().invoke(
        app,
        [
            "annotate",
            "predict",
            "-i",
            str(items),
            "-o",
            str(out),
            "-s",
            "seek-provide",
            "--lexicon-rule",
            "lexicon_matches>=1:seeking",
            "--lexicon-rule",
            "lexicon_matches<1:none",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "--model-version 'lexicon:health-empathy-200:" in result.output
    assert "prediction-score-column" not in result.output
    lexicon = bundled_lexicon()
    want = ["seeking" if any(w in lexicon for w in text.split()) else "none" for text in [*TEXTS, ""]]
    assert list(pd.read_parquet(out)["prediction"]) == want and set(want) == {"seeking", "none"}


def test_a_trainer_model_folder_predicts_as_empathykit_predict(tiny_model, tmp_path, items):
    """`annotate predict --model` loads trainer folders through the trainer's one loader."""
    from empathykit.train.families import get_family
    from empathykit.train.settings import load_settings

    family = get_family("classifier")
    settings = load_settings(
        family.settings_class,
        None,
        ["epochs=8", "learning_rate=3e-3", "warmup_ratio=0", "eval_each_epoch=false"],
        model=str(tiny_model),
    )
    family.train(make_data(names=("none", "seeking")), settings, tmp_path / "m")
    texts = ["sad hurt my day", "happy party fun", "the friend was so sorry", "win a sunny day", ""]
    path = tmp_path / "toy.jsonl"
    path.write_text("".join(json.dumps({"id": f"t{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "annotate",
            "predict",
            "--input",
            str(path),
            "--out",
            str(tmp_path / "a.parquet"),
            "--schema",
            "seek-provide",
            "--model",
            str(tmp_path / "m"),
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["predict", str(tmp_path / "m"), str(path), "-o", str(tmp_path / "p.parquet")])
    assert result.exit_code == 0, result.output
    ours, theirs = pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "p.parquet")
    assert list(ours["prediction"][:4]) == list(theirs["prediction"][:4]) == ["seeking", "none", "seeking", "none"]
    assert list(ours["prediction_score"][:4]) == pytest.approx(list(theirs["prediction_score"][:4]), abs=1e-6)
    assert pd.isna(ours["prediction"].iloc[-1])
    with pytest.raises(SchemaError, match="choice labels but target 'emotions' is multichoice"):
        predict(path, tmp_path / "e.parquet", schema=get_schema("emotion", labels="none,seeking"), model=tmp_path / "m")
