"""The streaming filter: stages and counts, masking, dedup, bounded memory, the Dask runner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from empathykit.errors import InputError
from empathykit.pipelines.filtering import (
    STAGES,
    Deduplicator,
    FilterConfig,
    HashSet,
    filter_batch,
    mask_text,
    normalise_text,
    run_filter,
    word_pattern,
)
from empathykit.pipelines.posts import FILTERED_SCHEMA, rows_to_batch
from empathykit.pipelines.readers import collect_files
from empathykit.pipelines.synthetic import write_tweets_jsonl

SAMPLE = Path(__file__).resolve().parents[1] / "empathykit" / "pipelines" / "sample_data" / "tweets.jsonl"

# (text, extra columns, the stage that drops it or None)
CASES = [
    ("   ", {}, "empty_text"),
    ("mi madre tiene cancer y dolor, pain", {"lang": "es"}, "language"),
    ("undetermined cancer pain grief", {"lang": "und"}, "language"),
    ("no language column but cancer pain hurts", {"lang": None}, None),
    ("RT @bob: my cancer pain is back", {"is_retweet": True}, "retweets"),
    ("RT @bob: manual retweet of cancer pain", {}, "retweets"),
    ("\u201c@bob: cancer pain is the worst\u201d so true", {}, "quote_copies"),
    ("https://t.co/abc", {"is_quote": True}, "quote_copies"),
    ("my own words on this cancer pain https://t.co/q", {"is_quote": True}, None),
    ("I feel pain today and nobody listens", {}, "topic"),
    ("@cancerfund helped me feel better today", {}, "topic"),
    ("cancerous feelings are not the topic", {}, "topic"),
    ("cancer screening tomorrow at ten", {}, "lexicon"),
    ("cancer cancer cancer #cancer", {}, "lexicon"),
    ("cancer pain", {}, "min_tokens"),
    ("Cancer pain is awful today https://t.co/x", {}, None),
    ("Cancer pain is awful today https://t.co/y", {}, "exact_duplicates"),
    ("@alice CANCER PAIN is awful today!!", {}, "near_duplicates"),
    ("#Cancer and grief, together again", {}, None),
]


def _batch(cases):
    rows = [
        {"id": str(i), "text": text, "lang": "en", "is_retweet": False, "is_quote": False, **extra}
        for i, (text, extra, _) in enumerate(cases)
    ]
    return rows_to_batch(rows)


def _run_batches(batches, config):
    dedup, totals, kept = Deduplicator(config.exact_dedup, config.near_dedup), dict.fromkeys(STAGES, 0), []
    for batch in batches:
        survivors, counts = filter_batch(batch, config)
        out, dup_counts = dedup(survivors)
        for name, value in {**counts, **dup_counts}.items():
            totals[name] += value
        kept.append(out)
    return pa.Table.from_batches(kept), totals


def test_every_stage_drops_exactly_its_posts():
    table, totals = _run_batches([_batch(CASES)], FilterConfig())
    expected = {stage: sum(1 for *_, s in CASES if s == stage) for stage in STAGES}
    assert totals == expected
    assert table["id"].to_pylist() == [str(i) for i, (*_, s) in enumerate(CASES) if s is None]
    assert table.column("text").to_pylist()[2] == "Cancer pain is awful today <URL>"


def test_stage_switches():
    config = FilterConfig(
        languages=(), drop_retweets=False, drop_quote_copies=False, min_tokens=0, exact_dedup=False, near_dedup=False
    )
    table, totals = _run_batches([_batch(CASES)], config)
    assert totals["language"] == totals["retweets"] == totals["quote_copies"] == totals["min_tokens"] == 0
    assert totals["exact_duplicates"] == totals["near_duplicates"] == 0
    # the bare-link quote now reaches the topic stage and fails it
    assert totals["topic"] == 4 and totals["lexicon"] == 2 and totals["empty_text"] == 1
    assert table.num_rows == len(CASES) - 7
    quotes = FilterConfig(drop_quotes=True)
    _, totals = _run_batches([_batch(CASES)], quotes)
    assert totals["quote_copies"] == 3


def test_scores_are_columns_of_the_output():
    table, _ = _run_batches([_batch(CASES)], FilterConfig())
    assert table.schema.names[: len(FILTERED_SCHEMA)] == FILTERED_SCHEMA.names
    row = table.to_pylist()[-1]  # "#Cancer and grief, together again"
    assert row["lexicon_matches"] == 2 and row["lexicon_coverage"] == pytest.approx(2 / 5)
    assert row["empathy_score"] == pytest.approx((6.190857 + 6.004203) / 2) and row["distress_score"] is None


def test_masking():
    config = FilterConfig(mask_emails=True, mask_phones=True)
    texts = pa.array(
        [
            "see https://example.org/a?b=1 and www.example.com now",
            "@alice @bob_2 thanks!(@carol) mail me: jo.doe+x@mail.example.org",
            "call 555-123-4567 or (555) 123 4567 or +44 20 7946 0958, not 2015",
            "an e-mail a@b.co stays when not masked",
        ]
    )
    masked = mask_text(texts, config).to_pylist()
    assert masked[0] == "see <URL> and <URL> now"
    assert masked[1] == "<USER> <USER> thanks!(<USER>) mail me: <EMAIL>"
    assert masked[2] == "call <PHONE> or <PHONE> or <PHONE>, not 2015"
    assert mask_text(texts[3:], FilterConfig()).to_pylist() == ["an e-mail a@b.co stays when not masked"]


def test_word_pattern_is_whole_words_and_skips_placeholders():
    import pyarrow.compute as pc

    pattern = word_pattern(["pain", "user"])
    texts = pa.array(["Pain.", "#pain", "painful", "<USER> hi", "user here", "no"])
    assert pc.match_substring_regex(texts, pattern).to_pylist() == [True, True, False, False, True, False]
    assert normalise_text(pa.array(["<USER> Cancer PAIN, again!! <URL>"])).to_pylist() == ["cancer pain again"]


def test_dedup_across_batches_keeps_first_occurrence():
    texts = [
        "cancer pain one a",
        "cancer pain two b",
        "Cancer pain one a!",
        "cancer pain one a",
        "cancer pain two b",
        "CANCER pain TWO b",
        "cancer pain three c",
    ]
    rows = [(t, {}, None) for t in texts]
    whole, whole_totals = _run_batches([_batch(rows)], FilterConfig())
    parts = [_batch(rows[i : i + 2]) for i in range(0, len(rows), 2)]
    for i, part in enumerate(parts):  # unique ids per split, as in a real stream
        parts[i] = part.set_column(0, "id", pa.array([str(2 * i + j) for j in range(part.num_rows)]))
    split, split_totals = _run_batches(parts, FilterConfig())
    assert whole["text"].to_pylist() == split["text"].to_pylist() == [texts[0], texts[1], texts[6]]
    assert whole_totals == split_totals
    assert whole_totals["exact_duplicates"] == 2 and whole_totals["near_duplicates"] == 2


def test_hash_set_matches_python_set():
    rng = np.random.default_rng(0)
    hashes, reference = HashSet(), set()
    for _ in range(30):
        keys = rng.integers(0, 5000, size=200).astype(np.uint64)
        found = hashes.contains(keys)
        assert found.tolist() == [int(k) in reference for k in keys]
        fresh = np.unique(keys[~found])
        hashes.add(fresh)
        reference.update(int(k) for k in fresh)
    assert len(hashes) == len(reference) and len(hashes.runs) < 12


def test_run_filter_on_sample_writes_output_and_counts(tmp_path):
    result = run_filter([SAMPLE], tmp_path / "kept.parquet")
    table = pq.read_table(tmp_path / "kept.parquet")
    assert table.schema == FILTERED_SCHEMA and table.num_rows == result.counts["kept"] >= 40
    counts = json.loads((tmp_path / "kept.counts.json").read_text())
    assert [s["stage"] for s in counts["stages"]] == list(STAGES)
    assert counts["input"] == 151 and counts["input"] - sum(s["dropped"] for s in counts["stages"]) == counts["kept"]
    assert all(s["dropped"] > 0 for s in counts["stages"] if s["stage"] != "empty_text")
    assert not table["text"].to_pandas().str.contains(r"https?://|(?:^|[^\w])@\w", regex=True).any()
    assert len(table["id"].unique()) == table.num_rows


def test_run_filter_errors(tmp_path):
    with pytest.raises(InputError, match="no inputs"):
        run_filter([], tmp_path / "x.parquet")
    with pytest.raises(InputError, match="besides the topic terms"):
        from empathykit.lexicons import Lexicon

        FilterConfig(lexicon=Lexicon(["cancer"], {"empathy": np.array([6.0])}))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    jsonl = write_tweets_jsonl(folder / "tweets.jsonl", 12_000, seed=5)
    parquet = folder / "tweets.parquet"
    collect_files([jsonl], parquet, batch_size=1_500)  # eight row groups
    return jsonl, parquet


def test_output_does_not_depend_on_batch_size(synthetic, tmp_path):
    jsonl, parquet = synthetic
    one = run_filter([jsonl], tmp_path / "one.parquet", batch_size=100_000)
    many = run_filter([parquet], tmp_path / "many.parquet", batch_size=700)
    a, b = pq.read_table(tmp_path / "one.parquet"), pq.read_table(tmp_path / "many.parquet")
    assert a.num_rows > 1000
    assert a.drop_columns(["source_line"]).equals(b.drop_columns(["source_line"]))
    assert one.counts["stages"] == many.counts["stages"]


def test_parallel_parse_and_filter_give_the_one_thread_output(synthetic, tmp_path, monkeypatch):
    """Blocks parsed and batches filtered on several threads come back in input order: the same
    rows, order and counts as one thread (first occurrence wins the dedup in both)."""
    from empathykit.pipelines import fastjson, parallel

    jsonl, _ = synthetic
    monkeypatch.setattr(fastjson, "_JSON_BLOCK", 64 << 10)  # about 45 blocks of the 12,000 tweets
    runs = {}
    for workers in (1, 4):
        monkeypatch.setattr(parallel, "cores", lambda workers=workers: workers)
        runs[workers] = run_filter([jsonl], tmp_path / f"w{workers}.parquet", batch_size=500)
    one, four = pq.read_table(tmp_path / "w1.parquet"), pq.read_table(tmp_path / "w4.parquet")
    assert one.num_rows > 1000 and one.equals(four)
    assert runs[1].counts["stages"] == runs[4].counts["stages"]
    assert runs[4].counts["read"]["posts"] == 12_000


def test_ordered_map_keeps_order_and_raises_where_the_failure_is():
    from empathykit.pipelines.parallel import ordered_map

    def square_or_fail(i: int) -> int:
        if i == 7:
            raise ValueError("seven")
        return i * i

    out = ordered_map(square_or_fail, range(20), workers=3)
    assert [next(out) for _ in range(7)] == [i * i for i in range(7)]
    with pytest.raises(ValueError, match="seven"):
        next(out)


def test_memory_is_bounded_by_the_batch_not_the_input(tmp_path):
    """Peak Arrow memory while filtering 4× more posts stays about the same."""
    peaks = []
    for n in (6_000, 24_000):
        source = write_tweets_jsonl(tmp_path / f"t{n}.jsonl", n, seed=2)
        parquet = tmp_path / f"t{n}.parquet"
        collect_files([source], parquet, batch_size=1_000)
        seen = []
        run_filter(
            [parquet],
            tmp_path / f"out{n}.parquet",
            batch_size=1_000,
            on_progress=lambda stage, done=None, total=None: seen.append(pa.total_allocated_bytes()),  # noqa: B023
        )
        assert len(seen) == n // 1_000 + 1  # streamed batch by batch (after the stage's first report)
        peaks.append(max(seen))
    assert peaks[1] < 1.5 * peaks[0] + (1 << 20)


def test_dask_runner_gives_the_local_output(synthetic, tmp_path):
    pytest.importorskip("dask")
    from empathykit.pipelines.dask_runner import run_filter_dask

    _, parquet = synthetic
    config = FilterConfig(mask_emails=True)
    local = run_filter([parquet], tmp_path / "local.parquet", config=config)
    dask = run_filter_dask([parquet], tmp_path / "dask.parquet", config=config, scheduler="threads")
    assert (tmp_path / "dask.parquet").is_file()  # one file, as the local engine writes
    assert pq.read_table(tmp_path / "dask.parquet").equals(pq.read_table(tmp_path / "local.parquet"))
    assert dask.counts["stages"] == local.counts["stages"] and dask.counts["read"] == local.counts["read"]
    assert json.loads((tmp_path / "dask.counts.json").read_text())["engine"] == "dask"
    assert not [p for p in tmp_path.iterdir() if ".parts-" in p.name]  # the parts are gone


def test_dask_runner_reads_what_the_local_one_reads_and_skips_bad_lines(tmp_path):
    pytest.importorskip("dask")
    from empathykit.pipelines.engines import filter_posts

    bad = tmp_path / "bad.jsonl"
    bad.write_text(SAMPLE.read_text(encoding="utf-8") + "not json\n", encoding="utf-8")
    config = FilterConfig(languages=(), drop_retweets=False, min_tokens=0)
    csv = tmp_path / "posts.csv"
    csv.write_text("id,text\n1,my cancer pain hurts and I feel alone\n2,nothing here\n", encoding="utf-8")
    local = filter_posts([SAMPLE, bad, csv], tmp_path / "local.parquet", config=config, skip_bad=True)
    dask = filter_posts([SAMPLE, bad, csv], tmp_path / "dask.parquet", engine="dask", config=config, skip_bad=True)
    assert pq.read_table(tmp_path / "dask.parquet").equals(pq.read_table(tmp_path / "local.parquet"))
    assert local.counts["kept"] > 0 and dask.counts["stages"] == local.counts["stages"]
    assert dask.counts["read"] == local.counts["read"] and dask.counts["read"]["bad_lines"] == 1
    with pytest.raises(InputError, match="not json|line"):  # without --skip-bad the bad line stops both
        filter_posts([bad], tmp_path / "stop.parquet", engine="dask", config=config)
    with pytest.raises(InputError, match="--engine 'spark' is not an engine; expected one of local, dask"):
        filter_posts([SAMPLE], tmp_path / "x.parquet", engine="spark")


@pytest.mark.parametrize(
    "option,allowed",
    [
        ("--engine", ("local", "dask")),
        ("--topic-match", ("word", "prefix", "substring")),
        ("--format", ("auto", "jsonl", "csv", "stream-grab", "parquet")),
    ],
)
def test_filter_closed_sets_are_listed_and_other_values_refused(option, allowed, tmp_path):
    from typer.testing import CliRunner

    from empathykit.cli.main import app

    runner = CliRunner()
    assert (
        "One of: " + ", ".join(allowed) + "." in runner.invoke(app, ["filter", "--help"], env={"COLUMNS": "300"}).output
    )
    result = runner.invoke(app, ["filter", str(SAMPLE), option, "foo", "-o", str(tmp_path / "out.parquet")])
    assert result.exit_code == 2 and all(f"'{value}'" in result.output for value in allowed), result.output
    assert not (tmp_path / "out.parquet").exists()


def test_filter_cli_dask_engine_honours_format_and_skip_bad(tmp_path):
    pytest.importorskip("dask")
    from typer.testing import CliRunner

    from empathykit.cli.main import app

    bad = tmp_path / "posts.txt"  # a name that says nothing: --format says JSONL
    bad.write_text(SAMPLE.read_text(encoding="utf-8") + "not json\n", encoding="utf-8")
    outputs = {}
    for engine in ("local", "dask"):
        out = tmp_path / f"{engine}.parquet"
        result = CliRunner().invoke(
            app,
            [
                "filter",
                str(bad),
                "-o",
                str(out),
                "--format",
                "jsonl",
                "--skip-bad",
                "--lang",
                "any",
                "--engine",
                engine,
            ],
        )
        assert result.exit_code == 0, result.output
        outputs[engine] = pq.read_table(out)
    assert outputs["dask"].equals(outputs["local"]) and outputs["local"].num_rows > 0
