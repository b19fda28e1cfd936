"""The model card (``README.md``) of a model folder: the Hub's YAML front matter, how the model was
made, which model the run kept, the test interval, the metrics, the settings and the search."""

from __future__ import annotations

from typing import Any


def model_card(name: str, config: dict[str, Any], metrics: dict[str, Any]) -> str:
    import yaml

    settings, data = config.get("settings", {}), config.get("data", {})
    flat = {k: v for k, v in _flat(metrics).items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    front = {
        "library_name": "transformers",
        "base_model": settings.get("model") or None,
        "datasets": [data.get("source")] if data.get("source") else [],
        "tags": ["empathykit", config.get("family", ""), data.get("task") or ""],
        "model-index": [
            {
                "name": name,
                "results": [
                    {
                        "task": {"type": "text-classification" if data.get("kind") != "rating" else "text-regression"},
                        "dataset": {"name": data.get("task") or "", "type": data.get("source") or ""},
                        "metrics": [{"type": key, "value": round(float(value), 4)} for key, value in flat.items()],
                    }
                ],
            }
        ],
    }
    lines = [
        "---",
        yaml.safe_dump(front, sort_keys=False).rstrip(),
        "---",
        "",
        f"# {name}",
        "",
        f"Family `{config.get('family')}`, fine-tuned from `{settings.get('model')}` on "
        f"`{data.get('source')}` (task `{data.get('task')}`, {data.get('kind')} labels"
        + (f": {', '.join(data['label_names'])}" if data.get("label_names") else "")
        + ").",
        "",
    ]
    if config.get("command"):
        lines += ["Made with:", "", "```bash", config["command"], "```", ""]
    for resumed in config.get("resumed") or []:
        changed = "; ".join(
            f"{k} {v.get('before')} -> {v.get('after')}" for k, v in (resumed.get("changed") or {}).items()
        )
        lines += [
            f"Resumed from {resumed.get('from')}" + (f", with {changed} from there on" if changed else "") + ".",
            "",
        ]
    lines += kept_card_lines(metrics.get("kept")) + interval_card_lines(metrics)
    lines += [
        "## Metrics",
        "",
        "| metric | value |",
        "| --- | --- |",
        *[f"| {k} | {v:.4f} |" for k, v in flat.items()],
        "",
        "## Settings",
        "",
        "```yaml",
        yaml.safe_dump(settings, sort_keys=False).rstrip(),
        "```",
        "",
    ]
    if isinstance(metrics.get("search"), dict):
        lines += search_card_lines(metrics["search"])
    return "\n".join(lines)


def _flat(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        if key in ("per_class", "confusion_matrix", "kept", "ci95"):
            continue
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}_"))
        else:
            out[f"{prefix}{key}"] = value
    return out


def kept_card_lines(kept: dict[str, Any] | None) -> list[str]:
    """Which model the run handed back (the start, an epoch, the final one) and why."""
    if not kept:
        return []
    which = (
        "the start"
        if kept["kept"] == "start"
        else f"the {kept['kept']} model"
        if kept["kept"] == "final"
        else f"the model after {kept['kept']}"
    )
    lines = [f"Kept: {which}; {kept['reason']}."]
    if kept.get("scores"):
        lines.append(
            "Validation "
            + kept.get("metric", "")
            + ": "
            + ", ".join(f"{s['at']} {s['score']:.4f}" for s in kept["scores"])
            + "."
        )
    if kept.get("warning"):
        lines.append(f"Warning: {kept['warning']}.")
    return [" ".join(lines), ""]


def interval_card_lines(metrics: dict[str, Any]) -> list[str]:
    """The test split's headline metric with its bootstrap 95 % interval."""
    test = metrics.get("test") if isinstance(metrics.get("test"), dict) else None
    interval = (test or {}).get("ci95")
    if not interval:
        return []
    name = interval["metric"]
    return [
        f"Test {name} {test[name]:.4f}, bootstrap 95 % interval {interval['low']:.4f} to {interval['high']:.4f} "
        f"({interval['resamples']} resamples of the {interval['examples']} test items, seed {interval['seed']}): "
        "two models whose intervals overlap may differ by noise alone.",
        "",
    ]


def search_card_lines(search: dict[str, Any]) -> list[str]:
    """The model card's section on the search: every trial's settings and scores."""
    trials, best = search.get("trials", []), search.get("best", {})
    winner = ", ".join(f"{k}={v}" for k, v in best.items())
    names = sorted({k for t in trials for k in t["params"]})
    lines = [
        "## Settings search",
        "",
        f"Grid over {', '.join(names)}; the winner ({winner}) is this model.",
        "",
        "| " + " | ".join(names) + " | metric | validation | test |",
        "|" + " --- |" * (len(names) + 3),
    ]
    for t in trials:
        metric = t["metric"] or ""
        score = (t["validation"] or {}).get(metric)
        test = (t["test"] or {}).get(metric)
        lines.append(
            "| "
            + " | ".join(str(t["params"].get(n)) for n in names)
            + f" | {metric} | "
            + " | ".join(f"{v:.4f}" if isinstance(v, (int, float)) else "" for v in (score, test))
            + " |"
        )
    return lines + [""]
