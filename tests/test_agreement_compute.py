"""`compute_agreement` on tidy annotation tables: levels, rules, bad input, rounds, gold."""

from __future__ import annotations

import json

import krippendorff
import numpy as np
import pandas as pd
import pytest
from tables import Table, seek_table  # tests/ is on sys.path (rootdir conftest)

from empathykit.agreement.adjudicate import ANSWERS_KEY, adjudication_schema, find_disagreements, write_table
from empathykit.agreement.compute import compute_agreement
from empathykit.agreement.summary import summary_rows
from empathykit.errors import AgreementError, InputError
from empathykit.schemas import get_schema
from empathykit.schemas.base import Field, Schema
from empathykit.table.agreement import Estimate, FieldAgreement, ReferenceAgreement, Settings, read_agreement
from empathykit.table.columns import encode_value

FAST = Settings(n_boot=200)
nan = np.nan

# Krippendorff (2011) sec. C reliability data: observers A-D x units 1-12
K2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]


def schema_with(*fields: Field) -> Schema:
    names = " ".join(f'name="{f.name}"' for f in fields)
    return Schema(
        name="test",
        title="test",
        instructions="",
        inputs=("text",),
        fields=fields,
        config_template=f'<View><Text name="text" value="$text"/><!-- {names} --></View>',
    )


def k2011_table(field: str, convert=lambda v: v) -> Table:
    table = Table()
    for observer, row in enumerate(K2011, start=1):
        for unit, value in enumerate(row, start=1):
            if not np.isnan(value):
                table.add(f"u{unit:02d}", observer, {field: convert(int(value))})
    return table


def value(result, field, name):
    return result.fields[field].coefficients[name].value


# -- levels through the whole table path --------------------------------------------------------------


def test_nominal_choice_field_matches_published_values():
    schema = schema_with(Field("code", "choice", "nominal", "text", labels=("1", "2", "3", "4", "5")))
    result = compute_agreement(k2011_table("code", str).frame(), schema, settings=FAST)
    assert round(value(result, "code", "krippendorff_alpha"), 3) == 0.743
    assert value(result, "code", "fleiss_kappa") == pytest.approx(0.76117, abs=5e-6)
    assert value(result, "code", "gwet_ac1") == pytest.approx(0.77544, abs=5e-6)
    assert value(result, "code", "percent_agreement") == pytest.approx(0.8181818, abs=1e-7)
    report = result.fields["code"].agreement
    assert report.units == 12 and report.pairable_units == 11
    assert len(report.pairs) == 6 and len(report.annotators) == 4


