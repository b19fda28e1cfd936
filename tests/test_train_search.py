"""Settings search (optuna grid over any setting, the best on validation kept), class weights in the
classifier and EPITOME losses, per-class metrics, and scoring on another data set's labels (--label-map)."""

from __future__ import annotations

import json
import math

import pytest

pytest.importorskip("torch")

from empathykit.errors import InputError, TrainError
from empathykit.train.class_weights import check_setting, class_weights
from empathykit.train.metrics import classification_metrics
from tests.train_fixtures import make_data, make_rows, tiny_model

FAST = ["batch_size=16", "save_steps=1000", "logging_steps=2", "warmup_ratio=0", "epochs=6"]


def _export(folder, names, positive):
    """An export of the toy rows whose positive rows carry the label ``positive`` (names in ``names`` order)."""
    from datasets import ClassLabel, Dataset

    from empathykit.exports.writer import ExportConfig, write_export

    def rows(n, seed):
        out = []
        for r in make_rows(n, seed):
            label = names.index(positive) if r["label"] else names.index(next(x for x in names if x != positive))
            out.append({"item_id": r["item_id"], "text": r["text"], "label": label})
        return Dataset.from_list(out).cast_column("label", ClassLabel(names=list(names)))

    splits = {"train": rows(64, 0), "validation": rows(16, 1), "test": rows(32, 2)}
    write_export(folder, [ExportConfig("target", "choice", ["text"], splits, list(names))], card={"source": "toy"})
    return folder


def test_search_keeps_the_setting_that_learns(tiny_model, tmp_path):
    from empathykit.train.run import train_model

    export = _export(tmp_path / "export", ["low", "high"], "high")
    out = tmp_path / "m"
    metrics = train_model(
        str(export),
        family="classifier",
        model=str(tiny_model),
        out_dir=out,
        overrides=FAST,
        search=["learning_rate=1e-7,3e-3"],
    )
    search = metrics["search"]
    assert search["best"] == {"learning_rate": "3e-3"}
    scores = {t["params"]["learning_rate"]: t["score"] for t in search["trials"]}
    assert scores["3e-3"] >= 0.85 and scores["1e-7"] < 0.7  # the tiny model does not learn at 1e-7
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["search"]["best"] == {"learning_rate": "3e-3"} and len(saved["search"]["trials"]) == 2
    assert saved["validation"]["macro_f1"] == pytest.approx(scores["3e-3"])
    card = (out / "README.md").read_text()
    assert "## Settings search" in card and "| 1e-07 |" not in card and "| 1e-7 | macro_f1 |" in card
    import yaml

    assert yaml.safe_load((out / "config.yaml").read_text())["settings"]["learning_rate"] == 0.003
    assert not (tmp_path / ".m.train-run").exists()
    with pytest.raises(TrainError, match="unknown setting"):
        train_model(
            str(export),
            family="classifier",
            model=str(tiny_model),
            out_dir=tmp_path / "x",
            search=["learnig_rate=1e-3,1e-4"],
        )
    with pytest.raises(TrainError, match="expected SETTING=V1,V2"):
        train_model(
            str(export), family="classifier", model=str(tiny_model), out_dir=tmp_path / "x", search=["learning_rate"]
        )


def test_balanced_and_listed_class_weights():
    assert class_weights("none", [0, 1], ["a", "b"]) is None
    assert class_weights("balanced", [0, 0, 0, 1, None], ["a", "b"]) == pytest.approx([4 / 6, 4 / 2])
    assert class_weights("1,3.5", [0], ["a", "b"]) == [1.0, 3.5]
    with pytest.raises(InputError, match="gives 3 weight"):
        class_weights("1,2,3", [0], ["a", "b"])
    for bad in ("heavy", "1,-2", ""):
        with pytest.raises(TrainError, match="class_weights"):
            check_setting(bad)


