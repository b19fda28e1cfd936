"""EmpathicStories story pairs: would the two narrators empathize with each other?

Empathic similarity of personal stories (Shen et al., EMNLP 2023; abstract in
../shared/seeds/000_7485b63cf20f0088.txt), operationalised through three
features of a story: its main event, the narrator's emotional trajectory, and
its moral. Annotators rate agreement on a 4-point scale (1 strongly disagree
… 4 strongly agree, no neutral point, as in the release's pair task) and say
why the narrators would and would not empathize.

``show="story"`` (default) shows ``story_a`` and ``story_b``;
``show="summary"`` shows ``story_a_summary`` and ``story_b_summary`` instead,
as the release's annotators saw them. The other pair is carried along as
optional inputs (kept in the export, not shown).
"""

from __future__ import annotations

from empathykit.errors import SchemaError
from empathykit.schemas import _xml
from empathykit.schemas.base import Field, Schema

SCALE = (1, 4)
LIKERT = tuple(str(n) for n in range(SCALE[0], SCALE[1] + 1))

#: field -> statement annotators rate (names follow the release's
#: ``similarity_*_human_AGG`` columns).
STATEMENTS = {
    "similarity_empathy": "The narrators of story A and story B would empathize with each other.",
    "similarity_event": "The main events of the two stories are similar.",
    "similarity_emotion": (
        "The emotions the narrators feel, and how those feelings change (the emotional trajectory), are similar."
    ),
    "similarity_moral": "The high-level takeaways (morals) of the two stories are similar.",
}

REASONS = {
    "reasons_empathize": "Why WOULD the narrators empathize with each other? Refer to them as Narrator A and Narrator B.",
    "reasons_not_empathize": "Why would the narrators NOT empathize with each other? Refer to them as Narrator A and Narrator B.",
}

SHOW = {
    "story": (("story_a", "story_b"), ("story_a_summary", "story_b_summary")),
    "summary": (("story_a_summary", "story_b_summary"), ("story_a", "story_b")),
}

INSTRUCTIONS = (
    "<p>Read two personal stories (or their summaries) and judge whether their narrators "
    "would empathize with each other.</p>"
    "<p><b>Empathy</b> is feeling, understanding and relating to what another person is "
    "experiencing. It is possible to empathize without sharing the exact same experience or "
    "circumstance. For two stories to be empathically similar, <u>both</u> narrators should be "
    "able to empathize with each other: if narrator A's story were shared in response to "
    "narrator B's, narrator B would empathize with narrator A, and vice versa.</p>"
    "<p>Empathic similarity rests on three features of a story:</p><ul>"
    "<li><b>Main event</b>: what happens in the story.</li>"
    "<li><b>Emotional trajectory</b>: what the narrator feels before and after the main event, and why.</li>"
    "<li><b>Moral</b>: the high-level lesson or takeaway of the story.</li></ul>"
    "<p>Rate each statement from <b>1 strongly disagree</b> to <b>4 strongly agree</b>. Two stories "
    "about the same topic whose narrators feel opposite things, or who draw opposite lessons, "
    "are not empathically similar; two different situations that both leave the narrators feeling "
    "betrayed by a loved one can be.</p>"
    "<p>Then write the reasons why the narrators would, and would not, empathize with each other.</p>"
)


def _config(shown: tuple[str, str]) -> str:
    a, b = shown
    blocks = [
        _xml.view(
            _xml.view(
                _xml.header("Story A"), _xml.tag("Text", name=a, value=f"${a}"), style="flex: 1; padding-right: 1em"
            ),
            _xml.view(_xml.header("Story B"), _xml.tag("Text", name=b, value=f"${b}"), style="flex: 1"),
            style="display: flex",
        )
    ]
    for name, statement in STATEMENTS.items():
        blocks.append(_xml.header(statement, size=5))
        blocks.append(_xml.likert(name, a, _xml.AGREE_4, low=SCALE[0]))
    for name, question in REASONS.items():
        blocks.append(_xml.header(question, size=5))
        blocks.append(_xml.textarea(name, a, placeholder="Narrator A … Narrator B …"))
    return _xml.view(*blocks)


def build_schema(show: str = "story") -> Schema:
    """The story-pair schema showing full stories (``show="story"``) or their
    summaries (``show="summary"``)."""
    if show not in SHOW:
        raise SchemaError(f"story-pair: show={show!r}; expected one of {list(SHOW)}")
    shown, carried = SHOW[show]
    fields = [
        Field(
            name,
            "rating",
            "ordinal",
            to_name=shown[0],
            labels=LIKERT,
            scale=SCALE,
            description=f"{statement} (1 strongly disagree … 4 strongly agree)",
        )
        for name, statement in STATEMENTS.items()
    ]
    fields += [
        Field(name, "text", "text", to_name=shown[0], description=question) for name, question in REASONS.items()
    ]
    return Schema(
        name="story-pair",
        title="EmpathicStories: empathic similarity of story pairs",
        instructions=INSTRUCTIONS,
        inputs=shown,
        optional_inputs=carried,
        fields=tuple(fields),
        config_template=_config(shown),
        target="similarity_empathy",
        options={"show": show},
    )
