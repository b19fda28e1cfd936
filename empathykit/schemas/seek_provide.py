"""TwittEmp: does a tweet seek empathy, provide it, or neither?

Definitions from Hosseini & Caragea (2021), section 4.2 (see
../shared/seeds/002_28043a73cb8840f4.txt), derived with a psychologist.
"""

from __future__ import annotations

from empathykit.schemas.base import Field, Schema

LABELS = ("seeking", "providing", "none")

INSTRUCTIONS = (
    "<p>Empathy needs one to embrace the subjective standpoint of the others.</p>"
    "<ul>"
    "<li><b>Seeking empathy</b>: a need to be heard and understood. When people experience "
    "challenging situations, they need their feelings to be recognized and acknowledged.</li>"
    "<li><b>Providing empathy</b>: the psychological perception of the feelings, thoughts or "
    "attitudes of individuals who are enduring challenging experiences.</li>"
    "<li><b>None</b>: the tweet neither seeks nor provides empathy (news, advertising, "
    "information, fundraising without personal feeling).</li>"
    "</ul>"
    "<p>Links are shown as &lt;URL&gt; and user names as &lt;USER&gt;.</p>"
)

CONFIG = """<View>
  <Header value="Does this tweet seek empathy, provide empathy, or neither?"/>
  <Text name="text" value="$text"/>
  <Choices name="empathy" toName="text" choice="single-radio" required="true" showInline="true">
    <Choice value="seeking" hint="A need to be heard and understood: the writer wants their feelings recognized and acknowledged."/>
    <Choice value="providing" hint="Perceiving and acknowledging the feelings of someone enduring a challenging experience."/>
    <Choice value="none" hint="Neither seeks nor provides empathy."/>
  </Choices>
</View>"""

SCHEMA = Schema(
    name="seek-provide",
    title="TwittEmp: seeking / providing empathy",
    instructions=INSTRUCTIONS,
    inputs=("text",),
    fields=(
        Field(
            "empathy",
            "choice",
            "nominal",
            to_name="text",
            labels=LABELS,
            description="seeking / providing / none empathy",
        ),
    ),
    config_template=CONFIG,
    target="empathy",
)
