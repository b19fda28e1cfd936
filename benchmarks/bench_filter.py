"""Benchmark: the streaming Arrow filter against a plain pandas + ``re``
implementation of the same rules and against ``pyarrow.json.read_json`` of
the same file alone, on generated tweets (``empathykit.pipelines.synthetic``).

    python benchmarks/bench_filter.py        # 1,000,000 tweets; memory at 250,000, 500,000 and 1,000,000
    python benchmarks/bench_filter.py --n 200000 --memory-sizes 50000,200000

Times are wall-clock seconds, best of ``--repeat`` runs, all in this process
(ratios are what matters). Peak memory (VmHWM, the resident high-water mark) is measured in a fresh
subprocess per size, so each number is that of one job alone; the filter also runs with
deduplication off, and the bytes its two hash sets hold are reported, so what grows with the
input (only those sets: 8 bytes per distinct post that reaches them) is separated out. The baseline's
kept ids are checked against the filter's: both must implement the same rules.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "_data"


def ensure_data(n: int, seed: int = 0) -> Path:
    from empathykit.pipelines.synthetic import write_tweets_jsonl

    path = DATA / f"tweets_{n}_{seed}.jsonl"
    if not path.exists():
        started = time.perf_counter()
        write_tweets_jsonl(path, n, seed)
        print(f"generated {n:,} tweets in {time.perf_counter() - started:.0f}s -> {path}", file=sys.stderr)
    return path


# -- (a) pandas + re: the same rules, written the plain way ---------------------------------------------------


def pandas_baseline(path: Path, output: Path, chunksize: int = 100_000) -> list[str]:
    import pandas as pd

    from empathykit.lexicons import bundled_lexicon
    from empathykit.pipelines.filtering import FilterConfig

    config = FilterConfig()
    lexicon = bundled_lexicon()
    ratings = dict(zip(lexicon.words, lexicon.ratings["empathy"]))

    def words_re(words):
        alternatives = sorted({re.escape(w) for w in words}, key=lambda w: (-len(w), w))
        return re.compile(r"(?:^|[^\w<])(?:" + "|".join(alternatives) + r")(?:[^\w]|$)", re.IGNORECASE)

    url = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE | re.ASCII)
    mention = re.compile(r"(^|[^\w@])@\w+", re.ASCII)
    manual_rt = re.compile(r"^\s*RT @\w", re.ASCII)
    quote_copy = re.compile('^\\s*["\u201c]@\\w+:', re.ASCII)
    only_links = re.compile(r"^\s*(?:(?:https?://|www\.)\S+\s*)*$", re.ASCII)
    topic = words_re(config.topics)
    lexicon_re = words_re([w for w in lexicon.words if w not in config.topics])
    token = re.compile(r"\w+")
    placeholder = re.compile(r"<(?:URL|USER|EMAIL|PHONE)>")
    seen_exact, seen_near, kept_ids, frames = set(), set(), [], []

    for df in pd.read_json(path, lines=True, chunksize=chunksize, dtype=False):
        df = df[df["text"].notna() & df["text"].str.contains(r"\S", regex=True)]
        df = df[df["lang"].isin(config.languages) | df["lang"].isna()]
        refs = df["referenced_tweets"].apply(lambda r: {x["type"] for x in r} if isinstance(r, list) else set())
        is_rt = refs.apply(lambda s: "retweeted" in s) | df["text"].apply(lambda t: bool(manual_rt.match(t)))
        df, refs = df[~is_rt], refs[~is_rt]
        is_quote = refs.apply(lambda s: "quoted" in s)
        copies = df["text"].apply(lambda t: bool(quote_copy.match(t))) | (
            is_quote & df["text"].apply(lambda t: bool(only_links.match(t)))
        )
        df = df[~copies].copy()
        df["text"] = df["text"].str.replace("&lt;", "<").str.replace("&gt;", ">").str.replace("&amp;", "&")
        df["text"] = df["text"].apply(lambda t: mention.sub(r"\1<USER>", url.sub("<URL>", t)))
        df = df[df["text"].apply(lambda t: bool(topic.search(t)))]
        df = df[df["text"].apply(lambda t: bool(lexicon_re.search(t)))]
        n_tokens = df["text"].apply(lambda t: len(token.findall(placeholder.sub(" ", t))))
        df = df[n_tokens >= config.min_tokens]
        keep = []
        for text in df["text"]:
            near = " ".join(token.findall(placeholder.sub(" ", text).lower()))
            if text in seen_exact:
                keep.append(False)
                continue
            seen_exact.add(text)
            keep.append(near not in seen_near)
            seen_near.add(near)
        df = df[keep].copy()

        def score(text):
            tokens = token.findall(placeholder.sub(" ", text).lower())
            hits = [ratings[t] for t in tokens if t in ratings]
            return pd.Series(
                {
                    "lexicon_matches": len(hits),
                    "empathy_score": sum(hits) / len(hits) if hits else None,
                    "lexicon_coverage": len(hits) / len(tokens) if tokens else None,
                }
            )

        if len(df):
            df = pd.concat([df, df["text"].apply(score)], axis=1)
        kept_ids.extend(df["id"].astype(str))
        frames.append(df[["id", "text", "lang", "lexicon_matches", "empathy_score", "lexicon_coverage"]])
    pd.concat(frames).to_parquet(output)
    return kept_ids


# -- timing and memory ----------------------------------------------------------------------------------------


def timed(function, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


MEMORY_JOBS = {
    "filter": "filter",
    "filter-no-dedup": "filter --no-dedup",
    "read_json": "read_json alone",
    "dedup-sets": "of which dedup hash sets",
}


def peak_rss_mb(job: str, path: Path) -> tuple[float, float]:
    """Max RSS of a fresh interpreter that runs ``job`` on ``path``, and the MiB its dedup sets hold."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", job, str(path)], capture_output=True, text=True, check=True
    )
    peak, sets = out.stdout.strip().splitlines()[-1].split()
    return float(peak), float(sets)