@pytest.mark.parametrize("level,published", [("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)])
def test_rating_field_at_its_level(level, published):
    schema = schema_with(Field("score", "rating", level, "text", scale=(1, 5)))
    result = compute_agreement(k2011_table("score").frame(), schema, settings=FAST)
    assert round(value(result, "score", "krippendorff_alpha"), 3) == published
    assert "gwet_ac2" in result.fields["score"].coefficients
    assert result.fields["score"].agreement.weights == "quadratic"
    if level == "interval":
        assert value(result, "score", "gwet_ac2") == pytest.approx(0.914, abs=5e-4)


def test_weighted_kappa_uses_the_weights_asked_for():
    schema = schema_with(Field("score", "rating", "ordinal", "text", scale=(1, 5)))
    frame = k2011_table("score").frame()
    linear = compute_agreement(frame, schema, settings=Settings(n_boot=0, weights="linear"))
    quadratic = compute_agreement(frame, schema, settings=Settings(n_boot=0, weights="quadratic"))
    assert linear.fields["score"].agreement.weights == "linear"
    assert value(linear, "score", "cohen_kappa_mean") != pytest.approx(value(quadratic, "score", "cohen_kappa_mean"))
    # alpha does not depend on kappa weights
    assert value(linear, "score", "krippendorff_alpha") == value(quadratic, "score", "krippendorff_alpha")


def test_ordinal_choice_labels_are_ranks_in_schema_order():
    labels = ("low", "mid", "high")
    schema = schema_with(Field("level", "choice", "ordinal", "text", labels=labels))
    table = Table()
    data = [[0, 0, 1], [1, 1, 1], [2, 1, 2], [0, 1, 0], [2, 2, 2]]
    for unit, row in enumerate(data):
        for annotator, code in enumerate(row, start=1):
            table.add(f"u{unit}", annotator, {"level": labels[code]})
    result = compute_agreement(table.frame(), schema, settings=FAST)
    reliability = np.array(data, dtype=float).T
    assert value(result, "level", "krippendorff_alpha") == pytest.approx(
        krippendorff.alpha(reliability_data=reliability, level_of_measurement="ordinal")
    )


def test_multichoice_masi_alpha_and_per_label_binary():
    schema = schema_with(Field("emotions", "multichoice", "nominal", "text", labels=("sad", "angry", "fear")))
    answers = {
        "u1": [["sad"], ["sad"], ["sad", "fear"]],
        "u2": [["angry"], ["angry"], ["angry"]],
        "u3": [["fear"], ["sad"], ["fear"]],
        "u4": [[], [], ["sad"]],
    }
    table = Table()
    for item, sets in answers.items():
        for annotator, labels in enumerate(sets, start=1):
            table.add(item, annotator, {"emotions": labels})
    report = compute_agreement(table.frame(), schema, settings=FAST).fields["emotions"].agreement
    assert report.distance == "masi"
    # independent: the package with a MASI metric over the observed label sets
    domain = [frozenset(), frozenset({"sad"}), frozenset({"angry"}), frozenset({"fear"}), frozenset({"sad", "fear"})]

    def masi(a, b):
        if a == b:
            return 0.0
        m = 2 / 3 if (a <= b or b <= a) else (1 / 3 if a & b else 0.0)
        return 1 - len(a & b) / len(a | b) * m

    table_d = np.array([[masi(a, b) for b in domain] for a in domain])
    data = np.array([[domain.index(frozenset(s)) for s in sets] for sets in answers.values()], dtype=float).T
    expected = krippendorff.alpha(
        reliability_data=data,
        value_domain=np.arange(len(domain)),
        level_of_measurement=lambda v1, v2, i1, i2, n_v, dtype=np.float64: table_d[i1, i2],
    )
    assert report.coefficients["krippendorff_alpha"].value == pytest.approx(expected)
    assert set(report.labels_binary) == {"sad", "angry", "fear"}
    angry = report.labels_binary["angry"].coefficients
    assert angry["percent_agreement"].value == pytest.approx(1.0)


def test_free_text_field_is_not_applicable():
    schema = schema_with(
        Field("empathy", "choice", "nominal", "text", labels=("yes", "no")), Field("note", "text", "text", "text")
    )
    table = Table()
    for item in range(4):
        for annotator in (1, 2):
            table.add(f"u{item}", annotator, {"empathy": "yes" if item % 2 else "no", "note": f"n{annotator}"})
    result = compute_agreement(table.frame(), schema, settings=FAST)
    assert result.fields["note"] == FieldAgreement(
        "text", "text", not_applicable="free-text field: no agreement coefficient applies"
    )
    assert result.to_json()["fields"]["note"] == {
        "kind": "text",
        "level": "text",
        "not_applicable": "free-text field: no agreement coefficient applies",
    }
    assert any(row[0] == "note" for row in summary_rows(result))


# -- rules: cancelled, duplicates, identities, gold, rounds ----------------------------------------------------


SEEK = get_schema("seek-provide")


def test_cancelled_annotations_are_excluded_and_counted():
    base = compute_agreement(seek_table().frame(), SEEK, settings=FAST)
    table = seek_table()
    table.add("t00", 4, {"empathy": None}, cancelled=True)
    table.add("t01", 1, {"empathy": None}, cancelled=True)
    result = compute_agreement(table.frame(), SEEK, settings=FAST)
    assert (result.input.cancelled, result.input.cancelled_by_annotator) == (2, {"1": 1, "4": 1})
    assert result.annotators["4"].cancelled == 1
    assert result.fields["empathy"].coefficients == base.fields["empathy"].coefficients


def test_unit_annotated_twice_reports_it_and_the_later_annotation_counts():
    table = seek_table()
    first = table.rows[0]
    again = table.add(first["item_id"], first["annotator_id"], {"empathy": "none"})
    result = compute_agreement(table.frame(), SEEK, settings=FAST)
    duplicates = result.input
    assert duplicates.duplicate_units == [
        {"item_id": "t00", "field": "empathy", "annotator_id": 1, "kept": again, "dropped": [first["annotation_id"]]}
    ]
    assert "later annotation counts" in duplicates.duplicate_rule
    # same result as a table holding only the later annotation
    replaced = seek_table()
    replaced.rows[0]["value"] = encode_value("none")
    expected = compute_agreement(replaced.frame(), SEEK, settings=Settings(n_boot=0))
    got = compute_agreement(table.frame(), SEEK, settings=Settings(n_boot=0))
    assert got.fields["empathy"].coefficients == expected.fields["empathy"].coefficients


def test_annotator_identity_problems_are_reported():
    table = seek_table()
    table.add("t00", 2, {"empathy": "none"}, email="renamed@example.org")
    table.add("t01", 9, {"empathy": "none"}, email="a3@example.org")
    inp = compute_agreement(table.frame(), SEEK, settings=FAST).input
    assert {"annotator_id": 2, "emails": ["a2@example.org", "renamed@example.org"]} in inp.ids_with_several_emails
    assert {"email": "a3@example.org", "annotator_ids": [3, 9]} in inp.emails_with_several_ids


def test_gold_is_the_reference_not_a_rater_and_adjudication_overrides_it():
    table = seek_table()
    truth = {f"t{i:02d}": ["seeking", "providing", "none"][i % 3] for i in range(30)}
    for item, label in truth.items():
        table.add(item, 99, {"empathy": label}, gold=True)
    result = compute_agreement(table.frame(), SEEK, settings=FAST)
    report = result.fields["empathy"]
    assert [a.annotator_id for a in report.agreement.annotators] == [1, 2, 3]
    assert report.reference == {"gold": 30, "adjudicated": 0}
    frame = seek_table().frame()
    for row in report.agreement.annotators:
        mine = frame[frame["annotator_id"] == row.annotator_id]
        agree = np.mean([json.loads(v) == truth[i] for i, v in zip(mine["item_id"], mine["value"])])
        assert row.reference.units == 30
        assert row.reference.scores["percent_agreement"].value == pytest.approx(agree)

    adjudicated = pd.DataFrame(
        {
            "item_id": ["t00", "t01"],
            "field": ["empathy", "empathy"],
            "value": [encode_value("none"), encode_value("none")],
        }
    )
    overridden = compute_agreement(table.frame(), SEEK, adjudications=adjudicated, settings=FAST)
    assert overridden.fields["empathy"].reference == {"gold": 28, "adjudicated": 2}


def test_rounds_are_computed_round_by_round():
    frame = seek_table().frame()
    result = compute_agreement(frame, SEEK, settings=FAST)
    assert result.rounds == [1, 2]
    rounds = result.fields["empathy"].rounds
    assert [r.round for r in rounds] == [1, 2] and [r.agreement.units for r in rounds] == [15, 15]
    alone = compute_agreement(frame[frame["round"] == 2], SEEK, settings=FAST)
    assert rounds[1].agreement.coefficients["krippendorff_alpha"].value == pytest.approx(
        value(alone, "empathy", "krippendorff_alpha")
    )


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    frame = seek_table().frame()
    one = compute_agreement(frame, SEEK, settings=Settings(n_boot=300, seed=1))
    two = compute_agreement(frame, SEEK, settings=Settings(n_boot=300, seed=1))
    other = compute_agreement(frame, SEEK, settings=Settings(n_boot=300, seed=2))
    est = one.fields["empathy"].coefficients["krippendorff_alpha"]
    assert est == two.fields["empathy"].coefficients["krippendorff_alpha"]
    assert est.ci != other.fields["empathy"].coefficients["krippendorff_alpha"].ci
    assert est.ci[0] < est.value < est.ci[1] and est.n_boot == 300
    for coefficient in one.fields["empathy"].coefficients.values():
        assert coefficient.ci is not None


# -- undefined, never NaN -----------------------------------------------------------------------------------------


def test_no_unit_with_two_annotations_is_undefined_with_its_reason():
    table = Table()
    for item in range(5):
        table.add(f"u{item}", item + 1, {"empathy": "none"})
    result = compute_agreement(table.frame(), SEEK, settings=FAST)
    coefficients = result.fields["empathy"].coefficients
    assert coefficients["krippendorff_alpha"] == Estimate(
        None, undefined="no unit has values from two or more annotators"
    )
    assert all(c.value is None and c.undefined for c in coefficients.values())
    json.dumps(result.to_json(), allow_nan=False)


def test_one_category_only_is_undefined_for_kappa_but_not_for_ac1():
    table = Table()
    for item in range(6):
        for annotator in (1, 2, 3):
            table.add(f"u{item}", annotator, {"empathy": "none"})
    result = compute_agreement(table.frame(), SEEK, settings=FAST)
    coefficients = result.fields["empathy"].coefficients
    assert coefficients["krippendorff_alpha"].value is None
    assert "only one value occurs" in coefficients["krippendorff_alpha"].undefined
    assert "'none'" in coefficients["krippendorff_alpha"].undefined
    assert coefficients["fleiss_kappa"].value is None
    assert coefficients["cohen_kappa_mean"].value is None
    assert coefficients["gwet_ac1"].value == pytest.approx(1.0)
    assert coefficients["percent_agreement"].value == pytest.approx(1.0)
    json.dumps(result.to_json(), allow_nan=False)


def test_field_without_values_is_reported_not_crashed():
    schema = schema_with(
        Field("empathy", "choice", "nominal", "text", labels=("yes", "no")),
        Field("intensity", "rating", "ordinal", "text", scale=(1, 3), required=False),
    )
    table = Table()
    for item in range(3):
        table.add(f"u{item}", 1, {"empathy": "yes", "intensity": None})
        table.add(f"u{item}", 2, {"empathy": "no", "intensity": None})
    result = compute_agreement(table.frame(), schema, settings=FAST)
    assert result.fields["intensity"].undefined == "no submitted annotation has a value for this field"


# -- spans -------------------------------------------------------------------------------------------------------------


def spans_fixture():
    schema = schema_with(Field("rationale", "spans", "spans", "text", labels=("r",)))
    texts = {"p1": "i feel so alone and sad today", "p2": "nobody listens to me anymore"}
    marks = {  # (item, annotator): [(start, end)]
        ("p1", 1): [(2, 15)],
        ("p1", 2): [(7, 15), (20, 23)],
        ("p1", 3): [(2, 15)],
        ("p2", 1): [(0, 14)],
        ("p2", 2): [(0, 6)],
        ("p2", 3): [],
    }
    table = Table()
    for (item, annotator), ranges in marks.items():
        spans = [{"start": s, "end": e, "text": texts[item][s:e], "label": "r"} for s, e in ranges]
        table.add(item, annotator, {"rationale": spans})
    items = pd.DataFrame({"item_id": list(texts), "text": list(texts.values())})
    return schema, table.frame(), items


def test_spans_with_item_texts_give_f1_and_u_alpha():
    schema, frame, items = spans_fixture()
    report = compute_agreement(frame, schema, items=items, settings=FAST).fields["rationale"].agreement
    assert report.tokens == "item text"
    assert report.coefficients["u_alpha"].value is not None
    assert report.u_alpha_units == 2
    pair_12 = report.pairs[0]
    assert pair_12.annotators == (1, 2)
    # p1: A={feel,so,alone} B={so,alone,sad}; p2: A={nobody,listens} B={nobody}: 2*(2+1)/(3+3+2+1)
    assert pair_12.scores["token_f1"].value == pytest.approx(6 / 9)
    pair_13 = report.pairs[1]
    # p1 identical (1 span each, matched); p2: 3 marked nothing → 1 unmatched span of 1
    assert pair_13.scores["iou_f1"].value == pytest.approx(2 * 0.5 * 1.0 / 1.5)


def test_spans_without_item_texts_say_why_u_alpha_is_missing():
    schema, frame, _ = spans_fixture()
    report = compute_agreement(frame, schema, settings=FAST).fields["rationale"].agreement
    assert report.tokens.startswith("span texts")
    assert report.coefficients["u_alpha"].value is None
    assert "item texts" in report.coefficients["u_alpha"].undefined
    assert report.coefficients["token_f1"].value is not None


# -- bad input ------------------------------------------------------------------------------------------------------------


def test_missing_columns_name_what_was_expected(tmp_path):
    path = tmp_path / "bad.parquet"
    pd.DataFrame({"item_id": ["a"], "value": ["1"]}).to_parquet(path)
    with pytest.raises(
        InputError, match=r"missing columns \['annotation_id', 'annotator_id', 'field', 'was_cancelled'\]"
    ):
        compute_agreement(path, SEEK)
    with pytest.raises(InputError, match="no such file; expected the annotations"):
        compute_agreement(tmp_path / "none.parquet", SEEK)


def test_wrong_schema_and_bad_values_are_one_line_errors():
    frame = seek_table().frame()
    other = schema_with(Field("score", "rating", "ordinal", "text", scale=(1, 5)))
    with pytest.raises(AgreementError, match="hold none of schema 'test'"):
        compute_agreement(frame, other)
    frame.loc[3, "value"] = encode_value("maybe")
    with pytest.raises(AgreementError, match=r"item 't01', field 'empathy': value 'maybe' does not fit"):
        compute_agreement(frame, SEEK)
    frame.loc[3, "value"] = "{not json"
    with pytest.raises(AgreementError, match="is not JSON"):
        compute_agreement(frame, SEEK)
    with pytest.raises(AgreementError, match="weights must be linear or quadratic"):
        Settings(weights="cubic")


# -- disagreements -------------------------------------------------------------------------------------------------------------


def test_disagreements_list_units_where_annotators_differ(tmp_path):
    table = seek_table()
    frame = table.frame()
    found = find_disagreements(frame, SEEK)
    values = frame.groupby("item_id")["value"].nunique()
    assert sorted(found["item_id"]) == sorted(values[values > 1].index)
    answers = json.loads(found.iloc[0]["answers"])
    assert {a["email"] for a in answers} == {"a1@example.org", "a2@example.org", "a3@example.org"}
    for out in (tmp_path / "d.parquet", tmp_path / "d.csv"):
        write_table(found, out)
    assert len(pd.read_parquet(tmp_path / "d.parquet")) == len(pd.read_csv(tmp_path / "d.csv")) == len(found)
    with pytest.raises(InputError, match="expected .parquet or .csv"):
        write_table(found, tmp_path / "d.xlsx")


def test_adjudication_schema_shows_the_answers_panel():
    schema = adjudication_schema(SEEK)
    xml = schema.label_config()
    assert f'value="${ANSWERS_KEY}"' in xml and 'name="empathy"' in xml
    assert ANSWERS_KEY in schema.optional_inputs and schema.name == SEEK.name
    import xml.etree.ElementTree as ET

    ET.fromstring(xml)


def test_crowd_design_lists_only_pairs_that_share_units():
    table = Table()
    labels = ["seeking", "providing", "none"]
    # annotators 1-2 share units u0-u9, 2-3 share u10-u19, 3-4 share u20-u29; 1 and 4 never meet
    for block, (a, b) in enumerate([(1, 2), (2, 3), (3, 4)]):
        for k in range(10):
            item = f"u{block * 10 + k}"
            table.add(item, a, {"empathy": labels[k % 3]})
            table.add(item, b, {"empathy": labels[k % 3] if k % 4 else labels[(k + 1) % 3]})
    report = compute_agreement(table.frame(), SEEK, settings=FAST).fields["empathy"].agreement
    assert [p.annotators for p in report.pairs] == [(1, 2), (2, 3), (3, 4)]
    assert all(p.units == 10 for p in report.pairs)
    assert report.coefficients["krippendorff_alpha"].value is not None


def test_rows_without_item_id_or_annotator_still_count():
    frame = seek_table().frame()
    frame["item_id"] = frame["item_id"].astype(object)
    frame.loc[frame["item_id"] == "t00", "item_id"] = None
    frame["annotator_id"] = frame["annotator_id"].astype("Int64")
    frame.loc[0, "annotator_id"] = pd.NA
    result = compute_agreement(frame, SEEK, settings=Settings(n_boot=0))
    assert result.fields["empathy"].agreement.units == 30
    assert "-1" in result.annotators


def test_agreement_with_others_by_hand_and_no_reference_said_so():
    frame = seek_table().frame()
    report = compute_agreement(frame, SEEK, settings=FAST).fields["empathy"].agreement
    labels = frame.pivot(index="item_id", columns="annotator_id", values="value")
    mine, others = labels[1], labels[[2, 3]]
    expected = sum((others.to_numpy() == mine.to_numpy()[:, None]).ravel()) / others.size
    first = report.annotators[0]
    assert first.scores["agreement_with_others"].value == pytest.approx(expected)
    assert first.reference == ReferenceAgreement(0, undefined="no gold or adjudicated label on this annotator's units")
    # alpha without annotator 1 is alpha of annotators 2 and 3 alone
    codes = np.array(
        [[["seeking", "providing", "none"].index(json.loads(v)) for v in labels[a]] for a in (2, 3)], float
    )
    assert first.scores["alpha_without"].value == pytest.approx(
        krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal")
    )


def test_agreement_json_reads_back_into_the_same_result(tmp_path):
    """agreement.json is what the export card reads: every field kind survives the round trip."""
    schema, frame, items = spans_fixture()
    spans = compute_agreement(frame, schema, items=items, settings=FAST)
    multi = Table()
    for item, sets in {"u1": [["sad"], ["sad", "fear"]], "u2": [["fear"], ["fear"]]}.items():
        for annotator, labels in enumerate(sets, start=1):
            multi.add(item, annotator, {"emotions": labels, "note": "x"}, round=int(item[1]))
    multi_schema = schema_with(
        Field("emotions", "multichoice", "nominal", "text", labels=("sad", "fear")),
        Field("note", "text", "text", "text"),
    )
    for result in (
        spans,
        compute_agreement(multi.frame(), multi_schema, settings=FAST),
        compute_agreement(seek_table().frame(), SEEK, settings=FAST),
    ):
        path = tmp_path / "agreement.json"
        path.write_text(json.dumps(result.to_json()))
        again = read_agreement(path)
        assert again == result
        assert again.to_json() == result.to_json()


def test_a_file_that_is_not_agreement_json_is_one_line(tmp_path):
    path = tmp_path / "agreement.json"
    path.write_text(json.dumps({"fields": {"empathy": {"kind": "choice"}}}))
    with pytest.raises(AgreementError, match="agreement JSON of another layout"):
        read_agreement(path)
