"""Draw docs/loop.png, the picture of the loop in the README (run from the checkout)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

STEPS = [  # (label, command, x, y)
    ("collect", "posts from X or files", 0.0, 1.0),
    ("filter", "lexicon + topic", 1.0, 1.0),
    ("annotate", "Label Studio rounds", 2.0, 1.0),
    ("agreement", "alpha, kappa, AC1", 3.0, 1.0),
    ("export", "Hugging Face dataset", 3.0, 0.0),
    ("train", "classifier, KD, EPITOME", 2.0, 0.0),
    ("next round", "serve pre-labels; the least\ncertain items pushed", 1.0, 0.0),
]


def main(out: Path) -> None:
    fig, ax = plt.subplots(figsize=(9, 3.2), dpi=120)
    ax.set_xlim(-0.6, 3.6)
    ax.set_ylim(-0.55, 1.5)
    ax.axis("off")
    for label, note, x, y in STEPS:
        ax.add_patch(
            FancyBboxPatch(
                (x - 0.4, y - 0.25), 0.8, 0.5, boxstyle="round,pad=0.02", facecolor="#e8eef9", edgecolor="#3b5b92"
            )
        )
        ax.text(x, y + 0.07, label, ha="center", va="center", fontsize=11, weight="bold")
        ax.text(x, y - 0.11, note, ha="center", va="center", fontsize=7.5, color="#333")
    pairs = list(zip(STEPS, STEPS[1:])) + [(STEPS[-1], STEPS[2])]
    for (_, _, x0, y0), (_, _, x1, y1) in pairs:
        start, end = _edge(x0, y0, x1, y1)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, color="#3b5b92", linewidth=1.4))
    ax.text(1.5, 1.42, "empathykit loop: rounds of people and a model", ha="center", fontsize=12)
    ax.text(
        1.75,
        -0.45,
        "empathykit loop repeats pull -> export -> train -> evaluate -> next-round",
        ha="center",
        fontsize=8,
        style="italic",
    )
    fig.savefig(out, bbox_inches="tight")


def _edge(x0, y0, x1, y1):
    """Arrow ends on the boxes' borders, not their centres."""
    if y0 == y1:
        sign = 1 if x1 > x0 else -1
        return (x0 + 0.4 * sign, y0), (x1 - 0.4 * sign, y1)
    if x0 == x1:
        sign = 1 if y1 > y0 else -1
        return (x0, y0 + 0.25 * sign), (x1, y1 - 0.25 * sign)
    return (x0 + 0.3, y0 + 0.25), (x1 - 0.3, y1 - 0.25)


if __name__ == "__main__":
    main(Path(__file__).with_name("loop.png"))