def child(job: str, path: Path) -> None:
    sets = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        if job.startswith("filter"):
            from empathykit.pipelines.filtering import FilterConfig, run_filter

            dedup = job == "filter"
            counts = run_filter(
                [path], Path(tmp) / "out.parquet", config=FilterConfig(exact_dedup=dedup, near_dedup=dedup)
            ).counts
            if dedup:  # 8 bytes a key: distinct exact keys seen, and one near key per kept post
                dropped = {s["stage"]: s["dropped"] for s in counts["stages"]}
                reached = counts["kept"] + dropped["exact_duplicates"] + dropped["near_duplicates"]
                sets = 8 * (reached - dropped["exact_duplicates"] + counts["kept"]) / 2**20
        else:
            import pyarrow.json as pj

            pj.read_json(path)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec
    status = Path("/proc/self/status").read_text()
    print(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024, sets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="tweets in the timed file")
    parser.add_argument("--memory-sizes", default="250000,500000,1000000", help="sizes for the peak-memory rows")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs of the filter and read_json (best kept)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return

    import pyarrow.json as pj
    import pyarrow.parquet as pq

    from empathykit.pipelines.filtering import run_filter

    big = ensure_data(args.n)
    sizes = [int(n) for n in args.memory_sizes.split(",")]
    files = {n: ensure_data(n) for n in sizes}
    size_mb = big.stat().st_size / 2**20
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t_read, _ = timed(lambda: pj.read_json(big), args.repeat)
        t_filter, result = timed(lambda: run_filter([big], out / "filtered.parquet"), args.repeat)
        t_pandas, baseline_ids = timed(lambda: pandas_baseline(big, out / "baseline.parquet"), 1)
        filter_ids = pq.read_table(out / "filtered.parquet", columns=["id"])["id"].to_pylist()
    same = filter_ids == baseline_ids
    mem = {}
    for job in ("filter", "filter-no-dedup", "read_json"):
        for n, path in files.items():
            mem[job, n], sets = peak_rss_mb(job, path)
            if job == "filter":
                mem["dedup-sets", n] = sets
    rows = [
        ("empathykit filter (streaming Arrow)", t_filter, "1.0×"),
        ("(a) pandas + re, same rules", t_pandas, f"filter is {t_pandas / t_filter:.1f}× faster"),
        ("(b) pyarrow.json.read_json alone", t_read, f"filter takes {t_filter / t_read:.2f}× its time"),
    ]
    print(
        f"\n{args.n:,} generated tweets, {size_mb:.0f} MiB JSONL; {os.cpu_count()} CPUs; "
        f"kept {result.counts['kept']:,}; baseline keeps the same posts: {same}\n"
    )
    print("| job | seconds | tweets/s | ratio |")
    print("| --- | ---: | ---: | --- |")
    for name, seconds, ratio in rows:
        print(f"| {name} | {seconds:.2f} | {args.n / seconds:,.0f} | {ratio} |")
    print("\n| peak memory (VmHWM, MiB) | " + " | ".join(f"{n:,} tweets" for n in sizes) + " |")
    print("| --- |" + " ---: |" * len(sizes))
    for job, label in MEMORY_JOBS.items():
        print(f"| {label} | " + " | ".join(f"{mem[job, n]:.1f}" for n in sizes) + " |")
    growth = (mem["filter", sizes[-1]] - mem["filter", sizes[0]]) / max(1, math.log2(sizes[-1] / sizes[0]))
    print(
        f"\nfilter peak grows {growth:+.1f} MiB per doubling of the input "
        f"(the dedup sets: {mem['dedup-sets', sizes[-1]] - mem['dedup-sets', sizes[0]]:+.1f} MiB "
        f"from {sizes[0]:,} to {sizes[-1]:,})"
    )
    print("\nstages:", json.dumps({s["stage"]: s["dropped"] for s in result.counts["stages"]}))
    if not same:
        sys.exit("the pandas baseline kept different posts than the filter")


if __name__ == "__main__":
    main()
