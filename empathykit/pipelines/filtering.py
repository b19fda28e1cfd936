"""The TwittEmp filter at scale: streaming, vectorised, with per-stage counts.

Stages, in order (each count says how many posts that stage dropped):

1. ``empty_text``: no text, or only whitespace.
2. ``language``: ``lang`` not in ``languages`` (posts without a ``lang``,
   e.g. from CSV, pass; ``und`` does not). Empty ``languages`` keeps all.
3. ``retweets``: ``is_retweet``, or a manual retweet (text starts ``RT @user``).
4. ``quote_copies``: copies of someone else's post made by quoting: old-style
   ``"@user: ...`` quotes, and quote posts with no words of their own (only
   links); with ``drop_quotes`` every quote post.
5. masking (drops nothing): links -> ``<URL>``, then optionally e-mail
   addresses -> ``<EMAIL>``, mentions -> ``<USER>``, optionally phone
   numbers -> ``<PHONE>``. Later stages and the output see the masked text.
6. ``topic``: none of the ``topics`` (default ``cancer``), case-insensitive,
   matched as ``topic_match`` says: ``word`` (default; whole words, ``#cancer``
   counts, ``cancers`` does not: how the X streaming API's keyword tracking
   matches), ``prefix`` (words starting with a topic: ``cancers``,
   ``#cancersurvivor``) or ``substring`` (anywhere: ``anticancer`` too).
7. ``lexicon``: no lexicon word as a whole word. Topic terms do not count
   here: ``cancer`` is itself in the bundled list and would make the
   requirement empty.
8. ``min_tokens``: fewer than ``min_tokens`` tokens (runs of letters, digits
   and ``_``; placeholders do not count).
9. ``exact_duplicates``: the masked text equals an earlier kept-so-far post's.
10. ``near_duplicates``: equal to an earlier post's after normalisation
    (the lower-cased tokens, placeholders left out, joined by single spaces):
    catches copies that differ only in links, mentions, case, punctuation or
    emoji.

Duplicates keep the first post in input order. Lexicon scores
(:mod:`empathykit.lexicons.scoring`) are added as columns.

:func:`filter_batch` is pure (a batch and a :class:`FilterConfig` in, the
surviving rows of stages 1-8 with their dedup keys and the counts out), so any
engine can map it over partitions; :class:`Deduplicator` holds the only state
across batches: two sets of 64-bit hashes (SipHash, as pandas computes it) of
the posts that reached the dedup stages, 8 bytes each per distinct post,
kept as sorted numpy arrays. Memory is therefore bounded by the number of
distinct posts that pass stages 1-8 (10 million such posts: 160 MB), not by
the input size. Two different texts share a 64-bit hash with probability
about n²/2⁶⁵ (1e-5 for 20 million distinct posts).

All matching is RE2 in Arrow compute; no Python loop runs per post.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from empathykit.errors import InputError
from empathykit.io import atomic_path, check_output, stamp_schema, write_json
from empathykit.lexicons.lexicon import Lexicon, bundled_lexicon
from empathykit.lexicons.scoring import score_tokens, tokenize
from empathykit.pipelines.choices import TOPIC_MATCHES
from empathykit.pipelines.parallel import ordered_map
from empathykit.pipelines.posts import FILTERED_SCHEMA, hash64
from empathykit.pipelines.readers import iter_posts, with_fast_path
from empathykit.pipelines.sources import ReadReport
from empathykit.progress import Counter, Progress

STAGES = (
    "empty_text",
    "language",
    "retweets",
    "quote_copies",
    "topic",
    "lexicon",
    "min_tokens",
    "exact_duplicates",
    "near_duplicates",
)
HASH_COLUMNS = ("_exact_hash", "_near_hash")

# RE2 patterns (Arrow); the benchmark's pandas + re baseline restates them for Python's re.
URL_PATTERN = r"(?i)(?:https?://|www\.)\S+"
EMAIL_PATTERN = r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
MENTION_PATTERN = r"(^|[^\w@])@\w+"
PHONE_PATTERN = r"(^|[^\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]?\d{3,4}\b"
MANUAL_RETWEET_PATTERN = r"^\s*RT @\w"
QUOTE_COPY_PATTERN = '^\\s*["\u201c]@\\w+:'
ONLY_LINKS_PATTERN = r"^\s*(?:(?:https?://|www\.)\S+\s*)*$"
_WORD_BEFORE = r"(?:^|[^\pL\pN_<])"  # "<" so that placeholders never count as words
_WORD_AFTER = r"(?:[^\pL\pN_]|$)"


def word_pattern(words: Iterable[str], match: str = "word") -> str:
    """RE2 pattern matching any of ``words`` case-insensitively: as whole words (``word``), as the
    start of a word (``prefix``) or anywhere (``substring``)."""
    alternatives = sorted({re.escape(w.lower()) for w in words if w.strip()}, key=lambda w: (-len(w), w))
    before, after = {"word": (_WORD_BEFORE, _WORD_AFTER), "prefix": (_WORD_BEFORE, ""), "substring": ("", "")}[match]
    return f"(?i){before}(?:{'|'.join(alternatives)}){after}"


@dataclass
class FilterConfig:
    """What the filter keeps. ``lexicon`` defaults to the bundled 200-word list."""

    lexicon: Lexicon = field(default_factory=bundled_lexicon)
    topics: tuple[str, ...] = ("cancer",)
    topic_match: str = "word"
    languages: tuple[str, ...] = ("en",)
    drop_retweets: bool = True
    drop_quote_copies: bool = True
    drop_quotes: bool = False
    mask_emails: bool = False
    mask_phones: bool = False
    min_tokens: int = 3
    exact_dedup: bool = True
    near_dedup: bool = True

    def __post_init__(self) -> None:
        self.topics = tuple(t.strip().lower() for t in self.topics if t.strip())
        self.languages = tuple(lang.strip() for lang in self.languages if lang.strip())
        words = [w for w in self.lexicon.words if w not in self.topics]
        if not words:
            raise InputError("the lexicon has no words besides the topic terms; expected at least one")
        if self.topic_match not in TOPIC_MATCHES:
            raise InputError(f"unknown topic match {self.topic_match!r}; expected one of {', '.join(TOPIC_MATCHES)}")
        if self.min_tokens < 0:
            raise InputError(f"minimum token count must be 0 or more, got {self.min_tokens}")
        self.lexicon_pattern = word_pattern(words)
        self.topic_pattern = word_pattern(self.topics, self.topic_match) if self.topics else None

    def describe(self) -> dict:
        info = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "lexicon"}
        info["lexicon"] = {"name": self.lexicon.name, "words": len(self.lexicon)}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in info.items()}


def mask_text(text: pa.Array, config: FilterConfig) -> pa.Array:
    """Replace links, (e-mails), mentions, (phone numbers) by placeholders."""
    text = pc.replace_substring_regex(text, URL_PATTERN, "<URL>")
    if config.mask_emails:
        text = pc.replace_substring_regex(text, EMAIL_PATTERN, "<EMAIL>")
    text = pc.replace_substring_regex(text, MENTION_PATTERN, r"\1<USER>")
    if config.mask_phones:
        text = pc.replace_substring_regex(text, PHONE_PATTERN, r"\1<PHONE>")
    return text


def normalise_text(text: pa.Array) -> pa.Array:
    """Near-duplicate key: the lower-cased tokens (placeholders gone) joined by single spaces."""
    return pc.binary_join(tokenize(text), " ")


def filter_batch(batch: pa.RecordBatch, config: FilterConfig) -> tuple[pa.RecordBatch, dict[str, int]]:
    """Stages 1-8 on one posts batch: the surviving rows (masked text, scores, dedup keys
    :data:`HASH_COLUMNS`) and how many rows each stage dropped. Pure: no state, no I/O."""
    counts = dict.fromkeys(STAGES[:7], 0)
    n = batch.num_rows
    text = batch.column("text")
    keep = _bools(pc.match_substring_regex(text, r"\S"))
    counts["empty_text"] = int(n - keep.sum())

    def stage(name: str, passes: np.ndarray) -> None:
        nonlocal keep
        counts[name] += int((keep & ~passes).sum())
        keep &= passes

    if config.languages:
        lang = batch.column("lang")
        stage("language", _bools(pc.is_in(lang, pa.array(config.languages))) | _nulls(lang))
    if config.drop_retweets:
        manual = pc.match_substring_regex(text, MANUAL_RETWEET_PATTERN)
        stage("retweets", ~(_bools(batch.column("is_retweet")) | _bools(manual)))
    if config.drop_quote_copies:
        copies = _bools(pc.match_substring_regex(text, QUOTE_COPY_PATTERN))
        quotes = _bools(batch.column("is_quote"))
        copies |= quotes & _bools(pc.match_substring_regex(text, ONLY_LINKS_PATTERN))
        if config.drop_quotes:
            copies |= quotes
        stage("quote_copies", ~copies)
    rows = np.flatnonzero(keep)
    if config.topic_pattern:
        # cheap prefilter: a post without any topic term as a substring cannot match after masking
        candidates = pc.take(text, pa.array(rows))
        present = np.zeros(len(rows), bool)
        for topic in config.topics:
            present |= _bools(pc.match_substring(candidates, topic, ignore_case=True))
        counts["topic"] += int(len(rows) - present.sum())
        rows = rows[present]
    masked = mask_text(pc.take(text, pa.array(rows, pa.int64())), config)
    for name, pattern in (("topic", config.topic_pattern), ("lexicon", config.lexicon_pattern)):
        if pattern is None:
            continue
        passes = _bools(pc.match_substring_regex(masked, pattern))
        counts[name] += int(len(rows) - passes.sum())
        rows, masked = rows[passes], masked.filter(pa.array(passes))
    tokens = tokenize(masked)  # one split serves the token count, the near-duplicate key and the scores
    if config.min_tokens:
        passes = pc.list_value_length(tokens).to_numpy(zero_copy_only=False) >= config.min_tokens
        counts["min_tokens"] += int(len(rows) - passes.sum())
        keep_rows = pa.array(passes)
        rows, masked, tokens = rows[passes], masked.filter(keep_rows), tokens.filter(keep_rows)
    kept = batch.take(pa.array(rows, pa.int64()))
    columns = dict(zip(kept.schema.names, kept.columns))
    columns["text"] = masked
    scores = score_tokens(tokens, config.lexicon)
    for name in scores.column_names:
        columns[name] = scores[name].combine_chunks()
    out = pa.RecordBatch.from_arrays([columns[f.name] for f in FILTERED_SCHEMA], schema=FILTERED_SCHEMA)
    out = out.append_column("_exact_hash", pa.array(hash64(masked), pa.uint64()))
    out = out.append_column("_near_hash", pa.array(hash64(pc.binary_join(tokens, " ")), pa.uint64()))
    return out, counts


def _bools(array) -> np.ndarray:
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _nulls(array) -> np.ndarray:
    return pc.is_null(array).to_numpy(zero_copy_only=False)


class HashSet:
    """A growing set of uint64 as sorted numpy runs merged like an LSM tree: vectorised
    membership in O(log² n) per key, 8 bytes per member."""

    def __init__(self) -> None:
        self.runs: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(r) for r in self.runs)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        found = np.zeros(len(keys), bool)
        for run in self.runs:
            at = np.minimum(np.searchsorted(run, keys), len(run) - 1)
            found |= run[at] == keys
        return found

    def add(self, keys: np.ndarray) -> None:
        """Add keys not yet present (the caller checked)."""
        if len(keys) == 0:
            return
        self.runs.append(np.sort(keys))
        while len(self.runs) > 1 and len(self.runs[-2]) <= 2 * len(self.runs[-1]):
            last = self.runs.pop()
            self.runs[-1] = np.sort(np.concatenate([self.runs[-1], last]), kind="stable")


class Deduplicator:
    """Exact then near-duplicate removal across batches, first occurrence wins."""

    def __init__(self, exact: bool = True, near: bool = True) -> None:
        self.exact, self.near = exact, near
        self.seen = {"_exact_hash": HashSet(), "_near_hash": HashSet()}

    def __call__(self, batch: pa.RecordBatch) -> tuple[pa.RecordBatch, dict[str, int]]:
        counts = {"exact_duplicates": 0, "near_duplicates": 0}
        keep = np.ones(batch.num_rows, bool)
        for column, stage, enabled in (
            ("_exact_hash", "exact_duplicates", self.exact),
            ("_near_hash", "near_duplicates", self.near),
        ):
            if not enabled:
                continue
            keys = batch.column(column).to_numpy()[keep]
            _, first = np.unique(keys, return_index=True)
            new = np.zeros(len(keys), bool)
            new[first] = True
            new &= ~self.seen[column].contains(keys)
            self.seen[column].add(keys[new])
            counts[stage] = int(len(keys) - new.sum())
            positions = np.flatnonzero(keep)
            keep[positions[~new]] = False
        return batch.filter(pa.array(keep)), counts


@dataclass
class FilterResult:
    output: Path
    counts_path: Path
    counts: dict


def stage_report(totals: dict[str, int], n_input: int, config: FilterConfig, **extra) -> dict:
    """The counts JSON: what each stage dropped and how many remained after it."""
    remaining, stages = n_input, []
    for name in STAGES:
        remaining -= totals.get(name, 0)
        stages.append({"stage": name, "dropped": totals.get(name, 0), "remaining": remaining})
    return {"input": n_input, "kept": remaining, "stages": stages, "config": config.describe(), **extra}


def run_filter(
    inputs: list[str | Path],
    output: str | Path,
    *,
    config: FilterConfig | None = None,
    counts_path: str | Path | None = None,
    fmt: str = "auto",
    text_column: str | None = None,
    skip_bad: bool = False,
    batch_size: int = 65_536,
    on_progress: Progress | None = None,
) -> FilterResult:
    """Filter every input into ``output`` (Parquet, :data:`FILTERED_SCHEMA`) and write the
    per-stage counts JSON beside it (``<output stem>.counts.json`` unless ``counts_path``)."""
    import pyarrow.parquet as pq

    config = config or FilterConfig()
    output = Path(output)
    counts_path = Path(counts_path) if counts_path else output.with_name(output.stem + ".counts.json")
    if not inputs:
        raise InputError("no inputs given; expected posts Parquet, JSONL, CSV or archives")
    check_output(output, "file", output="filtered")
    check_output(counts_path, "file", output="filter-counts", label="counts file")

    def run(fast: bool) -> dict:
        report, totals, n_input = ReadReport(), dict.fromkeys(STAGES, 0), 0
        dedup = Deduplicator(config.exact_dedup, config.near_dedup)
        pool = pa.default_memory_pool()
        count = Counter(on_progress, "filtering posts")
        batches = iter_posts(
            inputs, fmt=fmt, text_column=text_column, skip_bad=skip_bad, batch_size=batch_size, report=report, fast=fast
        )
        with (
            atomic_path(output, output="filtered") as tmp,
            pq.ParquetWriter(tmp, stamp_schema(FILTERED_SCHEMA, "filtered"), compression="zstd") as writer,
            ThreadPoolExecutor(max_workers=1) as writing,
        ):

            def finish(kept: pa.RecordBatch) -> dict[str, int]:
                kept, dup_counts = dedup(kept)
                writer.write_batch(kept.drop_columns(list(HASH_COLUMNS)))
                return dup_counts

            # dedup and writing (half of this loop's time) run on one thread of their own, batch after
            # batch in input order, while this one collects the next filtered batch
            written = None
            for batch, counts in _prefetched(batches, config):
                n_input += batch
                kept = counts.pop("_kept")
                for name, value in {**counts, **(written.result() if written else {})}.items():
                    totals[name] += value
                written = writing.submit(finish, kept)
                # hand freed Arrow memory back: mimalloc keeps it per thread otherwise, and the
                # high-water mark then creeps up with the number of batches
                pool.release_unused()
                count(batch)
            for name, value in (written.result() if written else {}).items():
                totals[name] += value
        return stage_report(
            totals, n_input, config, inputs=[str(p) for p in inputs], output_file=str(output), read=report.as_dict()
        )

    counts = with_fast_path(run)
    write_json(counts_path, counts, output="filter-counts")
    return FilterResult(output, counts_path, counts)


def _prefetched(batches: Iterator[pa.RecordBatch], config: FilterConfig) -> Iterator[tuple[int, dict]]:
    """Filter batches on every core while the next ones are read and parsed (Arrow releases the
    GIL); results come back in input order, a bounded number of batches in flight."""

    def work(batch: pa.RecordBatch) -> tuple[int, dict]:
        kept, counts = filter_batch(batch, config)
        counts["_kept"] = kept
        return batch.num_rows, counts

    return ordered_map(work, batches)
