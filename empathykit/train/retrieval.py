"""Story retrieval with a similarity model, and EmpathicStories' retrieval metrics.

``retrieve(model_dir, corpus, queries, k)`` embeds the corpus once and returns the
k stories with the highest cosine per query. The embeddings are cached in the
user's cache folder (``$XDG_CACHE_HOME/empathykit/embeddings/``, see
:func:`empathykit.config.embeddings_cache_dir`), one folder per corpus file, keyed
by the model's version and the corpus's content: a corpus folder is never written
to (it may be read-only), a new version of a corpus replaces the cache of its
older versions, and the whole cache stays under a size limit
(``$EMPATHYKIT_EMBEDDINGS_CACHE_MB``, default :data:`CACHE_LIMIT_MB`; the least
recently used entries go first). Search is
exact (numpy) by default; ``index="usearch"`` (or ``auto`` above
:data:`INDEX_ABOVE` stories) uses a usearch HNSW index, saved in the cache.

``metrics.retrieval_metrics(pairs)``: for each query story, the other stories of its
pairs ranked by model score against the human ranking (EmpathicStories §
retrieval): precision@1 with ties (the model's top story is one of the
human-top stories), Kendall's tau and Spearman's rho, averaged over queries.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from empathykit.config import embeddings_cache_dir
from empathykit.errors import InputError, OutputError, path_problem
from empathykit.io import atomic_path
from empathykit.progress import Progress, report
from empathykit.records import FORMATS, read_records
from empathykit.textfiles import not_utf8, text_encoding
from empathykit.train import folder as mf
from empathykit.train.choices import INDEXES
from empathykit.train.similarity import ENCODER, embed, load_encoder

TEXT_COLUMNS = ("story", "text", "story_formatted")
ID_COLUMNS = ("story_id", "item_id", "id", "post_id")
INDEX_ABOVE = 1_000_000
CACHE_LIMIT_MB = 2048


@dataclass
class Corpus:
    ids: list[str]
    texts: list[str]
    digest: str


def read_corpus(path: str | Path, text_column: str | None = None) -> Corpus:
    """Stories from CSV, JSONL, Parquet or a .txt file (one story per line); one line on bad input."""
    path = Path(path)
    if problem := path_problem(path, "a corpus of stories (CSV, JSONL, Parquet or a .txt file)"):
        raise InputError(problem)
    rows = _read_rows(path)
    if rows and text_column is None:
        text_column = next((c for c in TEXT_COLUMNS if c in rows[0]), None)
        if text_column is None:
            raise InputError(
                f"corpus {path}: no story column (looked for {', '.join(TEXT_COLUMNS)})",
                hint="name it with --text-column",
            )
    if rows and text_column not in rows[0]:
        raise InputError(f"corpus {path}: no column {text_column!r}; it has {', '.join(rows[0])}")
    id_column = next((c for c in ID_COLUMNS if rows and c in rows[0]), None)
    ids, texts = [], []
    for i, row in enumerate(rows):
        text = row.get(text_column)
        if isinstance(text, str) and text.strip():
            ids.append(str(row[id_column]) if id_column and row.get(id_column) not in (None, "") else str(i))
            texts.append(text)
    if not texts:
        raise InputError(f"corpus {path}: no stories (no non-empty {text_column or 'text'} values)")
    digest = hashlib.sha256(json.dumps([ids, texts]).encode("utf-8")).hexdigest()[:16]
    return Corpus(ids, texts, digest)


def _read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows through the project's readers: any encoding they take, one line for any other or for binary data."""
    if path.suffix.lower() == ".txt":
        return [{"text": line} for line in _read_text(path).splitlines()]
    if path.suffix.lower() not in FORMATS:
        raise InputError(f"{path}: unknown corpus format; expected .txt or one of {', '.join(sorted(FORMATS))}")
    return read_records(path, string_columns=ID_COLUMNS)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding=text_encoding(path, expected="UTF-8 text"))
    except UnicodeDecodeError:
        raise not_utf8(path, "past its first 64 KiB") from None


def read_queries(path: str | Path) -> list[str]:
    """Queries: a .txt file (one per line) or any corpus format (its story/text column)."""
    path = Path(path)
    if path.suffix.lower() == ".txt" and path.is_file():
        queries = [q for q in _read_text(path).splitlines() if q.strip()]
        if not queries:
            raise InputError(f"queries {path}: no queries")
        return queries
    return read_corpus(path).texts


def cache_path(corpus_path: Path, model_version: str, corpus: Corpus) -> Path:
    """Where the embeddings of ``corpus`` (read from ``corpus_path``) by ``model_version`` are cached."""
    where = hashlib.sha256(str(corpus_path.resolve()).encode("utf-8")).hexdigest()[:12]
    return embeddings_cache_dir() / f"{corpus_path.name}-{where}" / f"{model_version}-{corpus.digest}.npy"


