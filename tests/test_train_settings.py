"""Settings own their sources: defaults < --config < --set < explicit options, built in one place
(``train.settings.resolve_settings``); one KEY=VALUE parser; closed sets as choices."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from empathykit.errors import InputError, TrainError
from tests.train_fixtures import make_export, tiny_model

FAST = ["--set", "epochs=1", "--set", "save_steps=1000", "--set", "logging_steps=50", "--set", "max_length=16"]


def _train(*args: str):
    from empathykit.cli.main import app

    return CliRunner().invoke(app, ["train", *args])


def test_the_model_of_a_config_file_is_used(tiny_model, tmp_path):
    export = make_export(tmp_path / "export")
    config = tmp_path / "run.yaml"
    config.write_text(f"model: {tiny_model}\nepochs: 1\nbatch_size: 8\n")
    result = _train(str(export), "--config", str(config), "-o", str(tmp_path / "m"), "--set", "save_steps=1000")
    assert result.exit_code == 0, result.output
    import yaml

    settings = yaml.safe_load((tmp_path / "m" / "config.yaml").read_text())["settings"]
    assert settings["model"] == str(tiny_model) and settings["batch_size"] == 8


def test_explicit_model_beats_set_beats_config_beats_defaults(tiny_model, tmp_path):
    from empathykit.train.classifier import ClassifierSettings
    from empathykit.train.settings import resolve_settings

    config = tmp_path / "run.yaml"
    config.write_text("model: from-file\nepochs: 2\nbatch_size: 4\nseed: 7\n")
    settings = resolve_settings(
        ClassifierSettings,
        config_file=config,
        overrides=["epochs=5", "batch_size=6"],
        options={"model": "explicit", "batch_size": None},
    )
    assert (settings.model, settings.epochs, settings.batch_size, settings.seed) == ("explicit", 5.0, 6, 7)
    assert settings.learning_rate == ClassifierSettings().learning_rate
    assert resolve_settings(ClassifierSettings, config_file=config).model == "from-file"


def test_aux_and_teacher_are_typed_settings_of_kd(tmp_path):
    from empathykit.train.kd import KDSettings
    from empathykit.train.settings import resolve_settings

    config = tmp_path / "run.yaml"
    config.write_text("aux: {sst: sst2:a}\nteachers: {main: t0}\n")
    settings = resolve_settings(
        KDSettings, config_file=config, overrides=["model=m"], options={"aux": {"emo": "goemotions:b"}, "teachers": {}}
    )
    assert settings.aux == {"sst": "sst2:a", "emo": "goemotions:b"} and settings.teachers == {"main": "t0"}


def test_aux_given_to_another_family_is_one_line(tiny_model, tmp_path):
    export = make_export(tmp_path / "export")
    result = _train(str(export), "-m", str(tiny_model), "-o", str(tmp_path / "m"), "--aux", "sst=sst2:x")
    assert result.exit_code == 1 and "--aux" in result.output and "kd" in result.output
    assert not (tmp_path / "m").exists()


def test_resume_without_model_continues_with_the_run_settings(tiny_model, tmp_path):
    from empathykit.train.folder import run_dir

    export = make_export(tmp_path / "export")
    out = tmp_path / "m"
    work = run_dir(out)
    work.mkdir()
    # an interrupted run: its record says which settings it ran with (no checkpoint yet, so it starts over)
    (work / "run.json").write_text(
        json.dumps(
            {
                "family": "classifier",
                "settings": {
                    "model": str(tiny_model),
                    "epochs": 1,
                    "save_steps": 1000,
                    "max_length": 16,
                    "batch_size": 8,
                },
            }
        )
    )
    result = _train(str(export), "-o", str(out), "--resume")
    assert result.exit_code == 0, result.output
    import yaml

    settings = yaml.safe_load((out / "config.yaml").read_text())["settings"]
    assert settings["model"] == str(tiny_model) and settings["batch_size"] == 8


def test_no_model_anywhere_is_one_line(tmp_path):
    export = make_export(tmp_path / "export")
    result = _train(str(export), "-o", str(tmp_path / "m"))
    assert result.exit_code == 1 and "no model to fine-tune" in result.output and "--model" in result.output


@pytest.mark.parametrize("text, option", [("epochs", "--set"), ("=3", "--set")])
def test_one_key_value_parser(text, option):
    from empathykit.keyvalue import parse_pairs
    from empathykit.train.classifier import ClassifierSettings
    from empathykit.train.settings import load_settings

    with pytest.raises(InputError, match="expected KEY=VALUE"):
        parse_pairs([text], option, "epochs=2")
    with pytest.raises(TrainError, match=f"{option} '{text}': expected KEY=VALUE"):
        load_settings(ClassifierSettings, overrides=[text])


@pytest.mark.parametrize(
    "command",
    [
        ["train", "x", "-o", "y", "--family", "nosuch"],
        ["annotate", "next-round", "-p", "1", "-i", "x", "--model", "y", "-n", "2", "-o", "z", "--strategy", "nosuch"],
        ["loop", "-p", "1", "-i", "x", "-m", "y", "-n", "2", "-o", "z", "--strategy", "nosuch"],
        ["evaluate", "m", "d", "--split", "nosuch"],
        ["lexicon", "induce", "x.csv", "-o", "y.csv", "--method", "nosuch"],
    ],
)
def test_closed_sets_are_choices_declared_once(command):
    from empathykit.active.choices import STRATEGIES
    from empathykit.cli.main import app
    from empathykit.lexicons.choices import METHODS
    from empathykit.train.choices import FAMILIES, SPLITS

    result = CliRunner().invoke(app, command)
    allowed = {"--family": FAMILIES, "--strategy": STRATEGIES, "--split": SPLITS, "--method": METHODS}[command[-2]]
    assert result.exit_code == 2 and all(f"'{name}'" in result.output for name in allowed), result.output