def test_class_weights_change_the_classifier_loss_as_by_hand(tiny_model, tmp_path):
    import torch
    from transformers import AutoTokenizer, TrainingArguments

    from empathykit.train import labels
    from empathykit.train.classifier import MAIN, heads_trainer_class
    from empathykit.train.modeling import build_model

    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    gold = torch.tensor([0, 1, 1])
    nll = [math.log(1 + math.exp(-2)), math.log(1 + math.exp(-1)), math.log(2)]
    assert float(labels.loss("choice", logits, gold)) == pytest.approx(sum(nll) / 3)
    by_hand = (1 * nll[0] + 3 * nll[1] + 3 * nll[2]) / (1 + 3 + 3)
    assert float(labels.loss("choice", logits, gold, weight=[1.0, 3.0])) == pytest.approx(by_hand)
    # the trainer's loss is the weighted one once the family sets the weights
    model = build_model(tiny_model, {MAIN: 2}, "first", 0.0).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model))
    batch = dict(tokenizer(["sad day", "happy party fun"], padding=True, return_tensors="pt"))
    trainer = heads_trainer_class()(
        model=model, args=TrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to=[])
    )
    with torch.no_grad():
        out = model(**batch, task=MAIN)
        trainer.class_weight = [1.0, 3.0]
        weighted = trainer.compute_loss(model, {**batch, "labels": torch.tensor([0, 1])})
    per_row = torch.nn.functional.cross_entropy(out, torch.tensor([0, 1]), reduction="none")
    assert float(weighted) == pytest.approx(float((per_row[0] + 3 * per_row[1]) / 4), rel=1e-5)