def corpus_embeddings(model, model_version: str, corpus: Corpus, corpus_path: Path, batch_size: int = 64):
    """The corpus' unit embeddings, from the cache when model and corpus match; ``(vectors, cache
    path or None when the cache cannot be written, whether they came from the cache)``."""
    import numpy as np

    cache = cache_path(corpus_path, model_version, corpus)
    if cache.is_file():
        try:
            vectors = np.load(cache)
            os.utime(cache)  # recently used: kept longest by the size limit
            return vectors, cache, True
        except (OSError, ValueError):
            pass  # a damaged entry is written again
    vectors = embed(model, corpus.texts, batch_size).astype("float32")
    try:
        with atomic_path(cache, suffix=".npy", output="embeddings-cache", label="embeddings cache") as tmp:
            np.save(tmp, vectors)
    except OutputError:
        return vectors, None, False  # an unwritable cache costs time, never the answer
    prune_cache(cache)
    return vectors, cache, False


def prune_cache(keep: Path, limit_mb: float | None = None) -> list[Path]:
    """Remove the cache entries of older versions of ``keep``'s corpus, then the least recently used
    entries of any corpus while the cache is over ``limit_mb``; returns what was removed."""
    if limit_mb is None:
        limit_mb = float(os.environ.get("EMPATHYKIT_EMBEDDINGS_CACHE_MB") or CACHE_LIMIT_MB)
    digest = keep.stem.rsplit("-", 1)[-1]
    removed = [p for p in keep.parent.iterdir() if p.stem.rsplit("-", 1)[-1] != digest and _entry(p)]
    entries = sorted(
        (p for p in keep.parent.parent.glob("*/*") if _entry(p) and p not in removed), key=lambda p: p.stat().st_mtime
    )
    total = sum(p.stat().st_size for p in entries)
    for path in entries:
        if total <= limit_mb * 1e6:
            break
        if path.with_suffix("") != keep.with_suffix(""):
            total -= path.stat().st_size
            removed.append(path)
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def _entry(path: Path) -> bool:
    return path.suffix in (".npy", ".usearch") and not path.name.startswith(".")


def search(corpus_vectors, query_vectors, k: int, index: str = "auto", cache: Path | None = None):
    """``(indices, scores)`` of the k highest cosines per query (rows sorted best first)."""
    import numpy as np

    n = len(corpus_vectors)
    if index not in INDEXES:
        raise InputError(f"--index {index!r}: expected one of {', '.join(INDEXES)}")
    if k < 1 or k > n:
        raise InputError(f"-k {k}: the corpus has {n} stories", hint=f"pass -k between 1 and {n}")
    if index == "usearch" or (index == "auto" and n > INDEX_ABOVE):
        return _usearch(corpus_vectors, query_vectors, k, cache)
    scores = query_vectors @ corpus_vectors.T
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return top, np.take_along_axis(scores, top, axis=1)


def _usearch(corpus_vectors, query_vectors, k: int, cache: Path | None):
    import numpy as np
    from usearch.index import Index

    path = cache.with_suffix(".usearch") if cache else None
    index = Index(ndim=corpus_vectors.shape[1], metric="cos", dtype="f32")
    if path and path.is_file():
        index.load(str(path))
    else:
        index.add(np.arange(len(corpus_vectors)), corpus_vectors)
        if path:
            index.save(str(path))
    found = index.search(query_vectors, k)
    keys = np.asarray(found.keys).reshape(len(query_vectors), -1)
    scores = 1.0 - np.asarray(found.distances).reshape(len(query_vectors), -1)  # cos distance → cosine
    return keys.astype(int), scores


def retrieve(
    model_dir: str | Path,
    corpus_path: str | Path,
    queries: Sequence[str],
    k: int = 5,
    *,
    index: str = "auto",
    text_column: str | None = None,
    on_progress: Progress | None = None,
) -> dict[str, Any]:
    """The k most similar corpus stories per query: ``{"results": [...], "cached": bool, ...}``."""

    config = mf.read_model_config(model_dir)
    if config["family"] != "similarity":
        raise InputError(f"{model_dir}: a {config['family']!r} model; retrieval needs a similarity model")
    queries = [q for q in queries if isinstance(q, str) and q.strip()]
    if not queries:
        raise InputError("no query text given", hint="pass --query TEXT or --queries FILE")
    corpus_path = Path(corpus_path)
    corpus = read_corpus(corpus_path, text_column)
    if k < 1 or k > len(corpus.texts):
        raise InputError(
            f"-k {k}: the corpus has {len(corpus.texts)} stories", hint=f"pass -k between 1 and {len(corpus.texts)}"
        )
    report(on_progress, f"embedding {len(corpus.texts)} stories (once per corpus version; cached after)")
    model = load_encoder(Path(model_dir) / ENCODER)
    vectors, cache, cached = corpus_embeddings(model, mf.model_version(model_dir), corpus, corpus_path)
    report(on_progress, f"searching for {len(queries)} queries")
    top, scores = search(vectors, embed(model, queries), k, index, cache)
    results = [
        {"query": q, "rank": r + 1, "id": corpus.ids[j], "score": round(float(s), 6), "text": corpus.texts[j]}
        for q, row, srow in zip(queries, top, scores)
        for r, (j, s) in enumerate(zip(row, srow))
    ]
    return {
        "results": results,
        "cached": cached,
        "cache": str(cache) if cache else None,
        "corpus_size": len(corpus.texts),
    }
