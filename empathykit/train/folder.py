"""The model folder every family writes, and where a run keeps its checkpoints.

    MODEL_DIR/
      config.yaml     the settings as run, plus ``family``, the data and the command
      labels.json     {"kind", "label_names", "scale", "inputs", "task"} from the export
      metrics.json    validation / test metrics of the run
      README.md       model card with the Hub's YAML (base model, dataset, metrics, command)
      tokenizer files, and the family's weights (e.g. encoder/ + heads.safetensors)

The folder is written whole (a temporary renamed into place), so a killed
run never leaves a half model. Its ``.empathykit-output.json`` (``"output":
"model"``) lists the files empathykit wrote: only a folder with that marker is
replaced by a retrain, and every other file in it (the user's notes, the
``figures/`` of ``evaluate``) is carried into the new folder. Checkpoints live
beside it in ``.MODEL_DIR.train-run/`` until the run finishes; ``--resume``
continues from the last one there (see :mod:`empathykit.train.skeleton`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any, Callable

from empathykit.errors import InputError, OutputError, TrainError, path_problem
from empathykit.io import FOLDER_MARKER, atomic_path, check_output, read_marker
from empathykit.textfiles import text_encoding
from empathykit.train.model_card import model_card

MARKER = "config.yaml"
#: what a model folder's FOLDER_MARKER says it is; nothing else is ever replaced by a retrain
OUTPUT_TAG = "model"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt")
BASE_WEIGHTS = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)


def run_dir(out_dir: str | Path) -> Path:
    out_dir = Path(out_dir)
    return out_dir.parent / f".{out_dir.name}.train-run"


def prepare_run(out_dir: str | Path, resume: bool) -> Path:
    """Check ``out_dir`` can take a model and return the checkpoint folder (created)."""
    out_dir = check_model_output(out_dir)
    work = run_dir(out_dir)
    checkpoints = sorted(work.glob("checkpoint-*")) if work.is_dir() else []
    if checkpoints and not resume:
        raise TrainError(
            f"an unfinished run left checkpoints in {work}",
            hint="add --resume to continue it, or remove that folder to start over",
        )
    work.mkdir(parents=True, exist_ok=True)
    return work


def finish_run(out_dir: str | Path) -> None:
    shutil.rmtree(run_dir(out_dir), ignore_errors=True)


def check_model_output(out_dir: str | Path) -> Path:
    """``out_dir`` may take a model: absent, empty, or an earlier model folder by its marker."""
    return check_output(out_dir, "dir", output=OUTPUT_TAG, label="model folder")


def is_model_folder(path: str | Path) -> bool:
    return (read_marker(path) or {}).get("output") == OUTPUT_TAG


def write_model_folder(
    out_dir: str | Path,
    save: Callable[[Path], None],
    *,
    family: str,
    settings: dict[str, Any],
    data: dict[str, Any],
    metrics: dict[str, Any],
    command: str | None = None,
    extra_config: dict[str, Any] | None = None,
) -> Path:
    """Write the folder atomically; ``save(tmp)`` writes weights and tokenizer into ``tmp``. Files the
    user added to an earlier model folder at ``out_dir`` are carried over."""
    import yaml

    config = {"family": family, **(extra_config or {}), "settings": settings, "data": data, "command": command}
    labels = {k: data.get(k) for k in ("task", "kind", "label_names", "scale", "inputs")}
    check_model_output(out_dir)
    with atomic_path(out_dir, output=OUTPUT_TAG, label="model folder") as tmp:
        tmp.mkdir()
        save(tmp)
        (tmp / "labels.json").write_text(json.dumps(labels, indent=2) + "\n", encoding="utf-8")
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2, default=float) + "\n", encoding="utf-8")
        (tmp / "README.md").write_text(model_card(Path(out_dir).name, config, metrics), encoding="utf-8")
        (tmp / MARKER).write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        files = _same_mode(tmp, (tmp / "labels.json").stat().st_mode & 0o777)
        (tmp / FOLDER_MARKER).write_text(
            json.dumps({"written_by": "empathykit", "output": OUTPUT_TAG, "family": family, "files": files}, indent=1)
            + "\n",
            encoding="utf-8",
        )
        _carry_user_files(Path(out_dir), tmp)
    return Path(out_dir)


def _same_mode(folder: Path, mode: int) -> dict[str, int]:
    """Give every file the mode of the folder's other files (safetensors writes weights 0600);
    ``{relative path: size}`` of the files."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            path.chmod(mode)
            if path.name != FOLDER_MARKER:  # a copied model's marker is rewritten after this
                files[path.relative_to(folder).as_posix()] = path.stat().st_size
    return files


def user_files(out_dir: Path) -> list[str]:
    """Files in the model folder ``out_dir`` that empathykit did not write there (relative paths)."""
    if not is_model_folder(out_dir):
        return []
    ours = set((read_marker(out_dir) or {}).get("files") or {}) | {FOLDER_MARKER}
    found = []
    for root, dirs, names in os.walk(out_dir):
        for name in names + [d for d in dirs if (Path(root) / d).is_symlink()]:
            relative = (Path(root) / name).relative_to(out_dir).as_posix()
            if relative not in ours:
                found.append(relative)
    return sorted(found)


