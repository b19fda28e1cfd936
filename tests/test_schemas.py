"""Schemas without a server: configs, parsing Label Studio results, the
inverse, Hugging Face features, and record validation."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from schema_variants import VARIANTS, ids  # tests/ is on sys.path (rootdir conftest)

from empathykit.errors import SchemaError
from empathykit.schemas import get_schema, schema_names
from empathykit.schemas.base import Field


def test_registry_lists_every_schema():
    assert schema_names() == ["emotion", "epitome", "seek-provide", "story-features", "story-pair"]


@pytest.mark.parametrize("variant", VARIANTS, ids=ids)
def test_config_controls_match_fields(variant):
    """Each field is a control whose stored values are exactly the field's labels."""
    schema = get_schema(variant[0], **variant[1])
    root = ET.fromstring(schema.label_config())
    controls = {el.get("name"): el for el in root.iter() if el.get("toName")}
    objects = {el.get("name"): el for el in root.iter() if el.get("value", "").startswith("$")}
    assert set(controls) == set(schema.field_names)
    for field in schema.fields:
        control = controls[field.name]
        assert field.to_name in objects
        assert objects[field.to_name].get("value") == f"${field.to_name}"
        expected_tag = {
            "choice": "Choices",
            "multichoice": "Choices",
            "rating": "Choices",
            "text": "TextArea",
            "spans": "Labels",
        }[field.kind]
        assert control.tag == expected_tag
        if field.kind in ("choice", "multichoice", "rating", "spans"):
            stored = tuple(c.get("alias") or c.get("value") for c in control)
            assert stored == field.labels
        if field.kind == "multichoice":
            assert control.get("choice") == "multiple"
        if field.kind in ("choice", "rating"):
            assert control.get("choice") == "single-radio"
    shown = {el.get("value")[1:] for el in objects.values()}
    assert shown == set(schema.inputs)
    assert schema.target in schema.field_names
    json.dumps(dict(schema.options))  # stored with the project, so JSON


# -- parsing -------------------------------------------------------------------
def _result(name, kind, value, to_name="response_post"):
    return {"id": "r1", "from_name": name, "to_name": to_name, "type": kind, "value": value}


def test_parse_epitome_choices_and_spans():
    schema = get_schema("epitome")
    response = "I'm so sorry. What happened? I felt the same."
    results = [
        _result("emotional_reactions", "choices", {"choices": ["strong"]}),
        _result("interpretations", "choices", {"choices": ["weak"]}),
        _result("explorations", "choices", {"choices": ["no"]}),
        _result(
            "interpretations_rationales",
            "labels",
            {"start": 29, "end": 45, "text": response[29:45], "labels": ["interpretation"]},
        ),
        _result(
            "emotional_reactions_rationales",
            "labels",
            {"start": 0, "end": 13, "text": response[0:13], "labels": ["emotional reaction"]},
        ),
        _result(
            "emotional_reactions_rationales",
            "labels",
            {"start": 14, "end": 28, "text": response[14:28], "labels": ["emotional reaction"]},
        ),
    ]
    values, unknown = schema.parse_results(results)
    assert unknown == []
    assert values["emotional_reactions"] == "strong"
    assert values["interpretations"] == "weak"
    assert values["explorations"] == "no"
    assert values["emotional_reactions_rationales"] == [
        {"start": 0, "end": 13, "text": "I'm so sorry.", "label": "emotional reaction"},
        {"start": 14, "end": 28, "text": "What happened?", "label": "emotional reaction"},
    ]
    assert values["interpretations_rationales"] == [
        {"start": 29, "end": 45, "text": "I felt the same.", "label": "interpretation"}
    ]
    assert "explorations_rationales" not in values  # nothing highlighted


def test_parse_story_pair_ratings_and_text_areas():
    schema = get_schema("story-pair")
    results = [
        _result("similarity_empathy", "choices", {"choices": ["4"]}, "story_a"),
        _result("similarity_event", "choices", {"choices": ["1"]}, "story_a"),
        _result("reasons_empathize", "textarea", {"text": ["Both lost a parent.", "Both felt alone."]}, "story_a"),
        _result("reasons_not_empathize", "textarea", {"text": ["Narrator B moved on."]}, "story_a"),
    ]
    values, unknown = schema.parse_results(results)
    assert unknown == []
    assert values == {
        "similarity_empathy": 4,
        "similarity_event": 1,
        "reasons_empathize": "Both lost a parent.\nBoth felt alone.",
        "reasons_not_empathize": "Narrator B moved on.",
    }
    assert isinstance(values["similarity_empathy"], int)


def test_parse_emotion_multichoice_in_label_order():
    schema = get_schema("emotion")
    values, unknown = schema.parse_results(
        [
            _result("emotions", "choices", {"choices": ["anger", "joy", "fear"]}, "text"),
            _result("sentiment", "choices", {"choices": ["negative"]}, "text"),
        ]
    )
    assert unknown == []
    assert values == {"emotions": ["joy", "fear", "anger"], "sentiment": "negative"}


