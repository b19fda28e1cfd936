"""Emotions in a text, several per text, plus sentiment polarity.

The labels the distillation and circumplex models learn from. The default
set is Plutchik's eight basic emotions; ``labels="emolit"`` gives the twelve
Emolit emotions (Rei and Mladenić) in the order the circumplex study placed
them at 0°, 30°, …, 330° (../shared/seeds/003_9acb585cb0dafebb.txt), and any
other sequence of names works too::

    get_schema("emotion")                              # Plutchik-8
    get_schema("emotion", labels="emolit")
    get_schema("emotion", labels=["joy", "sadness"])
"""

from __future__ import annotations

from typing import Iterable

from empathykit.errors import SchemaError
from empathykit.schemas import _xml
from empathykit.schemas.base import Field, Schema

PRESETS: dict[str, tuple[str, ...]] = {
    "plutchik": ("joy", "trust", "fear", "surprise", "sadness", "disgust", "anger", "anticipation"),
    "emolit": (
        "love",
        "joy",
        "excitement",
        "surprise",
        "anger",
        "fear",
        "disgust",
        "sadness",
        "boredom",
        "calmness",
        "relief",
        "trust",
    ),
}

POLARITY = ("positive", "negative", "neutral")

INSTRUCTIONS = (
    "<p>Read the text and select <b>every emotion</b> it expresses, whether the writer's or a "
    "character's, as far as the text itself shows it; select all that apply.</p>"
    "<p>Then choose the text's overall <b>sentiment polarity</b>: <b>positive</b>, <b>negative</b>, "
    "or <b>neutral</b> when it is neither or balanced.</p>"
)


def _labels(labels: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(labels, str):
        if labels in PRESETS:
            return PRESETS[labels]
        if "," not in labels:
            raise SchemaError(
                f"emotion: unknown label preset {labels!r}; expected one of {list(PRESETS)} "
                "or a comma-separated list of labels"
            )
        labels = labels.split(",")
    chosen = tuple(str(label).strip() for label in labels)
    if not chosen or any(not label for label in chosen) or len(set(chosen)) != len(chosen):
        raise SchemaError(f"emotion: labels {list(chosen)}; expected distinct non-empty names")
    return chosen


def build_schema(labels: str | Iterable[str] = "plutchik") -> Schema:
    """The emotion schema over ``labels`` (a preset name, a comma-separated
    string, or a sequence of names); ``emotions`` is the export target."""
    chosen = _labels(labels)
    config = _xml.view(
        _xml.header("Text"),
        _xml.tag("Text", name="text", value="$text"),
        _xml.header("Which emotions does the text express? (all that apply)", size=5),
        _xml.choices("emotions", "text", [(label, label, "") for label in chosen], multiple=True),
        _xml.header("Sentiment polarity", size=5),
        _xml.choices("sentiment", "text", [(p, p, "") for p in POLARITY]),
    )
    preset = next((name for name, values in PRESETS.items() if values == chosen), None)
    return Schema(
        name="emotion",
        title="Emotions and sentiment",
        instructions=INSTRUCTIONS,
        inputs=("text",),
        fields=(
            Field(
                "emotions",
                "multichoice",
                "nominal",
                to_name="text",
                labels=chosen,
                description=f"emotions expressed ({preset or 'custom'} labels), several per text",
            ),
            Field("sentiment", "choice", "nominal", to_name="text", labels=POLARITY, description="sentiment polarity"),
        ),
        config_template=config,
        target="emotions",
        options={"labels": preset or list(chosen)},
    )
