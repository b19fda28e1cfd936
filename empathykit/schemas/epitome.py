"""EPITOME: how a response to a support-seeking post communicates empathy.

The framework of Sharma, Miner, Atkins and Althoff (EMNLP 2020; the release
README is ../shared/seeds/001_cc8dcd5dab1d888b.txt): three communication
mechanisms, each rated 0 = no, 1 = weak, 2 = strong communication, with
rationales, the parts of the response that support the rating. A project may
annotate all three mechanisms or a subset::

    get_schema("epitome")                                     # all three
    get_schema("epitome", mechanisms=["emotional_reactions"])
"""

from __future__ import annotations

from typing import Iterable

from empathykit.errors import SchemaError
from empathykit.schemas import _xml
from empathykit.schemas.base import Field, Schema

#: Stored level labels in scale order: the export's class ids are the
#: EPITOME levels 0, 1, 2.
LEVELS = ("no", "weak", "strong")

#: mechanism -> (display name, span label, colour, question, definition, weak, strong)
MECHANISMS: dict[str, dict[str, str]] = {
    "emotional_reactions": {
        "title": "Emotional reactions",
        "span": "emotional reaction",
        "colour": "#e76f51",
        "question": "Does the response express the emotions the responder feels after reading the seeker's post?",
        "definition": (
            "Expressing emotions such as warmth, compassion and concern that the responder "
            "experiences after reading the seeker's post."
        ),
        "weak": "Alludes to these emotions without naming them, e.g. “Everything will be fine.”",
        "strong": (
            "Names the emotions the responder feels, e.g. “I feel really sad for you.” "
            "or “I'm so sorry you are going through this.”"
        ),
    },
    "interpretations": {
        "title": "Interpretations",
        "span": "interpretation",
        "colour": "#2a9d8f",
        "question": "Does the response communicate an understanding of the seeker's feelings and experiences?",
        "definition": (
            "Communicating an understanding of the feelings and experiences inferred from the seeker's post."
        ),
        "weak": "Mentions understanding in general terms, e.g. “I understand how you feel.”",
        "strong": (
            "Names the inferred feeling or experience, e.g. “This must be terrifying.”, "
            "or shows understanding through a similar experience of the responder's own, "
            "e.g. “I also have anxiety attacks at times, which makes me really sad.”"
        ),
    },
    "explorations": {
        "title": "Explorations",
        "span": "exploration",
        "colour": "#457b9d",
        "question": "Does the response explore feelings and experiences the seeker has not stated?",
        "definition": (
            "Improving the understanding of the seeker by exploring feelings and experiences "
            "not stated in the post, showing active interest in the seeker."
        ),
        "weak": "A generic question, e.g. “What happened?”",
        "strong": (
            "A specific question that labels the seeker's feelings or experiences, "
            "e.g. “Are you feeling alone right now?”"
        ),
    },
}

#: The release's file-name abbreviations (``reddit_ER.pth`` …).
ABBREVIATIONS = {"ER": "emotional_reactions", "IP": "interpretations", "EX": "explorations"}

INPUTS = ("seeker_post", "response_post")


def rationale_field(mechanism: str) -> str:
    """Name of the spans field holding a mechanism's rationales."""
    return f"{mechanism}_rationales"


def _instructions(mechanisms: tuple[str, ...]) -> str:
    parts = [
        "<p>A <b>seeker</b> asks for support; a <b>responder</b> replies. Rate how the response "
        "communicates empathy through each mechanism below, in the context of the seeker's post "
        "(Sharma et al. 2020).</p>",
        "<p>Levels: <b>0 no</b>: the response does not communicate the mechanism; "
        "<b>1 weak</b>: it does so in a generic or implicit way; "
        "<b>2 strong</b>: it does so specifically.</p>",
        "<p><b>Rationales</b>: for a weak or strong level, highlight the parts of the response "
        "that show the mechanism, with that mechanism's label. Leave no highlight for level 0.</p>",
        "<ul>",
    ]
    for m in mechanisms:
        d = MECHANISMS[m]
        parts.append(
            f"<li><b>{d['title']}</b>: {d['definition']}<ul>"
            f"<li><b>0 no</b>: nothing of this kind.</li>"
            f"<li><b>1 weak</b>: {d['weak']}</li>"
            f"<li><b>2 strong</b>: {d['strong']}</li></ul></li>"
        )
    parts.append("</ul>")
    return "".join(parts)


def _config(mechanisms: tuple[str, ...]) -> str:
    blocks = [
        _xml.header("Seeker post"),
        _xml.tag("Text", name="seeker_post", value="$seeker_post"),
        _xml.header("Response"),
        _xml.header("Highlight rationales: pick a label, then select the words in the response.", size=6),
        *(
            _xml.labels(rationale_field(m), "response_post", [(MECHANISMS[m]["span"], MECHANISMS[m]["colour"])])
            for m in mechanisms
        ),
        _xml.tag("Text", name="response_post", value="$response_post"),
    ]
    for m in mechanisms:
        d = MECHANISMS[m]
        shown = [
            (f"{i} · {level}", level, d[level] if level != "no" else "Nothing of this kind.")
            for i, level in enumerate(LEVELS)
        ]
        blocks.append(
            _xml.view(_xml.header(f"{d['title']}: {d['question']}", size=5), _xml.choices(m, "response_post", shown))
        )
    return _xml.view(*blocks)


def build_schema(mechanisms: Iterable[str] | None = None, target: str | None = None) -> Schema:
    """The EPITOME schema for ``mechanisms`` (default all three, in framework order).

    ``target`` is the level field ``export`` turns into ``label`` (default the
    first selected mechanism)."""
    if isinstance(mechanisms, str):  # "ER,IP" from a command line
        mechanisms = [m.strip() for m in mechanisms.split(",") if m.strip()]
    chosen = tuple(MECHANISMS) if mechanisms is None else tuple(ABBREVIATIONS.get(m.upper(), m) for m in mechanisms)
    unknown = [m for m in chosen if m not in MECHANISMS]
    if unknown or not chosen or len(set(chosen)) != len(chosen):
        raise SchemaError(f"epitome: mechanisms {list(chosen)}; expected distinct names from {list(MECHANISMS)}")
    target = target or chosen[0]
    if target not in chosen:
        raise SchemaError(f"epitome: target {target!r} is not a selected mechanism {list(chosen)}")
    fields = []
    for m in chosen:
        d = MECHANISMS[m]
        fields.append(
            Field(
                m,
                "choice",
                "ordinal",
                to_name="response_post",
                labels=LEVELS,
                description=f"{d['title']}: 0 no / 1 weak / 2 strong communication",
            )
        )
        fields.append(
            Field(
                rationale_field(m),
                "spans",
                "spans",
                to_name="response_post",
                labels=(d["span"],),
                required=False,
                description=f"{d['title']}: rationale spans in the response",
            )
        )
    return Schema(
        name="epitome",
        title="EPITOME: empathy communication mechanisms",
        instructions=_instructions(chosen),
        inputs=INPUTS,
        fields=tuple(fields),
        config_template=_config(chosen),
        target=target,
        options={"mechanisms": list(chosen), "target": target},
    )