@pytest.mark.parametrize(
    "result, reason",
    [
        (_result("empathy_level", "choices", {"choices": ["2"]}), "unknown field 'empathy_level'"),
        (_result("emotional_reactions", "choices", {"choices": ["very strong"]}), "unknown label"),
        (_result("emotional_reactions", "choices", {"choices": ["weak", "strong"]}), "exactly one choice"),
        (
            _result(
                "explorations_rationales", "labels", {"start": 0, "end": 4, "text": "What", "labels": ["question"]}
            ),
            "span labels",
        ),
    ],
)
def test_unknown_results_are_kept_with_a_reason(result, reason):
    """A label or field the schema does not know (config edited in the UI)."""
    values, unknown = get_schema("epitome").parse_results(
        [result, _result("interpretations", "choices", {"choices": ["no"]})]
    )
    assert values == {"interpretations": "no"}
    assert len(unknown) == 1
    assert unknown[0]["from_name"] == result["from_name"]
    assert unknown[0]["value"] == result["value"]
    assert reason in unknown[0]["reason"]


@pytest.mark.parametrize("choice", ["0", "5", "four", "3.5"])
def test_rating_outside_its_scale_is_unknown(choice):
    values, unknown = get_schema("story-pair").parse_results(
        [_result("similarity_moral", "choices", {"choices": [choice]}, "story_a")]
    )
    assert values == {}
    assert unknown[0]["from_name"] == "similarity_moral"


def test_rating_with_labels_needs_the_numbers_of_its_scale():
    with pytest.raises(ValueError, match="numbers of its scale"):
        Field("r", "rating", "ordinal", to_name="t", labels=("1", "2", "3"), scale=(1, 4))
    widget = Field("r", "rating", "ordinal", to_name="t", scale=(1, 5))
    assert widget.to_result_value(3) == [{"rating": 3}] and widget.result_type() == "rating"


# -- the inverse ---------------------------------------------------------------
TYPED = {
    "epitome": {
        "emotional_reactions": "weak",
        "interpretations": "strong",
        "explorations": "no",
        "emotional_reactions_rationales": [{"start": 0, "end": 5, "text": "Sorry", "label": "emotional reaction"}],
        "interpretations_rationales": [
            {"start": 7, "end": 19, "text": "I've been th", "label": "interpretation"},
            {"start": 20, "end": 30, "text": "ere myself", "label": "interpretation"},
        ],
    },
    "story-pair": {
        "similarity_empathy": 3,
        "similarity_event": 2,
        "similarity_emotion": 4,
        "similarity_moral": 1,
        "reasons_empathize": "Both grieve.\nBoth heal.",
        "reasons_not_empathize": "Different losses.",
    },
    "story-features": {
        "main_event": "A bus driver helps a lost woman.",
        "emotion_description": "Worried, then fulfilled.",
        "moral": "Small help matters.",
        "empathy_reasons": "Helping someone in need.",
        "empathizable": 5,
    },
    "emotion": {"emotions": ["trust", "anticipation"], "sentiment": "positive"},
    "seek-provide": {"empathy": "providing"},
}


@pytest.mark.parametrize("name", sorted(TYPED))
def test_to_results_is_the_inverse_of_parse(name):
    schema = get_schema(name)
    typed = TYPED[name]
    results = schema.to_results(typed)
    assert {r["from_name"] for r in results} == set(typed)
    for r in results:
        assert r["to_name"] == schema.field(r["from_name"]).to_name
        assert r["type"] == schema.field(r["from_name"]).result_type()
    assert schema.parse_results(results) == (typed, [])


def test_to_results_rejects_a_field_it_does_not_know():
    with pytest.raises(SchemaError, match="no field 'empathy'"):
        get_schema("epitome").to_results({"empathy": "seeking"})


# -- Hugging Face features -----------------------------------------------------
def test_features_epitome():
    from datasets import ClassLabel, List, Value

    features = get_schema("epitome", mechanisms="IP,ER").features()
    assert list(features) == [
        "item_id",
        "seeker_post",
        "response_post",
        "label",
        "interpretations_rationales",
        "emotional_reactions",
        "emotional_reactions_rationales",
    ]
    assert features["label"] == ClassLabel(names=["no", "weak", "strong"])
    assert features["label"].str2int("strong") == 2  # class ids are the EPITOME levels
    assert features["emotional_reactions_rationales"] == List(
        {"start": Value("int32"), "end": Value("int32"), "text": Value("string"), "label": Value("string")}
    )


def test_features_other_schemas():
    from datasets import ClassLabel, List, Value

    pair = get_schema("story-pair", show="summary").features()
    assert pair["label"] == Value("float32")
    assert pair["reasons_empathize"] == List(Value("string"))
    assert {"story_a_summary", "story_b_summary", "story_a", "story_b"} <= set(pair)
    story = get_schema("story-features").features()
    assert story["label"] == Value("float32") and story["moral"] == List(Value("string"))
    emo = get_schema("emotion", labels="emolit").features()
    assert emo["label"] == List(
        ClassLabel(
            names=[
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
            ]
        )
    )
    assert emo["sentiment"] == ClassLabel(names=["positive", "negative", "neutral"])


