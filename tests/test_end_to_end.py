"""The whole seek/provide path against a real Label Studio: bundled sample
tweets → collect → filter → push → three annotators submit through the API →
pull → agreement → export → ``exports.load``. Numbers are checked against
independent computations written here, not against the toolkit itself."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from empathykit.agreement.compute import compute_agreement
from empathykit.annotate.pull import pull
from empathykit.annotate.push import push
from empathykit.cli.main import app
from empathykit.exports.hf import export_dataset
from empathykit.pipelines.filtering import run_filter
from empathykit.pipelines.readers import collect_files
from empathykit.quickstart import sample_tweets_path
from empathykit.schemas import get_schema
from empathykit.table.agreement import Settings

LABELS = ("seeking", "providing", "none")


def planned_labels(i: int) -> dict[str, str | None]:
    """What annotators a, b, c answer on the i-th task (None: skipped)."""
    truth = LABELS[i % 3]
    other = LABELS[(i + 1) % 3]
    return {
        "a": truth,
        "b": other if i % 5 == 0 else truth,
        "c": None if i % 4 == 1 else (LABELS[(i + 2) % 3] if i % 7 == 0 else truth),
    }


def nominal_alpha(units: list[list[str]]) -> float:
    """Krippendorff's alpha (nominal) from its coincidence-matrix definition."""
    pairable = [u for u in units if len(u) >= 2]
    values = sorted({v for u in pairable for v in u})
    index = {v: k for k, v in enumerate(values)}
    o = np.zeros((len(values), len(values)))
    for u in pairable:
        for x, y in ((x, y) for i, x in enumerate(u) for j, y in enumerate(u) if i != j):
            o[index[x], index[y]] += 1 / (len(u) - 1)
    n_c, n = o.sum(axis=1), o.sum()
    d_o = o.sum() - np.trace(o)
    d_e = (n * n - (n_c**2).sum()) / (n - 1)
    return 1 - d_o / d_e


def cohen_kappa(a: list[str], b: list[str]) -> float:
    n = len(a)
    p_o = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    p_e = sum(ca[k] * cb[k] for k in set(a) | set(b)) / n**2
    return (p_o - p_e) / (1 - p_e)