def _carry_user_files(out_dir: Path, tmp: Path) -> None:
    """Hard-link the user's files of the earlier folder into the new one (the old folder keeps them
    until the swap, so a failure here loses nothing)."""
    mine = user_files(out_dir)
    clashes = [name for name in mine if (tmp / name).exists() or (tmp / name).is_symlink()]
    if clashes:
        raise OutputError(
            f"model folder {out_dir}: your file(s) {', '.join(clashes)} have the names of files the "
            "new model writes; nothing was replaced",
            hint=f"move them out of {out_dir}; then --resume writes the model without training again",
        )
    for name in mine:
        source, target = out_dir / name, tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
            continue
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)


def check_model_files(model_dir: str | Path) -> None:
    """Every file the model folder's marker lists is there, weights at their written size (one line
    naming the first that is not)."""
    folder = Path(model_dir)
    listed = (read_marker(folder) or {}).get("files") or {}
    for name, size in listed.items():
        path = folder / name
        if not path.is_file():
            raise InputError(f"model folder {folder}: {name} is missing", hint=RETRAIN_HINT)
        if name.endswith(WEIGHT_SUFFIXES) and path.stat().st_size != size:
            raise InputError(
                f"model folder {folder}: {name} is truncated or changed ({path.stat().st_size} bytes, "
                f"written with {size})",
                hint=RETRAIN_HINT,
            )
    for path in folder.rglob("*.safetensors"):
        check_safetensors(path, f"model folder {folder}")


RETRAIN_HINT = "copy the folder again from where it came from, or train it again"


def check_safetensors(path: Path, where: str) -> None:
    """A safetensors file whose header parses and whose tensors all fit in the file."""
    size = path.stat().st_size
    try:
        with open(path, "rb") as handle:
            length = int.from_bytes(handle.read(8), "little")
            header = json.loads(handle.read(length)) if 0 < length <= size - 8 else None
        end = (
            max((int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"), default=0)
            if isinstance(header, dict)
            else None
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        end = None
    if end is None or 8 + length + end > size:
        raise InputError(
            f"{where}: {path.name} is truncated or not a safetensors file ({size} bytes)", hint=RETRAIN_HINT
        )


def read_model_config(model_dir: str | Path) -> dict[str, Any]:
    """``config.yaml`` of a trained model folder (``family`` says who loads it); its files checked."""
    import yaml

    folder = Path(model_dir)
    path = folder / MARKER
    if problem := path_problem(folder, "a model folder `empathykit train` wrote", folder=True):
        raise InputError(problem)
    if not path.is_file():
        raise InputError(f"{folder}: not a model folder written by `empathykit train` (no {MARKER})")
    try:
        config = yaml.safe_load(path.read_text(encoding=text_encoding(path, expected="YAML text"))) or {}
    except yaml.YAMLError as error:
        raise InputError(f"{path}: not valid YAML ({str(error).splitlines()[0]})", hint=RETRAIN_HINT) from None
    if not isinstance(config, dict) or "family" not in config:
        raise InputError(f"{path}: no 'family' recorded; cannot tell which family loads it")
    check_model_files(folder)
    return config


def read_labels(model_dir: str | Path) -> dict[str, Any]:
    return json.loads((Path(model_dir) / "labels.json").read_text(encoding="utf-8"))


def model_version(model_dir: str | Path) -> str:
    """``NAME-HASH``: the folder's name and a hash of its config and metrics (changes when retrained)."""
    folder = Path(model_dir).resolve()
    digest = hashlib.sha256()
    for name in (MARKER, "metrics.json"):
        if (folder / name).is_file():
            digest.update((folder / name).read_bytes())
    return f"{folder.name}-{digest.hexdigest()[:8]}"


def check_base_model(path: str) -> Path:
    """The encoder to fine-tune must be a local model folder (nothing is downloaded)."""
    if not path:
        raise TrainError("no model to fine-tune given", hint="pass --model PATH (a local model folder)")
    folder = Path(path)
    if not folder.exists():
        raise InputError(
            f"model {path}: no such folder (models are never downloaded)",
            hint="pass a local folder with config.json and a tokenizer, e.g. a save_pretrained one",
        )
    if not folder.is_dir() or not (folder / "config.json").is_file():
        raise InputError(
            f"model {path}: not a model folder (no config.json)",
            hint="pass a folder written by save_pretrained, or a model folder from `empathykit train`",
        )
    tokenizer_files = ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "spiece.model", "vocab.json")
    if not any((folder / name).is_file() for name in tokenizer_files):
        raise InputError(f"model {path}: no tokenizer files in the folder")
    weights = [folder / name for name in BASE_WEIGHTS if (folder / name).is_file()]
    if not weights:
        raise InputError(
            f"model {path}: no weights in the folder (looked for {', '.join(BASE_WEIGHTS)})",
            hint="copy the whole model folder, weights included (a save_pretrained folder)",
        )
    for weight in weights:
        if weight.suffix == ".safetensors":
            check_safetensors(weight, f"model {path}")
        elif weight.stat().st_size == 0:
            raise InputError(f"model {path}: {weight.name} is empty", hint=RETRAIN_HINT)
    return folder