# -- levels of measurement -------------------------------------------------------
def test_levels_of_measurement():
    levels = {f.name: f.level for name in schema_names() for f in get_schema(name).fields}
    assert levels["emotional_reactions"] == "ordinal"
    assert levels["emotional_reactions_rationales"] == "spans"
    assert levels["similarity_empathy"] == levels["empathizable"] == "ordinal"
    assert levels["reasons_empathize"] == levels["moral"] == "text"
    assert levels["emotions"] == levels["sentiment"] == "nominal"
    assert get_schema("story-pair").field("similarity_empathy").scale == (1, 4)
    assert get_schema("story-features").field("empathizable").scale == (1, 5)


# -- validation of pushed records -------------------------------------------------
@pytest.mark.parametrize(
    "name, options, record, missing",
    [
        ("epitome", {}, {"item_id": "a_b", "seeker_post": "help"}, "response_post"),
        ("epitome", {}, {"item_id": "a_b", "seeker_post": "  ", "response_post": "hi"}, "seeker_post"),
        (
            "story-pair",
            {},
            {"item_id": "p1", "story_a": "x", "story_a_summary": "s", "story_b_summary": "t"},
            "story_b",
        ),
        ("story-pair", {"show": "summary"}, {"item_id": "p1", "story_a": "x", "story_b": "y"}, "story_a_summary"),
        ("story-features", {}, {"item_id": "s1", "story_summary": "x"}, "story"),
        ("emotion", {}, {"item_id": "e1", "text": None}, "text"),
    ],
)
def test_validate_record_names_item_and_field(name, options, record, missing):
    schema = get_schema(name, **options)
    with pytest.raises(SchemaError) as err:
        schema.validate_records([record])
    assert f"item {record['item_id']!r}" in str(err.value)
    assert f"missing field {missing!r}" in str(err.value)


def test_validate_records_without_item_id_names_the_position():
    schema = get_schema("emotion")
    with pytest.raises(SchemaError, match=r"record 1: missing field 'item_id'"):
        schema.validate_records([{"item_id": "e0", "text": "fine"}, {"text": "no id"}])


def test_validate_accepts_records_with_extra_keys():
    record = {"item_id": "p", "story_a": "a", "story_b": "b", "release": {"binned": "2"}}
    assert get_schema("story-pair").validate_records([dict(record)]) is None  # no error: extra keys are fine
    with pytest.raises(SchemaError, match="missing field 'story_b'"):  # while a missing input is not
        get_schema("story-pair").validate_records([{k: v for k, v in record.items() if k != "story_b"}])


# -- options ---------------------------------------------------------------------
def test_epitome_mechanism_subsets():
    default = get_schema("epitome")
    assert default.options["mechanisms"] == ["emotional_reactions", "interpretations", "explorations"]
    assert default.target == "emotional_reactions"
    one = get_schema("epitome", mechanisms=("explorations",))
    assert one.field_names == ("explorations", "explorations_rationales")
    assert one.target == "explorations"
    assert "Explorations" in one.instructions and "Interpretations" not in one.instructions
    two = get_schema("epitome", mechanisms="EX, er", target="emotional_reactions")
    assert two.options == {"mechanisms": ["explorations", "emotional_reactions"], "target": "emotional_reactions"}
    assert get_schema("epitome", **two.options).label_config() == two.label_config()


@pytest.mark.parametrize(
    "options, message",
    [
        ({"mechanisms": ["empathy"]}, "mechanisms"),
        ({"mechanisms": []}, "mechanisms"),
        ({"mechanisms": ["ER", "emotional_reactions"]}, "distinct"),
        ({"mechanisms": ["ER"], "target": "interpretations"}, "not a selected mechanism"),
    ],
)
def test_epitome_bad_options(options, message):
    with pytest.raises(SchemaError, match=message):
        get_schema("epitome", **options)


def test_emotion_label_sets():
    assert get_schema("emotion").field("emotions").labels == (
        "joy",
        "trust",
        "fear",
        "surprise",
        "sadness",
        "disgust",
        "anger",
        "anticipation",
    )
    assert len(get_schema("emotion", labels="emolit").field("emotions").labels) == 12
    custom = get_schema("emotion", labels="hope, awe")
    assert custom.field("emotions").labels == ("hope", "awe")
    assert custom.options == {"labels": ["hope", "awe"]}
    assert get_schema("emotion", labels=list(get_schema("emotion").field("emotions").labels)).options == {
        "labels": "plutchik"
    }
    for bad in ("ekman", ["joy", "joy"], ["joy", ""], []):
        with pytest.raises(SchemaError):
            get_schema("emotion", labels=bad)


def test_other_schemas_reject_unknown_options():
    with pytest.raises(SchemaError, match="takes no options"):
        get_schema("story-features", show="summary")
    with pytest.raises(SchemaError, match="show="):
        get_schema("story-pair", show="title")
    with pytest.raises(SchemaError, match=r"no option\(s\) \['labels'\]; expected some of \['show'\]"):
        get_schema("story-pair", labels="emolit")
