"""The model folder every family writes, and where a run keeps its checkpoints.

    MODEL_DIR/
      config.yaml     the settings as run, plus ``family``, the data and the command
      labels.json     {"kind", "label_names", "scale", "inputs", "task"} from the export
      metrics.json    validation / test metrics of the run
      README.md       model card with the Hub's YAML (base model, dataset, metrics, command)
      tokenizer files, and the family's weights (e.g. encoder/ + heads.safetensors)

The folder is written whole (a temporary renamed into place), so a killed
run never leaves a half model. Checkpoints live beside it in
``.MODEL_DIR.train-run/`` until the run finishes; ``--resume`` continues from
the last one there.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any, Callable

from empathykit.errors import InputError, TrainError
from empathykit.io import atomic_path, check_output

MARKER = "config.yaml"


def run_dir(out_dir: str | Path) -> Path:
    out_dir = Path(out_dir)
    return out_dir.parent / f".{out_dir.name}.train-run"


def prepare_run(out_dir: str | Path, resume: bool) -> Path:
    """Check ``out_dir`` can take a model and return the checkpoint folder (created)."""
    out_dir = check_output(out_dir, "dir", marker=MARKER, label="model folder")
    work = run_dir(out_dir)
    checkpoints = sorted(work.glob("checkpoint-*")) if work.is_dir() else []
    if checkpoints and not resume:
        raise TrainError(f"an unfinished run left checkpoints in {work}",
                         hint="add --resume to continue it, or remove that folder to start over")
    work.mkdir(parents=True, exist_ok=True)
    return work


def finish_run(out_dir: str | Path) -> None:
    shutil.rmtree(run_dir(out_dir), ignore_errors=True)


def write_model_folder(out_dir: str | Path, save: Callable[[Path], None], *, family: str, settings: dict[str, Any],
                       data: dict[str, Any], metrics: dict[str, Any], command: str | None = None,
                       extra_config: dict[str, Any] | None = None) -> Path:
    """Write the folder atomically; ``save(tmp)`` writes weights and tokenizer into ``tmp``."""
    import yaml

    config = {"family": family, **(extra_config or {}), "settings": settings, "data": data, "command": command}
    labels = {k: data.get(k) for k in ("task", "kind", "label_names", "scale", "inputs")}
    with atomic_path(out_dir, marker=MARKER) as tmp:
        tmp.mkdir()
        save(tmp)
        (tmp / "labels.json").write_text(json.dumps(labels, indent=2) + "\n", encoding="utf-8")
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2, default=float) + "\n", encoding="utf-8")
        (tmp / "README.md").write_text(model_card(Path(out_dir).name, config, metrics), encoding="utf-8")
        (tmp / MARKER).write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return Path(out_dir)


def read_model_config(model_dir: str | Path) -> dict[str, Any]:
    """``config.yaml`` of a trained model folder (``family`` says who loads it)."""
    import yaml

    folder = Path(model_dir)
    path = folder / MARKER
    if not folder.is_dir():
        raise InputError(f"{folder}: no such model folder")
    if not path.is_file():
        raise InputError(f"{folder}: not a model folder written by `empathykit train` (no {MARKER})")
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if "family" not in config:
        raise InputError(f"{path}: no 'family' recorded; cannot tell which family loads it")
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
        raise InputError(f"model {path}: no such folder (models are never downloaded)",
                         hint="pass a local folder with config.json and a tokenizer, e.g. a save_pretrained one")
    if not folder.is_dir() or not (folder / "config.json").is_file():
        raise InputError(f"model {path}: not a model folder (no config.json)",
                         hint="pass a folder written by save_pretrained, or a model folder from `empathykit train`")
    tokenizer_files = ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "spiece.model", "vocab.json")
    if not any((folder / name).is_file() for name in tokenizer_files):
        raise InputError(f"model {path}: no tokenizer files in the folder")
    return folder


def model_card(name: str, config: dict[str, Any], metrics: dict[str, Any]) -> str:
    import yaml

    settings, data = config.get("settings", {}), config.get("data", {})
    flat = {k: v for k, v in _flat(metrics).items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    front = {
        "library_name": "transformers", "base_model": settings.get("model") or None,
        "datasets": [data.get("source")] if data.get("source") else [],
        "tags": ["empathykit", config.get("family", ""), data.get("task") or ""],
        "model-index": [{"name": name, "results": [{
            "task": {"type": "text-classification" if data.get("kind") != "rating" else "text-regression"},
            "dataset": {"name": data.get("task") or "", "type": data.get("source") or ""},
            "metrics": [{"type": key, "value": round(float(value), 4)} for key, value in flat.items()]}]}],
    }
    lines = ["---", yaml.safe_dump(front, sort_keys=False).rstrip(), "---", "", f"# {name}", "",
             f"Family `{config.get('family')}`, fine-tuned from `{settings.get('model')}` on "
             f"`{data.get('source')}` (task `{data.get('task')}`, {data.get('kind')} labels"
             + (f": {', '.join(data['label_names'])}" if data.get("label_names") else "") + ").", ""]
    if config.get("command"):
        lines += ["Made with:", "", "```bash", config["command"], "```", ""]
    lines += ["## Metrics", "", "| metric | value |", "| --- | --- |",
              *[f"| {k} | {v:.4f} |" for k, v in flat.items()], "", "## Settings", "", "```yaml",
              yaml.safe_dump(settings, sort_keys=False).rstrip(), "```", ""]
    return "\n".join(lines)


def _flat(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        if key in ("per_class", "confusion_matrix"):
            continue
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}_"))
        else:
            out[f"{prefix}{key}"] = value
    return out
