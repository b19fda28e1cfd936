"""EmpathicStories story features: main event, emotional trajectory, moral.

The per-story annotation of EmpathicStories (Shen et al., EMNLP 2023;
../shared/seeds/000_7485b63cf20f0088.txt): free-text descriptions of the
three features that empathic similarity rests on, the reasons people would
empathize with the story, and how much other people would empathize with it
(the release's ``Empathizable``, a 5-point agreement scale with a neutral
point as in its story task).
"""

from __future__ import annotations

from empathykit.schemas import _xml
from empathykit.schemas.base import Field, Schema

SCALE = (1, 5)
LIKERT = tuple(str(n) for n in range(SCALE[0], SCALE[1] + 1))

#: field -> (question, placeholder, required); names follow the release's
#: ``Main Event``, ``Emotion Description``, ``Moral``, ``Empathy Reasons``.
QUESTIONS = {
    "main_event": ("What is the main event described in the story?", "The story is about …", True),
    "emotion_description": (
        "Describe the emotions the narrator feels before and after the main event, and why they feel this way.",
        "Before …, the narrator feels … because …; afterwards …",
        True,
    ),
    "moral": ("What is the high-level lesson or takeaway (moral) of the story?", "The moral of the story is …", True),
    "empathy_reasons": (
        "What would you or other people empathize with most in the story? One reason per line.",
        "Someone might empathize with …",
        False,
    ),
}

EMPATHIZABLE = "Other people would empathize with this story."

INSTRUCTIONS = (
    "<p>Read a personal story and describe it as someone who knew nothing about the situation "
    "would need it explained.</p><ul>"
    "<li><b>Main event</b>: the main action or situation, neither too vague (<i>This story is about "
    "cancer.</i>) nor full of unnecessary details.</li>"
    "<li><b>Emotion description</b>: what the <u>narrator</u> feels <u>before and after</u> the main "
    "event, and <u>why</u>; not just a list of emotion words.</li>"
    "<li><b>Moral</b>: the high-level lesson or takeaway, not a literal instruction "
    "(<i>you can make someone's day better by helping them</i>, not <i>help people off buses</i>).</li>"
    "<li><b>Empathy reasons</b> (optional): what you or others would relate to, each reason different.</li>"
    "<li><b>Empathizable</b>: rate the statement <i>Other people would empathize with this story</i> "
    "from 1 strongly disagree to 5 strongly agree.</li></ul>"
)

CONFIG = _xml.view(
    _xml.header("Story"),
    _xml.tag("Text", name="story", value="$story"),
    *[
        part
        for name, (question, placeholder, required) in QUESTIONS.items()
        for part in (
            _xml.header(question, size=5),
            _xml.textarea(name, "story", placeholder=placeholder, required=required),
        )
    ],
    _xml.header(EMPATHIZABLE, size=5),
    _xml.likert("empathizable", "story", _xml.AGREE_5, low=SCALE[0]),
)

SCHEMA = Schema(
    name="story-features",
    title="EmpathicStories: story features",
    instructions=INSTRUCTIONS,
    inputs=("story",),
    fields=(
        *(
            Field(name, "text", "text", to_name="story", required=required, description=question)
            for name, (question, _, required) in QUESTIONS.items()
        ),
        Field(
            "empathizable",
            "rating",
            "ordinal",
            to_name="story",
            labels=LIKERT,
            scale=SCALE,
            description=f"{EMPATHIZABLE} (1 strongly disagree … 5 strongly agree)",
        ),
    ),
    config_template=CONFIG,
    target="empathizable",
)