@pytest.mark.slow
def test_seek_provide_end_to_end(studio, project_dir, tmp_path):
    # collect + filter the bundled sample
    read = collect_files([sample_tweets_path()], tmp_path / "posts.parquet")
    filtered = run_filter([tmp_path / "posts.parquet"], tmp_path / "filtered.parquet")
    kept = pd.read_parquet(tmp_path / "filtered.parquet")
    assert read.posts > filtered.counts["kept"] == len(kept) >= 40
    assert kept["text"].str.contains("cancer", case=False).all()
    assert not kept["text"].str.contains(r"https?://|(?:^|\s)@\w", regex=True).any()

    # push (twice: the second imports nothing)
    title = studio.project_title("e2e seek-provide")
    report = push(
        tmp_path / "filtered.parquet",
        schema="seek-provide",
        project=title,
        id_column="id",
        round_size=20,
        overlap=3,
        connection=studio.connection,
    )
    assert report.created == len(kept)
    again = push(
        tmp_path / "filtered.parquet",
        schema="seek-provide",
        project=title,
        id_column="id",
        round_size=20,
        overlap=3,
        connection=studio.connection,
    )
    assert (again.created, again.skipped) == (0, len(kept))

    # three annotators submit through the API
    schema = get_schema("seek-provide")
    accounts = dict(zip("abc", studio.make_annotators(3)))
    tasks = studio.tasks(report.project_id)
    assert len(tasks) == len(kept)
    planned: dict[str, dict[str, str | None]] = {}
    for i, task in enumerate(tasks):
        plan = planned_labels(i)
        planned[str(task["data"]["item_id"])] = plan
        for who, label in plan.items():
            if label is None:
                studio.submit(task["id"], [], accounts[who], was_cancelled=True)
            else:
                studio.submit(task["id"], schema.to_results({"empathy": label}), accounts[who], lead_time=2.0 + i)

    # pull: one row per annotation, exactly what was submitted
    out = tmp_path / "annotations.parquet"
    pulled = pull(title, out=out, schema="seek-provide", connection=studio.connection)
    tidy = pd.read_parquet(out)
    assert pulled.annotations == 3 * len(tasks)
    email_to_who = {acc.email: who for who, acc in accounts.items()}
    for row in tidy.itertuples():
        expected = planned[row.item_id][email_to_who[row.annotator_email]]
        if expected is None:
            assert row.was_cancelled
        else:
            assert not row.was_cancelled and row.value == f'"{expected}"'
    assert sorted(tidy["round"].dropna().unique()) == list(range(1, (len(kept) - 1) // 20 + 2))

    # agreement against independent computations
    units = [[label for label in plan.values() if label] for plan in planned.values()]
    result = compute_agreement(
        out, schema, items=tmp_path / "annotations.items.parquet", settings=Settings(n_boot=200, seed=1)
    )
    alpha = result.fields["empathy"].coefficients["krippendorff_alpha"]
    assert alpha.value == pytest.approx(nominal_alpha(units), abs=1e-9)
    low, high = alpha.ci
    assert low <= alpha.value <= high
    for pair in result.fields["empathy"].agreement.pairs:
        a, b = (email_to_who[result.who(i)] for i in pair.annotators)
        both = [(p[a], p[b]) for p in planned.values() if p[a] and p[b]]
        assert pair.scores["cohen_kappa"].value == pytest.approx(cohen_kappa(*zip(*both)), abs=1e-9)

    # export: majority vote, flagged ties, exact round trip through exports.load
    from empathykit import exports

    exported = export_dataset(out, "seek-provide", tmp_path / "export", seed=3)
    dataset = exports.load(tmp_path / "export", task="seek-provide").dataset
    majorities = {item: Counter(v for v in plan.values() if v).most_common() for item, plan in planned.items()}
    ties = {item for item, counts in majorities.items() if len(counts) > 1 and counts[0][1] == counts[1][1]}
    assert exported.ties == len(ties)
    seen = set()
    for split in dataset.values():
        for row in split:
            seen.add(row["item_id"])
            assert LABELS[row["label"]] == majorities[row["item_id"]][0][0]
            assert row["n_annotators"] == sum(v is not None for v in planned[row["item_id"]].values())
    assert seen == set(planned) - ties


@pytest.mark.slow
def test_cli_path_push_pull_agreement_export(studio_env, project_dir, tmp_path):
    """The same path through the commands a data lead types."""
    runner = CliRunner()
    items = tmp_path / "items.jsonl"
    texts = [f"my mum has cancer and I feel so alone, day {i}" for i in range(12)]
    pd.DataFrame({"item_id": [f"i{i}" for i in range(12)], "text": texts}).to_json(items, orient="records", lines=True)
    title = studio_env.project_title("e2e cli")
    result = runner.invoke(
        app, ["annotate", "push", "--schema", "seek-provide", "--input", str(items), "--project", title]
    )
    assert result.exit_code == 0, result.output
    schema = get_schema("seek-provide")
    a, b = studio_env.make_annotators(2)
    tasks = studio_env.tasks(_project_id(studio_env, title))
    for i, task in enumerate(tasks):
        studio_env.submit(task["id"], schema.to_results({"empathy": "seeking"}), a)
        studio_env.submit(task["id"], schema.to_results({"empathy": "seeking" if i % 4 else "none"}), b)
    out = tmp_path / "ann.parquet"
    result = runner.invoke(app, ["annotate", "pull", "--project", title, "--out", str(out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["agreement", "compute", str(out), "--schema", "seek-provide", "--out", str(tmp_path / "agreement.json")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "agreement.json").exists()
    result = runner.invoke(app, ["export", str(out), "--out", str(tmp_path / "export")])
    assert result.exit_code == 0, result.output
    from empathykit import exports

    dataset = exports.load(tmp_path / "export", task="seek-provide").dataset
    # items 0, 4, 8 tie (seeking vs none); the rest are unanimous
    assert sum(len(split) for split in dataset.values()) == 9


def _project_id(studio, title: str) -> int:
    from empathykit.annotate.connection import connect
    from empathykit.annotate.projects import require_project

    return require_project(connect(studio.connection), title).id


def test_bad_token_names_the_url_and_the_fix(studio, monkeypatch, tmp_path):
    monkeypatch.setenv("LABEL_STUDIO_URL", studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "not-a-token")
    items = tmp_path / "items.jsonl"
    pd.DataFrame({"item_id": ["x"], "text": ["a tweet about cancer"]}).to_json(items, orient="records", lines=True)
    result = CliRunner().invoke(
        app, ["annotate", "push", "--schema", "seek-provide", "--input", str(items), "--project", "never"]
    )
    assert result.exit_code != 0
    assert studio.url in result.output and "not-a-token" not in result.output
    assert "Traceback" not in result.output