def test_class_and_rationale_weights_in_the_epitome_loss_by_hand(tiny_model):
    import torch

    from empathykit.train.epitome_model import build_model

    model = build_model(tiny_model, dropout=0.0, lambda_EI=1.0, lambda_RE=0.5, train_seeker=False)
    level_logits = torch.tensor([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    levels = torch.tensor([0, 2])
    tags_logits = torch.tensor([[[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]]] * 2)
    tags = torch.tensor([[1, 0, -100], [0, 1, -100]])
    ce = lambda a, b: -math.log(math.exp(a) / (math.exp(a) + math.exp(b)))
    level_nll = [-math.log(math.e / (math.e + 2)), -math.log(1 / (math.exp(2) + 2))]
    model.level_weight, model.rationale_weight = [1.0, 1.0, 4.0], 2.0
    level = (1 * level_nll[0] + 4 * level_nll[1]) / 5
    # tags: row 0 = [rationale (logit 1 for it), other (logit 1 for other)], row 1 = [other (wrong), rationale (wrong)]
    tag_terms = [(2.0, ce(1, 0)), (1.0, ce(1, 0)), (1.0, ce(0, 1)), (2.0, ce(0, 1))]
    tag = sum(w * t for w, t in tag_terms) / sum(w for w, _ in tag_terms)
    value = model.loss(level_logits, tags_logits, levels, tags)
    assert float(value) == pytest.approx(level + 0.5 * tag, rel=1e-6)


def test_per_class_metrics_by_hand():
    result = classification_metrics([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], ["no", "weak", "strong"])
    per = result["per_class"]
    assert per["no"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    assert per["weak"] == pytest.approx({"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2})
    assert per["strong"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert result["macro_f1"] == pytest.approx((0.5 + 0.8 + 0) / 3)


@pytest.fixture(scope="module")
def low_high_model(tiny_model, tmp_path_factory):
    from empathykit.train.run import train_model

    folder = tmp_path_factory.mktemp("label-map")
    export = _export(folder / "source", ["low", "high"], "high")
    metrics = train_model(
        str(export),
        family="classifier",
        model=str(tiny_model),
        out_dir=folder / "m",
        overrides=FAST + ["learning_rate=3e-3"],
    )
    assert metrics["test"]["accuracy"] >= 0.85
    return folder / "m", metrics


def test_label_map_scores_on_another_data_sets_labels(low_high_model, tmp_path):
    from empathykit.train.run import evaluate_model

    model, metrics = low_high_model
    # the target data names its classes otherwise, in the other order
    target = _export(tmp_path / "target", ["empathy", "none"], "empathy")
    result = evaluate_model(model, str(target), label_map="high=empathy,low=none")
    assert result["accuracy"] == pytest.approx(metrics["test"]["accuracy"])
    assert result["positive_class"] == "high" and set(result["per_class"]) == {"low", "high"}
    assert result["per_class"]["high"]["support"] == sum(r["label"] for r in make_rows(32, 2))
    swapped = evaluate_model(model, str(target), label_map="high=none,low=empathy")
    assert swapped["accuracy"] == pytest.approx(1 - metrics["test"]["accuracy"])
    with pytest.raises(InputError, match=r"task 'target' has choice labels \['empathy', 'none'\]"):
        evaluate_model(model, str(target), task="target")


@pytest.mark.parametrize(
    "mapping, message",
    [
        ("high=empathy", r"no model class for data class\(es\) \['none'\]"),
        ("medium=none,high=empathy", r"names \['medium'\], not a class of the model"),
        ("high=joy,low=none", r"maps 'joy', not a class of the data"),
        ("high", "expected MODEL_CLASS=DATA_CLASS"),
    ],
)
def test_label_map_refuses_in_one_line_naming_both_label_sets(low_high_model, tmp_path, mapping, message):
    from empathykit.train.run import evaluate_model

    target = _export(tmp_path / "target", ["empathy", "none"], "empathy")
    with pytest.raises(InputError, match=message) as raised:
        evaluate_model(low_high_model[0], str(target), label_map=mapping)
    text = str(raised.value)
    assert "\n" not in text
    if "=" in mapping:
        assert "model labels ['low', 'high'], data labels ['empathy', 'none']" in text


def test_cli_evaluate_label_map(low_high_model, tmp_path):
    from typer.testing import CliRunner

    from empathykit.cli.main import app

    target = _export(tmp_path / "target", ["empathy", "none"], "empathy")
    runner = CliRunner()
    result = runner.invoke(
        app, ["evaluate", str(low_high_model[0]), str(target), "--label-map", "high=empathy,low=none"]
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["positive_class"] == "high"
    interval = shown["ci95"]
    assert (
        f"macro_f1 {shown['macro_f1']:.4f}, bootstrap 95 % interval {interval['low']:.4f} to "
        f"{interval['high']:.4f} over 32 items"
    ) in result.stderr
    result = runner.invoke(app, ["evaluate", str(low_high_model[0]), str(target), "--label-map", "high=empathy"])
    assert result.exit_code == 1
    assert "no model class for data class(es) ['none']" in " ".join(result.output.split())


def test_label_map_joins_model_classes_into_one_data_class(tiny_model, tmp_path):
    """seeking=empathy,providing=empathy,none=none: a three-class model scored on empathy-vs-none,
    its predictions mapped (checked against the model's own predictions mapped by hand)."""
    from datasets import ClassLabel, Dataset

    from empathykit.exports.writer import ExportConfig, write_export
    from empathykit.train.families import get_family
    from empathykit.train.run import evaluate_model, train_model

    names = ["seeking", "providing", "none"]
    splits = {
        split: Dataset.from_list(
            [
                {"item_id": r["item_id"], "text": r["text"], "label": (i % 2 if r["label"] else 2)}
                for i, r in enumerate(make_rows(n, seed))
            ]
        ).cast_column("label", ClassLabel(names=names))
        for split, n, seed in (("train", 48, 0), ("validation", 8, 1), ("test", 8, 2))
    }
    write_export(
        tmp_path / "source",
        [ExportConfig("empathy", "choice", ["text"], splits, names, schema="seek-provide")],
        card={"source": "toy"},
    )
    train_model(
        str(tmp_path / "source"),
        family="classifier",
        model=str(tiny_model),
        out_dir=tmp_path / "m",
        overrides=FAST + ["learning_rate=3e-3", "epochs=2"],
    )
    target = _export(tmp_path / "target", ["empathy", "none"], "empathy")
    result = evaluate_model(tmp_path / "m", str(target), label_map="seeking=empathy,providing=empathy,none=none")
    rows = make_rows(32, 2)
    predicted = get_family("classifier").predict(tmp_path / "m", rows)
    mapped = [0 if p["prediction"] in ("seeking", "providing") else 1 for p in predicted]
    gold = [0 if r["label"] else 1 for r in rows]
    assert result["examples"] == 32 and set(result["per_class"]) == {"empathy", "none"}
    assert result["accuracy"] == pytest.approx(sum(m == g for m, g in zip(mapped, gold)) / 32)
    assert result["confusion_matrix"][0][0] == sum(m == g == 0 for m, g in zip(mapped, gold))
    with pytest.raises(InputError, match=r"no data class for model class\(es\) \['none'\]"):
        evaluate_model(tmp_path / "m", str(target), label_map="seeking=empathy,providing=empathy")
    with pytest.raises(InputError, match="splits \\['none'\\] over several"):
        evaluate_model(tmp_path / "m", str(target), label_map="seeking=empathy,providing=empathy,none=none+empathy")


def test_an_interrupted_search_resumes_without_training_finished_trials_again(tiny_model, tmp_path):
    from empathykit.train import folder as mf
    from empathykit.train.run import train_model

    export = _export(tmp_path / "export", ["low", "high"], "high")
    out = tmp_path / "m"
    trials = mf.run_dir(out) / "trials"

    first_trial_calls = []

    def stop_in_the_second_trial(*_args, **_kwargs):
        if any((t / mf.MARKER).is_file() for t in trials.glob("trial-*")):
            raise KeyboardInterrupt  # as a Ctrl-C while the second combination trains
        first_trial_calls.append(1)

    search = ["learning_rate=1e-7,3e-3"]
    with pytest.raises(KeyboardInterrupt):
        train_model(
            str(export),
            family="classifier",
            model=str(tiny_model),
            out_dir=out,
            overrides=FAST,
            search=search,
            on_progress=stop_in_the_second_trial,
        )
    finished = [t for t in trials.glob("trial-*") if (t / mf.MARKER).is_file()]
    assert len(finished) == 1 and not out.exists()
    kept = {p: p.stat().st_mtime_ns for p in finished[0].rglob("*") if p.is_file()}
    with pytest.raises(TrainError, match="unfinished settings search left trials.*"):
        train_model(str(export), family="classifier", model=str(tiny_model), out_dir=out, overrides=FAST, search=search)
    assert finished[0].is_dir()  # refusing destroyed nothing
    seen = []  # while the resumed search trains, the finished trial's files stay as they were

    def watch(*_args, **_kwargs):
        seen.append({p: p.stat().st_mtime_ns for p in kept} == kept)

    metrics = train_model(
        str(export),
        family="classifier",
        model=str(tiny_model),
        out_dir=out,
        overrides=FAST,
        search=search,
        resume=True,
        on_progress=watch,
    )
    # one combination trained, not two (a trial makes as many progress calls as the first one did before
    # the interrupt, give or take the one that raised); the finished one was read back
    assert all(seen) and len(first_trial_calls) > 0 and len(seen) <= len(first_trial_calls) + 1
    finished_rate = finished[0].name.split("=", 1)[1]
    assert {t["params"]["learning_rate"] for t in metrics["search"]["trials"]} == {"1e-7", "3e-3"}
    assert finished_rate in {"1e-7", "3e-3"}
    assert metrics["search"]["best"] == {"learning_rate": "3e-3"} and len(metrics["search"]["trials"]) == 2
    assert (out / "metrics.json").is_file() and not mf.run_dir(out).exists()
